import 'cdktf/lib/testing/adapters/jest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import {
  AgilityApi,
  AgilityPersonalAccessToken,
  AgilityTokenReconciler,
  Duration,
  SecretSink,
  type AgilityPersonalAccessTokenProps,
} from '../../lib';
import { manifestHash, parseManifest } from '../../lib/core/manifest';
import { parseManagedName, stackTag } from '../../lib/core/managed-name';
import { MANIFEST_FILE, SYNTH_NOW_CONTEXT } from '../../lib/core/hook-contract';
import { errorOf } from '../helpers/error-of';
import { hasErrorCode } from '../../lib/core/errors';

const NOW = '2026-11-28T12:00:00Z';

interface TfResource {
  triggers_replace?: Record<string, string>;
  triggers?: Record<string, string>;
  depends_on?: string[];
  provisioner?: { 'local-exec': { command: string; when?: string; environment: Record<string, string> } }[];
}
interface TfJson {
  resource: Record<string, Record<string, TfResource>>;
  provider?: Record<string, unknown>;
}

/** Sets AGILITY_PAT_NOW around `fn`: only for the tests of the variable's place after the context value. */
function withNow<T>(now: string, fn: () => T): T {
  const before = process.env.AGILITY_PAT_NOW;
  process.env.AGILITY_PAT_NOW = now;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.AGILITY_PAT_NOW;
    else process.env.AGILITY_PAT_NOW = before;
  }
}

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Testing.app() makes a temporary outdir; remember it so the suite leaves nothing behind. Synth acts as of `now`. */
function testApp(now = NOW): App {
  const app = Testing.app({ context: { [SYNTH_NOW_CONTEXT]: now } });
  outdirs.push(app.outdir);
  return app;
}

function newStack(name = 'prod', now = NOW): TerraformStack {
  return new TerraformStack(testApp(now), name);
}

function configured(stack: TerraformStack, extra: Parameters<typeof AgilityTokenReconciler.configure>[1] = {}): TerraformStack {
  AgilityTokenReconciler.configure(stack, { namespace: 'test-project', api: AgilityApi.url('https://mgmt.aglty.io'), ...extra });
  return stack;
}

function synth(stack: TerraformStack): TfJson {
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

function declare(props: Partial<AgilityPersonalAccessTokenProps> & { name: string }, now = NOW, given?: TerraformStack) {
  // The stack's reconciler reads the synth instant (the app's context) once, when it is made.
  const stack = given ?? configured(newStack('prod', now));
  const token = new AgilityPersonalAccessToken(stack, props.name.length > 40 ? 'bad' : props.name, {
    sinks: [SecretSink.file('secrets/x.token')],
    ...props,
  });
  return { stack, token, json: synth(stack) };
}

/** The warnings (Annotations) of a stack's constructs. */
function texts(stack: TerraformStack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === '@cdktf/warn')
    .map((m) => String(m.data));
}

function slotsOf(json: TfJson): [string, TfResource][] {
  return Object.entries(json.resource.terraform_data ?? {}).filter(([k]) => !k.includes('AgilityTokenReconciler'));
}

