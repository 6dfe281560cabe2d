import os from 'node:os';
import { CLIENT_NAME_PATTERN } from '../../shared/forms/fields.js';
import net from 'node:net';
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { machineAddresses, type InterfaceMap } from './addresses.js';
import { type CaMaterial, type RsaBits, checkCommonName, checkValidityDays, validityWindow } from './ca.js';
import { checkKeySpec, generateKey, readPrivateKey, type KeySpec } from './keys.js';
import { buildCertificate, keyIdentifier, nameDer, type KeyUsageBit } from './x509-builder.js';
import { parseCertificate, type ParsedCertificate } from './x509-parse.js';

export interface SignedCert {
  certPem: string;
  /** SHA-256 of the DER certificate, lowercase hex without separators. */
  fingerprint: string;
}

export interface IssuedCert extends SignedCert {
  /** PKCS#8 PEM. */
  keyPem: string;
}

export interface ServerCertOptions {
  /** Subject CN; defaults to the first DNS name (else "localhost"). */
  commonName?: string;
  /** Defaults to os.hostname() (unless includeMachineNames is false). */
  hostName?: string;
  extraNames?: string[];
  /** More DNS names; the same as extraNames, under the name the certificate API uses. */
  dnsNames?: string[];
  /** Extra IPs beyond loopback and the machine's addresses. */
  ipAddresses?: string[];
  /**
   * true (default): the SAN also gets the machine's host name, "localhost",
   * 127.0.0.1, ::1 and the machine's addresses, so that a first-start
   * certificate works however clients reach the server. false: exactly the
   * names and addresses given.
   */
  includeMachineNames?: boolean;
  validityDays?: number;
  /** Default RSA-3072; `key` wins over the older `rsaBits`. */
  key?: KeySpec;
  rsaBits?: RsaBits;
  /** Injectable os.networkInterfaces() result (tests). */
  interfaces?: InterfaceMap;
  /** Told when the key is being generated and when the certificate is being signed (progress of a slow RSA-4096). */
  onStage?: (stage: 'generate-key' | 'sign') => void;
}

export interface ClientCertOptions {
  name: string;
  validityDays?: number;
  /** Default RSA-3072; `key` wins over the older `rsaBits`. */
  key?: KeySpec;
  rsaBits?: RsaBits;
}

const CLIENT_NAME = CLIENT_NAME_PATTERN;
const DNS_NAME = /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function validateClientName(name: unknown): string {
  if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
    throw new Error(
      `Invalid client name ${JSON.stringify(name)}: use 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'`,
    );
  }
  return name;
}

export function validateDnsName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !DNS_NAME.test(name)) throw new Error(`Invalid DNS name for ${what}: ${JSON.stringify(name)}`);
  return name;
}

export function fingerprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

export interface LoadedCa { cert: ParsedCertificate; key: KeyObject; keyId: Buffer }

/** Checks the CA pair before anything is signed with it. Errors name the problem, never key material. */
export function loadCa(ca: CaMaterial): LoadedCa {
  const cert = parseCertificate(ca.certPem);
  if (!cert.x509.ca) throw new Error('The given CA certificate is not a CA (basicConstraints CA:false)');
  const key = readPrivateKey(ca.keyPem, 'The CA private key');
  if (!cert.x509.checkPrivateKey(key)) throw new Error('CA key does not match the CA certificate');
  // Reuse the CA's own SKI so AKI matches it byte for byte, whatever method produced it.
  return { cert, key, keyId: cert.subjectKeyId ?? keyIdentifier(cert.spki) };
}

