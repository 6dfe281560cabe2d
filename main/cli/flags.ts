// Flag and standard-input helpers shared by the command modules. Errors are
// CliErrors with exit status 2 (bad usage), worded as the operator typed it.
import { CliError } from './errors.js';

/** A command's flags: each maps to its value (true for a bare flag). */
export type Flags = Map<string, string | true>;

/** `--flag on|off`; undefined when the flag is not given. */
export function onOff(flags: Flags, flag: string): boolean | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new CliError(`${flag} must be on or off, not "${String(v)}"`, 2);
}

/**
 * A comma-separated list, blanks dropped; undefined when the flag is not
 * given. With `none`, the word none alone is the empty list.
 */
export function commaList(flags: Flags, flag: string, opts: { none?: boolean } = {}): string[] | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CliError(`${flag} needs a comma-separated list`, 2);
  if (opts.none === true && v.trim() === 'none') return [];
  return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** Lines of standard input: the secrets commands read there (never arguments, which other users can see). */
export async function stdinLines(input: () => Promise<Uint8Array>): Promise<string[]> {
  return Buffer.from(await input()).toString('utf8').split(/\r?\n/);
}

/** The first line of standard input, without its line end ('' when empty). */
export async function stdinFirstLine(input: () => Promise<Uint8Array>): Promise<string> {
  return (await stdinLines(input))[0] ?? '';
}

/**
 * --passphrase-stdin: the passphrase on the first line of standard input,
 * which must not be empty; `problem` (if given) checks a new passphrase.
 */
export async function readPassphrase(input: () => Promise<Uint8Array>, problem?: (p: string) => string | undefined): Promise<string> {
  const line = await stdinFirstLine(input);
  if (line === '') throw new CliError('--passphrase-stdin: standard input is empty; give the passphrase on its first line', 2);
  const why = problem?.(line);
  if (why !== undefined) throw new CliError(`--passphrase-stdin: ${why}`, 2);
  return line;
}
