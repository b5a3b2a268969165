/** Day-to-day operation of managed tokens: the status report, revoke selection. */
export * from './listed-token';
export * from './status-report';
export * from './read-stack-manifest';
export * from './revoke-selection';
