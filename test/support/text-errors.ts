// Shared assertion for the XML and JSON tests: parsing must fail with a
// KmipTextError of this code whose message mentions each of `parts`.
import assert from 'node:assert/strict';
import { KmipTextError, type KmipTextErrorCode } from '../../shared/kmip/text/index.js';

export function assertTextError(parse: () => unknown, code: KmipTextErrorCode, ...parts: string[]): void {
  assert.throws(parse, (e: unknown) => {
    assert.ok(e instanceof KmipTextError, `not a KmipTextError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
    return true;
  });
}
