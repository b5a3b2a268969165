import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { fsFailure } from './delivery-failure';

/**
 * The record of what a file or env-file sink was given (docs/design.md, "Many machines, one writer"): beside the
 * target, one small file per target (the whole file, or one key of an env file), mode 0600: the token id and a keyed
 * fingerprint of the bytes written, HMAC-SHA-256 under a random salt of its own. It holds no secret: a fingerprint of a
 * signed token reveals nothing of it, and the salt makes two records of one secret differ. It lives beside the
 * destination, so whoever sees the file (another machine on a shared folder too) sees its record; `status` and the
 * drift check compare the file with it without ever using the secret. One record per key, not one per env file:
 * writers on machines that do not share a lock folder then never lose each other's records.
 */

/** The suffix of a record's file name. */
export const DELIVERY_RECORD_SUFFIX = '.agility-pat.json';

/** One delivery: to which token the bytes belong, and their fingerprint. */
export interface DeliveryRecordEntry {
  readonly tokenId: string;
  /** Hex, 16 random bytes. */
  readonly salt: string;
  /** Hex HMAC-SHA-256 of the bytes written, keyed by the salt. */
  readonly fingerprint: string;
}

/**
 * The record file of a target and key: `/srv/app/.ci.pat.agility-pat.json` for the file `/srv/app/ci.pat`,
 * `/srv/app/..env.CI_TOKEN.agility-pat.json` for the key `CI_TOKEN` of `/srv/app/.env`.
 */
export function deliveryRecordPath(target: string, key: string = recordKey()): string {
  const envKey = key.startsWith('env:') ? `.${key.slice(4)}` : '';
  return join(dirname(target), `.${basename(target)}${envKey}${DELIVERY_RECORD_SUFFIX}`);
}

/** The record key of a file sink (the whole file) or of one key of an env file. */
export function recordKey(envKey?: string): string {
  return envKey === undefined ? 'file' : `env:${envKey}`;
}

/** A fresh entry for `bytes` delivered as token `tokenId`. */
export function recordEntry(tokenId: string, bytes: Buffer): DeliveryRecordEntry {
  const salt = randomBytes(16).toString('hex');
  return { tokenId, salt, fingerprint: fingerprint(bytes, salt) };
}

/** The token id of an entry whose bytes belong to no known token. */
export const UNKNOWN_TOKEN_ID = '';

/**
 * The entry to put back when a delivery is undone: the previous one; when there was none but bytes are put back (they
 * were there before records were kept, or were written by another machine meanwhile), an entry of no known token, so
 * that `status` never takes them for the live token's delivery.
 */
export function restoredEntry(
  previous: DeliveryRecordEntry | undefined,
  restoredBytes: Buffer | undefined,
): DeliveryRecordEntry | undefined {
  if (previous !== undefined || restoredBytes === undefined) return previous;
  return recordEntry(UNKNOWN_TOKEN_ID, restoredBytes);
}

/** True when `bytes` are what `entry` records. */
export function entryMatches(entry: DeliveryRecordEntry, bytes: Buffer): boolean {
  const expected = Buffer.from(entry.fingerprint, 'hex');
  const actual = Buffer.from(fingerprint(bytes, entry.salt), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * How a sink records one delivery: `afterWrite` (run by `replaceTarget` under the target's lock, after the write)
 * records `bytes` as token `tokenId`'s, and `previous` then gives the entry it replaced, for an undo. Without a token id
 * nothing is recorded (`afterWrite` is absent) and `previous` gives null: an undo restores no record.
 */
export function deliveryRecorder(
  target: string,
  key: string,
  tokenId: string | undefined,
  bytes: Buffer,
): { afterWrite?: () => Promise<void>; previous: () => DeliveryRecordEntry | undefined | null } {
  if (tokenId === undefined) return { previous: () => null };
  let previous: DeliveryRecordEntry | undefined;
  return {
    afterWrite: async () => {
      previous = await readRecordEntry(target, key);
      await writeRecordEntry(target, key, recordEntry(tokenId, bytes));
    },
    previous: () => previous,
  };
}

/** The entry recorded for `key` of `target`; undefined when there is none or it cannot be read as one. */
export async function readRecordEntry(target: string, key: string): Promise<DeliveryRecordEntry | undefined> {
  let text: string;
  try {
    text = await fs.readFile(deliveryRecordPath(target, key), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return isEntry(parsed) ? { tokenId: parsed.tokenId, salt: parsed.salt, fingerprint: parsed.fingerprint } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets (or, with undefined, removes) the entry for `key` of `target`, atomically. The caller holds the target's lock
 * (the record changes with the target, under one lock).
 */
export async function writeRecordEntry(target: string, key: string, entry: DeliveryRecordEntry | undefined): Promise<void> {
  const path = deliveryRecordPath(target, key);
  if (entry === undefined) {
    try {
      await fs.rm(path, { force: true });
    } catch (e) {
      throw fsFailure(e, 'remove', path);
    }
    return;
  }
  await writeFileAtomic(path, `${JSON.stringify({ version: 1, ...entry })}\n`);
}

function fingerprint(bytes: Buffer, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(bytes).digest('hex');
}

function isEntry(e: unknown): e is DeliveryRecordEntry {
  const o = e as (Partial<DeliveryRecordEntry> & { version?: unknown }) | undefined;
  return (
    o?.version === 1 &&
    typeof o.tokenId === 'string' &&
    typeof o.salt === 'string' &&
    /^[0-9a-f]{32}$/.test(o.salt) &&
    typeof o.fingerprint === 'string' &&
    /^[0-9a-f]{64}$/.test(o.fingerprint)
  );
}
