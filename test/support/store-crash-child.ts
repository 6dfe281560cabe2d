// Child process for the store crash test: creates objects in a loop and, after
// each commit returns, writes "<id> <material hex>" to stdout with a
// synchronous write, so every line the parent reads is a committed object.
// The parent SIGKILLs it at a random moment.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { openStore } from '../../main/store/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: store-crash-child DIR');
const store = openStore(dir);
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  const material = randomBytes(32);
  // A multi-step change in one transaction: object, extra attribute, state change.
  const id = store.transaction(() => {
    const id = store.createObject({
      objectType: 2,
      state: 1,
      attributes: [{ name: 'Name', value: { type: 'Structure', value: [{ tag: 0x420055, type: 'TextString', value: `crash-${i}` }, { tag: 0x420054, type: 'Enumeration', value: 1 }] } }],
      material,
    });
    store.addAttribute(id, { vendorIdentification: 'x', attributeName: 'Seq' }, { type: 'Integer', value: i });
    store.setState(id, 2);
    return id;
  });
  writeSync(1, `${id} ${material.toString('hex')}\n`);
}
