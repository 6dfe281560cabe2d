// The Certificates area: DIR/pki through the functions `keyhold cert …` uses
// (main/server/certificates.ts). A running server serves new connections with
// a new certificate within a second (pki-watch.ts).
import type { CertInfo, CertReport, certsCalls, ServerCertArgs } from '../../../shared/ipc/calls/certs.js';
import { checkAddressList, checkDnsList } from '../../../shared/forms/fields.js';
import type { CertificateInfo } from '../../pki/index.js';
import { certificateReport, createServerCsr, importServerCert, issueInternalServerCert, parseKeySpec, serverTrustPem, type CertStage, type ServerCertSpec } from '../../server/certificates.js';
import { CallError } from '../dispatch.js';
import type { AdminDeps, AreaHandlers } from './types.js';
import { dataDirOf, field, oneLine } from './util.js';

function certInfo(c: CertificateInfo): CertInfo {
  return {
    subject: c.subject.replace(/\n/g, ', '),
    commonName: c.commonName,
    issuer: c.issuer.replace(/\n/g, ', '),
    serialNumber: c.serialNumber,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    dnsNames: [...c.dnsNames],
    ipAddresses: [...c.ipAddresses],
    keyUsage: [...c.keyUsage],
    extendedKeyUsage: [...c.extendedKeyUsage],
    fingerprintSha256: c.fingerprintSha256,
    isCA: c.isCA,
    selfSigned: c.selfSigned,
    publicKey: { ...c.publicKey },
  };
}

export async function certReport(dataDir: string): Promise<CertReport> {
  const r = await oneLine(() => certificateReport(dataDir), 'internal');
  return {
    server: certInfo(r.server),
    intermediates: r.intermediates.map(certInfo),
    serverCa: certInfo(r.serverCa),
    internalCa: certInfo(r.internalCa),
    checks: r.checks.map((c) => ({ id: c.id, ok: c.ok, severity: c.severity, message: c.message })),
    pendingCsr: r.pendingCsr,
  };
}

function specOf(args: Omit<ServerCertArgs, 'days'> & { days?: number }): ServerCertSpec {
  const dnsNames = field(checkDnsList(args.dns), 'Host names');
  const ipAddresses = field(checkAddressList(args.ip), 'IP addresses');
  if (dnsNames.length + ipAddresses.length === 0) throw CallError.of('bad_request', 'errors.certs.noNames');
  return {
    dnsNames,
    ipAddresses,
    ...(args.cn === undefined ? {} : { commonName: args.cn }),
    key: parseKeySpec(args.key),
    ...(args.days === undefined ? {} : { validityDays: args.days }),
  };
}

/**
 * Progress of making a key (operation keygen): generate-key (from the start: a first CA
 * may be made too) → sign → save → done, with no fraction (RSA-4096 takes seconds).
 */
function keygenSteps(deps: AdminDeps, progressId: string | undefined): ((stage: CertStage | 'done') => void) | undefined {
  const report = deps.progress?.reporter(progressId, 'keygen');
  if (report === undefined) return undefined;
  report({ stage: 'generate-key', done: 0, total: null });
  return (stage) => report(stage === 'done' ? { stage, done: 1, total: 1 } : { stage, done: 0, total: null });
}

export function certsHandlers(deps: AdminDeps): AreaHandlers<typeof certsCalls> {
  return {
    'certs.report': () => certReport(dataDirOf(deps)),
    'certs.selfSigned': async (args) => {
      const dataDir = dataDirOf(deps);
      const spec = specOf(args);
      const step = keygenSteps(deps, args.progressId);
      const r = await oneLine(() => issueInternalServerCert(dataDir, spec, step));
      step?.('done');
      return { report: await certReport(dataDir), warnings: r.warnings };
    },
    'certs.csr': async (args) => {
      const { days: _unused, ...spec } = args; // a CSR has no validity: the CA that signs it decides
      void _unused;
      const checked = specOf(spec);
      const step = keygenSteps(deps, args.progressId);
      const r = await oneLine(() => createServerCsr(dataDirOf(deps), checked, step));
      step?.('done');
      return r;
    },
    'certs.import': async (args) => {
      const dataDir = dataDirOf(deps);
      const r = await oneLine(() =>
        importServerCert(
          dataDir,
          'pkcs12Base64' in args
            ? { pkcs12: { data: Buffer.from(args.pkcs12Base64, 'base64'), passphrase: args.passphrase } }
            : { certPem: args.certPem, ...(args.keyPem === undefined ? {} : { keyPem: args.keyPem }), ...(args.chainPem === undefined ? {} : { chainPem: args.chainPem }) },
        ),
      );
      return { report: await certReport(dataDir), warnings: r.warnings };
    },
    'certs.exportCa': async () => ({ pem: await oneLine(() => serverTrustPem(dataDirOf(deps)), 'internal') }),
  };
}
