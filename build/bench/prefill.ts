// Pre-filling the database before the server starts: objects written straight
// through the store, many per transaction, each one what a KMIP 2.1 Create of
// an AES-256 key named bench-NNNNNNNNN stores (attributes parsed from the same
// request attributes, the server-set ones added as create.ts adds them, and
// the key block encrypted under the master key).
import { randomBytes } from 'node:crypto';
import { parseAttributes, type Attribute } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { item, struct } from '../../shared/kmip/ttlv/index.js';
import { digest, encodeMaterial, symmetricKey } from '../../main/kmip/objects/material.js';
import { ObjectState, openStore } from '../../main/store/index.js';
import { benchName } from './requests.js';

const BATCH = 10_000;

function requestAttributes(name: string): Attribute[] {
  const attrs = struct(Tag.Attributes, [
    item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES),
    item(Tag.CryptographicLength, 'Integer', 256),
    struct(Tag.Name, [item(Tag.NameValue, 'TextString', name), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)]),
  ]);
  return parseAttributes(attrs, { version: '2.1' });
}

export interface PrefillResult {
  /** Identifiers in creation order: ids[i] is named benchName(i). */
  ids: string[];
  seconds: number;
}

/** Writes `count` objects into the (not running) server's data dir. */
export function prefill(dataDir: string, count: number, onProgress?: (done: number) => void): PrefillResult {
  const started = performance.now();
  // A cache big enough for the indexes that grow at random places (identifiers,
  // digests): with the server's 64 MiB, a million objects thrash it.
  const store = openStore(dataDir, { cacheMiB: 1024 });
  const ids: string[] = [];
  try {
    const t = { type: 'DateTime', value: BigInt(Math.floor(Date.now() / 1000)) } as const;
    while (ids.length < count) {
      const end = Math.min(count, ids.length + BATCH);
      // Key bytes for the whole batch in one call (one call per key was a tenth of the fill time).
      const keys = randomBytes(32 * (end - ids.length));
      store.transaction(() => {
        for (let i = ids.length, k = 0; i < end; i++, k += 32) {
          const key = keys.subarray(k, k + 32);
          ids.push(
            store.createObject({
              objectType: Enum.ObjectType.SymmetricKey,
              state: ObjectState.PreActive,
              attributes: [
                ...requestAttributes(benchName(i)),
                { name: 'CryptographicUsageMask', value: { type: 'Integer', value: Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt } },
                { name: 'Digest', value: digest(key, Enum.KeyFormatType.Raw) },
                { name: 'InitialDate', value: t },
                { name: 'LastChangeDate', value: t },
                { name: 'OriginalCreationDate', value: t },
                { name: 'Fresh', value: { type: 'Boolean', value: true } },
              ],
              material: encodeMaterial(symmetricKey(key, Enum.CryptographicAlgorithm.AES, 256)),
            }),
          );
        }
      });
      keys.fill(0);
      onProgress?.(ids.length);
    }
  } finally {
    store.close();
  }
  return { ids, seconds: (performance.now() - started) / 1000 };
}
