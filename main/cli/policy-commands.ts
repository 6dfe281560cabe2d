// `keyhold policy show|set`: the key policy in DIR/policy.json
// (main/policy/key-policy.ts). `set` changes only the fields given, checks
// the result as the server will, and writes the file atomically; a running
// server applies it within a second and records the change in its audit log.
import { formatKeyPolicy, type KeyPolicy } from '../policy/key-policy.js';
import { changeKeyPolicy, policyFile, readKeyPolicy } from '../server/key-policy-file.js';
import { CliError } from './errors.js';
import { commaList, onOff, type Flags } from './flags.js';
import type { Command } from './main.js';
import { dataDirOf } from './server-commands.js';
import { existsSync } from 'node:fs';

/** A comma-separated list; `none` is the empty list. */
const list = (flags: Flags, flag: string): string[] | undefined => commaList(flags, flag, { none: true });

function describePolicy(p: KeyPolicy): string {
  const yes = (b: boolean, except: readonly string[]) => (b ? 'yes' : except.length === 0 ? 'no' : `no, except ${except.join(', ')}`);
  return [
    `algorithms:           ${p.algorithms.join(', ') || 'none'}`,
    `legacy algorithms:    ${p.allowLegacy ? 'allowed (3DES, RSA-1024 …)' : 'refused'}`,
    `default symmetric:    ${p.defaultSymmetric}`,
    `clients may generate: ${yes(p.clientsMayCreate, p.allowCreate)}`,
    `clients may register: ${yes(p.clientsMayRegister, p.allowRegister)}`,
    `required attributes:  ${p.requiredAttributes.join(', ') || 'none'}`,
    `key lifetime:         ${days(p.defaultLifetimeDays, 'no expiry')}`,
    `lifetime by client:   ${Object.entries(p.lifetimeByClient).map(([n, d]) => `${n} ${days(d, 'no expiry')}`).join(', ') || 'none'}`,
    `expiry warning:       ${days(p.expiryWarningDays, 'none')}${p.expiryWarningDays === 0 ? '' : ' ahead'}`,
    `soft delete:          ${p.softDelete ? `on, material kept ${days(p.softDeleteRetentionDays, 'until the next purge')}` : 'off (Destroy erases at once)'}`,
  ].join('\n') + '\n';
}

const days = (n: number, zero: string) => (n === 0 ? zero : `${n} day${n === 1 ? '' : 's'}`);

/** A whole number of days (validated with the rest of the policy). */
function daysFlag(flags: Flags, flag: string): number | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (!/^\d{1,6}$/.test(String(v))) throw new CliError(`${flag} must be a whole number of days, not "${String(v)}"`, 2);
  return Number(v);
}

/** NAME=DAYS,NAME=DAYS (or none): the per-client lifetimes, replacing the current ones. */
function daysByName(flags: Flags, flag: string): Record<string, number> | undefined {
  const items = list(flags, flag);
  if (items === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const it of items) {
    const m = /^([^=]+)=(\d{1,6})$/.exec(it);
    if (m === null) throw new CliError(`${flag} takes NAME=DAYS pairs separated by commas (0 days: no expiry), not "${it}"`, 2);
    out[m[1]!.trim()] = Number(m[2]);
  }
  return out;
}

async function current(dataDir: string): Promise<KeyPolicy> {
  try {
    return await readKeyPolicy(dataDir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

const SET_FLAGS = [
  '--algorithms', '--legacy', '--default-symmetric', '--clients-create', '--clients-register', '--allow-create', '--allow-register', '--require', '--require-name',
  '--lifetime-days', '--client-lifetime', '--expiry-warning-days', '--soft-delete', '--retention-days',
];

export const POLICY_COMMANDS: Record<string, Command> = {
  'policy show': {
    usage: 'keyhold policy show [--data-dir DIR] [--json]',
    summary: 'the key policy new keys must pass (DIR/policy.json; absent: the defaults)',
    flags: ['--data-dir', '--json'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const dataDir = dataDirOf(flags);
      const p = await current(dataDir);
      if (flags.has('--json')) return write(formatKeyPolicy(p));
      write(describePolicy(p));
      write(`file:                 ${policyFile(dataDir)}${existsSync(policyFile(dataDir)) ? '' : ' (absent: defaults)'}\n`);
    },
  },
  'policy set': {
    usage: 'keyhold policy set [--data-dir DIR] [--algorithms LIST] [--legacy on|off] [--default-symmetric AES-256] [--clients-create on|off] [--clients-register on|off] [--allow-create NAMES|none] [--allow-register NAMES|none] [--require ATTRS|none] [--require-name on|off] [--lifetime-days N] [--client-lifetime NAME=DAYS,…|none] [--expiry-warning-days N] [--soft-delete on|off] [--retention-days N]',
    summary: 'change the key policy; a running server applies it within a second and audits it',
    flags: ['--data-dir', ...SET_FLAGS],
    valueFlags: ['--data-dir', ...SET_FLAGS],
    async run(flags, _input, write) {
      if (!SET_FLAGS.some((f) => flags.has(f))) throw new CliError(`nothing to change (options: ${SET_FLAGS.join(', ')})`, 2);
      if (flags.has('--require') && flags.has('--require-name')) throw new CliError('--require and --require-name exclude each other', 2);
      const dataDir = dataDirOf(flags);
      const before = await current(dataDir);
      const next: Record<string, unknown> = { ...before };
      const set = (field: keyof KeyPolicy, v: unknown) => { if (v !== undefined) next[field] = v; };
      set('algorithms', list(flags, '--algorithms'));
      set('allowLegacy', onOff(flags, '--legacy'));
      const ds = flags.get('--default-symmetric');
      set('defaultSymmetric', ds === undefined ? undefined : String(ds));
      set('clientsMayCreate', onOff(flags, '--clients-create'));
      set('clientsMayRegister', onOff(flags, '--clients-register'));
      set('allowCreate', list(flags, '--allow-create'));
      set('allowRegister', list(flags, '--allow-register'));
      set('requiredAttributes', list(flags, '--require'));
      set('defaultLifetimeDays', daysFlag(flags, '--lifetime-days'));
      set('lifetimeByClient', daysByName(flags, '--client-lifetime'));
      set('expiryWarningDays', daysFlag(flags, '--expiry-warning-days'));
      set('softDelete', onOff(flags, '--soft-delete'));
      set('softDeleteRetentionDays', daysFlag(flags, '--retention-days'));
      const name = onOff(flags, '--require-name');
      if (name !== undefined) set('requiredAttributes', [...before.requiredAttributes.filter((a) => a !== 'Name'), ...(name ? ['Name'] : [])]);
      // Checked as the server reads it, so a set never leaves a file the server would refuse (changeKeyPolicy, as the admin UI's policy.set).
      let r;
      try {
        r = await changeKeyPolicy(dataDir, next);
      } catch (e) {
        const message = (e as Error).message;
        throw new CliError(message, message.startsWith('not changed: ') ? 2 : 1);
      }
      if (r.changes.length === 0) return write('key policy unchanged\n');
      write(`key policy changed: ${r.changes.join('; ')}\n`);
      // Names are matched as written: a typo would silently grant nothing, so say so (the change stands: the client may be added next).
      for (const u of r.unknownNames) write(`note: ${u.field} names ${u.names.join(', ')}, not a registered client (keyhold client list)\n`);
    },
  },
};
