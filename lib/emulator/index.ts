/**
 * The Agility Management API emulator: a local stand-in for `https://mgmt.aglty.io` with Agility's PAT
 * rules, used by tests, `npm start` and `agility-pat emulator` (docs/design.md, "Contracts").
 */
export { startEmulator, type EmulatorOptions, type RunningEmulator, type RequestLogEntry } from './server';
export { emulatorBanner, emulatorNextSteps } from './banner';
export type { FaultSpec, Fault } from './faults';
export {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  REFRESH_TOKEN_LIFETIME_SECONDS,
  DEFAULT_USER_EMAIL,
  SAMPLE_INSTANCE_GUID,
  PAT_NOT_ALLOWED_DETAIL,
  TOKEN_LIMIT_DETAIL,
  RATE_LIMIT_DETAIL,
  EXPIRED_REENABLE_DETAIL,
} from './state';
