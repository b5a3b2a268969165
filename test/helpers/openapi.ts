import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Checks request and response bodies against the Agility Management API's OpenAPI document, as captured in
 * test/fixtures/management-pat-openapi.json (OpenAPI 3.0.1).
 *
 * OpenAPI 3.0 is not JSON Schema: `nullable: true` is turned into a type list with "null" in a pre-pass,
 * and `#/components/schemas/...` references resolve against the components, registered with ajv under
 * {@link COMPONENTS_ID}. Formats (uuid, date-time, int32, int64) are checked with ajv-formats.
 */

/** The `$id` under which the fixture's components are registered with ajv. */
export const COMPONENTS_ID = 'https://agility.test/management-openapi/components.json';
const FIXTURE = join(__dirname, '..', 'fixtures', 'management-pat-openapi.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The parts of an OpenAPI 3.0 document this helper reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonObject> };
}

interface MediaTypes {
  content?: Record<string, { schema?: JsonObject }>;
}

/** One operation (a path + method). */
export interface OpenApiOperation {
  requestBody?: MediaTypes & { required?: boolean };
  responses: Record<string, MediaTypes>;
}

let cached: { doc: OpenApiDocument; ajv: Ajv; compiled: Map<string, ValidateFunction> } | undefined;

/** The fixture, parsed once. */
export function loadOpenApi(): OpenApiDocument {
  return context().doc;
}

function context(): NonNullable<typeof cached> {
  if (!cached) {
    const doc = JSON.parse(readFileSync(FIXTURE, 'utf8')) as OpenApiDocument;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: COMPONENTS_ID, components: toJsonSchema(doc.components as unknown as Json) } as JsonObject);
    cached = { doc, ajv, compiled: new Map() };
  }
  return cached;
}

/**
 * Converts an OpenAPI 3.0 schema to JSON Schema: `nullable: true` becomes a type list including "null"
 * (or an `anyOf` with `{type: "null"}` when there is no `type`, e.g. next to a `$ref`), and local
 * `#/components/...` references point at {@link COMPONENTS_ID}.
 */
export function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) out[key] = `${COMPONENTS_ID}${value}`;
    else if (key !== 'nullable') out[key] = toJsonSchema(value);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type)) out.type = [...out.type.filter((t) => t !== 'null'), 'null'];
    else return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

/**
 * Finds the document's path template for `path`: the template itself, or a concrete path such as
 * `/api/v1/tokens/3fa85f64-…/update` (query string ignored). Literal segments beat `{params}`.
 */
export function findPathTemplate(path: string): string | undefined {
  const doc = loadOpenApi();
  const bare = path.split('?')[0];
  if (doc.paths[bare]) return bare;
  const segments = bare.split('/');
  let best: { template: string; params: number } | undefined;
  for (const template of Object.keys(doc.paths)) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let params = 0;
    const ok = parts.every((part, i) => {
      if (/^\{[^}]+\}$/.test(part)) {
        params += 1;
        return segments[i] !== '';
      }
      return part.toLowerCase() === segments[i].toLowerCase();
    });
    if (ok && (!best || params < best.params)) best = { template, params };
  }
  return best?.template;
}

function operation(method: string, pathTemplate: string): { template: string; op: OpenApiOperation } | string {
  const template = findPathTemplate(pathTemplate);
  if (!template) return `the OpenAPI document has no path matching ${pathTemplate}`;
  const op = loadOpenApi().paths[template][method.toLowerCase()];
  if (!op) return `the OpenAPI document has no ${method.toUpperCase()} ${template}`;
  return { template, op };
}

/** The schema of a content map: `application/json` first, then any other JSON-ish or form media type. */
function schemaOf(content: Record<string, { schema?: JsonObject }>): { mediaType: string; schema: JsonObject | undefined } {
  const order = [
    'application/json',
    'text/json',
    'application/*+json',
    'multipart/form-data',
    'application/x-www-form-urlencoded',
    'text/plain',
  ];
  const mediaType = order.find((m) => content[m]) ?? Object.keys(content)[0];
  return { mediaType, schema: content[mediaType]?.schema };
}

function check(key: string, schema: JsonObject | undefined, body: unknown, what: string): string[] {
  if (schema === undefined || Object.keys(schema).length === 0) return [];
  const { ajv, compiled } = context();
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(toJsonSchema(schema) as JsonObject);
    compiled.set(key, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) => `${what}: ${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/**
 * Validates a response body (already parsed from JSON; undefined or '' for no body) against the schema the
 * document gives for `method` + `pathTemplate` + `status`. Returns the errors, empty when valid. A status
 * the document does not list for that operation is an error; a documented empty schema (`{}`) accepts
 * any body; a response without content (e.g. 204) must have no body.
 */
export function validateResponse(method: string, pathTemplate: string, status: number, body: unknown): string[] {
  const found = operation(method, pathTemplate);
  if (typeof found === 'string') return [found];
  const what = `${method.toUpperCase()} ${found.template} ${status}`;
  const responses = found.op.responses;
  const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  if (!response)
    return [`${what}: the OpenAPI document lists no response for status ${status} (it lists ${Object.keys(responses).join(', ')})`];
  if (!response.content) {
    return body === undefined || body === null || body === ''
      ? []
      : [`${what}: the document specifies no body, got ${JSON.stringify(body).slice(0, 200)}`];
  }
  const { mediaType, schema } = schemaOf(response.content);
  return check(`res ${what} ${mediaType}`, schema, body, what);
}

/**
 * Validates a request body (parsed JSON, or an object of form fields) against the document's request
 * schema for `method` + `pathTemplate`. Returns the errors, empty when valid. A body for an operation
 * without one is an error, and so is a missing body the document marks as required.
 */
export function validateRequestBody(method: string, pathTemplate: string, body: unknown): string[] {
  const found = operation(method, pathTemplate);
  if (typeof found === 'string') return [found];
  const what = `${method.toUpperCase()} ${found.template} request body`;
  const requestBody = found.op.requestBody;
  if (!requestBody?.content) return body === undefined ? [] : [`${what}: the document specifies no request body`];
  if (body === undefined) return requestBody.required ? [`${what}: required but missing`] : [];
  const { mediaType, schema } = schemaOf(requestBody.content);
  return check(`req ${what} ${mediaType}`, schema, body, what);
}
