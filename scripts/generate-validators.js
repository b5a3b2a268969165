#!/usr/bin/env node
// Generates the JSON Schema validators the runtime uses, with ajv's standalone mode, before tsc runs: the schemas in
// lib/schemas/ (the API responses' one derived here from the OpenAPI fixture) become plain functions in
// lib/generated/, so neither the hook bundle nor the published library needs ajv, and nothing compiles a schema at
// start-up. The output is committed (ts-jest reads lib/ directly) and test/schemas/generated.test.ts fails when it
// is stale: run `node scripts/generate-validators.js` (or `npm run build`) after changing a schema.
'use strict';
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;
const { _ } = require('ajv');
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const OPENAPI = 'test/fixtures/management-pat-openapi.json';
const API_ID = 'https://agility-pat-cdktf/schemas/api-responses.schema.json';

/**
 * What the client relies on in each response, as far as it checks it: the properties (with overrides of the API
 * document's schema) and which are required. Agility's document marks no response field as required, so only what
 * the program cannot do without is: a token's `tokenID` and `expiryDate` (its `name` may be missing or null: such a
 * token is never managed; `enabled` defaults to true; `createdDate`, `isExpired`, `daysUntilExpiration` are optional
 * or derived: lib/api/response-shapes.ts), the list's `tokens` (`totalCount` is derived when missing; each entry is
 * checked on its own, and one the program cannot use is skipped with a warning), the user's `userID`, the OAuth
 * `access_token`. A property present is checked against its type. Other properties are passed through unchecked, so
 * that a field Agility adds or retypes does not break a deploy that does not read it.
 */
const API_PICKS = {
  PersonalAccessTokenResponse: {
    properties: {
      tokenID: { minLength: 1 },
      name: {},
      createdDate: {},
      expiryDate: {},
      lastUsedDate: {},
      enabled: {},
      isExpired: {},
      daysUntilExpiration: {},
    },
    required: ['tokenID', 'expiryDate'],
  },
  PersonalAccessTokenCreationResponse: {
    base: 'PersonalAccessTokenResponse',
    properties: { token: { nullable: false, minLength: 1 }, notice: {} },
    required: ['token'],
  },
  PersonalAccessTokenListResponse: { properties: { tokens: { items: undefined }, totalCount: {} }, required: ['tokens'] },
  ServerUser: { properties: { userID: {}, websiteAccess: { items: undefined } }, required: ['userID'] },
  TokenResponseData: {
    properties: { access_token: { nullable: false, minLength: 1 }, expires_in: {}, refresh_token: {}, token_type: {} },
    required: ['access_token'],
  },
};

/** The message rule of a derived property, as the hand-written checks said it. */
function ruleOf(s) {
  const types = [].concat(s.type);
  const names = types
    .filter((t) => t !== 'null')
    .map((t) =>
      t === 'string'
        ? s.format === 'date-time'
          ? 'an ISO-8601 date-time'
          : s.minLength
            ? 'a non-empty string'
            : 'a string'
        : t === 'integer'
          ? 'an integer'
          : t === 'object'
            ? 'a JSON object'
            : `a${/^[aeiou]/.test(t) ? 'n' : ''} ${t}`,
    );
  return `must be ${names.join(' or ')}${types.includes('null') ? ' or null' : ''}`;
}

/** OpenAPI 3.0 property schema (nullable, readOnly, int32, uuid) to JSON Schema draft-07, with the overrides applied. */
function convertProperty(prop, override) {
  const p = { ...prop, ...override };
  const out = {};
  out.type = p.nullable ? [p.type, 'null'] : p.type;
  if (p.format === 'date-time') out.format = 'date-time';
  if (p.minLength !== undefined) out.minLength = p.minLength;
  if (p.items) out.items = { $ref: p.items.$ref.replace('#/components/schemas/', '#/definitions/') };
  out['x-rule'] = ruleOf(out);
  return out;
}

