import type * as Engine from './engine';

let engine: typeof Engine | undefined;

/**
 * The aggregation engine (mingo), loaded on first use: aggregate() and _.expr() need it, nothing else does. Loading it
 * up front would also break projects that import devcloud from a jsdom test (jest then resolves mingo's subpath
 * exports through the `default` condition, to its ES modules).
 */
export function loadEngine(): typeof Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  engine ??= require('./engine') as typeof Engine;
  return engine;
}
