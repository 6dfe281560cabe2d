// `keyhold objects list|show|restore|purge|owners|transfer|share|unshare`:
// the operator's view of the managed objects, who owns them and who else may
// reach them, and soft-deleted objects (restore, purge). `object` and
// `objects` name the same commands (`keyhold object list` = `keyhold objects
// list`). With a server running on the data dir, the request goes to it over
// its control socket (the store is exclusive to the server), so a change
// applies at once; with none, the command takes the data dir's lock and works
// on the store itself. Either way a change is one transaction and audit
// records (main/server/object-admin.ts, main/server/soft-delete.ts).
//
// Key material is printed by one command only, `objects show ID --reveal`,
// and only after a confirmation: the identifier typed again on standard
// input, or `--confirm ID`. Purge erases for good: it asks for the
// identifiers typed again, or `--yes`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParamsOf, ResultOf } from '../../shared/engine/protocol.js';
import { AuditLog } from '../audit/audit-log.js';
import { controlRequest, type ControlMethod } from '../server/control-socket.js';
import { readClientsDoc } from '../server/clients.js';
import { acquireLock, LockedError } from '../server/lock.js';
import { ObjectAdmin } from '../server/object-admin.js';
import { SoftDeleteAdmin } from '../server/soft-delete.js';
import { DB_FILE, openStore } from '../store/index.js';
import { dataDirOf } from './server-commands.js';
import { CliError } from './errors.js';
import { commaList, type Flags } from './flags.js';
import type { CliIo, Command } from './main.js';

type ObjectMethod = Extract<
  ControlMethod,
  'listObjects' | 'objectOwners' | 'transferObjects' | 'shareObjects' | 'listDeletedObjects' | 'showObject' | 'restoreObjects' | 'purgeObjects' | 'revealMaterial'
>;
interface Admins {
  objects: ObjectAdmin;
  softDelete: SoftDeleteAdmin;
}
type Offline = { [M in ObjectMethod]: (admin: Admins, params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };
const OFFLINE: Offline = {
  listObjects: (a, p) => a.objects.list(p),
  objectOwners: (a) => a.objects.owners(),
  transferObjects: (a, p) => a.objects.transfer(p),
  shareObjects: (a, p) => a.objects.share(p),
  listDeletedObjects: (a, p) => a.softDelete.listDeleted(p),
  showObject: (a, p) => a.softDelete.show(p.id),
  restoreObjects: (a, p) => a.softDelete.restore(p.ids),
  purgeObjects: (a, p) => a.softDelete.purge(p.ids),
  revealMaterial: (a, p) => a.softDelete.reveal(p.id, p.confirm),
};

/** Runs one operator action: through the running server if there is one, else on the store directly. */
async function objectAction<M extends ObjectMethod>(dataDir: string, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  let reply;
  try {
    reply = await controlRequest(dataDir, method, params);
  } catch (e) {
    // The server's refusal, worded as offline: run() puts the action before it.
    throw e instanceof Error ? e : new Error(String(e));
  }
  if (reply.reached) return reply.value;
  if (!existsSync(path.join(dataDir, DB_FILE))) throw new CliError(`no key store in ${dataDir} (it is created when the server first starts)`);
  let release: () => void;
  try {
    release = acquireLock(dataDir);
  } catch (e) {
    if (e instanceof LockedError) throw new CliError(`the server on ${dataDir} is running but its control socket cannot be reached (${reply.why}); stop the server and retry`);
    throw e;
  }
  const store = openStore(dataDir);
  let audit: AuditLog | undefined;
  try {
    audit = await AuditLog.open(dataDir);
    const log = audit;
    const admins: Admins = {
      objects: new ObjectAdmin({ store, clients: () => readClientsDoc(dataDir), audit: (r) => log.record(r) }),
      softDelete: new SoftDeleteAdmin({ store, audit: (r) => log.record(r) }),
    };
    return await (OFFLINE[method] as (a: Admins, p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>)(admins, params);
  } finally {
    await audit?.close();
    store.close();
    release();
  }
}

const list = (flags: Flags, flag: string): string[] | undefined => {
  const items = commaList(flags, flag);
  if (items !== undefined && items.length === 0) throw new CliError(`${flag} needs at least one name`, 2);
  return items;
};
const count = (v: string | true | undefined, flag: string, max: number): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) > max) throw new CliError(`${flag} takes a whole number up to ${max}`, 2);
  return Number(v);
};

