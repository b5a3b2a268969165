import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The generator is the build's own script (CommonJS); it returns every file it would write.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generate } = require('../../scripts/generate-validators.js') as { generate: () => Map<string, string> };

const root = join(__dirname, '..', '..');
const files = generate();

describe('the generated validators', () => {
  it.each([...files.keys()])('%s is what the schemas give today (run `node scripts/generate-validators.js` when not)', (file) => {
    expect(readFileSync(join(root, file), 'utf8')).toBe(files.get(file));
  });

  it.each([...files.keys()].filter((f) => f.startsWith('lib/generated/')))('%s requires nothing but lib/schemas/formats', (file) => {
    const requires = [...files.get(file)!.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(requires.filter((r) => r !== '../schemas/formats')).toEqual([]);
    expect(files.get(file)).not.toMatch(/\bimport\s.*from\s/);
  });

  it('derive the API schema from the OpenAPI document: each checked property keeps its type there', () => {
    const openapi = JSON.parse(readFileSync(join(root, 'test/fixtures/management-pat-openapi.json'), 'utf8'));
    const api = JSON.parse(files.get('lib/schemas/api-responses.schema.json')!);
    const names = Object.keys(api.definitions);
    expect(names).toEqual(expect.arrayContaining(['PersonalAccessTokenResponse', 'PersonalAccessTokenCreationResponse', 'ServerUser']));
    for (const name of names) {
      for (const [key, prop] of Object.entries<any>(api.definitions[name].properties)) {
        const source = openapi.components.schemas[name].properties[key];
        expect([[key, [].concat(prop.type)[0]]]).toEqual([[key, source.type]]);
      }
    }
  });
});
