/**
 * Stored logins of `agility-pat auth login` and the credential chain (docs/design.md, "Credentials"). CLI-side only:
 * the construct never imports this folder.
 */
export * from './store';
export * from './chain';
export * from './cli-sign-in';
