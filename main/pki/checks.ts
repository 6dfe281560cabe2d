import { splitPemCertificates } from './der.js';
import { describeKey, keyStrengthProblem, readPrivateKey } from './keys.js';
import { ipKey, ipToString, nameText, sanCovers } from './names.js';
import { isWeakHash, signatureAlgorithmOf } from './sig-algs.js';
import { parseCertificate, type ParsedCertificate } from './x509-parse.js';

/**
 * Checks an operator's certificate before Keyhold uses it, each failure
 * explained in one sentence that says what is wrong and how to fix it (the
 * text a failed server start prints, or the admin UI shows).
 *
 * Policy choices:
 * - An absent keyUsage or extendedKeyUsage extension passes without a warning:
 *   RFC 5280 reads absence as "any use", and OpenSSL, Go, Java and Node's TLS
 *   all accept such certificates; a warning would only teach operators to
 *   ignore warnings.
 * - Key usage required: server: digitalSignature, plus keyEncipherment for RSA
 *   keys (RSA key exchange of older TLS 1.2 clients). EC server keys need
 *   digitalSignature only: keyAgreement serves static-ECDH suites that no
 *   current TLS stack uses (ECDHE signs). Client: digitalSignature. CA: keyCertSign.
 * - Host names follow RFC 6125 as TLS clients apply it (see names.ts); the CN
 *   is never used as a fallback, as browsers, Go and Python no longer do.
 * - Weak signatures (MD2, MD5, SHA-1) are errors on the certificate and its
 *   intermediates; the trust anchor's self-signature is not checked because
 *   no client relies on it.
 * - With trustedCaPems, the chain must end at one of them; without, it must
 *   end at a self-signed certificate supplied in the certificate or chain.
 * - A certificate text holding several certificates (a "fullchain" file) is
 *   read as the leaf followed by its chain.
 */

export type CertificateCheckId =
  | 'readable' | 'x509v3' | 'not-yet-valid' | 'expired' | 'expires-soon' | 'basic-constraints' | 'key-usage'
  | 'extended-key-usage' | 'key-match' | 'chain' | 'san' | 'key-strength' | 'signature-algorithm';

export interface CertificateCheck {
  id: CertificateCheckId;
  ok: boolean;
  /** How serious a failure of this check is (also set on passed checks). */
  severity: 'error' | 'warning';
  /** One sentence: what was found, or what is wrong and how to fix it. */
  message: string;
}

export interface CheckCertificateOptions {
  role: 'server' | 'client' | 'ca';
  certPem: string;
  keyPem?: string;
  /** Intermediate (and optionally root) CA certificates sent with the certificate. */
  chainPems?: string[];
  /** The CAs the peer trusts; when given the chain must end at one of them. */
  trustedCaPems?: string[];
  /** Host names and IP addresses clients will connect to (server role). */
  names?: string[];
  now?: Date;
}

const EXPIRY_WARNING_DAYS = 30;
const MAX_CHAIN = 8;
const day = (d: Date) => d.toISOString().slice(0, 10);

interface Cert { p: ParsedCertificate; label: string }

function load(pem: string): Cert {
  const p = parseCertificate(pem);
  return { p, label: `"${nameText(p.subjectName) || '(empty subject)'}"` };
}

const selfSigned = (c: Cert) => c.p.x509.checkIssued(c.p.x509) && c.p.x509.verify(c.p.x509.publicKey);
const issuedBy = (child: Cert, parent: Cert) => child.p.x509.checkIssued(parent.p.x509) && child.p.x509.verify(parent.p.x509.publicKey);

const NOUN = { server: 'server certificate', client: 'client certificate', ca: 'CA certificate' } as const;
const RENEW = {
  server: 'issue a new one with `keyhold cert selfsigned` or import a renewed one',
  client: 'issue the client a new certificate',
  ca: 'renew the CA certificate or create a new CA',
} as const;

