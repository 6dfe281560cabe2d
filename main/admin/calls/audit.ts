// Forwards the engine worker's live `audit` events to the admin UI as
// `audit.records`, unchanged (the host has validated them against the
// protocol). Without an engine host (transport tests, a stub shell) there is
// nothing to forward.
import type { AdminDeps, EventSource } from './types.js';

export const auditEventSource: EventSource = (deps: AdminDeps, emit) => {
  if (!deps.host) return () => {};
  return deps.host.on('audit', (payload) => emit({ name: 'audit.records', payload: { records: payload.records, dropped: payload.dropped } }));
};
