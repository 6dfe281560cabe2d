// Server-Sent Events over fetch() rather than EventSource: EventSource cannot
// send an Authorization header, and putting the token in the URL would leak it
// into history and any logs.

export type SseHandler = (event: string, data: string) => void;

const RETRY_MS = 3000;

/** Parses complete `event:`/`data:` blocks out of `buffer`; returns the unparsed rest. */
export function parseSse(buffer: string, onEvent: SseHandler): string {
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) onEvent(name, data.join('\n'));
  }
  return rest;
}

/**
 * Keeps a stream open (reconnecting after drops) until the returned function
 * is called. `onState(true)` on every (re)connection, `onState(false)` when it
 * drops: events sent meanwhile are lost, so a listener re-fetches what it shows.
 */
export function openEventStream(url: string, headers: Record<string, string>, onEvent: SseHandler, onState: (open: boolean) => void = () => {}): () => void {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async (): Promise<void> => {
    // A refusal (401, 403) is not a lost connection: the calls say what is wrong.
    let refused = false;
    try {
      const res = await fetch(url, { headers, cache: 'no-store', signal: abort.signal });
      refused = !res.ok;
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseSse(buffer + value, onEvent);
      }
    } catch {
      // Dropped or refused: fall through to the retry below.
    }
    if (abort.signal.aborted) return;
    if (!refused) onState(false);
    timer = setTimeout(() => void connect(), RETRY_MS);
  };

  void connect();
  return () => {
    abort.abort();
    clearTimeout(timer);
  };
}
