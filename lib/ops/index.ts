/** Day-to-day operation of managed tokens: the status report, revoke selection (issue 5). */
export * from './listed-token';
export * from './status-report';
export * from './read-stack-manifest';
export * from './revoke-selection';
