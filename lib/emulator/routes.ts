import type { IncomingHttpHeaders } from 'node:http';
import { isJsonMediaType, parseForm, parseJson, pickCaseInsensitive } from './http-body';
import { json, problem, type Reply } from './problem';
import { DEFAULT_USER_EMAIL, PAT_NOT_ALLOWED_DETAIL, RuleViolation, type Caller, type EmulatorState } from './state';

/**
 * The Management API and OAuth routes the emulator serves (docs/design.md, "Facts"), as functions from
 * a read request to a {@link Reply}. The rules live in {@link EmulatorState}; this file only binds HTTP
 * to them: routing, authentication order, body media types, and status codes.
 *
 * Served are the routes the API client calls (OAuth sign-in and refresh, the CLI sign-in, `users/me`, the token routes), plus
 * the public `GET /api/v1/types`, which needs no credential and changes nothing: what a test or a probe calls
 * to see that the emulator answers, or to aim a fault at.
 */

/** One API or OAuth request, body already read. */
export interface ApiRequest {
  method: string;
  /** The path as sent, without query string or trailing slash. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Media type of the body, lower case, no parameters; '' when absent. */
  mediaType: string;
  /** Set by a handler when it learns who the caller is without a bearer (sign-in): the request log names them. */
  user?: string;
}

type Access = 'public' | 'any' | 'oauth';
type Handler = (
  state: EmulatorState,
  req: ApiRequest,
  params: Record<string, string>,
  caller: Caller | undefined,
) => Reply | Promise<Reply>;

interface Route {
  method: string;
  /** Path template with `{param}` segments. */
  template: string;
  /** public: no credential; any: OAuth or PAT; oauth: PATs get 403. */
  access: Access;
  handler: Handler;
}

const ROUTES: Route[] = [
  { method: 'POST', template: '/oauth/token', access: 'public', handler: oauthToken },
  { method: 'POST', template: '/oauth/refresh', access: 'public', handler: oauthRefresh },
  // Agility's CLI sign-in (docs/oauth.md): names match case-insensitively like every route.
  { method: 'GET', template: '/oauth/Authorize', access: 'public', handler: oauthAuthorize },
  { method: 'GET', template: '/oauth/CliAuth', access: 'public', handler: oauthCliAuth },
  { method: 'POST', template: '/oauth/CliPoll', access: 'public', handler: oauthCliPoll },
  { method: 'GET', template: '/api/v1/types', access: 'public', handler: () => json(ALL_TYPES) },
  { method: 'GET', template: '/api/v1/users/me', access: 'any', handler: (s, _r, _p, c) => json(s.serverUser(c!.user)) },
  { method: 'GET', template: '/api/v1/tokens/list', access: 'oauth', handler: (s, _r, _p, c) => json(s.listTokens(c!.user)) },
  { method: 'POST', template: '/api/v1/tokens/create', access: 'oauth', handler: createToken },
  { method: 'GET', template: '/api/v1/tokens/{tokenId}', access: 'oauth', handler: (s, _r, p, c) => json(s.getToken(c!.user, p.tokenId)) },
  { method: 'PUT', template: '/api/v1/tokens/{tokenId}/update', access: 'oauth', handler: updateToken },
  {
    method: 'DELETE',
    template: '/api/v1/tokens/{tokenId}/delete',
    access: 'oauth',
    handler: (s, _r, p, c) => {
      s.revokeToken(c!.user, p.tokenId);
      return { status: 204 };
    },
  },
];

/** A minimal `AllTypesResponse` for `GET /api/v1/types`. */
const ALL_TYPES = {
  userTypes: [
    { value: 1, name: 'Normal', description: 'A normal user' },
    { value: 2, name: 'Support', description: 'An Agility support user' },
  ],
  instancePermissions: [{ value: 1, name: 'Manage', description: 'Manage the instance' }],
};

/**
 * Serves one API or OAuth request. Authentication runs before routing on `/api` (so an unauthenticated
 * call to a made-up path gets 401, as upstream), and a PAT gets 403 on every `/api/v1/tokens` path.
 */
