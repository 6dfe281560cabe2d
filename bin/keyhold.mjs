#!/usr/bin/env node
// Entry point of the `keyhold` command. It runs the TypeScript sources through
// tsx (a dev dependency), so it works straight from a clone after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
