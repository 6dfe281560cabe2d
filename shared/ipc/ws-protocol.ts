// The headless admin's event WebSocket (HTTP_EVENTS_PATH), shared by the
// server (main/admin/event-socket.ts) and the browser (renderer/src/ws.ts).
//
//   client → server   exactly one message, first: {type:'auth', token}
//                     (browsers cannot put an Authorization header on a
//                     WebSocket, and a token in the URL would end up in logs)
//   server → client   {type:'ready'} once the token is accepted, then
//                     {type:'event', name, payload} for every contract event
//
// Anything else from the client closes the socket.

import type { AnyEvent } from './contract.js';

export interface WsAuthMessage {
  type: 'auth';
  token: string;
}

export type WsServerMessage = { type: 'ready' } | ({ type: 'event' } & AnyEvent);

/** Close codes the server uses, with a reason sentence each time. */
export const WS_CLOSE = {
  /** The server is shutting down: reconnect later. */
  goingAway: 1001,
  /** Binary data: only JSON text is spoken here. */
  unsupportedData: 1003,
  /** A message other than one auth message. */
  policy: 1008,
  /** A message over the size limit. */
  tooBig: 1009,
  /** Too many event sockets open: retry later. */
  tryAgainLater: 1013,
  /** No auth message in time, or the session ended (logout, idle, password changed): authenticate again. */
  unauthorized: 4401,
  /** Wrong or unknown token. */
  forbidden: 4403,
} as const;

/** Codes that mean "your credentials": reconnecting with the same token will not help. */
export const isRefusal = (code: number): boolean => code === WS_CLOSE.unauthorized || code === WS_CLOSE.forbidden;
