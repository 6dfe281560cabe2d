// `keyhold cert show|selfsigned|csr|import|export-ca` (the server
// certificate) and `keyhold client cert|sign-csr|trust-ca` (client
// certificates). They change files in DIR/pki and DIR/clients.json; a running
// server picks the changes up within a second (pki-watch.ts, clients.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { certificateReport, createServerCsr, importServerCert, issueInternalServerCert, parseKeySpec, replaceInternalCa, serverTrustPem, type ServerCertSpec } from '../server/certificates.js';
import { reissueClientCert, signClientRequest } from '../server/client-certs.js';
import { controlRequest } from '../server/control-socket.js';
import { EXPIRY_WARNING_DAYS, expiryWarnings } from '../server/expiry.js';
import { importClient } from '../server/serve.js';
import type { CertificateInfo } from '../pki/index.js';
import { formatGrants, DEFAULT_GRANTS } from '../access/policy.js';
import { accessFlags, asCliError, dataDirOf, ipList, pemFile } from './server-commands.js';
import { CliError } from './errors.js';
import { commaList, stdinFirstLine, type Flags } from './flags.js';
import type { Command } from './main.js';
import { formatSchedule, readBackupSettings } from '../backup/settings.js';
import { newestVerified } from '../backup/backup.js';

function specOf(flags: Flags): ServerCertSpec {
  const spec: ServerCertSpec = {};
  const cn = flags.get('--cn');
  if (typeof cn === 'string') spec.commonName = cn;
  const dns = commaList(flags, '--dns');
  if (dns !== undefined) spec.dnsNames = dns;
  const ip = flags.get('--ip');
  if (typeof ip === 'string') spec.ipAddresses = ipList(ip, '--ip', () => {});
  const key = flags.get('--key');
  if (key !== undefined) {
    try { spec.key = parseKeySpec(String(key)); } catch (e) { throw new CliError(`--key: ${(e as Error).message}`, 2); }
  }
  const days = flags.get('--days');
  if (days !== undefined) {
    if (typeof days !== 'string' || !/^\d{1,5}$/.test(days) || Number(days) < 1) throw new CliError('--days takes a whole number of days', 2);
    spec.validityDays = Number(days);
  }
  return spec;
}

function describe(label: string, c: CertificateInfo): string[] {
  const names = [...c.dnsNames, ...c.ipAddresses];
  return [
    `${label}:`,
    `  subject:     ${c.subject.replace(/\n/g, ', ')}`,
    `  issuer:      ${c.issuer.replace(/\n/g, ', ')}`,
    `  valid:       ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}`,
    `  key:         ${c.publicKey.type}${c.publicKey.bits ? ` ${c.publicKey.bits}` : ''}${c.publicKey.curve ? ` ${c.publicKey.curve}` : ''}`,
    ...(names.length > 0 ? [`  names:       ${names.join(', ')}`] : []),
    `  SHA-256:     ${c.fingerprintSha256}`,
  ];
}

const SPEC_FLAGS = ['--cn', '--dns', '--ip', '--key', '--days'];

/** The backup settings and the newest verified backup, from the files (the same with the server running or not). */
async function backupLine(dir: string): Promise<string> {
  let settings;
  try { settings = await readBackupSettings(dir); } catch (e) { return `backups: ${(e as Error).message}`; }
  if (settings.folder === null) return 'backups: none configured (keyhold backup configure --folder DIR --schedule "daily at 02:30")';
  const newest = newestVerified(settings.folder);
  const last = newest === null ? 'no verified backup yet' : `newest verified ${newest.record.created} (${newest.record.objects} objects, ${path.basename(newest.file)})`;
  return `backups: ${formatSchedule(settings.schedule)} to ${settings.folder}; ${last}`;
}

