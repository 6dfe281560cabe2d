// Calls that reach the engine worker (the store belongs to it): one request
// with a time limit, its failure as a CallError the operator can act on.
// Used by the keys and dashboard areas.
import type { MethodName, ParamsOf, ResultOf } from '../../../shared/engine/protocol.js';
import { EngineError, type EngineHost } from '../../engine/host.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps } from './types.js';

export function hostOf(deps: AdminDeps): EngineHost {
  if (deps.host === undefined) throw new CallError('not_implemented', 'This shell runs no KMIP engine; use keyhold serve or the desktop app');
  return deps.host;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** An engine failure as the operator's sentence: what happened and what to do. */
export function engineCallError(e: unknown): CallError {
  if (e instanceof CallError) return e;
  if (!(e instanceof EngineError)) return new CallError('internal', 'Internal error');
  if (e.code !== 'internal') {
    const what = e.code === 'timeout' ? 'did not answer in time' : e.code === 'engine_crashed' ? 'stopped while working on this' : 'is not available';
    return new CallError('internal', `The KMIP engine ${what}: try again; if it keeps failing, restart Keyhold and look at its log`);
  }
  const m = e.message;
  if (/^the KMIP server is not running/.test(m)) return new CallError('bad_request', 'The KMIP server is not running: start it on the Dashboard, then try again');
  if (/^the server is locked/.test(m)) return new CallError('bad_request', 'The KMIP server is locked: unlock it with the master key passphrase on the Dashboard, then try again');
  if (/^no object with identifier/.test(m)) return new CallError('not_found', capital(m));
  return new CallError('bad_request', capital(m));
}

export async function ask<M extends MethodName>(deps: AdminDeps, method: M, params: ParamsOf<M>, timeoutMs = 15_000): Promise<ResultOf<M>> {
  try {
    return await hostOf(deps).request(method, params, { timeoutMs });
  } catch (e) {
    throw engineCallError(e);
  }
}
