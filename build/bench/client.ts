// The load: workers that each send one request, wait for its response, record
// the latency and go again, over a persistent TLS connection or a new one per
// request. Every run is bounded by a request count and a deadline; a request
// that gets no response within timeoutMs counts as an error and its
// connection is replaced.
import tls from 'node:tls';

export interface Creds {
  cert: string;
  key: string;
  ca: string;
}

export interface Target {
  host: string;
  port: number;
  creds: Creds;
}

/** One request: its bytes and how to judge the response. */
export interface Job {
  bytes: Buffer;
  check(response: Buffer): boolean;
}

export interface RunOptions {
  connections: number;
  newConnectionPerRequest: boolean;
  /** Stop after this many requests in all... */
  count: number;
  /** ...or at this many seconds, whichever comes first. */
  durationSeconds: number;
  timeoutMs: number;
  next(): Job;
}

export interface RunResult {
  requests: number;
  errors: number;
  seconds: number;
  /** Milliseconds, one per successful request. */
  latencies: Float64Array;
  /** The first few error descriptions, for the operator. */
  errorSamples: string[];
}

/** A client connection reading length-prefixed TTLV responses. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve(b: Buffer): void; reject(e: Error): void; timer: NodeJS.Timeout } | undefined;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  static open(t: Target): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: t.host, port: t.port, ca: t.creds.ca, cert: t.creds.cert, key: t.creds.key });
      s.setNoDelay(true);
      const onError = (e: Error) => reject(e);
      s.once('error', onError);
      s.once('secureConnect', () => {
        s.off('error', onError);
        resolve(new Connection(s));
      });
    });
  }

  call(bytes: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = { resolve, reject, timer };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length < 8) return;
    const total = 8 + this.buf.readUInt32BE(4);
    if (this.buf.length < total) return;
    const msg = this.buf.subarray(0, total);
    this.buf = this.buf.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    if (w === undefined) return this.fail(new Error('unexpected response'));
    clearTimeout(w.timer);
    w.resolve(msg);
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.socket.destroy();
  }
}

export async function run(target: Target, o: RunOptions): Promise<RunResult> {
  const latencies = new Float64Array(o.count);
  let ok = 0;
  let issued = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const error = (what: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(what);
  };
  // Persistent connections are set up before the clock starts: their handshakes are not the load being measured.
  const ready = o.newConnectionPerRequest ? [] : await Promise.all(Array.from({ length: o.connections }, () => Connection.open(target)));
  const started = performance.now();
  const deadline = started + o.durationSeconds * 1000;

  async function worker(i: number): Promise<void> {
    let conn: Connection | undefined = ready[i];
    while (issued < o.count && performance.now() < deadline) {
      issued++;
      const job = o.next();
      const t0 = performance.now();
      try {
        conn ??= await Connection.open(target);
        const response = await conn.call(job.bytes, o.timeoutMs);
        if (job.check(response)) latencies[ok++] = performance.now() - t0;
        else error('a response that was not a success');
      } catch (e) {
        error((e as Error).message);
        conn?.close();
        conn = undefined;
      }
      if (o.newConnectionPerRequest) {
        conn?.close();
        conn = undefined;
      }
    }
    conn?.close();
  }

  await Promise.all(Array.from({ length: o.connections }, (_, i) => worker(i)));
  return { requests: issued, errors, seconds: (performance.now() - started) / 1000, latencies: latencies.subarray(0, ok), errorSamples };
}