async function run<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${what}: ${(e as Error).message}`);
  }
}

function shareCommand(withdraw: boolean): Command {
  const verb = withdraw ? 'unshare' : 'share';
  return {
    usage: `keyhold object[s] ${verb} --id ID[,ID…] [--client LIST] [--group LIST] [--data-dir DIR]`,
    summary: withdraw
      ? 'withdraw shares given with object share'
      : "let other clients reach objects without giving them away: their grants with scope shared then reach these objects (e.g. get:shared); names must be registered clients or groups some client is in",
    flags: ['--data-dir', '--id', '--client', '--group'],
    valueFlags: ['--data-dir', '--id', '--client', '--group'],
    async run(flags, _input, write) {
      const ids = list(flags, '--id');
      if (ids === undefined) throw new CliError(`--id is required (usage: keyhold objects ${verb} --id ID[,ID…] --client LIST|--group LIST)`, 2);
      const clients = list(flags, '--client');
      const groups = list(flags, '--group');
      if (clients === undefined && groups === undefined) throw new CliError('give --client LIST and/or --group LIST', 2);
      const r = await run(`cannot ${verb}`, () =>
        objectAction(dataDirOf(flags), 'shareObjects', { ids, ...(clients ? { clients } : {}), ...(groups ? { groups } : {}), ...(withdraw ? { withdraw } : {}) }),
      );
      const whom = [...(clients ?? []).map((c) => `client ${c}`), ...(groups ?? []).map((g) => `group ${g}`)].join(', ');
      write(`${ids.length} object${ids.length === 1 ? '' : 's'} ${withdraw ? 'no longer shared with' : 'shared with'} ${whom} (${r.count} ${withdraw ? 'shares removed' : 'new shares'})\n`);
    },
  };
}

const SUBCOMMANDS: Record<string, Command> = {
  list: {
    usage: 'keyhold object[s] list [--deleted] [--owner CLIENT] [--limit N] [--offset N] [--data-dir DIR]',
    summary:
      'managed objects, oldest first: identifier, type, state, owner, names, shares (never key material); with --deleted, the soft-deleted ones whose material is kept: type, algorithm, names, owner, when destroyed, when purged',
    flags: ['--data-dir', '--owner', '--limit', '--offset', '--deleted'],
    valueFlags: ['--data-dir', '--owner', '--limit', '--offset'],
    async run(flags, _input, write) {
      const owner = flags.get('--owner');
      if (owner === true) throw new CliError('--owner needs a client name', 2);
      const limit = count(flags.get('--limit'), '--limit', 10_000);
      const offset = count(flags.get('--offset'), '--offset', 1e9);
      const paging = { ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) };
      if (flags.has('--deleted')) {
        if (owner !== undefined) throw new CliError('--owner does not combine with --deleted', 2);
        const deleted = await run('cannot list soft-deleted objects', () => objectAction(dataDirOf(flags), 'listDeletedObjects', paging));
        if (deleted.length === 0) write('no soft-deleted objects\n');
        for (const o of deleted) {
          write(`${o.id}\t${o.objectType}\t${o.algorithm ?? '-'}\tnames ${o.names.length > 0 ? o.names.join(',') : '-'}\towner ${o.owner ?? '-'}\tdestroyed ${o.destroyedAt}\tpurged after ${o.purgeAfter}\n`);
        }
        return;
      }
      const rows = await run('cannot list objects', () =>
        objectAction(dataDirOf(flags), 'listObjects', { ...(owner === undefined ? {} : { owner }), ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) }),
      );
      if (rows.length === 0) write('no objects\n');
      for (const o of rows) {
        write(`${o.id}\t${o.objectType}\t${o.state}\towner ${o.owner ?? '-'}\tnames ${o.names.length > 0 ? o.names.join(',') : '-'}\tshared ${o.sharedWith.length > 0 ? o.sharedWith.join(',') : '-'}\n`);
      }
    },
  },
  owners: {
    usage: 'keyhold object[s] owners [--data-dir DIR]',
    summary: 'how many objects each client owns ("-": objects with no owner)',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const rows = await run('cannot count objects', () => objectAction(dataDirOf(flags), 'objectOwners', {}));
      if (rows.length === 0) write('no objects\n');
      for (const r of rows) write(`${r.owner ?? '-'}\t${r.count}\n`);
    },
  },
  transfer: {
    usage: 'keyhold object[s] transfer (--id ID[,ID…] | --from CLIENT) --to CLIENT [--data-dir DIR]',
    summary: "give objects to another client, e.g. all of a client you are about to remove (--from); the new owner's own-scope grants reach them from then on",
    flags: ['--data-dir', '--id', '--from', '--to'],
    valueFlags: ['--data-dir', '--id', '--from', '--to'],
    async run(flags, _input, write) {
      const to = flags.get('--to');
      if (typeof to !== 'string') throw new CliError('--to CLIENT is required', 2);
      const ids = list(flags, '--id');
      const from = flags.get('--from');
      if ((ids === undefined) === (from === undefined)) throw new CliError('give either --id ID[,ID…] or --from CLIENT', 2);
      if (from === true) throw new CliError('--from needs a client name', 2);
      const r = await run('cannot transfer', () => objectAction(dataDirOf(flags), 'transferObjects', { ...(ids ? { ids } : {}), ...(from === undefined ? {} : { from }), to }));
      write(`${r.count} object${r.count === 1 ? '' : 's'} now owned by "${to}"\n`);
    },
  },
  share: shareCommand(false),
  unshare: shareCommand(true),
  show: {
    usage: 'keyhold object[s] show ID [--reveal [--confirm ID]] [--data-dir DIR]',
    summary:
      "one object: type, state, owner, shares, every attribute, and whether its key material is present, kept after a soft delete (until when) or erased; never the material, except with --reveal and a confirmation (the identifier typed again on standard input, or --confirm ID): then its key bytes as hex, and the reveal is audited",
    args: ['ID'],
    flags: ['--data-dir', '--reveal', '--confirm'],
    valueFlags: ['--data-dir', '--confirm'],
    async run(flags, _input, write, { args, io }) {
      const id = args[0]!;
      const confirmFlag = flags.get('--confirm');
      if (confirmFlag !== undefined && !flags.has('--reveal')) throw new CliError('--confirm goes with --reveal', 2);
      const dataDir = dataDirOf(flags);
      // The confirmation comes first: nothing is asked of the store before it.
      let confirm = '';
      if (flags.has('--reveal')) {
        if (typeof confirmFlag === 'string') confirm = confirmFlag;
        else {
          io.stderr.write(`To print the key material of ${id}, type its identifier again: `);
          confirm = (await firstLine(io.stdin)).trim();
        }
        if (confirm !== id) throw new CliError(confirm === '' ? 'key material not revealed: no confirmation (type the identifier again, or give --confirm ID)' : 'key material not revealed: the confirmation does not match the identifier');
      }
      const o = await run('cannot show the object', () => objectAction(dataDir, 'showObject', { id }));
      for (const line of details(o)) write(`${line}\n`);
      if (!flags.has('--reveal')) return;
      const m = await run('cannot reveal the key material', () => objectAction(dataDir, 'revealMaterial', { id, confirm }));
      write(`key format      ${m.format ?? '-'}\n`);
      for (const f of m.fields) write(`${f.name.padEnd(15)} ${f.hex}\n`);
    },
  },
  restore: {
    usage: 'keyhold object[s] restore ID… [--data-dir DIR]',
    summary:
      'undo a soft delete, all or none: the object gets its key material back and the state it had before Destroy, its Destroy Date is removed; refused for an object whose material was purged, or whose Name another live object now has',
    args: ['ID…'],
    variadic: true,
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write, { args }) {
      const r = await run('cannot restore', () => objectAction(dataDirOf(flags), 'restoreObjects', { ids: args }));
      for (const o of r.restored) write(`restored ${o.id} (${o.state})\n`);
    },
  },
  purge: {
    usage: 'keyhold object[s] purge ID… [--yes] [--data-dir DIR]',
    summary:
      'erase the kept key material of soft-deleted objects now, before their retention ends: irreversible, so it asks for the identifiers typed again on standard input (or --yes); audited',
    args: ['ID…'],
    variadic: true,
    flags: ['--data-dir', '--yes'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write, { args, io }) {
      const ids = args;
      if (!flags.has('--yes')) {
        io.stderr.write(`Purging erases the key material of ${ids.length === 1 ? ids[0] : `${ids.length} objects`} for good. Type ${ids.length === 1 ? 'the identifier' : 'the identifiers'} again to confirm: `);
        const typed = (await firstLine(io.stdin)).split(/[\s,]+/).filter((x) => x !== '');
        if (typed.length === 0) throw new CliError('nothing purged: no confirmation (type the identifiers again, or give --yes)');
        if (typed.length !== ids.length || !ids.every((id) => typed.includes(id))) throw new CliError('nothing purged: the confirmation does not match the identifiers');
      }
      const r = await run('cannot purge', () => objectAction(dataDirOf(flags), 'purgeObjects', { ids }));
      write(`${r.count} object${r.count === 1 ? '' : 's'} purged: key material erased for good\n`);
    },
  },
};

/** `objects show` without material. */
function details(o: ResultOf<'showObject'>): string[] {
  const material =
    o.material === 'present'
      ? 'present'
      : o.material === 'retained' && o.retained !== null
        ? `kept after soft delete on ${o.retained.destroyedAt}, purged after ${o.retained.purgeAfter} (restore gives back ${o.retained.stateBefore})`
        : o.material === 'erased'
          ? 'erased (destroyed)'
          : 'none';
  return [
    `identifier      ${o.id}`,
    `object type     ${o.objectType}`,
    `state           ${o.state}`,
    `owner           ${o.owner ?? '-'}`,
    `shared with     ${o.sharedWith.length > 0 ? o.sharedWith.join(', ') : '-'}`,
    `created         ${o.createdAt}`,
    `material        ${material}`,
    ...o.attributes.map((a) => `attribute       ${a.name}${a.index > 0 ? `[${a.index}]` : ''}: ${a.value}`),
  ];
}

/** The first line of standard input (at most 4 KiB), without its line end; '' at end of input. */
async function firstLine(stdin: CliIo['stdin']): Promise<string> {
  let text = '';
  try {
    for await (const chunk of stdin) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
      if (text.length > 4096) break;
    }
  } catch (e) {
    throw new CliError(`cannot read standard input: ${(e as Error).message}`);
  }
  return text.slice(0, 4096).replace(/\r$/, '');
}

/** Every command under both names: `keyhold object list` and `keyhold objects list` are the same command. */
export const OBJECT_COMMANDS: Record<string, Command> = Object.fromEntries(
  Object.entries(SUBCOMMANDS).flatMap(([word, cmd]) => [
    [`objects ${word}`, cmd],
    [`object ${word}`, cmd],
  ]),
);
