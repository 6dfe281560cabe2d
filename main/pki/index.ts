export { createCa, type CaMaterial, type CreateCaOptions, type RsaBits } from './ca.js';
export {
  issueServerCert, issueClientCert, validateClientName, fingerprintOf, serverSubjectAltNames,
  type IssuedCert, type ServerCertOptions, type ClientCertOptions,
} from './issue.js';
export { inspectCertificate, type CertificateInfo } from './inspect.js';
export { ensurePki, pkiFiles, writeFileAtomic, readPrivateKeyFile, type EnsurePkiOptions, type PkiState, type PkiFiles } from './store-files.js';
export { machineAddresses, type InterfaceMap } from './addresses.js';
