// Runs one import in a child process and prints each progress event as a JSON line, so that a
// test can kill the process (SIGKILL) at a chosen point of a large import.
import { StationService } from '../../main/service/station.ts';

const [libraryDir, folder, batchSize] = process.argv.slice(2);
const station = new StationService({ libraryDir: libraryDir!, version: 'test', runtime: 'node', import: { batchSize: Number(batchSize ?? 50) }, renditions: false });
station.on('importProgress', (p) => process.stdout.write(JSON.stringify(p) + '\n'));
const summary = await station.handlers.importPaths({ paths: [folder!] });
process.stdout.write(JSON.stringify({ summary }) + '\n');
await station.close();
