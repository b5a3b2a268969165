/** The pure core domain: no I/O, the clock is a parameter (docs/design.md, "Architecture"). */
export * from './clock';
export * from './duration';
export * from './errors';
export * from './hook-contract';
export * from './limits';
export * from './managed-name';
export * from './manifest';
export * from './printable';
export * from './redact';
export * from './replacement';
export * from './rotation';
export * from './sink-spec';
export * from './token-spec';
export * from './token-state';
export * from './usage-policy';
export * from './validation';
