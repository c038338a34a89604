#!/usr/bin/env node
// Runs the command line from the TypeScript sources under Node, with the Node build of the native
// modules in the root node_modules (the Electron build lives under app/ and is never loaded here).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
// Output piped into `head` and the like: a closed pipe ends the command quietly; a terminal closed
// (EIO, after SIGHUP) is no reason to cut a shutdown short.
process.stdout.on('error', (error) => { if (error.code === 'EPIPE') process.exit(0); if (error.code === 'EIO') return; throw error; });
const { main } = await import(fileURLToPath(new URL('../main/cli.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
