// A KeyholdClient without a server: each call answers from the handlers given
// (a missing one fails as the server would for an unknown call), calls are
// recorded, and events are pushed by the test with emit().
import type { ArgsOf, CallName, EventName, PayloadOf, ResultOf } from '../../shared/ipc/contract.js';
import { KeyholdError, type KeyholdClient } from '../src/api.js';

export type FakeHandlers = { [N in CallName]?: (args: ArgsOf<N>) => ResultOf<N> | Promise<ResultOf<N>> };

export interface FakeClient {
  client: KeyholdClient;
  calls: { name: CallName; args: unknown }[];
  emit<E extends EventName>(name: E, payload: PayloadOf<E>): void;
  listenerCount(name: EventName): number;
}

export function fakeClient(handlers: FakeHandlers = {}): FakeClient {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const calls: FakeClient['calls'] = [];
  const client = {
    transport: 'http',
    async call(name: CallName, args?: unknown): Promise<unknown> {
      calls.push({ name, args });
      const h = handlers[name] as ((a: unknown) => unknown) | undefined;
      if (h === undefined) throw new KeyholdError({ code: 'internal', message: `The fake client has no answer for ${name}.` });
      return h(args ?? {});
    },
    on(name: EventName, listener: (payload: unknown) => void): () => void {
      let set = listeners.get(name);
      if (set === undefined) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  } as unknown as KeyholdClient;
  return {
    client,
    calls,
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) l(payload);
    },
    listenerCount: (name) => listeners.get(name)?.size ?? 0,
  };
}
