// The `keyhold` command line. Commands are a routing table, not a switch;
// every failure becomes one line on stderr and a non-zero exit status.
import { concatBytes } from '../../shared/kmip/ttlv/index.js';
import { CliError } from './errors.js';
import { ttlvDecode } from './ttlv-decode.js';
import { ttlvEncode } from './ttlv-encode.js';

export interface CliIo {
  stdin: AsyncIterable<Uint8Array | string>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

interface Command {
  usage: string;
  summary: string;
  /** Flags the command accepts; each maps to its value (true for a bare flag). */
  flags: readonly string[];
  /** Runs the command; output goes to `write` as it is produced. */
  run(flags: Map<string, string | true>, input: () => Promise<Uint8Array>, write: (text: string) => void): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  'ttlv decode': {
    usage: 'keyhold ttlv decode [--json] [--hex | --raw] < capture',
    summary: 'TTLV (hex text or raw bytes; one message or a captured session) → KMIP XML, or JSON lines with --json',
    flags: ['--json', '--hex', '--raw'],
    async run(flags, input, write) {
      if (flags.has('--hex') && flags.has('--raw')) throw new CliError('--hex and --raw exclude each other', 2);
      const opts = { format: flags.has('--json') ? 'json' : 'xml', input: flags.has('--hex') ? 'hex' : flags.has('--raw') ? 'raw' : 'auto' } as const;
      ttlvDecode(await input(), opts, write);
    },
  },
  'ttlv encode': {
    usage: 'keyhold ttlv encode [--xml | --json] < messages',
    summary: 'KMIP XML or JSON (one or more messages) → one line of TTLV hex per message',
    flags: ['--xml', '--json'],
    async run(flags, input, write) {
      if (flags.has('--xml') && flags.has('--json')) throw new CliError('--xml and --json exclude each other', 2);
      ttlvEncode(await input(), { format: flags.has('--xml') ? 'xml' : flags.has('--json') ? 'json' : 'auto' }, write);
    },
  },
};

export function usage(): string {
  const lines = ['Usage:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  lines.push('  keyhold help', '      this text');
  return lines.join('\n') + '\n';
}

async function readAll(stdin: CliIo['stdin']): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of stdin) parts.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  } catch (e) {
    throw new CliError(`cannot read standard input: ${e instanceof Error ? e.message : String(e)}`);
  }
  return concatBytes(parts);
}

/** Run the CLI; returns the exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const flagArgs = argv.filter((a) => a.startsWith('-'));
  if (words[0] === 'help' || flagArgs.includes('--help') || flagArgs.includes('-h')) {
    io.stdout.write(usage());
    return 0;
  }
  if (words.length === 0) {
    io.stderr.write(usage());
    return 2;
  }
  const name = words.join(' ');
  const cmd = COMMANDS[name];
  try {
    if (cmd === undefined) throw new CliError(`unknown command "${name}" (see keyhold help)`, 2);
    const flags = new Map<string, string | true>();
    for (const f of flagArgs) {
      if (!cmd.flags.includes(f)) throw new CliError(`unknown option ${f} for "${name}" (usage: ${cmd.usage})`, 2);
      flags.set(f, true);
    }
    await cmd.run(flags, () => readAll(io.stdin), (text) => io.stdout.write(text));
    return 0;
  } catch (e) {
    io.stderr.write(`keyhold: ${oneLine(e)}\n`);
    return e instanceof CliError ? e.status : 1;
  }
}

/** Any error as one line: known errors carry their message, anything else is named as internal. */
function oneLine(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof Error) {
    const known = e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError';
    return (known ? e.message : `internal error: ${e.message}`).replace(/\s*\n\s*/g, ' ');
  }
  return `internal error: ${String(e)}`;
}
