// First: reports a missing CDK peer clearly, before any CDK import fails (docs/cdk-terrain.md).
import './cdk-package';
export * from './agility-personal-access-token';
export * from './agility-token-reconciler';
export * from './agility-api';
export * from './secret-sink';
export type { SlotResourceType } from './slot-resource';