export function checkCertificate(opts: CheckCertificateOptions): CertificateCheck[] {
  const out: CertificateCheck[] = [];
  const add = (id: CertificateCheckId, severity: 'error' | 'warning', problem: string | null, okMessage: string) =>
    out.push({ id, ok: problem === null, severity, message: problem ?? okMessage });
  const noun = NOUN[opts.role];
  const The = `The ${noun}`;

  const pems = typeof opts.certPem === 'string' ? splitPemCertificates(opts.certPem) : [];
  let leaf: Cert;
  try {
    leaf = load(pems[0] ?? '');
  } catch {
    add('readable', 'error', `${The} is not a readable PEM X.509 certificate; give the certificate in PEM form (text starting with "-----BEGIN CERTIFICATE-----").`, '');
    return out;
  }
  add('readable', 'error', null, `${The} ${leaf.label} is readable.`);
  const now = opts.now ?? new Date();
  const { p } = leaf;

  add('x509v3', 'error', p.version === 3 ? null
    : `${The} is an X.509 version ${p.version} certificate, which cannot carry the subject alternative names and key usages TLS needs; issue a version 3 certificate.`,
  `${The} is X.509 version 3.`);

  add('not-yet-valid', 'error', now < p.notBefore
    ? `${The} is not valid before ${p.notBefore.toISOString()}; check this computer's clock, or wait until then.` : null,
  `${The} became valid on ${day(p.notBefore)}.`);
  const expired = now > p.notAfter;
  add('expired', 'error', expired ? `${The} expired on ${day(p.notAfter)}; ${RENEW[opts.role]}.` : null,
    `${The} is valid until ${day(p.notAfter)}.`);

  if (opts.keyPem !== undefined) {
    let problem: string | null;
    try {
      const key = readPrivateKey(opts.keyPem);
      problem = p.x509.checkPrivateKey(key) ? null
        : `The private key does not belong to the ${noun} (they are from different key pairs); use the key that was created with this certificate's request, or import the matching pair.`;
    } catch (e) {
      problem = `${(e as Error).message.replace(/\.$/, '')}; give the certificate's private key as an unencrypted PEM file.`;
    }
    add('key-match', 'error', problem, `The private key matches the ${noun}.`);
  }

  if (opts.role === 'ca') {
    add('basic-constraints', 'error', p.basicConstraints?.ca ? null
      : `${The} ${leaf.label} is not a CA (basicConstraints CA:TRUE is missing); give the certificate of the CA that issues the certificates, not a server or client certificate.`,
    `${The} is a CA (CA:TRUE).`);
  }

  checkKeyUsage(opts.role, leaf, The, add);
  checkKeyStrengthAndSignature(leaf, The, add, opts, now);
  checkNames(opts, p, The, add);

  const left = Math.floor((p.notAfter.getTime() - now.getTime()) / 86_400_000);
  if (!expired && now >= p.notBefore) {
    add('expires-soon', 'warning', left <= EXPIRY_WARNING_DAYS
      ? `${The} expires on ${day(p.notAfter)}, in ${left} day${left === 1 ? '' : 's'}; ${RENEW[opts.role]} before then.` : null,
    `${The} has ${left} days left.`);
  }
  return out;
}

type Add = (id: CertificateCheckId, severity: 'error' | 'warning', problem: string | null, okMessage: string) => void;

function checkKeyUsage(role: CheckCertificateOptions['role'], leaf: Cert, The: string, add: Add): void {
  const { p } = leaf;
  const keyType = p.x509.publicKey.asymmetricKeyType;
  const needed = role === 'ca' ? ['keyCertSign']
    : role === 'server' && keyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const missing = p.keyUsage === null ? [] : needed.filter((b) => !p.keyUsage?.includes(b));
  add('key-usage', 'error', missing.length === 0 ? null
    : `${The}'s key usage (${p.keyUsage?.join(', ') || 'none'}) lacks ${missing.join(' and ')}; issue a certificate whose key usage includes ${needed.join(' and ')}.`,
  p.keyUsage === null ? `${The} has no key usage extension, which permits any use.` : `${The}'s key usage includes ${needed.join(' and ')}.`);

  if (role === 'ca') return;
  const purpose = role === 'server' ? 'serverAuth' : 'clientAuth';
  const eku = p.extKeyUsage;
  add('extended-key-usage', 'error', eku === null || eku.includes(purpose) || eku.includes('anyExtendedKeyUsage') ? null
    : `${The}'s extended key usage (${eku.join(', ') || 'none'}) does not include ${purpose}, so TLS ${role === 'server' ? 'clients' : 'servers'} will refuse it; issue a certificate with extended key usage ${purpose}.`,
  eku === null ? `${The} has no extended key usage extension, which permits any purpose.` : `${The}'s extended key usage includes ${purpose}.`);
}