export async function handleApiRequest(state: EmulatorState, req: ApiRequest): Promise<Reply> {
  try {
    const lower = req.path.toLowerCase();
    const resolved = resolve(req.method, req.path);
    let caller: Caller | undefined;
    const isApi = lower === '/api' || lower.startsWith('/api/');
    if (isApi && !(resolved.kind !== 'not-found' && resolved.access === 'public')) {
      caller = state.authenticate(req.headers.authorization);
      if (caller.kind === 'pat' && (lower === '/api/v1/tokens' || lower.startsWith('/api/v1/tokens/'))) {
        return problem(403, PAT_NOT_ALLOWED_DETAIL);
      }
    }
    if (resolved.kind === 'not-found') return problem(404, `No route for ${req.method} ${req.path}.`);
    if (resolved.kind === 'method-not-allowed') {
      return problem(
        405,
        `${req.path} does not accept ${req.method}; it accepts ${resolved.allow.join(', ')}.`,
        {},
        { allow: resolved.allow.join(', ') },
      );
    }
    if (resolved.route.access === 'oauth' && caller?.kind === 'pat') return problem(403, PAT_NOT_ALLOWED_DETAIL);
    return await resolved.route.handler(state, req, resolved.params, caller);
  } catch (e) {
    if (e instanceof RuleViolation) return violationReply(e);
    throw e;
  }
}

