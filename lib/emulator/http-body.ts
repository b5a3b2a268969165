import type { IncomingMessage } from 'node:http';

/**
 * Request bodies for the emulator's thin HTTP layer: bounded reading, and parsing the media types the
 * Agility Management API accepts (JSON variants on `/api`, forms on `/oauth`).
 */

/** Largest body the emulator accepts; bigger ones get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this many bytes an oversized body is no longer drained but the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** A read body, or the fact that it was over {@link MAX_BODY_BYTES}. */
export type ReadBody = { tooLarge: false; bytes: Buffer } | { tooLarge: true };

/**
 * Reads the whole body. An oversized one is drained (not kept) so the client can still read the 413,
 * unless it goes on past 64 MiB.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        return;
      }
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? { tooLarge: true } : { tooLarge: false, bytes: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before sending the whole body'));
    });
  });
}

/** The media type of a request, lower case, without parameters; '' when absent. */
export function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** The JSON media types ASP.NET accepts for the token request bodies: `application/json`, `text/json`, `application/*+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType === 'text/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

/** Parses JSON; undefined when it is not valid JSON. */
export function parseJson(bytes: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) };
  } catch {
    return undefined;
  }
}

/**
 * The string fields of a form body (`application/x-www-form-urlencoded` or `multipart/form-data`), parsed
 * by the platform's `Response.formData()` rather than a hand-written multipart parser. Undefined when the
 * body does not parse.
 */
export async function parseForm(bytes: Buffer, contentType: string): Promise<Map<string, string> | undefined> {
  try {
    const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
    const fields = new Map<string, string>();
    form.forEach((value, key) => {
      if (typeof value === 'string' && !fields.has(key)) fields.set(key, value);
    });
    return fields;
  } catch {
    return undefined;
  }
}

/** Looks a key up the way ASP.NET binds JSON: case-insensitively (`Name` fills `name`). */
export function pickCaseInsensitive(obj: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}
