export { createCa, type CaMaterial, type CreateCaOptions, type RsaBits } from './ca.js';
export {
  issueServerCert, issueClientCert, validateClientName, fingerprintOf, serverSubjectAltNames,
  type IssuedCert, type SignedCert, type ServerCertOptions, type ClientCertOptions,
} from './issue.js';
export { generateKey, describeKey, type KeySpec, type KeyDescription } from './keys.js';
export { createCsr, readCsr, signClientCsr, type CreateCsrOptions, type CsrInfo, type SignCsrOptions } from './csr.js';
export { exportPkcs12, importPkcs12, type ExportPkcs12Options, type ImportedPkcs12 } from './pkcs12.js';
export {
  checkCertificate, firstProblem, type CertificateCheck, type CertificateCheckId, type CheckCertificateOptions,
} from './checks.js';
export { inspectCertificate, type CertificateInfo } from './inspect.js';
export { ensurePki, pkiFiles, writeFileAtomic, readPrivateKeyFile, type EnsurePkiOptions, type PkiState, type PkiFiles } from './store-files.js';
export { machineAddresses, type InterfaceMap } from './addresses.js';
