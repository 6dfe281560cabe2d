// `keyhold admin-password set|clear`: the password the headless admin UI
// accepts besides its token (main/admin/admin-password.ts). The password comes
// from standard input (--password-stdin, first line) or, in a terminal, from
// a prompt without echo, asked twice; never from an argument, which other
// users could read in the process list. A running `keyhold serve` applies
// set and clear at the next login, without a restart.
import path from 'node:path';
import { ADMIN_PASSWORD_FILE, AdminPasswordError, adminPasswordProblem, clearAdminPassword, setAdminPassword } from '../admin/admin-password.js';
import { CliError } from './errors.js';
import { stdinFirstLine } from './flags.js';
import type { CliIo, Command } from './main.js';
import { dataDirOf } from './server-commands.js';

interface TtyIn {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', l: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', l: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** One line typed in the terminal, not echoed. Ctrl-C or Ctrl-D gives up. */
function promptHidden(stdin: TtyIn, stderr: CliIo['stderr'], question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(question);
    let line = '';
    const done = (f: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      f();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(line));
        if (ch === '\u0003' || ch === '\u0004') return done(() => reject(new CliError('cancelled: no password set', 1)));
        if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('');
        else line += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function newPassword(flags: Map<string, string | true>, input: () => Promise<Uint8Array>, io: CliIo): Promise<string> {
  if (flags.has('--password-stdin')) {
    const line = await stdinFirstLine(input);
    if (line === '') throw new CliError('--password-stdin: standard input is empty; give the password on its first line', 2);
    const why = adminPasswordProblem(line);
    if (why !== undefined) throw new CliError(`--password-stdin: ${why}`, 2);
    return line;
  }
  const tty = io.stdin as unknown as TtyIn;
  if (tty.isTTY !== true || typeof tty.setRawMode !== 'function') {
    throw new CliError('give the new password on the first line of standard input with --password-stdin (or run the command in a terminal to be asked for it)', 2);
  }
  const first = await promptHidden(tty, io.stderr, 'New admin password: ');
  const why = adminPasswordProblem(first);
  if (why !== undefined) throw new CliError(why, 2);
  const second = await promptHidden(tty, io.stderr, 'Again: ');
  if (second !== first) throw new CliError('the two passwords differ: nothing was changed', 2);
  return first;
}

export const ADMIN_PASSWORD_COMMANDS: Record<string, Command> = {
  'admin-password set': {
    usage: 'keyhold admin-password set [--password-stdin] [--data-dir DIR]',
    summary: `let the admin UI of keyhold serve accept a password (at least 12 characters; first line of standard input with --password-stdin, else asked twice in the terminal) besides its token; kept as an scrypt hash in DIR/${ADMIN_PASSWORD_FILE} (0600); a running server uses it from the next login`,
    flags: ['--data-dir', '--password-stdin'],
    valueFlags: ['--data-dir'],
    async run(flags, input, write, { io }) {
      const dataDir = dataDirOf(flags);
      const password = await newPassword(flags, input, io);
      let file: string;
      try {
        file = await setAdminPassword(dataDir, password);
      } catch (e) {
        throw new CliError(e instanceof AdminPasswordError ? e.message : `cannot write ${path.join(dataDir, ADMIN_PASSWORD_FILE)}: ${(e as Error).message}`);
      }
      write(`admin password set (${file}, an scrypt hash, mode 0600): the admin UI of keyhold serve now also accepts it; sessions opened with an earlier password are ended\n`);
    },
  },
  'admin-password clear': {
    usage: 'keyhold admin-password clear [--data-dir DIR]',
    summary: `remove the admin password (DIR/${ADMIN_PASSWORD_FILE}): the admin UI accepts only its token again, and sessions opened with the password end`,
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const dataDir = dataDirOf(flags);
      let removed: boolean;
      try {
        removed = await clearAdminPassword(dataDir);
      } catch (e) {
        throw new CliError(`cannot remove ${path.join(dataDir, ADMIN_PASSWORD_FILE)}: ${(e as Error).message}`);
      }
      write(removed ? `admin password removed: the admin UI accepts only its token (the URL keyhold serve prints) again\n` : `no admin password was set in ${dataDir}: nothing to do\n`);
    },
  },
};
