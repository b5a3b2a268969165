/**
 * The library's public surface: the constructs and the value types their props take.
 * @packageDocumentation
 * @module agility-pat-cdktf
 */
export * from './construct';
export { Duration } from './core/duration';
export * from './core/errors';
export { DEFAULT_CREDENTIAL_ENV, HOOK_ENV, MANIFEST_FILE, SYNTH_NOW_CONTEXT } from './core/hook-contract';