export const CERT_COMMANDS: Record<string, Command> = {
  status: {
    usage: 'keyhold status [--data-dir DIR]',
    summary: `whether a server runs on DIR and where it listens, how many keys reach their Deactivation Date soon and how many the expiry job deactivated, the backup schedule and newest verified backup, and every certificate that expires within ${EXPIRY_WARNING_DAYS} days (server, its CA, Keyhold's CA, clients)`,
    flags: ['--data-dir'],
    valueFlags: ['--data-dir'],
    async run(flags, _input, write) {
      const dir = dataDirOf(flags);
      let reply;
      try { reply = await controlRequest(dir, 'status', {}, 10_000); } catch (e) { throw asCliError(e, 'cannot ask the server'); }
      const state = reply.reached ? `server: ${reply.value.state}${reply.value.endpoint ? ` on ${reply.value.endpoint}` : ''} since ${reply.value.since}` : 'server: not running';
      let warnings;
      try { warnings = await expiryWarnings(dir); } catch (e) { throw asCliError(e, 'cannot read the certificates'); }
      const keys = reply.reached ? reply.value.keys : undefined;
      const keyLine = keys === undefined ? [] : [`keys: ${keys.warningDays === 0 ? 'no expiry warnings (policy expiryWarningDays 0)' : `${keys.expiringSoon} reach their Deactivation Date within ${keys.warningDays} days`}; ${keys.deactivated} deactivated by the expiry job since the server started`];
      const lines = [state, ...keyLine, await backupLine(dir), ...(warnings.length === 0 ? [`certificates: none expires within ${EXPIRY_WARNING_DAYS} days`] : warnings.map((w) => `warning: ${w.message}`))];
      write(lines.join('\n') + '\n');
    },
  },
  'cert show': {
    usage: 'keyhold cert show [--data-dir DIR] [--names LIST]',
    summary: 'the server certificate, its chain and CA, and every check (with --names: also that the certificate covers those host names and addresses)',
    flags: ['--data-dir', '--names'],
    valueFlags: ['--data-dir', '--names'],
    async run(flags, _input, write) {
      const names = commaList(flags, '--names');
      let r;
      try { r = await certificateReport(dataDirOf(flags), names); } catch (e) { throw asCliError(e, 'cannot read the certificates'); }
      const lines = [
        ...describe('server certificate', r.server),
        ...r.intermediates.flatMap((c, i) => describe(`intermediate ${i + 1}`, c)),
        ...describe('clients verify it with (keyhold cert export-ca)', r.serverCa),
        ...describe("Keyhold's CA (signs client certificates)", r.internalCa),
        'checks:',
        ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : c.severity === 'error' ? 'FAIL' : 'warn'} ${c.message}`),
        ...(r.pendingCsr ? ['a CSR is waiting for its signed certificate (keyhold cert import --cert FILE)'] : []),
      ];
      write(lines.join('\n') + '\n');
    },
  },
  'cert selfsigned': {
    usage: 'keyhold cert selfsigned (--dns LIST | --ip LIST) [--cn NAME] [--key rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384] [--days N] [--data-dir DIR]',
    summary: "a new server certificate from Keyhold's CA for exactly these host names and addresses (clients keep trusting the same CA); a running server uses it for new connections within a second",
    flags: ['--data-dir', ...SPEC_FLAGS],
    valueFlags: ['--data-dir', ...SPEC_FLAGS],
    async run(flags, _input, write, { io }) {
      try {
        const r = await issueInternalServerCert(dataDirOf(flags), specOf(flags));
        for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
        write(`server certificate replaced: ${r.info.subject.replace(/\n/g, ', ')}, names ${[...r.info.dnsNames, ...r.info.ipAddresses].join(', ')}, valid until ${r.info.notAfter.slice(0, 10)}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot issue the server certificate');
      }
    },
  },
  'cert csr': {
    usage: 'keyhold cert csr (--dns LIST | --ip LIST) [--cn NAME] [--key TYPE] [--out FILE] [--data-dir DIR]',
    summary: 'a certificate signing request for your CA; its key stays in DIR/pki until `keyhold cert import --cert FILE` installs the signed certificate',
    flags: ['--data-dir', '--out', ...SPEC_FLAGS.filter((f) => f !== '--days')],
    valueFlags: ['--data-dir', '--out', ...SPEC_FLAGS.filter((f) => f !== '--days')],
    async run(flags, _input, write) {
      let csr;
      try { csr = await createServerCsr(dataDirOf(flags), specOf(flags)); } catch (e) { throw asCliError(e, 'cannot create the CSR'); }
      const out = flags.get('--out');
      if (typeof out === 'string') {
        await fs.writeFile(out, csr.csrPem);
        write(`CSR written to ${path.resolve(out)}; have your CA sign it (server authentication), then run keyhold cert import --cert SIGNED.crt --chain CA-CHAIN.pem\n`);
      } else write(csr.csrPem);
    },
  },
  'cert import': {
    usage: 'keyhold cert import (--cert FILE [--key FILE] [--chain FILE] | --p12 FILE --passphrase-stdin) [--names LIST] [--data-dir DIR]',
    summary: 'install a server certificate made elsewhere: the certificate for the last `cert csr`, a certificate and key, or a PKCS#12 file; the chain must reach the issuing root (--chain); checked first, a failure changes nothing',
    flags: ['--data-dir', '--cert', '--key', '--chain', '--p12', '--passphrase-stdin', '--names'],
    valueFlags: ['--data-dir', '--cert', '--key', '--chain', '--p12', '--names'],
    async run(flags, input, write, { io }) {
      const p12File = flags.get('--p12');
      if ((p12File === undefined) === (flags.get('--cert') === undefined)) throw new CliError('give --cert FILE or --p12 FILE', 2);
      const names = commaList(flags, '--names');
      try {
        let r;
        if (typeof p12File === 'string') {
          if (!flags.has('--passphrase-stdin')) throw new CliError('--p12 needs --passphrase-stdin (the passphrase on the first line of standard input)', 2);
          const passphrase = await stdinFirstLine(input);
          r = await importServerCert(dataDirOf(flags), { pkcs12: { data: await fs.readFile(p12File), passphrase }, ...(names ? { names } : {}) });
        } else {
          const certPem = await pemFile(flags, '--cert');
          const keyPem = await pemFile(flags, '--key');
          const chainPem = await pemFile(flags, '--chain');
          r = await importServerCert(dataDirOf(flags), { ...(certPem ? { certPem } : {}), ...(keyPem ? { keyPem } : {}), ...(chainPem ? { chainPem } : {}), ...(names ? { names } : {}) });
        }
        for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
        write(`server certificate installed: ${r.info.subject.replace(/\n/g, ', ')}, issued by ${r.info.issuer.replace(/\n/g, ', ')}, valid until ${r.info.notAfter.slice(0, 10)}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot import the certificate');
      }
    },
  },
  'cert export-ca': {
    usage: 'keyhold cert export-ca [--out FILE] [--data-dir DIR]',
    summary: 'the CA certificate clients must trust to verify this server (PEM), for vCenter, Synology DSM, PyKMIP…',
    flags: ['--data-dir', '--out'],
    valueFlags: ['--data-dir', '--out'],
    async run(flags, _input, write) {
      let pem;
      try { pem = await serverTrustPem(dataDirOf(flags)); } catch (e) { throw asCliError(e, 'cannot read the CA'); }
      const out = flags.get('--out');
      if (typeof out === 'string') {
        await fs.writeFile(out, pem);
        write(`CA certificate written to ${path.resolve(out)}\n`);
      } else write(pem);
    },
  },
  'cert new-ca': {
    usage: 'keyhold cert new-ca [--key rsa-3072|rsa-4096|ec-p384] [--cn NAME] [--days N] [--data-dir DIR]',
    summary: "replace Keyhold's internal CA with a new one (e.g. EC P-384; run it before the first start to begin with one); a server certificate it issued is re-issued for the same names; registered clients keep working but must be given the new CA (keyhold cert export-ca)",
    flags: ['--data-dir', '--key', '--cn', '--days'],
    valueFlags: ['--data-dir', '--key', '--cn', '--days'],
    async run(flags, _input, write, { io }) {
      const spec = specOf(flags);
      try {
        const r = await replaceInternalCa(dataDirOf(flags), { create: { ...(spec.key ? { key: spec.key } : {}), ...(spec.commonName ? { commonName: spec.commonName } : {}), ...(spec.validityDays ? { validityDays: spec.validityDays } : {}) } });
        for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
        write(`new internal CA: ${r.info.subject.replace(/\n/g, ', ')} (${r.info.publicKey.type}${r.info.publicKey.bits ? ` ${r.info.publicKey.bits}` : ''}${r.info.publicKey.curve ? ` ${r.info.publicKey.curve}` : ''}), valid until ${r.info.notAfter.slice(0, 10)}${r.serverReissued ? '; server certificate re-issued from it' : ''}; give clients the new CA (keyhold cert export-ca)\n`);
      } catch (e) {
        throw asCliError(e, 'cannot create the CA');
      }
    },
  },
  'cert import-ca': {
    usage: 'keyhold cert import-ca --cert FILE --key FILE [--data-dir DIR]',
    summary: "use an existing CA (certificate and key, PEM) as Keyhold's internal CA: it signs client certificates and, unless one was imported, the server certificate (re-issued for the same names)",
    flags: ['--data-dir', '--cert', '--key'],
    valueFlags: ['--data-dir', '--cert', '--key'],
    async run(flags, _input, write) {
      const certPem = await pemFile(flags, '--cert');
      const keyPem = await pemFile(flags, '--key');
      if (certPem === undefined || keyPem === undefined) throw new CliError('--cert FILE and --key FILE are required', 2);
      try {
        const r = await replaceInternalCa(dataDirOf(flags), { ca: { certPem, keyPem } });
        write(`internal CA is now ${r.info.subject.replace(/\n/g, ', ')}, valid until ${r.info.notAfter.slice(0, 10)}${r.serverReissued ? '; server certificate re-issued from it' : ''}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot import the CA');
      }
    },
  },
  'client cert': {
    usage: 'keyhold client cert NAME --out OUTDIR [--pkcs12 --passphrase-stdin] [--data-dir DIR]',
    summary: "a new certificate and key for a registered client (renewal, or a lost key): writes OUTDIR/NAME.crt, NAME.key, ca.crt (and NAME.p12 with --pkcs12); the client's previous certificate is refused from now on",
    flags: ['--data-dir', '--out', '--pkcs12', '--passphrase-stdin'],
    valueFlags: ['--data-dir', '--out'],
    args: ['NAME'],
    async run(flags, input, write, { args }) {
      const out = flags.get('--out');
      if (typeof out !== 'string') throw new CliError('--out OUTDIR is required', 2);
      let passphrase: string | undefined;
      if (flags.has('--pkcs12')) {
        if (!flags.has('--passphrase-stdin')) throw new CliError('--pkcs12 needs --passphrase-stdin (the passphrase on the first line of standard input)', 2);
        passphrase = await stdinFirstLine(input);
        if (passphrase.length < 8) throw new CliError('--passphrase-stdin: the PKCS#12 passphrase must have at least 8 characters', 2);
      }
      try {
        const r = await reissueClientCert(dataDirOf(flags), args[0]!, path.resolve(out), passphrase);
        write(`client "${args[0]}" has a new certificate (SHA-256 ${r.fingerprint}); wrote ${[r.files.cert, r.files.key, r.files.ca, r.files.p12].filter(Boolean).join(', ')}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot issue the certificate');
      }
    },
  },
  'client sign-csr': {
    usage: 'keyhold client sign-csr NAME --csr FILE --out OUTDIR [--permissions LIST] [--groups LIST] [--ip LIST] [--rate N] [--description TEXT] [--data-dir DIR]',
    summary: "sign a client's own CSR (vCenter, Synology DSM, NetApp) with Keyhold's CA: registers NAME (or replaces its certificate) and writes OUTDIR/NAME.crt and ca.crt to give back to the client",
    flags: ['--data-dir', '--csr', '--out', '--permissions', '--groups', '--ip', '--rate', '--description'],
    valueFlags: ['--data-dir', '--csr', '--out', '--permissions', '--groups', '--ip', '--rate', '--description'],
    args: ['NAME'],
    async run(flags, _input, write, { args, io }) {
      const out = flags.get('--out');
      if (typeof out !== 'string') throw new CliError('--out OUTDIR is required', 2);
      const csrPem = await pemFile(flags, '--csr');
      if (csrPem === undefined) throw new CliError('--csr FILE is required', 2);
      const access = accessFlags(flags, (line) => io.stderr.write(`${line}\n`));
      try {
        const r = await signClientRequest(dataDirOf(flags), args[0]!, csrPem, path.resolve(out), access);
        write(`client "${args[0]}" ${r.registered ? `registered (permissions ${formatGrants(access.grants ?? DEFAULT_GRANTS)})` : 'has a new certificate'} (SHA-256 ${r.fingerprint}); wrote ${r.files.cert}, ${r.files.ca}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot sign the CSR');
      }
    },
  },
  'client trust-ca': {
    usage: 'keyhold client trust-ca NAME --ca FILE --subject PATTERN [--permissions LIST] [--groups LIST] [--ip LIST] [--rate N] [--description TEXT] [--data-dir DIR]',
    summary: 'register a client recognised by any certificate of this CA whose subject matches PATTERN (the same as client add NAME --ca FILE --subject PATTERN)',
    flags: ['--data-dir', '--ca', '--subject', '--permissions', '--groups', '--ip', '--rate', '--description'],
    valueFlags: ['--data-dir', '--ca', '--subject', '--permissions', '--groups', '--ip', '--rate', '--description'],
    args: ['NAME'],
    async run(flags, _input, write, { args, io }) {
      const caPem = await pemFile(flags, '--ca');
      const subject = flags.get('--subject');
      if (caPem === undefined || typeof subject !== 'string') throw new CliError('--ca FILE and --subject PATTERN are required', 2);
      const access = accessFlags(flags, (line) => io.stderr.write(`${line}\n`));
      try {
        const r = await importClient(dataDirOf(flags), args[0]!, { caPem, subject }, access);
        for (const w of r.warnings) io.stderr.write(`keyhold: warning: ${w}\n`);
        write(`client "${args[0]}" registered: ${r.describe}\n`);
      } catch (e) {
        throw asCliError(e, 'cannot add the client');
      }
    },
  },
};
