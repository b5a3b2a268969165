import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors';

/** The folder holding cdktf.json, searched upwards from `cwd`; undefined when there is none. */
export function findProjectDir(cwd: string = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'cdktf.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The default stack namespace: cdktf.json's `projectId`, the same on every machine that deploys the project (a
 * laptop and CI compute the same marker), and different between two projects that both name a stack "prod".
 */
export function projectIdNamespace(cwd: string = process.cwd()): string {
  const dir = findProjectDir(cwd);
  if (!dir) {
    throw new ConfigError(
      `no cdktf.json found above ${cwd} to take the stack namespace from: pass { namespace } to AgilityTokenReconciler.configure(stack, ...).`,
    );
  }
  const file = join(dir, 'cdktf.json');
  let projectId: unknown;
  try {
    projectId = JSON.parse(readFileSync(file, 'utf8')).projectId;
  } catch {
    throw new ConfigError(`${file} is not valid JSON: fix it, or pass { namespace } to AgilityTokenReconciler.configure(stack, ...).`);
  }
  if (typeof projectId !== 'string' || projectId.trim() === '') {
    throw new ConfigError(
      `${file} has no "projectId": add one (any unique string), or pass { namespace } to AgilityTokenReconciler.configure(stack, ...).`,
    );
  }
  return projectId;
}
