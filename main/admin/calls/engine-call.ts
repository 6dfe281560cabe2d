// Calls that reach the engine worker (the store belongs to it): one request
// with a time limit, its failure as a CallError the operator can act on.
// Used by the keys and dashboard areas.
import type { MethodName, ParamsOf, ResultOf } from '../../../shared/engine/protocol.js';
import { EngineError, type EngineHost } from '../../engine/host.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps } from './types.js';

export function hostOf(deps: AdminDeps): EngineHost {
  if (deps.host === undefined) throw CallError.of('not_implemented', 'errors.engine.noEngine');
  return deps.host;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** An engine failure as the operator's sentence: what happened and what to do. */
export function engineCallError(e: unknown): CallError {
  if (e instanceof CallError) return e;
  if (!(e instanceof EngineError)) return CallError.of('internal', 'errors.internal');
  if (e.code !== 'internal') {
    return CallError.of('internal', e.code === 'timeout' ? 'errors.engine.timeout' : e.code === 'engine_crashed' ? 'errors.engine.crashed' : 'errors.engine.unavailable');
  }
  const m = e.message;
  if (/^the KMIP server is not running/.test(m)) return CallError.of('bad_request', 'errors.engine.notRunning');
  if (/^the server is locked/.test(m)) return CallError.of('bad_request', 'errors.engine.locked');
  // main/server/key-operator.ts and the store: "no object with identifier ID[; …]".
  const missing = /^no object with identifier ([^\s;]+)/.exec(m);
  if (missing) return CallError.of('not_found', 'errors.engine.noObject', { id: missing[1]! });
  // Anything else the engine says stays in English (the engine has no message keys).
  return new CallError('bad_request', capital(m));
}

export async function ask<M extends MethodName>(deps: AdminDeps, method: M, params: ParamsOf<M>, timeoutMs = 15_000): Promise<ResultOf<M>> {
  try {
    return await hostOf(deps).request(method, params, { timeoutMs });
  } catch (e) {
    throw engineCallError(e);
  }
}
