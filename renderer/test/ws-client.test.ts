// The browser's event socket (src/ws.ts) against a stand-in WebSocket: the
// token goes in the first message, ready means connected, a drop reports
// onState(false) and reconnects with backoff, a refused token reports
// nothing and retries slowly, and stopping closes for good.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WS_CLOSE } from '../../shared/ipc/ws-protocol.js';
import { openEventSocket, socketUrl } from '../src/ws.js';

class FakeSocket {
  static all: FakeSocket[] = [];
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(s: string) {
    this.sent.push(s);
  }
  close(code = 1000) {
    this.closedWith = code;
  }
  // Test side:
  open() {
    this.onopen?.();
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code: number) {
    this.onclose?.({ code });
  }
}
const last = () => FakeSocket.all.at(-1)!;

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function open(token: () => string | null = () => 'tok') {
  const events: [string, unknown][] = [];
  const states: boolean[] = [];
  const stop = openEventSocket('ws://h/api/events', token, (n, p) => events.push([n, p]), (s) => states.push(s), {
    WebSocket: FakeSocket as unknown as new (url: string) => WebSocket,
    retry: { first: 100, max: 400, maxRefused: 1000 },
  });
  return { events, states, stop };
}

describe('openEventSocket', () => {
  it('sends the token first, reports the connection on ready, and passes events on', () => {
    const { events, states } = open();
    const s = last();
    expect(s.url).toBe('ws://h/api/events');
    s.open();
    expect(s.sent.map((m) => JSON.parse(m))).toEqual([{ type: 'auth', token: 'tok' }]);
    expect(states).toEqual([]);
    s.receive({ type: 'ready' });
    expect(states).toEqual([true]);
    s.receive({ type: 'event', name: 'engine.statusChanged', payload: { state: 'running' } });
    s.receive({ type: 'nonsense' });
    s.onmessage?.({ data: 'not json' });
    expect(events).toEqual([['engine.statusChanged', { state: 'running' }]]);
  });

  it('a drop: onState(false), then reconnects with growing delays, and resets them once ready', () => {
    const { states } = open();
    last().open();
    last().receive({ type: 'ready' });
    last().drop(1006);
    expect(states).toEqual([true, false]);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(2);
    last().drop(1006); // still down: reported again, next try after 200 ms
    expect(states).toEqual([true, false, false]);
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    last().open();
    last().receive({ type: 'ready' });
    expect(states).toEqual([true, false, false, true]);
  });

  it('a refused token reports no outage and retries slowly with the token as it is then', () => {
    let token = 'old';
    const { states } = open(() => token);
    last().open();
    last().drop(WS_CLOSE.forbidden);
    expect(states).toEqual([]);
    token = 'new';
    vi.advanceTimersByTime(100);
    last().open();
    expect(JSON.parse(last().sent[0]!)).toEqual({ type: 'auth', token: 'new' });
    // A session that ends on an open socket is a drop.
    last().receive({ type: 'ready' });
    last().drop(WS_CLOSE.unauthorized);
    expect(states).toEqual([true, false]);
  });

  it('without a token it does not connect until there is one', () => {
    let token: string | null = null;
    open(() => token);
    expect(FakeSocket.all).toHaveLength(0);
    token = 't';
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('stop closes the socket and nothing reconnects', () => {
    const { stop, states } = open();
    const s = last();
    s.open();
    s.receive({ type: 'ready' });
    stop();
    expect(s.closedWith).toBe(1000);
    s.drop(1000);
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(states).toEqual([true]);
  });

  it('socketUrl: ws or wss on the page origin, without the fragment', () => {
    expect(socketUrl('/api/events', 'http://127.0.0.1:5697/#/logs')).toBe('ws://127.0.0.1:5697/api/events');
    expect(socketUrl('/api/events', 'https://kms.example/')).toBe('wss://kms.example/api/events');
  });
});
