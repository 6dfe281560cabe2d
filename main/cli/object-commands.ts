// `keyhold object list|owners|transfer|share|unshare`: the operator's view of
// who owns which object and who else may reach it. With a server running on
// the data dir, the request goes to it over its control socket (the store is
// exclusive to the server); with none, the command takes the data dir's lock
// and works on the store itself. Either way the change is one transaction and
// one audit record (main/server/object-admin.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParamsOf, ResultOf } from '../../shared/engine/protocol.js';
import { AuditLog } from '../audit/audit-log.js';
import { controlRequest, type ControlMethod } from '../server/control-socket.js';
import { readClientsDoc } from '../server/clients.js';
import { acquireLock, LockedError } from '../server/lock.js';
import { ObjectAdmin } from '../server/object-admin.js';
import { DB_FILE, openStore } from '../store/index.js';
import { dataDirOf } from './server-commands.js';
import { CliError } from './errors.js';
import type { Command } from './main.js';

type ObjectMethod = Exclude<ControlMethod, 'status'>;
type Offline = { [M in ObjectMethod]: (admin: ObjectAdmin, params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };
const OFFLINE: Offline = {
  listObjects: (a, p) => a.list(p),
  objectOwners: (a) => a.owners(),
  transferObjects: (a, p) => a.transfer(p),
  shareObjects: (a, p) => a.share(p),
};

/** Runs one operator action: through the running server if there is one, else on the store directly. */
async function objectAction<M extends ObjectMethod>(dataDir: string, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  let reply;
  try {
    reply = await controlRequest(dataDir, method, params);
  } catch (e) {
    throw new CliError((e as Error).message);
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
    const admin = new ObjectAdmin({ store, clients: () => readClientsDoc(dataDir), audit: (r) => log.record(r) });
    return await (OFFLINE[method] as (a: ObjectAdmin, p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>)(admin, params);
  } finally {
    await audit?.close();
    store.close();
    release();
  }
}

const list = (v: string | true | undefined, flag: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CliError(`${flag} needs a comma-separated list`, 2);
  const items = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length === 0) throw new CliError(`${flag} needs at least one name`, 2);
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
    usage: `keyhold object ${verb} --id ID[,ID…] [--client LIST] [--group LIST] [--data-dir DIR]`,
    summary: withdraw
      ? 'withdraw shares given with object share'
      : "let other clients reach objects without giving them away: their grants with scope shared then reach these objects (e.g. get:shared); names must be registered clients or groups some client is in",
    flags: ['--data-dir', '--id', '--client', '--group'],
    valueFlags: ['--data-dir', '--id', '--client', '--group'],
    async run(flags, _input, write) {
      const ids = list(flags.get('--id'), '--id');
      if (ids === undefined) throw new CliError(`--id is required (usage: keyhold object ${verb} --id ID[,ID…] --client LIST|--group LIST)`, 2);
      const clients = list(flags.get('--client'), '--client');
      const groups = list(flags.get('--group'), '--group');
      if (clients === undefined && groups === undefined) throw new CliError('give --client LIST and/or --group LIST', 2);
      const r = await run(`cannot ${verb}`, () =>
        objectAction(dataDirOf(flags), 'shareObjects', { ids, ...(clients ? { clients } : {}), ...(groups ? { groups } : {}), ...(withdraw ? { withdraw } : {}) }),
      );
      const whom = [...(clients ?? []).map((c) => `client ${c}`), ...(groups ?? []).map((g) => `group ${g}`)].join(', ');
      write(`${ids.length} object${ids.length === 1 ? '' : 's'} ${withdraw ? 'no longer shared with' : 'shared with'} ${whom} (${r.count} ${withdraw ? 'shares removed' : 'new shares'})\n`);
    },
  };
}

export const OBJECT_COMMANDS: Record<string, Command> = {
  'object list': {
    usage: 'keyhold object list [--owner CLIENT] [--limit N] [--offset N] [--data-dir DIR]',
    summary: 'managed objects, oldest first: identifier, type, state, owner, names, shares (never key material)',
    flags: ['--data-dir', '--owner', '--limit', '--offset'],
    valueFlags: ['--data-dir', '--owner', '--limit', '--offset'],
    async run(flags, _input, write) {
      const owner = flags.get('--owner');
      if (owner === true) throw new CliError('--owner needs a client name', 2);
      const limit = count(flags.get('--limit'), '--limit', 10_000);
      const offset = count(flags.get('--offset'), '--offset', 1e9);
      const rows = await run('cannot list objects', () =>
        objectAction(dataDirOf(flags), 'listObjects', { ...(owner === undefined ? {} : { owner }), ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) }),
      );
      if (rows.length === 0) write('no objects\n');
      for (const o of rows) {
        write(`${o.id}\t${o.objectType}\t${o.state}\towner ${o.owner ?? '-'}\tnames ${o.names.length > 0 ? o.names.join(',') : '-'}\tshared ${o.sharedWith.length > 0 ? o.sharedWith.join(',') : '-'}\n`);
      }
    },
  },
  'object owners': {
    usage: 'keyhold object owners [--data-dir DIR]',
    summary: 'how many objects each client owns ("-": objects with no owner)',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const rows = await run('cannot count objects', () => objectAction(dataDirOf(flags), 'objectOwners', {}));
      if (rows.length === 0) write('no objects\n');
      for (const r of rows) write(`${r.owner ?? '-'}\t${r.count}\n`);
    },
  },
  'object transfer': {
    usage: 'keyhold object transfer (--id ID[,ID…] | --from CLIENT) --to CLIENT [--data-dir DIR]',
    summary: "give objects to another client, e.g. all of a client you are about to remove (--from); the new owner's own-scope grants reach them from then on",
    flags: ['--data-dir', '--id', '--from', '--to'],
    valueFlags: ['--data-dir', '--id', '--from', '--to'],
    async run(flags, _input, write) {
      const to = flags.get('--to');
      if (typeof to !== 'string') throw new CliError('--to CLIENT is required', 2);
      const ids = list(flags.get('--id'), '--id');
      const from = flags.get('--from');
      if ((ids === undefined) === (from === undefined)) throw new CliError('give either --id ID[,ID…] or --from CLIENT', 2);
      if (from === true) throw new CliError('--from needs a client name', 2);
      const r = await run('cannot transfer', () => objectAction(dataDirOf(flags), 'transferObjects', { ...(ids ? { ids } : {}), ...(from === undefined ? {} : { from }), to }));
      write(`${r.count} object${r.count === 1 ? '' : 's'} now owned by "${to}"\n`);
    },
  },
  'object share': shareCommand(false),
  'object unshare': shareCommand(true),
};
