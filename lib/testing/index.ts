/**
 * `agility-pat-cdktf/testing`: what a user needs to test their own stacks against the built-in emulator
 * (docs/testing.md). Depends on neither jest nor any other test runner.
 * @packageDocumentation
 * @module agility-pat-cdktf/testing
 */
export { startTestEmulator, TestEmulator, type TestEmulatorOptions } from './test-emulator';
export type { Fault, FaultSpec, RequestLogEntry, RunningEmulator } from '../emulator';
export { DEFAULT_USER_EMAIL, ACCESS_TOKEN_LIFETIME_SECONDS } from '../emulator';
export type { PersonalAccessTokenResponse } from '../api/models';
