import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { fsFailure } from './delivery-failure';

/**
 * The record of what a file or env-file sink was given (docs/design.md, "Many machines, one writer"): beside the
 * target, in `.<file name>.agility-pat.json` (mode 0600), one entry per target (the whole file, or one env key): the
 * token id and a keyed fingerprint of the bytes written, HMAC-SHA-256 under a random salt of its own. It holds no
 * secret: a fingerprint of a signed token reveals nothing of it, and the salt makes two records of one secret differ.
 * It lives beside the destination, so whoever sees the file (another machine on a shared folder too) sees its record;
 * `status` and the drift check compare the file with it without ever using the secret.
 */

/** The suffix of a record's file name; the record of `/srv/app/.env` is `/srv/app/..env.agility-pat.json`. */
export const DELIVERY_RECORD_SUFFIX = '.agility-pat.json';

/** One delivery: to which token the bytes belong, and their fingerprint. */
export interface DeliveryRecordEntry {
  readonly tokenId: string;
  /** Hex, 16 random bytes. */
  readonly salt: string;
  /** Hex HMAC-SHA-256 of the bytes written, keyed by the salt. */
  readonly fingerprint: string;
}

interface RecordFile {
  version: 1;
  entries: Record<string, DeliveryRecordEntry>;
}

/** The record file of a target. */
export function deliveryRecordPath(target: string): string {
  return join(dirname(target), `.${basename(target)}${DELIVERY_RECORD_SUFFIX}`);
}

/** The entry key of a file sink (the whole file) or of one key of an env file. */
export function recordKey(envKey?: string): string {
  return envKey === undefined ? 'file' : `env:${envKey}`;
}

/** A fresh entry for `bytes` delivered as token `tokenId`. */
export function recordEntry(tokenId: string, bytes: Buffer): DeliveryRecordEntry {
  const salt = randomBytes(16).toString('hex');
  return { tokenId, salt, fingerprint: fingerprint(bytes, salt) };
}

/** True when `bytes` are what `entry` records. */
export function entryMatches(entry: DeliveryRecordEntry, bytes: Buffer): boolean {
  const expected = Buffer.from(entry.fingerprint, 'hex');
  const actual = Buffer.from(fingerprint(bytes, entry.salt), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The entry recorded for `key` of `target`; undefined when there is none or the record cannot be read as one. */
export async function readRecordEntry(target: string, key: string): Promise<DeliveryRecordEntry | undefined> {
  const file = await readRecordFile(target);
  const entry = file?.entries[key];
  return isEntry(entry) ? entry : undefined;
}

/**
 * Sets (or, with undefined, removes) the entry for `key` of `target`, keeping the others; a record left empty is
 * removed. The caller holds the target's lock (the record changes with the target, under one lock).
 */
export async function writeRecordEntry(target: string, key: string, entry: DeliveryRecordEntry | undefined): Promise<void> {
  const path = deliveryRecordPath(target);
  const file = (await readRecordFile(target)) ?? { version: 1, entries: {} };
  if (entry === undefined) delete file.entries[key];
  else file.entries[key] = entry;
  if (Object.keys(file.entries).length === 0) {
    try {
      await fs.rm(path, { force: true });
    } catch (e) {
      throw fsFailure(e, 'remove', path);
    }
    return;
  }
  await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
}

function fingerprint(bytes: Buffer, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(bytes).digest('hex');
}

async function readRecordFile(target: string): Promise<RecordFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(deliveryRecordPath(target), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<RecordFile>;
    if (parsed?.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return undefined;
    return { version: 1, entries: { ...parsed.entries } };
  } catch {
    return undefined;
  }
}

function isEntry(e: unknown): e is DeliveryRecordEntry {
  const o = e as Partial<DeliveryRecordEntry> | undefined;
  return (
    typeof o?.tokenId === 'string' &&
    typeof o.salt === 'string' &&
    /^[0-9a-f]{32}$/.test(o.salt) &&
    typeof o.fingerprint === 'string' &&
    /^[0-9a-f]{64}$/.test(o.fingerprint)
  );
}