/** The API responses' schema, derived from the OpenAPI document's component schemas. */
function apiSchema() {
  const components = JSON.parse(readFileSync(path.join(root, OPENAPI), 'utf8')).components.schemas;
  const definitions = {};
  for (const [name, pick] of Object.entries(API_PICKS)) {
    const source = components[name];
    if (!source) throw new Error(`${OPENAPI} has no component schema ${name}`);
    const base = pick.base ? definitions[pick.base] : { properties: {}, required: [] };
    const properties = { ...base.properties };
    for (const [key, override] of Object.entries(pick.properties)) {
      if (!source.properties[key]) throw new Error(`${OPENAPI}: ${name} has no property ${key}`);
      properties[key] = convertProperty(source.properties[key], override);
    }
    definitions[name] = {
      type: 'object',
      'x-rule': 'must be a JSON object',
      required: [...base.required, ...pick.required],
      properties,
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: API_ID,
    title: 'Management API responses',
    description: `Generated by scripts/generate-validators.js from ${OPENAPI}: the parts of each 2xx body the client checks.`,
    definitions,
  };
}

/** Each generated module: its schema file and the validators it exports (name: schema reference). */
const MODULES = [
  { schema: 'lib/schemas/manifest.schema.json', out: 'lib/generated/manifest.ts', exports: { validateManifest: '' } },
  { schema: 'lib/schemas/emulator-state.schema.json', out: 'lib/generated/emulator-state.ts', exports: { validateEmulatorState: '' } },
  { schema: 'lib/schemas/fault-spec.schema.json', out: 'lib/generated/fault-spec.ts', exports: { validateFaultSpec: '' } },
  {
    schema: 'lib/schemas/api-responses.schema.json',
    derive: apiSchema,
    out: 'lib/generated/api-responses.ts',
    exports: {
      validateTokenResponse: '#/definitions/PersonalAccessTokenResponse',
      validateCreationResponse: '#/definitions/PersonalAccessTokenCreationResponse',
      validateListResponse: '#/definitions/PersonalAccessTokenListResponse',
      validateServerUser: '#/definitions/ServerUser',
      validateTokenResponseData: '#/definitions/TokenResponseData',
    },
  },
];

/** The schema without what only documents it (`description`, `title`, `$schema`, `$id`): less to load at start-up. */
function rulesOnly(node) {
  if (Array.isArray(node)) return node.map(rulesOnly);
  if (node === null || typeof node !== 'object') return node;
  const keep = Object.entries(node).filter(([k]) => !['description', 'title', '$schema', '$id'].includes(k));
  return Object.fromEntries(keep.map(([k, v]) => [k, k === 'properties' || k === 'definitions' ? mapValues(v, rulesOnly) : rulesOnly(v)]));
}

function mapValues(o, fn) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
}

function newAjv() {
  const ajv = new Ajv({
    strict: true,
    allErrors: false,
    // The runtime words its own messages from the schema's `x-rule`s (lib/schemas/schema-problem.ts).
    messages: false,
    // Each definition becomes one function, called where it is referenced, rather than a copy at each reference.
    inlineRefs: false,
    // `.length` for minLength: the generated code then needs no ajv runtime helper (only minLength 1 is used).
    unicode: false,
    logger: { log: console.log, error: console.error, warn: (...a) => /option unicode/.test(String(a[0])) || console.warn(...a) },
    code: { source: true, esm: true, formats: _`require("../schemas/formats").formats` },
  });
  ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' });
  // Only its name matters here: the generated code takes the function from lib/schemas/formats.ts.
  ajv.addFormat('date-time', () => true);
  return ajv;
}

/** Every generated file's path (from the repository root) and content; the derived schemas are among them. */
function generate() {
  const files = new Map();
  for (const m of MODULES) {
    const schema = m.derive ? m.derive() : JSON.parse(readFileSync(path.join(root, m.schema), 'utf8'));
    if (m.derive) files.set(m.schema, `${JSON.stringify(schema, null, 2)}\n`);
    const ajv = newAjv();
    ajv.addSchema(schema);
    const refs = Object.fromEntries(Object.entries(m.exports).map(([name, ref]) => [name, `${schema.$id}${ref}`]));
    const code = standaloneCode(ajv, refs);
    const requires = [...code.matchAll(/require\("([^"]+)"\)/g)].map((r) => r[1]).filter((r) => r !== '../schemas/formats');
    if (requires.length > 0) throw new Error(`${m.out} would require ${requires.join(', ')} at run time; the runtime has no ajv`);
    files.set(
      m.out,
      '// @ts-nocheck\n' +
        `// Generated by scripts/generate-validators.js from ${m.schema}: do not edit, run \`npm run build\`.\n` +
        `${code}\n` +
        '// What lib/schemas/schema-problem.ts needs to word a problem: the structure and the x-rules, without the docs.\n' +
        `export const schema = ${JSON.stringify(rulesOnly(schema))};\n`,
    );
  }
  return files;
}

module.exports = { generate };

if (require.main === module) {
  for (const [file, content] of generate()) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}
