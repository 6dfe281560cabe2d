// The shared core of the cryptographic services (Encrypt, Decrypt, Sign,
// Signature Verify, MAC, MAC Verify, key wrapping, Derive Key):
//
//   useKey(ctx, id, purpose) → UsableKey        use-key.ts
//     The object's type, state, dates and Cryptographic Usage Mask checked for
//     the purpose, with the spec's Result Reasons; the key opened (bytes /
//     KeyObject), its algorithm and length, its stored Cryptographic
//     Parameters. dispose() wipes the bytes. allocateUsage(ctx, key, bytes, opens)
//     takes from its Usage Limits (Encrypt, Sign).
//   effectiveParameters(payload, key, ctx) → CryptoParams
//     parameters.ts: the request's Cryptographic Parameters over the stored
//     ones, bound to them (a conflicting algorithm / mode / padding / hash is
//     refused); unsupported() / badParameters() for the operations' own checks.
//   streamPart(payload), cryptoStreams.open/get/finish/abort   streams.ts
//     Multi-part operations by Correlation Value, bound to client, operation
//     and key, bounded and expiring.
//   equalConstantTime(a, b)                      constant-time.ts
export { allocateUsage, PURPOSES, useKey, type KeyPurpose, type UsableKey } from './use-key.js';
export { badParameters, effectiveParameters, parameterName, parseParameters, unsupported, valueName, type CryptoParams } from './parameters.js';
export { cryptoStreams, CryptoStreams, MAX_PER_CLIENT, MAX_STREAMS, streamOwner, streamPart, TTL_MS, type StreamOwner, type StreamPart } from './streams.js';
export { equalConstantTime } from './constant-time.js';