function violationReply(v: RuleViolation): Reply {
  switch (v.kind) {
    case 'bad-request':
      return problem(400, v.detail, v.extra.field ? { errors: { [v.extra.field]: [v.detail] } } : {});
    case 'unauthorized':
      return problem(401, v.detail, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
    case 'not-found':
      return problem(404, v.detail);
    case 'gone':
      return problem(410, v.detail);
    case 'rate-limited':
      return problem(
        429,
        v.detail,
        {},
        v.extra.retryAfterSeconds !== undefined ? { 'retry-after': String(v.extra.retryAfterSeconds) } : {},
      );
  }
}

type Resolution =
  | { kind: 'found'; route: Route; params: Record<string, string>; access: Access }
  | { kind: 'method-not-allowed'; allow: string[]; access: Access }
  | { kind: 'not-found' };

/**
 * Finds the route for a path, case-insensitively like ASP.NET. Templates with fewer parameters win, so
 * `GET /api/v1/tokens/create` is a 405 on the literal route rather than a token id.
 */
function resolve(method: string, path: string): Resolution {
  const segments = path.split('/');
  const candidates: Array<{ route: Route; params: Record<string, string>; paramCount: number }> = [];
  for (const route of ROUTES) {
    const params = matchTemplate(route.template, segments);
    if (params) candidates.push({ route, params, paramCount: Object.keys(params).length });
  }
  if (candidates.length === 0) return { kind: 'not-found' };
  const fewest = Math.min(...candidates.map((c) => c.paramCount));
  const best = candidates.filter((c) => c.paramCount === fewest);
  const hit = best.find((c) => c.route.method === method);
  if (hit) return { kind: 'found', route: hit.route, params: hit.params, access: hit.route.access };
  return { kind: 'method-not-allowed', allow: [...new Set(best.map((c) => c.route.method))], access: best[0].route.access };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const segment = segments[i];
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = safeDecode(segment);
    } else if (part.toLowerCase() !== segment.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---- bodies ------------------------------------------------------------------------------------

/** The JSON object of a `/api` request body, or a 4xx reply saying why there is none. */
function jsonObjectBody(req: ApiRequest): { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply } {
  const fail = (reply: Reply) => ({ ok: false as const, reply });
  if (req.body.length === 0) return fail(problem(400, 'A non-empty request body is required: send a JSON object.'));
  if (!isJsonMediaType(req.mediaType)) {
    return fail(
      problem(415, `Content-Type must be application/json, text/json or application/*+json, got "${req.mediaType || '(none)'}".`),
    );
  }
  const parsed = parseJson(req.body);
  if (!parsed) return fail(problem(400, 'The request body is not valid JSON.', { errors: { $: ['The JSON value could not be parsed.'] } }));
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return fail(problem(400, 'The request body must be a JSON object.', { errors: { $: ['Expected a JSON object.'] } }));
  }
  return { ok: true, value: parsed.value as Record<string, unknown> };
}

/** String fields of an OAuth body: urlencoded or multipart form (what the SDKs and the spec send), or JSON. */
async function oauthFields(req: ApiRequest): Promise<Map<string, string> | Reply> {
  if (req.body.length === 0) return new Map();
  if (req.mediaType === 'application/x-www-form-urlencoded' || req.mediaType === 'multipart/form-data') {
    const form = await parseForm(req.body, String(req.headers['content-type']));
    return form ?? problem(400, `The ${req.mediaType} body could not be parsed.`);
  }
  if (isJsonMediaType(req.mediaType)) {
    const parsed = parseJson(req.body);
    if (!parsed || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return problem(400, 'The JSON body must be an object.');
    }
    const fields = new Map<string, string>();
    for (const [k, v] of Object.entries(parsed.value as Record<string, unknown>)) if (typeof v === 'string') fields.set(k, v);
    return fields;
  }
  return problem(
    415,
    `Content-Type must be application/x-www-form-urlencoded, multipart/form-data or application/json, got "${req.mediaType || '(none)'}".`,
  );
}

// ---- handlers ----------------------------------------------------------------------------------

async function oauthToken(state: EmulatorState, req: ApiRequest): Promise<Reply> {
  const fields = await oauthFields(req);
  if (!(fields instanceof Map)) return fields;
  const code = fields.get('code');
  const session = state.signIn(code);
  const who = state.identify(`Bearer ${session.access_token}`);
  if (who.kind === 'oauth') req.user = who.user.emailAddress;
  return json(session);
}

async function oauthRefresh(state: EmulatorState, req: ApiRequest): Promise<Reply> {
  let refreshToken = req.query.get('refresh_token') ?? undefined;
  if (!refreshToken) {
    const fields = await oauthFields(req);
    if (!(fields instanceof Map)) return fields;
    refreshToken = fields.get('refresh_token');
  }
  const session = state.refresh(refreshToken);
  const who = state.identify(`Bearer ${session.access_token}`);
  if (who.kind === 'oauth') req.user = who.user.emailAddress;
  return json(session);
}

/** `GET /oauth/Authorize`: signs in at once and answers 302 to `redirect_uri?code=…&state=…`. */
function oauthAuthorize(state: EmulatorState, req: ApiRequest): Reply {
  const q = (name: string) => req.query.get(name) ?? undefined;
  const location = state.authorize({
    responseType: q('response_type'),
    redirectUri: q('redirect_uri'),
    state: q('state'),
    scope: q('scope'),
    loginHint: q('login_hint'),
  });
  req.user = (q('login_hint')?.trim() || DEFAULT_USER_EMAIL).toLowerCase();
  return { status: 302, headers: { location } };
}

/** `GET /oauth/CliAuth?code=…&state=cli-code.X`: records the sign-in of X; the browser shows a short JSON note. */
function oauthCliAuth(state: EmulatorState, req: ApiRequest): Reply {
  req.user = state.cliAuth(req.query.get('code') ?? undefined, req.query.get('state') ?? undefined);
  return json({ message: 'Signed in. You can close this window and return to the terminal.' });
}

/** `POST /oauth/CliPoll` with the form field `cliCode`: the session of a completed CLI sign-in, once. */
async function oauthCliPoll(state: EmulatorState, req: ApiRequest): Promise<Reply> {
  const fields = await oauthFields(req);
  if (!(fields instanceof Map)) return fields;
  const { session, email } = state.cliPoll(fields.get('cliCode'));
  req.user = email;
  return json(session);
}

function createToken(state: EmulatorState, req: ApiRequest, _p: Record<string, string>, caller: Caller | undefined): Reply {
  const body = jsonObjectBody(req);
  if (!body.ok) return body.reply;
  const created = state.createToken(caller!.user, {
    name: pickCaseInsensitive(body.value, 'name'),
    expiryDate: pickCaseInsensitive(body.value, 'expiryDate'),
  });
  return json(created, 201);
}

function updateToken(state: EmulatorState, req: ApiRequest, params: Record<string, string>, caller: Caller | undefined): Reply {
  const body = jsonObjectBody(req);
  if (!body.ok) return body.reply;
  return json(
    state.updateToken(caller!.user, params.tokenId, {
      name: pickCaseInsensitive(body.value, 'name'),
      enabled: pickCaseInsensitive(body.value, 'enabled'),
    }),
  );
}
