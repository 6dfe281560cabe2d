// The building blocks of the admin contract (contract.ts): a call is its
// argument validator plus a phantom result type, an event only a phantom
// payload type. Each area of the admin UI declares its calls and events in
// shared/ipc/calls/<area>.ts with these; contract.ts merges the areas.

import type { Validator } from './validate.js';

declare const phantom: unique symbol;

export interface CallSpec<A, R> {
  readonly args: Validator<A>;
  readonly [phantom]?: R;
}

export interface EventSpec<P> {
  readonly [phantom]?: P;
}

export const call = <A, R>(args: Validator<A>): CallSpec<A, R> => ({ args });
export const event = <P>(): EventSpec<P> => ({});
