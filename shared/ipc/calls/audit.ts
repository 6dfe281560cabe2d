// The audit log as the admin UI sees it. `audit.records` is the live view:
// every record the running KMIP server logs (connections, requests, operator
// changes), batched as the engine worker sends them (shared/engine/protocol.ts,
// the worker's `audit` event). Records carry names, addresses, identifiers and
// results, never key material or passwords.
import type { AuditEventPayload } from '../../engine/protocol.js';
import { event } from '../spec.js';

export type { AuditEventPayload, AuditEventRecord } from '../../engine/protocol.js';

export const auditCalls = {} as const;

export const auditEvents = {
  /** Records in the order they were logged; `dropped` counts those left out after them (the log has them all). */
  'audit.records': event<AuditEventPayload>(),
} as const;
