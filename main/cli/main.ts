// The `keyhold` command line. Commands are a routing table, not a switch;
// every failure becomes one line on stderr and a non-zero exit status.
import { concatBytes } from '../../shared/kmip/ttlv/index.js';
import { CliError } from './errors.js';
import { ttlvDecode } from './ttlv-decode.js';
import { ttlvEncode } from './ttlv-encode.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { LOG_COMMANDS } from './log-commands.js';
import { OBJECT_COMMANDS } from './object-commands.js';
import { CERT_COMMANDS } from './cert-commands.js';
import { CONNECTION_TEST_COMMANDS } from './connection-test.js';
import { POLICY_COMMANDS } from './policy-commands.js';
import { MASTER_KEY_COMMANDS } from './master-key-commands.js';
import { BACKUP_COMMANDS } from './backup-commands.js';
import { ADMIN_PASSWORD_COMMANDS } from './admin-password-commands.js';

export interface CliIo {
  stdin: AsyncIterable<Uint8Array | string>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export interface Command {
  usage: string;
  summary: string;
  /** Flags the command accepts; each maps to its value (true for a bare flag). */
  flags: readonly string[];
  /** Flags among `flags` that take a value (`--port 5696` or `--port=5696`). */
  valueFlags?: readonly string[];
  /** Names of the positional arguments after the command words (all required). */
  args?: readonly string[];
  /** The last of `args` takes one or more words (`objects restore ID…`). */
  variadic?: boolean;
  /** How many of the last `args` may be left out (`backup restore --undo` has no FILE); default 0. */
  optionalArgs?: number;
  /** Runs the command; output goes to `write` as it is produced. */
  run(
    flags: Map<string, string | true>,
    input: () => Promise<Uint8Array>,
    write: (text: string) => void,
    extra: { args: string[]; io: CliIo },
  ): Promise<void>;
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
  ...SERVER_COMMANDS,
  ...LOG_COMMANDS,
  ...OBJECT_COMMANDS,
  ...CERT_COMMANDS,
  ...CONNECTION_TEST_COMMANDS,
  ...POLICY_COMMANDS,
  ...MASTER_KEY_COMMANDS,
  ...BACKUP_COMMANDS,
  ...ADMIN_PASSWORD_COMMANDS,
};

/** Every flag that takes a value, whatever the command: the value is never mistaken for a command word. */
const VALUE_FLAGS = new Set(Object.values(COMMANDS).flatMap((c) => c.valueFlags ?? []));

interface ParsedArgs {
  words: string[];
  flags: [string, string | true][];
}

function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { words: [], flags: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      out.words.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) out.flags.push([a.slice(0, eq), a.slice(eq + 1)]);
    else if (VALUE_FLAGS.has(a)) {
      const v = argv[i + 1];
      // `--data-dir --host x`: the value was forgotten; do not take the next option as it.
      if (v === undefined || v.startsWith('--')) throw new CliError(`option ${a} needs a value`, 2);
      out.flags.push([a, v]);
      i++;
    } else out.flags.push([a, true]);
  }
  return out;
}

/** The longest run of leading words that names a command; the rest are its arguments. */
function resolveCommand(words: string[]): { name: string; cmd: Command | undefined; args: string[] } {
  for (let n = words.length; n > 0; n--) {
    const name = words.slice(0, n).join(' ');
    const cmd = COMMANDS[name];
    if (cmd !== undefined) return { name, cmd, args: words.slice(n) };
  }
  return { name: words.join(' '), cmd: undefined, args: [] };
}

export function usage(): string {
  const lines = ['Usage:'];
  // A command under two names (`object list`, `objects list`) is listed once.
  for (const c of new Set(Object.values(COMMANDS))) lines.push(`  ${c.usage}`, `      ${c.summary}`);
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
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  try {
    const { words, flags: flagList } = parseArgs(argv);
    if (words.length === 0) {
      io.stderr.write(usage());
      return 2;
    }
    const { name, cmd, args } = resolveCommand(words);
    if (cmd === undefined) throw new CliError(`unknown command "${name}" (see keyhold help)`, 2);
    const expected = cmd.args ?? [];
    if (args.length < expected.length - (cmd.optionalArgs ?? 0) || (args.length > expected.length && !cmd.variadic)) {
      throw new CliError(args.length > expected.length ? `unexpected argument "${args[expected.length]}" (usage: ${cmd.usage})` : `missing ${expected[args.length]} (usage: ${cmd.usage})`, 2);
    }
    const flags = new Map<string, string | true>();
    for (const [f, v] of flagList) {
      if (!cmd.flags.includes(f)) throw new CliError(`unknown option ${f} for "${name}" (usage: ${cmd.usage})`, 2);
      const takesValue = cmd.valueFlags?.includes(f) ?? false;
      if (takesValue !== (v !== true)) throw new CliError(takesValue ? `option ${f} needs a value` : `option ${f} takes no value`, 2);
      flags.set(f, v);
    }
    await cmd.run(flags, () => readAll(io.stdin), (text) => io.stdout.write(text), { args, io });
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
