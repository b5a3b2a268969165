export * from './types';
export * from './ensure-token';
export * from './retain-token';
export * from './revoke-token';
export * from './reconcile-stack';
export { listManagedName } from './find-tokens';
export * from './retire-early';
