// `keyhold serve` and `keyhold client add`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../admin/log.js';
import { defaultDataDir } from '../server/data-dir.js';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from '../admin/headless.js';
import { readSettings } from '../server/settings-file.js';
import { DEFAULT_KMIP_PORT, enrolClient, importClient, passwordCredential, serve, type ClientAccess, type ImportedIdentity, type PasswordInput, type ServeAdminOptions } from '../server/serve.js';
import { DEFAULT_GRANTS, formatGrants, parseGrants } from '../access/policy.js';
import { pinnedCertificate, readClientsDoc, removeClient, setServerAllowList, trustedClientCa, updateClient, type ClientEntry, type ClientIdentityChange, type ClientsDoc } from '../server/clients.js';
import { passwordProblem } from '../access/credentials.js';
import { parseAllowList } from '../access/ip-allow.js';
import { PERMISSION_GROUPS } from '../access/operation-groups.js';
import { CliError } from './errors.js';
import { stdinLines } from './flags.js';
import type { CliIo, Command } from './main.js';

export function dataDirOf(flags: Map<string, string | true>): string {
  const v = flags.get('--data-dir');
  return path.resolve(typeof v === 'string' ? v : defaultDataDir());
}

function portOf(flags: Map<string, string | true>): number {
  const v = flags.get('--port');
  if (typeof v !== 'string') return DEFAULT_KMIP_PORT;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, not "${v}"`, 2);
  return n;
}

/** --admin-port / --admin-host / --no-admin / --rotate-admin-token; undefined: no admin UI. */
function adminFlags(flags: Map<string, string | true>, write: (text: string) => void): ServeAdminOptions | undefined {
  const portFlag = flags.get('--admin-port');
  const host = flags.get('--admin-host');
  if (flags.has('--no-admin')) {
    const clash = ['--admin-port', '--admin-host', '--rotate-admin-token'].find((f) => flags.has(f));
    if (clash) throw new CliError(`--no-admin and ${clash} contradict each other: give one of them`, 2);
    return undefined;
  }
  let port = DEFAULT_ADMIN_PORT;
  if (portFlag !== undefined) {
    if (typeof portFlag !== 'string' || !/^\d{1,5}$/.test(portFlag) || Number(portFlag) > 65535) throw new CliError(`--admin-port must be a number from 0 to 65535, not "${String(portFlag)}"`, 2);
    port = Number(portFlag);
  }
  if (host !== undefined && (typeof host !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(host))) {
    throw new CliError('--admin-host needs an address or a host name, e.g. 127.0.0.1, ::1, 0.0.0.0 or 192.0.2.10', 2);
  }
  return {
    ...(typeof host === 'string' ? { host } : {}),
    port,
    ...(flags.has('--rotate-admin-token') ? { rotateToken: true } : {}),
    onReady: (url, tokenFile, passwordSet) =>
      write(
        `Admin UI: ${url}\n(open it in a browser; the token after #token= is kept in ${tokenFile}, and --rotate-admin-token replaces it)\n` +
          (passwordSet ? `The admin UI also accepts the admin password: open ${url.replace(/#.*$/, '')} and log in (keyhold admin-password clear turns that off)\n` : ''),
      ),
  };
}

/** A positive whole number flag (connection limits), undefined when absent. */
function countOf(flags: Map<string, string | true>, flag: string): number | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{1,7}$/.test(v) || Number(v) < 1) throw new CliError(`${flag} must be a whole number from 1 to 9999999, not "${String(v)}"`, 2);
  return Number(v);
}

/** Diagnostics go to stderr, one time-stamped line each; stdout carries only the "listening" line. */
function stderrLogger(io: CliIo): Logger {
  const line = (level: string, args: unknown[]) =>
    io.stderr.write(`${new Date().toISOString()} ${level} ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').replace(/\s*\n\s*/g, ' ')}\n`);
  return { info: (...a) => line('info', a), warn: (...a) => line('warn', a), error: (...a) => line('error', a) };
}

