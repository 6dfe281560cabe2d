// A node:test reporter that ends the run with one plain line,
// "N passed, N failed, N skipped", taken from the runner's own totals.
export default async function* summary(source) {
  const totals = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const m = /^(tests|pass|fail|skipped|todo|cancelled) (\d+)$/.exec(event.data.message);
    if (m) totals[m[1]] = Number(m[2]);
  }
  if (totals.pass !== undefined) {
    const failed = (totals.fail ?? 0) + (totals.cancelled ?? 0);
    yield `${totals.pass} passed, ${failed} failed, ${(totals.skipped ?? 0) + (totals.todo ?? 0)} skipped\n`;
  }
}