/** Key strength and signature hashes of the certificate, then the chain (which needs the certificates those look at). */
function checkKeyStrengthAndSignature(leaf: Cert, The: string, add: Add, opts: CheckCertificateOptions, now: Date): void {
  const chain = buildChain(leaf, opts, now);
  const weakKey = [leaf, ...chain.path.slice(1)].map((c, i) => {
    const problem = keyStrengthProblem(describeKey(c.p.x509.publicKey));
    return problem && (i === 0 ? `${The} has ${problem}` : `Its issuing CA ${c.label} has ${problem}`);
  }).find(Boolean);
  add('key-strength', 'error', weakKey ? `${weakKey}; issue a new certificate with an RSA key of at least 2048 bits or an EC P-256 or P-384 key.` : null,
    `${The}'s key (${keyText(leaf)}) is strong enough.`);

  // The anchor's own self-signature is never relied upon; everything below it is.
  const signed = [leaf, ...chain.path.slice(1)].filter((c) => !(c === chain.anchor && selfSigned(c)) && !(c === leaf && selfSigned(c) && opts.role === 'ca'));
  const weakSig = signed.map((c) => {
    const alg = signatureAlgorithmOf(c.p.signatureOid);
    if (!alg || !isWeakHash(alg.hash)) return null;
    return `${c === leaf ? The : `Its issuing CA ${c.label}`} is signed with ${alg.name} (${alg.hash?.toUpperCase()}), which TLS clients reject`;
  }).find(Boolean);
  add('signature-algorithm', 'error', weakSig ? `${weakSig}; have it re-issued with SHA-256 or better.` : null,
    `${The} and its intermediates are signed with SHA-256 or better.`);

  add('chain', 'error', chain.problem, chain.okMessage);
}

function keyText(c: Cert): string {
  const k = describeKey(c.p.x509.publicKey);
  return k.type === 'rsa' ? `RSA-${k.bits}` : k.type === 'ec' ? `EC ${k.curve}` : k.type;
}

interface ChainResult { path: Cert[]; anchor: Cert | null; problem: string | null; okMessage: string }

/**
 * Walks from the certificate up to a trusted (or, without a trust list,
 * supplied self-signed) CA, checking each link: issuer name and signature,
 * CA flag, validity, path length.
 */
