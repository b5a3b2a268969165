import { InvalidInputError } from '../core/errors';

/**
 * Management API hosts by instance-GUID suffix (docs/design.md, "Facts"; from the .NET 2.x SDK's
 * `AgilityRegions`): the text after the last `-`, matched case-insensitively; a GUID without a dash is USA.
 */
export const REGION_HOSTS: Readonly<Record<string, string>> = Object.freeze({
  u: 'https://mgmt.aglty.io',
  us2: 'https://mgmt-usa2.aglty.io',
  c: 'https://mgmt-ca.aglty.io',
  e: 'https://mgmt-eu.aglty.io',
  a: 'https://mgmt-aus.aglty.io',
  d: 'https://mgmt-dev.aglty.io',
});

/** The US Management API host, used for GUIDs ending in `-u` or without a dash. */
export const DEFAULT_BASE_URL = REGION_HOSTS.u;

const ACCEPTED_SUFFIXES = Object.keys(REGION_HOSTS)
  .map((s) => `-${s}`)
  .join(', ');

/**
 * The Management API base URL (`https://…`, no trailing slash) for an Agility instance GUID.
 *
 * The suffix after the LAST `-` picks the region, case-insensitively: `u` (or no dash at all) → US
 * `https://mgmt.aglty.io`, `us2` → `https://mgmt-usa2.aglty.io`, `c` → Canada, `e` → Europe, `a` → Australia,
 * `d` → Agility's dev host.
 *
 * @throws InvalidInputError for an empty GUID or an unknown suffix (`-x`, `-usa`, `-u-2`, a trailing dash).
 *   There is deliberately no fallback to US: a request sent to the wrong region fails in confusing ways.
 */
export function regionHostForGuid(guid: string): string {
  if (typeof guid !== 'string' || guid.trim() === '') {
    throw new InvalidInputError(
      `instanceGuid must be a non-empty Agility instance GUID such as "1234abcd-u", got ${JSON.stringify(guid)}.`,
      { prop: 'instanceGuid' },
    );
  }
  const trimmed = guid.trim();
  const dash = trimmed.lastIndexOf('-');
  if (dash === -1) return DEFAULT_BASE_URL;
  const suffix = trimmed.slice(dash + 1).toLowerCase();
  const host = Object.prototype.hasOwnProperty.call(REGION_HOSTS, suffix) ? REGION_HOSTS[suffix] : undefined;
  if (host === undefined) {
    throw new InvalidInputError(
      `instanceGuid "${trimmed}" ends in an unknown region suffix "-${suffix}": Agility's suffixes are ${ACCEPTED_SUFFIXES} ` +
        `(or no dash for US). Check the GUID in the Agility Manager, or set baseUrl to the Management API host explicitly.`,
      { prop: 'instanceGuid', value: trimmed, suffix },
    );
  }
  return host;
}

/** True for hosts that never leave this machine: `localhost`, 127.0.0.0/8 and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Hides `user:password@` so a malformed URL can be named in a message without leaking credentials. */
function withoutUserInfo(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1[credentials]@');
}

/**
 * Checks an explicit Management API base URL and returns it normalised (no trailing slash).
 *
 * Rules: an absolute `https:` URL; `http:` only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`, e.g. the
 * emulator); no `user:password@`, query string or fragment. A path prefix (a proxy) is kept.
 *
 * @param what the name of the setting in messages.
 * @throws InvalidInputError naming the rule broken and the URL (credentials hidden).
 */
export function validateBaseUrl(baseUrl: string, what = 'baseUrl'): string {
  const raw = typeof baseUrl === 'string' ? baseUrl.trim() : '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError(
      `${what} must be an absolute URL such as https://mgmt.aglty.io, got ${JSON.stringify(withoutUserInfo(raw))}.`,
      { prop: what },
    );
  }
  const shown = withoutUserInfo(raw);
  if (url.username !== '' || url.password !== '') {
    throw new InvalidInputError(
      `${what} must not contain credentials (user:password@), got "${shown}": pass the access token as accessToken instead.`,
      { prop: what },
    );
  }
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw new InvalidInputError(`${what} must not have a query string or fragment, got "${shown}": remove everything from "?" or "#".`, {
      prop: what,
      value: shown,
    });
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw new InvalidInputError(
        `${what} must use https (the access token would travel in clear text), got "${shown}"; plain http is only allowed for loopback hosts such as http://127.0.0.1.`,
        { prop: what, value: shown },
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new InvalidInputError(`${what} must be an https:// URL, got "${shown}".`, { prop: what, value: shown });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * Picks the Management API base URL: an explicit `baseUrl` wins (validated by {@link validateBaseUrl});
 * otherwise the region of `instanceGuid` ({@link regionHostForGuid}). Empty strings count as not given.
 *
 * @throws InvalidInputError when neither is given, or the one used is invalid.
 */
export function resolveBaseUrl(input: { baseUrl?: string; instanceGuid?: string }): string {
  const baseUrl = input.baseUrl?.trim();
  if (baseUrl) return validateBaseUrl(baseUrl);
  const guid = input.instanceGuid?.trim();
  if (guid) return regionHostForGuid(guid);
  throw new InvalidInputError(
    'no Agility Management API host: set baseUrl (e.g. https://mgmt.aglty.io) or instanceGuid (e.g. 1234abcd-u, whose suffix picks the region).',
    { prop: 'baseUrl' },
  );
}
