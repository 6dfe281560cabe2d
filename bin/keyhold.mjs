#!/usr/bin/env node
// Entry point of the `keyhold` command. It runs the TypeScript sources through
// tsx (a dev dependency), so it works straight from a clone after `npm ci`.
// Whatever goes wrong, the operator gets one line on stderr, never a stack.
import { fstatSync } from 'node:fs';

function fail(message, status = 1) {
  try {
    process.stderr.write(`keyhold: ${message}\n`);
  } finally {
    process.exit(status);
  }
}

// `keyhold ttlv decode < capture | head` closes the pipe early: that is the
// reader's choice, not an error. Any other write failure (a full disk) is one line.
process.stdout.on('error', (e) => (e.code === 'EPIPE' ? process.exit(0) : fail(`cannot write output: ${e.message}`)));
process.stderr.on('error', () => process.exit(1));

try {
  if (fstatSync(0).isDirectory()) fail('standard input is a directory, not a capture or a message file');
} catch {
  // No usable stdin at all (closed descriptor): commands that need it say so.
}

let main;
try {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../main/cli/main.ts'));
} catch (e) {
  fail(`cannot start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)} (did you run npm ci?)`);
}
process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
