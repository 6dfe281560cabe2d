import os from 'node:os';
import net from 'node:net';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { machineAddresses, type InterfaceMap } from './addresses.js';
import {
  type CaMaterial, type RsaBits, checkValidityDays, cnAttrs, generateRsaKey, randomSerialHex, validityWindow,
} from './ca.js';

export interface IssuedCert {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** SHA-256 of the DER certificate, lowercase hex without separators. */
  fingerprint: string;
}

export interface ServerCertOptions {
  /** Defaults to os.hostname(). */
  hostName?: string;
  extraNames?: string[];
  /** Extra IPs beyond loopback and the machine's addresses. */
  ipAddresses?: string[];
  validityDays?: number;
  rsaBits?: RsaBits;
  /** Injectable os.networkInterfaces() result (tests). */
  interfaces?: InterfaceMap;
}

export interface ClientCertOptions {
  name: string;
  validityDays?: number;
  rsaBits?: RsaBits;
}

const CLIENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DNS_NAME = /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function validateClientName(name: unknown): string {
  if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
    throw new Error(
      `Invalid client name ${JSON.stringify(name)}: use 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'`,
    );
  }
  return name;
}

export function fingerprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

interface LoadedCa { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; ski: string }

function loadCa(ca: CaMaterial): LoadedCa {
  const x = new X509Certificate(ca.certPem);
  if (!x.ca) throw new Error('The given CA certificate is not a CA (basicConstraints CA:false)');
  if (!x.checkPrivateKey(createPrivateKey(ca.keyPem))) throw new Error('CA key does not match the CA certificate');
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const skiExt = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  // Reuse the CA's own SKI so AKI matches it byte for byte, whatever method produced it.
  const ski = skiExt?.subjectKeyIdentifier
    ? forge.util.hexToBytes(skiExt.subjectKeyIdentifier)
    : cert.generateSubjectKeyIdentifier().getBytes();
  return { cert, key: forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey, ski };
}

async function issue(
  ca: CaMaterial, cn: string, days: number, bits: RsaBits, extensions: object[],
): Promise<IssuedCert> {
  const loaded = loadCa(ca);
  const { publicKeyPem, privateKeyPem } = await generateRsaKey(bits);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const { notBefore, notAfter } = validityWindow(days);
  cert.validity.notBefore = notBefore;
  // A leaf cannot be valid past its CA; clamping keeps notAfter honest for the UI.
  cert.validity.notAfter = notAfter > loaded.cert.validity.notAfter ? loaded.cert.validity.notAfter : notAfter;
  cert.setSubject(cnAttrs(cn));
  cert.setIssuer(loaded.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: loaded.ski },
  ]);
  cert.sign(loaded.key, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem: privateKeyPem, fingerprint: fingerprintOf(certPem) };
}

/** SAN list for the server: host name, extra names, localhost, loopbacks and the machine's addresses. */
export function serverSubjectAltNames(opts: ServerCertOptions = {}): { dns: string[]; ips: string[] } {
  // An odd machine host name must not stop the first start: it is left out; names given explicitly are checked.
  const sysHost = os.hostname().toLowerCase();
  const host = opts.hostName ?? (DNS_NAME.test(sysHost) ? sysHost : undefined);
  const names = [...(host === undefined ? [] : [host]), ...(opts.extraNames ?? []), 'localhost'];
  const dns = [...new Set(names.map((n) => n.toLowerCase()))];
  for (const n of dns) {
    if (!DNS_NAME.test(n)) throw new Error(`Invalid DNS name for the server certificate: ${JSON.stringify(n)}`);
  }
  const ips = [...new Set(['127.0.0.1', '::1', ...(opts.ipAddresses ?? []), ...machineAddresses(opts.interfaces)])];
  for (const ip of ips) {
    if (net.isIP(ip) === 0) throw new Error(`Invalid IP address for the server certificate: ${JSON.stringify(ip)}`);
  }
  return { dns, ips };
}

export async function issueServerCert(ca: CaMaterial, opts: ServerCertOptions = {}): Promise<IssuedCert> {
  const { dns, ips } = serverSubjectAltNames(opts);
  const days = checkValidityDays(opts.validityDays ?? 825, 'Server certificate');
  return issue(ca, dns[0] ?? 'localhost', days, opts.rsaBits ?? 3072, [
    // keyAgreement too: the issue asks for it, and some KMIP clients check the bit set as a whole.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyAgreement: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dns.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
    },
  ]);
}

export async function issueClientCert(ca: CaMaterial, opts: ClientCertOptions): Promise<IssuedCert> {
  const name = validateClientName(opts.name);
  const days = checkValidityDays(opts.validityDays ?? 825, 'Client certificate');
  return issue(ca, name, days, opts.rsaBits ?? 3072, [
    // keyEncipherment: RSA key exchange (TLS 1.2 RSA suites) is still used by old clients.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
}
