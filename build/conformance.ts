// `npm run conformance`: replays every OASIS test case in
// ../shared/kmip-testcases/ against a live `keyhold serve` over TLS and writes
// docs/conformance.md (see test/conformance/). Progress goes to stderr; the
// doc holds no timings, so re-running on unchanged code gives the same file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCases } from '../test/conformance/cases.js';
import { DOC_PATH, renderDoc } from '../test/conformance/report.js';
import { runCases } from '../test/conformance/runner.js';
import { REPO_ROOT } from '../test/support/reference.js';

// Exit on a signal so that the runner's exit hook stops the servers it started.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

const started = Date.now();
const all = readCases();
const results = await runCases(all, all);
const out = join(REPO_ROOT, DOC_PATH);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderDoc(results));
const count = (s: string): number => results.filter((r) => r.status === s).length;
process.stderr.write(`conformance: ${results.length} cases, ${count('pass')} pass, ${count('fail')} fail, ${count('not run')} not run, ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${DOC_PATH}\n`);
