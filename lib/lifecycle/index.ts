export * from './types';
export * from './ensure-token';
export * from './retain-token';
export * from './revoke-token';
export * from './reconcile-stack';
export { listManagedName } from './find-tokens';
export { replaceHandMadeTokens } from './replace-hand-made';
export * from './rotate-now';
export * from './retire-early';
