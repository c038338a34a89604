// A loopback host in a process of its own, so that its memory can be measured apart from the test's:
// opens a test station on a fresh library, serves it, prints one JSON line ({ port, token, library })
// and runs until stdin closes or SIGTERM.
import path from 'node:path';
import { startLoopbackHost } from '../../main/transport/http.ts';
import { ROOT } from './paths.ts';
import { openTestStation } from './station.ts';

const station = openTestStation();
const host = await startLoopbackHost({ service: station, rendererDir: path.join(ROOT, 'app', 'dist', 'renderer') });
process.stdout.write(`${JSON.stringify({ port: host.port, token: host.token, library: station.paths.root })}\n`);
const stop = async () => {
  await host.close();
  await station.close();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