export interface LeafSpec {
  commonName: string;
  days: number;
  publicKey: KeyObject | Buffer;
  keyUsage: KeyUsageBit[];
  extKeyUsage: Array<'serverAuth' | 'clientAuth'>;
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** Signs a leaf (CA:false) certificate for `leaf.publicKey` with the CA. */
export function signLeaf(ca: CaMaterial, leaf: LeafSpec): SignedCert {
  const loaded = loadCa(ca);
  const { notBefore, notAfter } = validityWindow(leaf.days);
  const certPem = buildCertificate({
    subjectName: nameDer(leaf.commonName),
    issuerName: loaded.cert.subjectName,
    subjectPublicKey: leaf.publicKey,
    issuerKey: loaded.key,
    notBefore,
    // A leaf cannot be valid past its CA; clamping keeps notAfter honest for the UI.
    notAfter: notAfter > loaded.cert.notAfter ? loaded.cert.notAfter : notAfter,
    basicConstraints: { ca: false },
    keyUsage: leaf.keyUsage,
    extKeyUsage: leaf.extKeyUsage,
    dnsNames: leaf.dnsNames ?? [],
    ipAddresses: leaf.ipAddresses ?? [],
    authorityKeyId: loaded.keyId,
  });
  return { certPem, fingerprint: fingerprintOf(certPem) };
}

async function issue(
  ca: CaMaterial, spec: KeySpec, leaf: (keyType: 'rsa' | 'ec') => Omit<LeafSpec, 'publicKey'>, onStage?: (stage: 'generate-key' | 'sign') => void,
): Promise<IssuedCert> {
  loadCa(ca); // before the (slow) key generation
  onStage?.('generate-key');
  const { publicKeyPem, privateKeyPem } = await generateKey(spec);
  onStage?.('sign');
  const signed = signLeaf(ca, { ...leaf(spec.type), publicKey: createPublicKey(publicKeyPem) });
  return { ...signed, keyPem: privateKeyPem };
}

/** SAN list for the server: host name, extra names, localhost, loopbacks and the machine's addresses. */
export function serverSubjectAltNames(opts: ServerCertOptions = {}): { dns: string[]; ips: string[] } {
  const auto = opts.includeMachineNames !== false;
  // An odd machine host name must not stop the first start: it is left out; names given explicitly are checked.
  const sysHost = os.hostname().toLowerCase();
  const host = opts.hostName ?? (auto && DNS_NAME.test(sysHost) ? sysHost : undefined);
  const names = [
    ...(host === undefined ? [] : [host]), ...(opts.extraNames ?? []), ...(opts.dnsNames ?? []), ...(auto ? ['localhost'] : []),
  ];
  const dns = [...new Set(names.map((n) => n.toLowerCase()))];
  for (const n of dns) validateDnsName(n, 'the server certificate');
  const ips = [...new Set([
    ...(auto ? ['127.0.0.1', '::1'] : []), ...(opts.ipAddresses ?? []), ...(auto ? machineAddresses(opts.interfaces) : []),
  ])];
  for (const ip of ips) {
    if (net.isIP(ip) === 0) throw new Error(`Invalid IP address for the server certificate: ${JSON.stringify(ip)}`);
  }
  if (dns.length === 0 && ips.length === 0) throw new Error('A server certificate needs at least one DNS name or IP address');
  return { dns, ips };
}

function keySpecOf(opts: { key?: KeySpec; rsaBits?: RsaBits }): KeySpec {
  return checkKeySpec(opts.key ?? { type: 'rsa', bits: opts.rsaBits ?? 3072 });
}

export async function issueServerCert(ca: CaMaterial, opts: ServerCertOptions = {}): Promise<IssuedCert> {
  const { dns, ips } = serverSubjectAltNames(opts);
  const days = checkValidityDays(opts.validityDays ?? 825, 'Server certificate');
  const cn = checkCommonName(opts.commonName ?? dns[0] ?? 'localhost', 'Server certificate');
  return issue(ca, keySpecOf(opts), (type) => ({
    commonName: cn,
    days,
    // RSA keeps keyAgreement as the first release had it (some KMIP clients compare the bit set as a whole);
    // keyEncipherment means nothing for an EC key, whose TLS use is signing plus (EC)DH.
    keyUsage: type === 'rsa' ? ['digitalSignature', 'keyEncipherment', 'keyAgreement'] : ['digitalSignature', 'keyAgreement'],
    extKeyUsage: ['serverAuth'],
    dnsNames: dns,
    ipAddresses: ips,
  }), opts.onStage);
}

/** keyEncipherment for RSA: RSA key exchange (TLS 1.2 RSA suites) is still used by old clients. */
export function clientKeyUsage(type: string): KeyUsageBit[] {
  return type === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
}

export async function issueClientCert(ca: CaMaterial, opts: ClientCertOptions): Promise<IssuedCert> {
  const name = validateClientName(opts.name);
  const days = checkValidityDays(opts.validityDays ?? 825, 'Client certificate');
  return issue(ca, keySpecOf(opts), (type) => ({
    commonName: name, days, keyUsage: clientKeyUsage(type), extKeyUsage: ['clientAuth'],
  }));
}
