import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { type CaMaterial, checkCommonName, checkValidityDays } from './ca.js';
import { asn, childrenOf, derToPem, fromDer, oidOf, pemToDer, rawChildren, readTlv, toDer } from './der.js';
import { clientKeyUsage, signLeaf, validateClientName, validateDnsName, type SignedCert } from './issue.js';
import {
  describeKey, generateKey, keyStrengthProblem, privateKeyPkcs8Pem, publicKeyDer, readPrivateKey,
  type KeySpec,
} from './keys.js';
import { ipToString, nameAttributes, nameText } from './names.js';
import { algorithmIdentifier, signDer, signatureAlgorithmOf, verifyDer } from './sig-algs.js';
import { encodeExtensions, nameDer, subjectAltNameExtension } from './x509-builder.js';

/**
 * PKCS#10 certificate requests (RFC 2986): made here for any RSA or EC key,
 * read from anywhere (openssl req, appliances' "generate CSR" pages), and
 * signed as client certificates by the internal CA. forge's CSR object is
 * RSA-only, so requests are assembled and read with its ASN.1 layer, and
 * Node's crypto signs and verifies.
 */

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export interface CreateCsrOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** A key to generate, or an existing private key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted). */
  key: KeySpec | string;
  /** Told when the key is being generated and when the request is being signed. */
  onStage?: (stage: 'generate-key' | 'sign') => void;
}

export interface CsrInfo {
  /** The subject in encoding order, e.g. "O=Example, CN=host". */
  subject: string;
  commonName: string | null;
  dnsNames: string[];
  ipAddresses: string[];
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem: string;
  keyType: string;
  /** RSA modulus bits, or the EC curve size. */
  bits: number | null;
  /** 'P-256' | 'P-384' | 'P-521', or OpenSSL's name of another curve; null for non-EC keys. */
  curve: string | null;
  signatureAlgorithm: string;
  /** The request's self-signature, checked with its own public key. */
  signatureValid: boolean;
}

export async function createCsr(opts: CreateCsrOptions): Promise<{ csrPem: string; keyPem: string }> {
  const cn = checkCommonName(opts.commonName, 'Certificate request');
  const dns = (opts.dnsNames ?? []).map((n) => validateDnsName(n, 'a certificate request'));
  const ips = opts.ipAddresses ?? [];
  let key: KeyObject;
  opts.onStage?.('generate-key');
  if (typeof opts.key === 'string') key = readPrivateKey(opts.key);
  else key = createPrivateKey((await generateKey(opts.key)).privateKeyPem);
  opts.onStage?.('sign');
  const problem = keyStrengthProblem(describeKey(key));
  if (problem) throw new Error(`Cannot make a certificate request with ${problem}`);

  const attributes = dns.length || ips.length
    ? [asn.seq([asn.oid(EXTENSION_REQUEST), asn.set([asn.seq(encodeExtensions([subjectAltNameExtension(dns, ips)]))])])]
    : [];
  const cri = toDer(asn.seq([
    asn.int(0),
    asn.raw(nameDer(cn)),
    asn.raw(publicKeyDer(key)),
    asn.explicit(0, attributes), // [0] IMPLICIT SET OF Attribute: the same bytes as a constructed [0]
  ]));
  const csr = asn.seq([asn.raw(cri), algorithmIdentifier(key), asn.bits(signDer(cri, key))]);
  return { csrPem: derToPem(toDer(csr), 'CERTIFICATE REQUEST'), keyPem: privateKeyPkcs8Pem(key) };
}

interface ParsedCsr { info: CsrInfo; spki: Buffer }

function parseCsr(pem: string): ParsedCsr {
  const der = pemToDer(pem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'a PEM certificate request');
  try {
    const [cri, sigAlg, sigBits] = rawChildren(der);
    if (!cri || !sigAlg || !sigBits) throw new Error('short');
    const [, subject, spki, attrs] = rawChildren(cri);
    if (!subject || !spki) throw new Error('short');
    const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const k = describeKey(pub);

    const sigOid = oidOf(childrenOf(fromDer(sigAlg))[0]);
    const st = readTlv(sigBits);
    const signature = sigBits.subarray(st.contentStart + 1, st.end); // after the unused-bits byte
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    for (const attr of attrs ? childrenOf(fromDer(attrs)) : []) {
      const [type, values] = childrenOf(attr);
      if (oidOf(type) !== EXTENSION_REQUEST) continue;
      for (const extSeq of childrenOf(values)) {
        for (const ext of childrenOf(extSeq)) {
          const e = (forge.pki as unknown as { certificateExtensionFromAsn1(a: unknown): { name?: string; altNames?: Array<{ type: number; value: string }> } })
            .certificateExtensionFromAsn1(forge.asn1.fromDer(toDer(ext).toString('binary')));
          if (e.name !== 'subjectAltName') continue;
          for (const a of e.altNames ?? []) {
            if (a.type === 2) dnsNames.push(a.value);
            if (a.type === 7) ipAddresses.push(ipToString(Buffer.from(a.value, 'binary')));
          }
        }
      }
    }
    const cns = nameAttributes(subject).filter(([t]) => t === 'CN');
    return {
      spki,
      info: {
        subject: nameText(subject),
        commonName: cns.length ? (cns[cns.length - 1]?.[1] ?? null) : null,
        dnsNames,
        ipAddresses,
        publicKeyPem: pub.export({ type: 'spki', format: 'pem' }) as string,
        keyType: k.type,
        bits: k.bits,
        curve: k.curve,
        signatureAlgorithm: signatureAlgorithmOf(sigOid)?.name ?? sigOid,
        signatureValid: verifyDer(sigOid, cri, pub, signature),
      },
    };
  } catch (e) {
    throw new Error(`Not a readable PKCS#10 certificate request (${(e as Error).message})`);
  }
}

export function readCsr(pem: string): CsrInfo {
  return parseCsr(pem).info;
}

export interface SignCsrOptions {
  /** The client name (certificate CN); defaults to the request's CN. */
  name?: string;
  validityDays?: number;
}

/**
 * A client certificate (EKU clientAuth) for the key in a request. Only the key
 * and, by default, the CN are taken from the request: the CA, not the
 * requester, decides the rest (no SANs, no requested extensions).
 */
export function signClientCsr(ca: CaMaterial, csrPem: string, opts: SignCsrOptions = {}): SignedCert {
  const { info, spki } = parseCsr(csrPem);
  if (!info.signatureValid) {
    throw new Error(
      `The certificate request's signature (${info.signatureAlgorithm}) does not verify with its own key; ` +
      'it was altered or is not supported: create the request again (RSA or ECDSA with SHA-256 or better)',
    );
  }
  const k = { type: info.keyType, bits: info.bits, curve: info.curve };
  const problem = keyStrengthProblem(k);
  if (problem) throw new Error(`Refusing the certificate request: it has ${problem}; create a new key and request`);
  const name = opts.name ?? info.commonName;
  if (name === null || name === undefined) {
    throw new Error('The certificate request has no common name (CN): give the client name explicitly');
  }
  const days = checkValidityDays(opts.validityDays ?? 825, 'Client certificate');
  return signLeaf(ca, {
    commonName: validateClientName(name),
    days,
    publicKey: spki,
    keyUsage: clientKeyUsage(k.type),
    extKeyUsage: ['clientAuth'],
  });
}
