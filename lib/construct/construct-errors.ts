import type { IConstruct } from 'constructs';
import { withConstructPath } from '../core/errors';

/**
 * Runs `fn` for the construct `scope`: an INVALID_INPUT error from core, which names only the prop, the rule and the
 * value, leaves as `<construct path>: <message>` with `details.constructPath`, so every construct-time error says
 * which construct it is about. Other errors pass unchanged.
 */
export function validatingAt<T>(scope: IConstruct, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw withConstructPath(e, scope.node.path);
  }
}
