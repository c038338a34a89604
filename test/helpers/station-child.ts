// A station in a process of its own on the library named by argv[2]: prints "open" once it is open,
// or one JSON line { error, key, params } where it was refused; runs until stdin closes.
import { openTestStation } from './station.ts';
import { LibraryOpenError } from '../../main/base/library-open-error.ts';

let station;
try {
  station = openTestStation({ libraryDir: process.argv[2] });
} catch (error) {
  const e = error as LibraryOpenError;
  process.stdout.write(`${JSON.stringify({ error: e.message, key: e instanceof LibraryOpenError ? e.key : null, params: e instanceof LibraryOpenError ? e.params : null })}\n`);
  process.exit(0);
}
process.stdout.write('open\n');
process.stdin.on('end', () => void station.close().then(() => process.exit(0)));
process.stdin.resume();