/** Resolves on the first SIGINT or SIGTERM; the handlers are removed by the returned dispose. */
function stopOnSignal(): { stopped: Promise<string>; dispose(): void } {
  let dispose = () => {};
  const stopped = new Promise<string>((resolve) => {
    const on = (sig: string) => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    dispose = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  });
  return { stopped, dispose: () => dispose() };
}

/**
 * KEYHOLD_TEST_FAULTS=1 at start (tests only): each "crash throw" or "crash
 * exit" line on stdin makes the engine worker die that way, so a test can
 * watch the restart from outside. Without the variable stdin is not read and
 * the worker refuses the request like an unknown method: nothing reachable
 * over the network or without owning the process's stdin can crash it.
 */
async function* faultRequests(stdin: CliIo['stdin'], log: Logger): AsyncGenerator<'throw' | 'exit'> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of stdin) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      const m = /^crash (throw|exit)$/.exec(line);
      if (m) yield m[1] as 'throw' | 'exit';
      else if (line !== '') log.warn(`test fault: ignoring stdin line "${line.slice(0, 40)}" (expected "crash throw" or "crash exit")`);
    }
  }
}

/** Operational failures (lock held, port in use, broken data dir) are one line for the operator, not "internal". */
export function asCliError(e: unknown, what: string): CliError {
  return e instanceof CliError ? e : new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Parses an --ip list; wide ranges are accepted with a warning on stderr (the issue: wider than /16 or /48). */
export function ipList(text: string, flag: string, warn: (line: string) => void): string[] {
  const items = text === 'any' ? [] : text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  let parsed;
  try {
    parsed = parseAllowList(items);
  } catch (e) {
    throw new CliError(`${flag}: ${(e as Error).message}`, 2);
  }
  for (const w of parsed.wide) warn(`keyhold: warning: ${w} is a wide range (more than a /16 of IPv4 or a /48 of IPv6); allow only the addresses the client uses`);
  return [...parsed.entries];
}

/** --permissions / --groups / --ip of client add and client set. */
export function accessFlags(flags: Map<string, string | true>, warn: (line: string) => void): ClientAccess {
  const access: ClientAccess = {};
  const perms = flags.get('--permissions');
  if (perms !== undefined) {
    try {
      access.grants = parseGrants(String(perms));
    } catch (e) {
      throw new CliError(`--permissions: ${(e as Error).message}`, 2);
    }
  }
  const groups = flags.get('--groups');
  if (groups !== undefined) access.groups = String(groups).split(',').map((g) => g.trim()).filter((g) => g !== '');
  const ips = flags.get('--ip');
  if (ips !== undefined) access.ips = ipList(String(ips), '--ip', warn);
  const description = flags.get('--description');
  if (description !== undefined) {
    if (typeof description !== 'string' || description.length > 200 || /[\u0000-\u001f]/.test(description)) throw new CliError('--description must be one line of at most 200 characters', 2);
    access.description = description;
  }
  const rate = flags.get('--rate');
  if (rate !== undefined) {
    if (rate === 'none') access.rate = null;
    else if (typeof rate === 'string' && /^\d{1,7}$/.test(rate) && Number(rate) >= 1) access.rate = Number(rate);
    else throw new CliError(`--rate must be a whole number of requests per second (at least 1) or "none", not "${String(rate)}"`, 2);
  }
  return access;
}

/** A PEM file named by a flag; a missing or unreadable file is one line. */
export async function pemFile(flags: Map<string, string | true>, flag: string): Promise<string | undefined> {
  const file = flags.get(flag);
  if (file === undefined) return undefined;
  if (typeof file !== 'string') throw new CliError(`${flag} needs a file name`, 2);
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
}

/**
 * --password-stdin [--username U]: the password is the first line of standard
 * input (never an argument, which other users could read in the process list).
 */
async function passwordFlags(flags: Map<string, string | true>, input: () => Promise<Uint8Array>): Promise<PasswordInput | undefined> {
  const username = flags.get('--username');
  if (!flags.has('--password-stdin')) {
    if (username !== undefined) throw new CliError('--username goes with --password-stdin', 2);
    return undefined;
  }
  const text = Buffer.from(await input()).toString('utf8');
  const password = text.replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new CliError(`--password-stdin: ${problem}`, 2);
  if (username !== undefined && (typeof username !== 'string' || username === '')) throw new CliError('--username needs a value', 2);
  return { password, ...(typeof username === 'string' ? { username } : {}) };
}

/** How a client is recognised, in one line: its certificate, its CA and pattern, its password. */
function identityText(c: ClientEntry): string {
  const parts: string[] = [];
  if (c.fingerprint !== undefined) parts.push(`${c.imported ? 'imported certificate' : 'certificate'} SHA-256 ${c.fingerprint}`);
  if (c.ca !== undefined) parts.push(`certificates of CA "${c.ca.name}" (SHA-256 ${c.ca.fingerprint.slice(0, 16)}…) with subject ${c.ca.subject.text}`);
  if (c.password !== undefined) parts.push(`password for username ${c.password.username}`);
  return parts.join(' + ');
}

/** DIR/clients.json for client list and client show; a broken file is one line. */
async function readDoc(flags: Map<string, string | true>): Promise<ClientsDoc> {
  try {
    return await readClientsDoc(dataDirOf(flags));
  } catch (e) {
    throw asCliError(e, 'cannot read the clients');
  }
}

/** `keyhold client VERB NAME [--data-dir DIR]`: one change to one client, one line of output. */
function nameCommand(verb: string, summary: string, change: (dataDir: string, name: string) => Promise<unknown>, done: string): Command {
  return {
    usage: `keyhold client ${verb} NAME [--data-dir DIR]`,
    summary,
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    args: ['NAME'],
    async run(flags, _input, write, { args }) {
      try {
        await change(dataDirOf(flags), args[0]!);
      } catch (e) {
        throw asCliError(e, `cannot ${verb} the client`);
      }
      write(`client "${args[0]}" ${done}\n`);
    },
  };
}

export const SERVER_COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'keyhold serve [--data-dir DIR] [--host H] [--port P] [--tls-min 1.2|1.3] [--tls-profile modern|compatible] [--max-connections N] [--max-client-connections N] [--admin-port N] [--admin-host ADDR] [--no-admin] [--rotate-admin-token]',
    summary: `run the KMIP server (mutual TLS; default DIR ${defaultDataDir()}, all interfaces, port ${DEFAULT_KMIP_PORT}); --tls-profile compatible also offers the KMIP 1.x suites (RSA key exchange, CBC) for old clients that need them, modern (default) only forward-secret AEAD suites; also serves the admin UI on ${DEFAULT_ADMIN_HOST}:${DEFAULT_ADMIN_PORT} (--admin-port, 0 for a free one; --no-admin for none; --admin-host to listen beyond loopback, with a warning) and prints its URL with the token kept in DIR/admin.token (--rotate-admin-token replaces it)`,
    flags: ['--data-dir', '--host', '--port', '--tls-min', '--tls-profile', '--max-connections', '--max-client-connections', '--admin-port', '--admin-host', '--no-admin', '--rotate-admin-token'],
    valueFlags: ['--data-dir', '--host', '--port', '--tls-min', '--tls-profile', '--max-connections', '--max-client-connections', '--admin-port', '--admin-host'],
    async run(flags, _input, write, { io }) {
      const host = flags.get('--host');
      const tlsMin = flags.get('--tls-min') ?? '1.2';
      if (tlsMin !== '1.2' && tlsMin !== '1.3') throw new CliError('--tls-min must be 1.2 or 1.3', 2);
      const tlsProfile = flags.get('--tls-profile') ?? 'modern';
      if (tlsProfile !== 'modern' && tlsProfile !== 'compatible') throw new CliError('--tls-profile must be modern or compatible', 2);
      const port = portOf(flags);
      const maxConnections = countOf(flags, '--max-connections');
      const maxConnectionsPerClient = countOf(flags, '--max-client-connections');
      const admin = adminFlags(flags, write);
      const signal = stopOnSignal();
      const log = stderrLogger(io);
      const faults = process.env.KEYHOLD_TEST_FAULTS === '1' ? faultRequests(io.stdin, log) : undefined;
      if (faults) log.warn('KEYHOLD_TEST_FAULTS=1: the engine worker can be crashed from standard input (tests only)');
      try {
        await serve({
          dataDir: dataDirOf(flags),
          ...(typeof host === 'string' ? { host } : {}),
          port,
          minVersion: tlsMin === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
          tlsProfile,
          ...(maxConnections === undefined ? {} : { maxConnections }),
          ...(maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient }),
          log,
          onListening: (a) => write(`KMIP server listening on ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}\n`),
          onLocked: (message) => write(`${message}\n`),
          stopSignal: signal.stopped.then((sig) => log.info(`${sig}: stopping`)),
          ...(faults ? { faults } : {}),
          ...(admin === undefined ? {} : { admin }),
          // DIR/settings.json (the admin UI's Settings) for what no flag gave, read again at every start.
          saved: async () => {
            const saved = await readSettings(dataDirOf(flags));
            return {
              ...(flags.has('--port') ? {} : { port: saved.kmipPort }),
              ...(flags.has('--tls-min') ? {} : { minVersion: saved.tlsMin === '1.3' ? 'TLSv1.3' : 'TLSv1.2' }),
              ...(flags.has('--tls-profile') ? {} : { tlsProfile: saved.tlsProfile }),
            } as const;
          },
        });
      } catch (e) {
        throw asCliError(e, 'cannot run the server');
      } finally {
        signal.dispose();
        // A pending read of stdin would keep the process alive after the server stopped.
        if (faults) (io.stdin as Partial<{ destroy(): void }>).destroy?.();
      }
    },
  },
  'client add': {
    usage: 'keyhold client add NAME [--data-dir DIR] (--out OUTDIR [--pkcs12 --passphrase-stdin] | --cert FILE | --ca FILE --subject PATTERN) [--password-stdin [--username U]] [--permissions LIST] [--groups LIST] [--ip LIST] [--rate N] [--description TEXT]',
    summary: `register a client: --out issues it a certificate from the internal CA (writes OUTDIR/NAME.crt, NAME.key, ca.crt); --cert pins a certificate made elsewhere (PEM); --ca trusts every certificate of that client CA whose subject matches PATTERN (e.g. "CN=esx-*.corp.example"); --password-stdin also requires a KMIP Username and Password credential (first line of standard input; username defaults to NAME); permissions: "all" or group[:own|shared|all][:Type+Type],… (groups ${PERMISSION_GROUPS.join(', ')}; default ${formatGrants(DEFAULT_GRANTS)})`,
    flags: ['--data-dir', '--out', '--pkcs12', '--passphrase-stdin', '--cert', '--ca', '--subject', '--password-stdin', '--username', '--permissions', '--groups', '--ip', '--rate', '--description'],
    valueFlags: ['--data-dir', '--out', '--cert', '--ca', '--subject', '--username', '--permissions', '--groups', '--ip', '--rate', '--description'],
    args: ['NAME'],
    async run(flags, input, write, { args, io }) {
      const out = flags.get('--out');
      const ways = ['--out', '--cert', '--ca'].filter((f) => flags.has(f));
      if (ways.length !== 1) throw new CliError('give exactly one of --out OUTDIR (issue a certificate), --cert FILE (import one) or --ca FILE --subject PATTERN (trust a client CA)', 2);
      if (flags.has('--subject') !== flags.has('--ca')) throw new CliError('--ca FILE and --subject PATTERN go together', 2);
      const access = accessFlags(flags, (line) => io.stderr.write(`${line}\n`));
      // Standard input is read once: the KMIP password on its first line, then the PKCS#12 passphrase (--pkcs12).
      if (flags.has('--pkcs12') !== flags.has('--passphrase-stdin')) throw new CliError('--pkcs12 and --passphrase-stdin go together', 2);
      if (flags.has('--pkcs12') && typeof out !== 'string') throw new CliError('--pkcs12 goes with --out OUTDIR (a certificate Keyhold issues)', 2);
      const lines = flags.has('--pkcs12') ? await stdinLines(input) : undefined;
      const password = await passwordFlags(flags, lines === undefined ? input : async () => Buffer.from(`${lines[0] ?? ''}\n`));
      const p12Passphrase = lines === undefined ? undefined : (lines[flags.has('--password-stdin') ? 1 : 0] ?? '');
      if (p12Passphrase !== undefined && p12Passphrase.length < 8) throw new CliError('--passphrase-stdin: the PKCS#12 passphrase must have at least 8 characters', 2);
      const summary = `permissions ${formatGrants(access.grants ?? DEFAULT_GRANTS)}, addresses ${access.ips?.length ? access.ips.join(',') : 'any'}${password === undefined ? '' : `, password for username ${password.username ?? args[0]}`}`;
      try {
        if (typeof out === 'string') {
          const r = await enrolClient(dataDirOf(flags), args[0]!, path.resolve(out), access, password, p12Passphrase);
          write(`client "${args[0]}" registered (SHA-256 ${r.fingerprint}, ${summary}); wrote ${[r.files.cert, r.files.key, r.files.ca, r.files.p12].filter(Boolean).join(', ')}\n`);
          return;
        }
        if (out !== undefined) throw new CliError('--out needs a folder', 2);
        const certPem = await pemFile(flags, '--cert');
        const how: ImportedIdentity = certPem !== undefined ? { certPem } : { caPem: (await pemFile(flags, '--ca'))!, subject: String(flags.get('--subject')) };
        const r = await importClient(dataDirOf(flags), args[0]!, how, access, password);
        for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
        write(`client "${args[0]}" registered: ${r.describe} (${summary})\n`);
      } catch (e) {
        throw asCliError(e, 'cannot add the client');
      }
    },
  },
  'client set': {
    usage: 'keyhold client set NAME [--data-dir DIR] [--permissions LIST] [--groups LIST] [--ip LIST|any] [--rate N|none] [--description TEXT] [--cert FILE] [--ca FILE] [--subject PATTERN] [--password-stdin [--username U] | --no-password]',
    summary: 'change a client: permissions, sharing groups, IP allow-list, request rate (requests/s), its pinned certificate (--cert, e.g. renewed), its client CA or subject pattern, its password; a running server applies it within a second, open connections included',
    flags: ['--data-dir', '--permissions', '--groups', '--ip', '--rate', '--description', '--cert', '--ca', '--subject', '--password-stdin', '--username', '--no-password'],
    valueFlags: ['--data-dir', '--permissions', '--groups', '--ip', '--rate', '--description', '--cert', '--ca', '--subject', '--username'],
    args: ['NAME'],
    async run(flags, input, write, { args, io }) {
      const name = args[0]!;
      const dataDir = dataDirOf(flags);
      const access = accessFlags(flags, (line) => io.stderr.write(`${line}\n`));
      if (flags.has('--no-password') && flags.has('--password-stdin')) throw new CliError('--password-stdin and --no-password exclude each other', 2);
      const identity: ClientIdentityChange = {};
      try {
        const certPem = await pemFile(flags, '--cert');
        if (certPem !== undefined) {
          const pinned = pinnedCertificate(certPem);
          identity.certificate = { fingerprint: pinned.fingerprint, imported: true, expires: pinned.notAfter };
        }
        const caPem = await pemFile(flags, '--ca');
        const subject = flags.get('--subject');
        if (caPem !== undefined || subject !== undefined) {
          const current = (await readClientsDoc(dataDir)).clients.find((c) => c.name === name)?.ca;
          const pem = caPem ?? current?.pem;
          if (pem === undefined) throw new CliError(`client "${name}" has no client CA: give --ca FILE with --subject`, 2);
          const pattern = typeof subject === 'string' ? subject : current?.subject.text;
          if (pattern === undefined) throw new CliError('--ca FILE needs --subject PATTERN', 2);
          identity.ca = trustedClientCa(pem, pattern);
        }
        const password = await passwordFlags(flags, input);
        if (password !== undefined) identity.password = await passwordCredential(name, password);
        if (flags.has('--no-password')) identity.password = null;
      } catch (e) {
        throw asCliError(e, 'cannot change the client');
      }
      if (Object.keys(access).length === 0 && Object.keys(identity).length === 0) {
        throw new CliError('nothing to change: give --permissions, --groups, --ip, --rate, --description, --cert, --ca/--subject, --password-stdin or --no-password', 2);
      }
      try {
        const c = await updateClient(dataDir, name, { ...access, ...identity });
        write(`client "${c.name}": permissions ${formatGrants(c.grants)}; groups ${c.groups.length > 0 ? c.groups.join(',') : '(none)'}; addresses ${c.ips.length > 0 ? c.ips.join(',') : 'any'}; rate ${c.rate === undefined ? 'no limit' : `${c.rate}/s`}; recognised by ${identityText(c)}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot change the client');
      }
    },
  },
  'client list': {
    usage: 'keyhold client list [--data-dir DIR]',
    summary: 'the registered clients (name, how it is recognised, permissions, groups, addresses) and the server-wide IP allow-list',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const clients = await readDoc(flags);
      if (clients.clients.length === 0) write('no clients registered\n');
      for (const c of clients.clients) write(`${c.name}${c.enabled ? '' : ' (disabled)'}\t${c.fingerprint !== undefined ? `SHA-256 ${c.fingerprint.slice(0, 16)}…` : `CA ${c.ca!.fingerprint.slice(0, 16)}… ${c.ca!.subject.text}`}${c.password === undefined ? '' : ' +password'}\t${formatGrants(c.grants)}\tgroups ${c.groups.length > 0 ? c.groups.join(',') : '-'}\taddresses ${c.ips.length > 0 ? c.ips.join(',') : 'any'}\trate ${c.rate === undefined ? '-' : `${c.rate}/s`}\n`);
      write(`server-wide addresses: ${clients.allow.length > 0 ? clients.allow.join(',') : 'any'}\n`);
    },
  },
  'client allow': {
    usage: 'keyhold client allow LIST|any [--data-dir DIR]',
    summary: 'set the server-wide IP allow-list (addresses and CIDR ranges, IPv4 and IPv6) every client must also match; "any" clears it',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    args: ['LIST'],
    async run(flags, _input, write, { args, io }) {
      const entries = ipList(args[0]!, 'LIST', (line) => io.stderr.write(`${line}\n`));
      try {
        const set = await setServerAllowList(dataDirOf(flags), entries);
        write(`server-wide addresses: ${set.length > 0 ? set.join(',') : 'any'}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot set the allow-list');
      }
    },
  },
  'client show': {
    usage: 'keyhold client show NAME [--data-dir DIR]',
    summary: 'one client in full: description, state, how it is recognised (certificate, client CA, password), permissions, groups, addresses, rate',
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    args: ['NAME'],
    async run(flags, _input, write, { args }) {
      const doc = await readDoc(flags);
      const c = doc.clients.find((x) => x.name === args[0]);
      if (c === undefined) throw new CliError(`no client named "${args[0]}" is registered`);
      write(
        [
          `name:        ${c.name}`,
          `description: ${c.description === '' ? '-' : c.description}`,
          `state:       ${c.enabled ? 'enabled' : 'disabled'}`,
          `added:       ${c.added || '-'}`,
          `recognised:  ${identityText(c)}`,
          `permissions: ${formatGrants(c.grants)}`,
          `groups:      ${c.groups.length > 0 ? c.groups.join(',') : '-'}`,
          `addresses:   ${c.ips.length > 0 ? c.ips.join(',') : 'any'}${doc.allow.length > 0 ? ` (and the server-wide ${doc.allow.join(',')})` : ''}`,
          `rate:        ${c.rate === undefined ? 'no limit' : `${c.rate} requests/s`}`,
        ].join('\n') + '\n',
      );
    },
  },
  'client disable': nameCommand('disable', 'refuse the client from now on (its open connections close at their next request) without forgetting it', (dir, name) => updateClient(dir, name, { enabled: false }), 'disabled'),
  'client enable': nameCommand('enable', 'accept a disabled client again', (dir, name) => updateClient(dir, name, { enabled: true }), 'enabled'),
  'client remove': nameCommand(
    'remove',
    'unregister the client: its certificate is refused from now on; the objects it owns stay, reachable with scope all, and its name is never given out again',
    removeClient,
    'removed',
  ),
};