function buildChain(leaf: Cert, opts: CheckCertificateOptions, now: Date): ChainResult {
  const path: Cert[] = [leaf];
  const fail = (problem: string): ChainResult => ({ path, anchor: null, problem, okMessage: '' });
  let pool: Cert[];
  let trusted: Cert[];
  try {
    pool = [...splitPemCertificates(opts.certPem).slice(1), ...(opts.chainPems ?? [])].map(load);
    trusted = (opts.trustedCaPems ?? []).map(load);
  } catch {
    return fail('A certificate in the chain or trusted CA list is not a readable PEM certificate; give each as PEM text.');
  }
  const useTrust = opts.trustedCaPems !== undefined;
  const isTrusted = (c: Cert) => trusted.some((t) => t.p.der.equals(c.p.der));
  const nextCa = (cur: Cert): Cert | undefined =>
    [...trusted, ...pool].find((c) => !path.some((x) => x.p.der.equals(c.p.der)) && issuedBy(cur, c));

  for (let cur = leaf; path.length <= MAX_CHAIN;) {
    if (useTrust ? isTrusted(cur) : selfSigned(cur)) {
      const okMessage = cur === leaf
        ? `The certificate is ${useTrust ? 'itself trusted' : 'self-signed, so peers must trust it directly'}.`
        : `The chain leads to the ${useTrust ? 'trusted' : 'supplied self-signed'} CA ${cur.label} (${path.length} certificates).`;
      return { path, anchor: cur, problem: null, okMessage };
    }
    if (selfSigned(cur)) {
      return fail(`The chain ends at the self-signed certificate ${cur.label}, which is not a trusted CA; add it to the trusted CAs, or use a certificate issued by a trusted CA.`);
    }
    const next = nextCa(cur);
    if (!next) {
      const issuerName = `"${cur.p.x509.issuer.split('\n').join(', ')}"`;
      const sameName = [...trusted, ...pool].find((c) => c.p.x509.subject === cur.p.x509.issuer);
      return fail(sameName
        ? `The certificate ${cur.label} names ${sameName.label} as its issuer, but its signature does not verify with that CA's key; supply the CA certificate that really issued it.`
        : `The chain is incomplete: the certificate of ${issuerName}, which issued ${cur.label}, is missing; add that CA certificate to the chain${useTrust ? ' or to the trusted CAs' : ''}.`);
    }
    if (!next.p.x509.ca) {
      return fail(`The certificate ${next.label}, which signed ${cur.label}, is not a CA (basicConstraints CA:TRUE is missing); use a chain of real CA certificates.`);
    }
    const below = path.length - 1; // intermediate CAs between this one and the leaf
    const maxLen = next.p.basicConstraints?.pathLength;
    if (maxLen !== null && maxLen !== undefined && below > maxLen) {
      return fail(`The CA ${next.label} may only have ${maxLen} intermediate CA${maxLen === 1 ? '' : 's'} below it (pathlen ${maxLen}) but has ${below}; have the chain re-issued within that limit.`);
    }
    if (now > next.p.notAfter || now < next.p.notBefore) {
      return fail(`The CA certificate ${next.label} in the chain is ${now > next.p.notAfter ? `expired since ${day(next.p.notAfter)}` : `not valid before ${day(next.p.notBefore)}`}; install the CA's current certificate.`);
    }
    path.push(next);
    cur = next;
  }
  return fail(`The chain is longer than ${MAX_CHAIN} certificates or loops; supply only the certificates from the issuing CA up to the root.`);
}

function checkNames(opts: CheckCertificateOptions, p: ParsedCertificate, The: string, add: Add): void {
  const names = (opts.names ?? []).filter((n) => n.trim() !== '');
  if (names.length === 0) {
    if (opts.role === 'server' && p.san === null) {
      add('san', 'warning', `${The} has no subject alternative names, so clients that check host names will refuse it; issue one listing the DNS names and IP addresses clients use.`, '');
    }
    return;
  }
  const describe = (n: string) => (ipKey(n) !== null ? `the IP address ${n}` : `the name ${n}`);
  if (p.san === null) {
    add('san', 'error', `${The} has no subject alternative names, so clients connecting to ${names.map(describe).join(' or ')} will refuse it (they ignore the common name); issue one that lists ${names.length === 1 ? 'it' : 'them'}.`, '');
    return;
  }
  const san = p.san;
  const missing = names.filter((n) => !sanCovers(san, n));
  const has = [...san.dns.map((d) => `DNS ${d}`), ...san.ips.map((b) => `IP ${ipToString(b)}`)].join(', ') || 'none';
  add('san', 'error', missing.length === 0 ? null
    : `${The} does not cover ${missing.map(describe).join(' and ')} (it lists ${has}), so clients using ${missing.length === 1 ? 'it' : 'them'} will refuse the connection; issue a certificate that includes ${missing.length === 1 ? 'it' : 'them'}.`,
  `${The} covers ${names.join(', ')}.`);
}

/** The message of the first failed error-severity check (what a refused server start prints), or null. */
export function firstProblem(checks: CertificateCheck[]): string | null {
  return checks.find((c) => !c.ok && c.severity === 'error')?.message ?? null;
}