describe('AgilityPersonalAccessToken synthesis', () => {
  test('a rotating token with overlap is two terraform_data slots holding the current and the previous generation', () => {
    const { token, json } = declare({ name: 'ci-deploy', rotation: { every: Duration.days(30) } });
    const slots = slotsOf(json);
    expect(slots).toHaveLength(2);
    const generations = slots.map(([, r]) => Number(r.triggers_replace!.generation)).sort((a, b) => a - b);
    expect(generations).toEqual([token.currentGeneration - 1, token.currentGeneration]);
    for (const [, r] of slots) {
      const parsed = parseManagedName(r.triggers_replace!.managed_name)!;
      expect(parsed).toEqual({
        declaredName: 'ci-deploy',
        stackTag: stackTag('prod', 'test-project'),
        generation: Number(r.triggers_replace!.generation),
        pending: false,
      });
    }
    expect(json.resource).not.toHaveProperty('null_resource');
    expect(JSON.stringify(json)).not.toContain('create_before_destroy');
  });

  test('hooks get every value through environment, none interpolated into the command, and destroy reads only self', () => {
    const { json, stack } = declare({ name: 'ci-deploy', rotation: { every: Duration.days(30) } });
    const stackDir = resolve(App.of(stack).outdir, 'stacks', 'prod');
    for (const [, r] of slotsOf(json)) {
      const [create, destroy] = r.provisioner!.map((p) => p['local-exec']);
      expect(create.command).toMatch(/^node "assets\/agility-pat-hook\/[^"$]+\/agility-pat\.js" hook create$/);
      expect(destroy.command).toMatch(/^node "assets\/agility-pat-hook\/[^"$]+\/agility-pat\.js" hook destroy$/);
      expect(destroy.when).toBe('destroy');
      expect(destroy.environment).toEqual({
        AGILITY_PAT_API_URL: '${self.triggers_replace.api_url}',
        AGILITY_PAT_CREDENTIAL_ENV: '${self.triggers_replace.credential_env}',
        AGILITY_PAT_MANAGED_NAME: '${self.triggers_replace.managed_name}',
      });
      expect(create.environment.AGILITY_PAT_MANAGED_NAME).toBe('${self.triggers_replace.managed_name}');
      // Hooks run in the stack folder; a relative sink path is the project's, rebased onto that folder.
      const [sink] = JSON.parse(create.environment.AGILITY_PAT_SINKS);
      expect(sink.kind).toBe('file');
      expect(resolve(stackDir, sink.path)).toBe(resolve(process.cwd(), 'secrets/x.token'));
      // The current generation is not a trigger: the slot still holding G−1 must survive the move to G.
      expect(r.triggers_replace).not.toHaveProperty('current_generation');
    }
  });

  test('the credential value at synth never reaches the configuration, only its variable name', () => {
    const before = process.env.AGILITY_ACCESS_TOKEN;
    process.env.AGILITY_ACCESS_TOKEN = 'oauth-secret-value-that-must-not-leak-123';
    try {
      const { json } = declare({ name: 'ci-deploy', rotation: { every: Duration.days(30) } });
      const text = JSON.stringify(json);
      expect(text).not.toContain('oauth-secret-value-that-must-not-leak-123');
      expect(text).toContain('AGILITY_ACCESS_TOKEN');
    } finally {
      if (before === undefined) delete process.env.AGILITY_ACCESS_TOKEN;
      else process.env.AGILITY_ACCESS_TOKEN = before;
    }
  });

  test('only the slot whose generation changed gets new triggers when the clock crosses a boundary', () => {
    const a = declare(
      { name: 'ci-deploy', rotation: { every: Duration.days(30), anchor: '2026-01-01T00:00:00Z' } },
      '2026-11-28T00:00:00Z',
    );
    const b = declare(
      { name: 'ci-deploy', rotation: { every: Duration.days(30), anchor: '2026-01-01T00:00:00Z' } },
      '2026-12-28T00:00:00Z',
    );
    expect(b.token.currentGeneration).toBe(a.token.currentGeneration + 1);
    const before = Object.fromEntries(slotsOf(a.json).map(([k, r]) => [k, r.triggers_replace]));
    const after = Object.fromEntries(slotsOf(b.json).map(([k, r]) => [k, r.triggers_replace]));
    const changed = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    expect(changed).toHaveLength(1);
    expect(Number(after[changed[0]]!.generation)).toBe(b.token.currentGeneration);
  });

  test('overlap: false is one slot, and a fixed expiry is one slot of generation 0 with that expiry', () => {
    const single = declare({ name: 'single', rotation: { every: Duration.days(30), overlap: false } });
    expect(slotsOf(single.json)).toHaveLength(1);
    const fixed = declare({ name: 'preview', expiresAt: '2027-06-30T00:00:00Z' });
    const slots = slotsOf(fixed.json);
    expect(slots).toHaveLength(1);
    expect(slots[0][1].triggers_replace).toMatchObject({ generation: '0', expiry: '2027-06-30T00:00:00.000Z' });
    expect(fixed.token.nextRotation).toBeUndefined();
  });

  test('warnings with stable ids: no rotation, no sink, an expiry that has passed', () => {
    const noRotation = declare({ name: 'forever' });
    expect(texts(noRotation.stack).join('\n')).toContain('[agility-pat:no-rotation]');
    const noSink = declare({ name: 'nosink', sinks: [], rotation: { every: Duration.days(30) } });
    expect(texts(noSink.stack).join('\n')).toContain('[agility-pat:no-sink]');
    const expired = declare({ name: 'old', expiresAt: '2026-01-01T00:00:00Z' });
    expect(texts(expired.stack).join('\n')).toContain('[agility-pat:expired]');
  });

  test('under CI (CI=true) a token delivered only to files warns [agility-pat:ephemeral-sink]; a command sink does not', () => {
    const underCi = <T>(ci: string | undefined, fn: () => T): T => {
      const before = process.env.CI;
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
      try {
        return fn();
      } finally {
        if (before === undefined) delete process.env.CI;
        else process.env.CI = before;
      }
    };
    const rotation = { every: Duration.days(30) };
    const files = underCi('true', () =>
      declare({ name: 'files', rotation, sinks: [SecretSink.file('secrets/a.token'), SecretSink.envFile('.env', 'A')] }),
    );
    expect(texts(files.stack).join('\n')).toMatch(/files: the token "files" is delivered only to files.*\[agility-pat:ephemeral-sink\]/);
    const gh = underCi('true', () =>
      declare({
        name: 'gh',
        rotation,
        sinks: [SecretSink.file('secrets/a.token'), SecretSink.command(['gh', 'secret', 'set', 'A', '--repo', 'owner/repo'])],
      }),
    );
    expect(texts(gh.stack).join('\n')).not.toContain('[agility-pat:ephemeral-sink]');
    const laptop = underCi(undefined, () => declare({ name: 'laptop', rotation }));
    expect(texts(laptop.stack).join('\n')).not.toContain('[agility-pat:ephemeral-sink]');
  });

  test('a sink path with ${...} reaches the hook literally, escaped for Terraform', () => {
    const { json } = declare({
      name: 'esc',
      rotation: { every: Duration.days(30) },
      sinks: [SecretSink.command(['/bin/echo', '${HOME}', '$(touch pwned)'])],
    });
    const env = slotsOf(json)[0][1].provisioner![0]['local-exec'].environment;
    expect(env.AGILITY_PAT_SINKS).toContain('$${HOME}');
    expect(env.AGILITY_PAT_SINKS).toContain('$(touch pwned)');
  });

  test('one reconciler and one copy of the hook program per stack; the reconciler runs after every slot', () => {
    const stack = configured(newStack());
    new AgilityPersonalAccessToken(stack, 'a', { name: 'a', rotation: { every: Duration.days(30) }, sinks: [] });
    new AgilityPersonalAccessToken(stack, 'b', { name: 'b', expiresAt: '2027-06-30T00:00:00Z', sinks: [] });
    const json = synth(stack);
    const reconcilers = Object.entries(json.resource.terraform_data).filter(([k]) => k.includes('AgilityTokenReconciler'));
    expect(reconcilers).toHaveLength(1);
    const [, rec] = reconcilers[0];
    const slotAddresses = Object.keys(json.resource.terraform_data)
      .filter((k) => !k.includes('AgilityTokenReconciler'))
      .map((k) => `terraform_data.${k}`);
    expect(slotAddresses).toHaveLength(3);
    expect([...rec.depends_on!].sort()).toEqual(slotAddresses.sort());
    expect(rec.triggers_replace).toMatchObject({ stack_tag: stackTag('prod', 'test-project'), credential_env: 'AGILITY_ACCESS_TOKEN' });
    expect(rec.triggers_replace!.manifest_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.provisioner![0]['local-exec'].environment.AGILITY_PAT_MANIFEST).toBe(MANIFEST_FILE);
    const assets = stack.node.findAll().filter((c) => c.node.id === 'agility-pat-hook');
    expect(assets).toHaveLength(1);
  });

  test('the manifest is written next to the stack, and its hash is the reconciler trigger', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'agility-pat-synth-'));
    const app = new App({ outdir, context: { [SYNTH_NOW_CONTEXT]: NOW } });
    try {
      const stack = configured(new TerraformStack(app, 'prod'));
      new AgilityPersonalAccessToken(stack, 'ci', { name: 'ci', rotation: { every: Duration.days(30) }, sinks: [] });
      app.synth();
      const dir = join(outdir, 'stacks', 'prod');
      const manifest = parseManifest(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
      const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as TfJson;
      const rec = Object.entries(tf.resource.terraform_data).find(([k]) => k.includes('AgilityTokenReconciler'))![1];
      expect(rec.triggers_replace!.manifest_hash).toBe(manifestHash(manifest));
      expect(manifest.tokens.map((t) => t.declaredName)).toEqual(['ci']);
      expect(manifest.tokens[0].live).toHaveLength(2);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('the manifest carries verify, retireEarly and replaces, for the reconciler and tokens rotate to act on', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'agility-pat-synth-'));
    const app = new App({ outdir, context: { [SYNTH_NOW_CONTEXT]: NOW } });
    try {
      const stack = configured(new TerraformStack(app, 'prod'));
      new AgilityPersonalAccessToken(stack, 'ci', {
        name: 'ci',
        rotation: { every: Duration.days(30), retireEarly: { quietFor: Duration.hours(6) } },
        replaces: { token: 'CI (made by hand)', overlap: Duration.days(2) },
        verify: false,
        sinks: [],
      });
      new AgilityPersonalAccessToken(stack, 'web', { name: 'web', sinks: [] });
      app.synth();
      const manifest = parseManifest(readFileSync(join(outdir, 'stacks', 'prod', MANIFEST_FILE), 'utf8'));
      expect(manifest.tokens.map(({ verify, retireEarly, replaces }) => ({ verify, retireEarly, replaces }))).toEqual([
        { verify: false, retireEarly: { quietMs: 6 * 3_600_000 }, replaces: { ref: 'CI (made by hand)', afterMs: 2 * 86_400_000 } },
        { verify: true, retireEarly: null, replaces: null },
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('null_resource carries the same hooks, reading self.triggers, with the null provider declared', () => {
    const stack = configured(newStack(), { resourceType: 'null_resource' });
    new AgilityPersonalAccessToken(stack, 'ci', { name: 'ci', rotation: { every: Duration.days(30) }, sinks: [] });
    const json = synth(stack);
    expect(json.resource).not.toHaveProperty('terraform_data');
    const nulls = Object.values(json.resource.null_resource);
    expect(nulls).toHaveLength(3);
    expect(json.provider).toHaveProperty('null');
    const slot = nulls.find((r) => r.triggers?.managed_name)!;
    expect(slot.provisioner![1]['local-exec'].environment.AGILITY_PAT_MANAGED_NAME).toBe('${self.triggers.managed_name}');
  });

  test('read-only attributes tell the managed names, generation, expiry and next rotation', () => {
    const { token } = declare(
      { name: 'ci', rotation: { every: Duration.days(30), anchor: '2026-01-01T00:00:00Z' } },
      '2026-11-28T00:00:00Z',
    );
    // 2026-01-01 + 11·30 days = 2026-11-27: generation 11 started the day before NOW.
    expect(token.currentGeneration).toBe(11);
    expect(token.nextRotation).toBe('2026-12-27T00:00:00.000Z');
    expect(token.currentExpiry).toBe(new Date(Date.parse('2026-01-01T00:00:00Z') + (11 * 30 + 90) * 86_400_000).toISOString());
    expect(token.managedNames).toHaveLength(2);
    expect(token.managedNames).toContain(token.currentManagedName);
  });
});

describe('synth-time validation names the construct, the prop, the rule and the value', () => {
  const cases: [string, Partial<AgilityPersonalAccessTokenProps>, RegExp][] = [
    [
      'both expiresAt and rotation',
      { expiresAt: '2027-01-01T00:00:00Z', rotation: { every: Duration.days(30) } },
      /^prod\/bad: expiresAt and rotation cannot both be set/,
    ],
    ['a name too long with its marker', { name: 'x'.repeat(90) }, /^prod\/bad: the token name .*100 characters/s],
    ['a fixed expiry more than 2 years away', { expiresAt: '2029-01-01T00:00:00Z' }, /^prod\/bad: expiresAt must be at most 2 years away/],
    [
      'a rotation period under a day',
      { rotation: { every: Duration.hours(4) } },
      /^prod\/bad: rotation\.every must be at least 1 day, got 4 hours/,
    ],
    [
      'a lifetime shorter than two periods plus grace',
      { rotation: { every: Duration.days(30), lifetime: Duration.days(45) } },
      /^prod\/bad: rotation\.lifetime must cover .*got 45 days/,
    ],
    [
      'an anchor in the future',
      { rotation: { every: Duration.days(30), anchor: '2027-01-01T00:00:00Z' } },
      /^prod\/bad: rotation\.anchor must not be in the future/,
    ],
    [
      'an env-file sink with a bad key',
      { sinks: [SecretSink.envFile('x.env', '1BAD')] },
      /^prod\/bad: sinks\[0\]\.key must be a variable name/,
    ],
    [
      'sinks that are not an array (a plain JavaScript caller)',
      { sinks: SecretSink.file('x.token') as unknown as SecretSink[] },
      /^prod\/bad: sinks must be an array of sinks such as SecretSink\.file\(path\)/,
    ],
    [
      'an impossible calendar date',
      { expiresAt: '2027-02-30T00:00:00Z' },
      /^prod\/bad: expiresAt is not a real date: "2027-02-30T00:00:00Z" \(February 2027 has 28 days\)/,
    ],
    [
      'replaces naming a managed token',
      { replaces: 'ci [cdktf:prod~3fa9c1/g2]' },
      /^prod\/bad: replaces "ci \[cdktf:prod~3fa9c1\/g2\]" carries a stack's "\[cdktf:…\]" marker/,
    ],
    [
      'retireEarly without overlap',
      { rotation: { every: Duration.days(30), overlap: false, retireEarly: true } },
      /^prod\/bad: rotation\.retireEarly needs rotation with overlap/,
    ],
    [
      'a name with a bidi override',
      { name: 'ci\u202Eyolped' },
      /^prod\/ci\u202Eyolped: the token name must not contain invisible or direction-changing characters, got U\+202E at position 3/,
    ],
  ];
  test.each(cases)('%s', (_label, props, message) => {
    expect(() => declare({ name: 'bad', ...props })).toThrow(message);
  });

  test('the construct path is added once, at the construct, and kept in the details with the prop', () => {
    const e = errorOf(() => declare({ name: 'bad', rotation: { every: Duration.hours(4) } }));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message.match(/prod\/bad/g)).toHaveLength(1);
    expect(hasErrorCode(e, 'INVALID_INPUT') && e.details).toMatchObject({
      constructPath: 'prod/bad',
      prop: 'rotation.every',
      value: 'PT4H',
    });
    expect(hasErrorCode(e.cause, 'INVALID_INPUT') && e.cause.message).toBe(
      'rotation.every must be at least 1 day, got 4 hours: each rotation creates a token, and Agility allows 5 creations an hour.',
    );
  });

  test.each<[string, Parameters<typeof AgilityTokenReconciler.configure>[1], RegExp]>([
    [
      'a credential variable that is not a name',
      { credentialEnv: 'not a name' },
      /^prod\/AgilityTokenReconciler: credentialEnv must be an environment variable name/,
    ],
    [
      'a drift check under an hour',
      { driftCheckEvery: Duration.minutes(30) },
      /^prod\/AgilityTokenReconciler: driftCheckEvery must be at least 1 hour, got 30 minutes/,
    ],
  ])('the reconciler names itself: %s', (_label, settings, message) => {
    const stack = newStack();
    expect(() => AgilityTokenReconciler.configure(stack, settings)).toThrow(message);
  });

  test('duplicate names in one stack fail naming both constructs', () => {
    const stack = configured(newStack());
    new AgilityPersonalAccessToken(stack, 'one', { name: 'same', expiresAt: '2027-01-01T00:00:00Z' });
    expect(() => new AgilityPersonalAccessToken(stack, 'two', { name: 'same', expiresAt: '2027-01-01T00:00:00Z' })).toThrow(
      /prod\/two.*"same".*prod\/one/,
    );
  });

  test.each([
    [
      'a file sink path',
      SecretSink.file('secrets/shared.token'),
      SecretSink.file('./secrets/shared.token'),
      /prod\/two: its sink file .*shared\.token writes where the sink file .*shared\.token of prod\/one does/,
    ],
    [
      'a key of one env file',
      SecretSink.envFile('.env', 'KEY'),
      SecretSink.envFile('.env', 'KEY'),
      /prod\/two: its sink env-file \.env \(KEY\).*of prod\/one/,
    ],
    [
      'a file sink over an env file',
      SecretSink.envFile('.env', 'KEY'),
      SecretSink.file('.env'),
      /prod\/two: its sink file \.env writes where the sink env-file \.env \(KEY\) of prod\/one/,
    ],
  ])('two tokens sharing %s fail the synth naming both constructs (one file or key holds one secret)', (_, first, second, message) => {
    const stack = configured(newStack());
    new AgilityPersonalAccessToken(stack, 'one', { name: 'one', expiresAt: '2027-01-01T00:00:00Z', sinks: [first] });
    new AgilityPersonalAccessToken(stack, 'two', { name: 'two', expiresAt: '2027-01-01T00:00:00Z', sinks: [second] });
    const errors = stack.node.root.node.findAll().flatMap((c) => c.node.validate());
    expect(errors.join('\n')).toMatch(message);
  });

  test('tokens with different keys of one env file, or different files, pass', () => {
    const stack = configured(newStack());
    new AgilityPersonalAccessToken(stack, 'one', {
      name: 'one',
      expiresAt: '2027-01-01T00:00:00Z',
      sinks: [SecretSink.envFile('.env', 'A'), SecretSink.file('a.token')],
    });
    new AgilityPersonalAccessToken(stack, 'two', {
      name: 'two',
      expiresAt: '2027-01-01T00:00:00Z',
      sinks: [SecretSink.envFile('.env', 'B'), SecretSink.file('b.token')],
    });
    const errors = stack.node.root.node.findAll().flatMap((c) => c.node.validate());
    expect(errors.filter((e) => /sink/.test(e))).toEqual([]);
  });

  const gh = (o: Partial<Parameters<typeof SecretSink.githubActions>[0]>): SecretSink =>
    SecretSink.githubActions({ name: 'AGILITY_TOKEN', ...o } as Parameters<typeof SecretSink.githubActions>[0]);
  const vault = (o: Partial<Parameters<typeof SecretSink.vault>[0]>): SecretSink =>
    SecretSink.vault({ address: 'https://vault.example.com:8200', path: 'ci/agility', ...o });

  /** The sink problems synth reports for two tokens, `one` with sink `first` and `two` with sink `second`. */
  function sinkProblemsOf(first: SecretSink, second: SecretSink): string[] {
    const stack = configured(newStack());
    withNow(NOW, () => {
      new AgilityPersonalAccessToken(stack, 'one', { name: 'one', expiresAt: '2027-01-01T00:00:00Z', sinks: [first] });
      new AgilityPersonalAccessToken(stack, 'two', { name: 'two', expiresAt: '2027-01-01T00:00:00Z', sinks: [second] });
    });
    return stack.node.root.node
      .findAll()
      .flatMap((c) => c.node.validate())
      .filter((e) => /sink/.test(e));
  }

  test.each([
    [
      'one repository secret',
      gh({ repository: 'acme/web' }),
      gh({ repository: 'Acme/Web', name: 'agility_token' }),
      /prod\/two: its sink github-actions Acme\/Web \(agility_token\) writes where the sink github-actions acme\/web \(AGILITY_TOKEN\) of prod\/one does; one GitHub secret holds one token/,
    ],
    [
      'one environment secret',
      gh({ repository: 'acme/web', environment: 'production' }),
      gh({ repository: 'acme/web', environment: 'Production' }),
      /prod\/two: its sink github-actions acme\/web environment Production \(AGILITY_TOKEN\) writes where .* of prod\/one does; one GitHub secret/,
    ],
    [
      'one organization secret',
      gh({ organization: 'acme' }),
      gh({ organization: 'ACME', visibility: 'all' }),
      /prod\/two: its sink github-actions organization ACME \(AGILITY_TOKEN\) writes where the sink github-actions organization acme \(AGILITY_TOKEN\) of prod\/one does/,
    ],
    [
      'one field of one Vault secret',
      vault({}),
      vault({ address: 'https://VAULT.example.com:8200/', field: 'token', tokenEnv: 'OTHER_VAULT_TOKEN' }),
      /prod\/two: its sink vault https:\/\/VAULT\.example\.com:8200\/ secret\/ci\/agility \(token\) writes where the sink vault .* of prod\/one does; one field of a Vault secret holds one secret/,
    ],
    [
      'one field of one Vault secret, its namespace given as a namespace or as the start of the mount',
      vault({ namespace: 'team-a', mount: 'kv', field: 'pat' }),
      vault({ mount: 'team-a/kv', field: 'pat' }),
      /prod\/two: its sink vault .* team-a\/kv\/ci\/agility \(pat\) writes where .* of prod\/one does/,
    ],
  ])('two tokens on %s fail the synth naming both constructs', (_, first, second, message) => {
    expect(sinkProblemsOf(first, second).join('\n')).toMatch(message);
  });

  test.each([
    ['secrets of different names', gh({ repository: 'acme/web' }), gh({ repository: 'acme/web', name: 'OTHER' })],
    ['secrets of different repositories', gh({ repository: 'acme/web' }), gh({ repository: 'acme/api' })],
    ['a repository secret and its environment secret', gh({ repository: 'acme/web' }), gh({ repository: 'acme/web', environment: 'prod' })],
    ['an organization secret and a repository secret', gh({ organization: 'acme' }), gh({ repository: 'acme/web' })],
    [
      'secrets of two GitHub servers',
      gh({ repository: 'acme/web' }),
      gh({ repository: 'acme/web', apiUrl: 'https://ghe.example.com/api/v3' }),
    ],
    ['different fields of one Vault secret', vault({}), vault({ field: 'other' })],
    ['different Vault paths', vault({}), vault({ path: 'ci/other' })],
    ['different Vault mounts', vault({}), vault({ mount: 'kv' })],
    ['different Vault namespaces', vault({ namespace: 'team-a' }), vault({ namespace: 'team-b' })],
    ['different Vault servers', vault({}), vault({ address: 'https://vault-2.example.com:8200' })],
  ])('two tokens on %s pass', (_, first, second) => {
    expect(sinkProblemsOf(first, second)).toEqual([]);
  });

  test('a non-https API URL other than loopback is refused', () => {
    expect(() => AgilityApi.url('http://agility.example.com')).toThrow(/https/);
    expect(AgilityApi.url('http://127.0.0.1:7311').baseUrl).toBe('http://127.0.0.1:7311');
  });

  test('more than 10 live tokens for one credential across the app fails the synth', () => {
    const app = testApp();
    for (const name of ['s1', 's2']) {
      const stack = new TerraformStack(app, name);
      AgilityTokenReconciler.configure(stack, { namespace: 'p', api: AgilityApi.url('https://mgmt.aglty.io') });
      for (let i = 0; i < 3; i++)
        new AgilityPersonalAccessToken(stack, `t${i}`, { name: `t${i}`, rotation: { every: Duration.days(30) }, sinks: [] });
    }
    // 2 stacks × 3 tokens × 2 live generations = 12 > 10
    const errors = app.node.findAll().flatMap((c) => c.node.validate());
    expect(errors.join('\n')).toMatch(/AGILITY_ACCESS_TOKEN.*12.*10/s);
  });

  test('the synth instant comes from the cdktf context agility-pat:now, before AGILITY_PAT_NOW', () => {
    const app = testApp('2027-06-01T00:00:00Z');
    const token = withNow(NOW, () => {
      const stack = configured(new TerraformStack(app, 'prod'));
      return new AgilityPersonalAccessToken(stack, 'ctx', {
        name: 'ctx',
        rotation: { every: Duration.days(30), anchor: '2027-01-01T00:00:00Z' },
      });
    });
    // 151 days after the anchor: generation 5, whatever AGILITY_PAT_NOW says.
    expect(token.currentGeneration).toBe(5);
  });

  test('without the context value, synth acts as of AGILITY_PAT_NOW', () => {
    const app = Testing.app();
    outdirs.push(app.outdir);
    const token = withNow('2027-06-01T00:00:00Z', () => {
      const stack = configured(new TerraformStack(app, 'prod'));
      return new AgilityPersonalAccessToken(stack, 'env', {
        name: 'env',
        rotation: { every: Duration.days(30), anchor: '2027-01-01T00:00:00Z' },
      });
    });
    expect(token.currentGeneration).toBe(5);
  });

  test('a synth instant in the context that is not an ISO-8601 instant fails naming the context key', () => {
    const app = testApp();
    app.node.setContext('agility-pat:now', 'yesterday');
    expect(() => configured(new TerraformStack(app, 'prod'))).toThrow(/agility-pat:now/);
  });
});
