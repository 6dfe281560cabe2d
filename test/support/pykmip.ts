// PyKMIP, the independent KMIP client of the interop tests: Debian's
// python3-pykmip, run by /usr/bin/python3 (the python3 on PATH may be another
// interpreter). A missing PyKMIP makes those tests fail with this reason;
// they are never skipped.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** Why PyKMIP cannot run here (a sentence saying how to install it), or undefined when it can. */
export function pykmipProblem(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing: install python3 and python3-pykmip (apt-get install -y python3-pykmip; .ci/run does this)`;
  const probe = spawnSync(PYTHON, ['-c', 'import kmip.pie.client, kmip.version; print(kmip.version.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) return `PyKMIP is not importable by ${PYTHON} (apt-get install -y python3-pykmip; .ci/run does this): ${probe.error?.message ?? probe.stderr.trim()}`;
  return undefined;
}
