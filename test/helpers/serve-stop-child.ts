// A station analysing its library as `binome serve` runs it (without the loopback host, which needs
// the renderer built), stopped as serve stops: at the first SIGINT, SIGTERM or SIGHUP (waitForStop),
// then closed, then ended by a signal where a model run could not be waited for (endIfTasksLeft).
// Prints "ready" once the AI has started. Args: the library, the models folder.
import { waitForStop } from '../../main/cli.ts';
import { endIfTasksLeft } from '../../main/service/end-process.ts';
import { openTestStation } from './station.ts';

const [libraryDir, models] = process.argv.slice(2);
const stopped = waitForStop();
// the slow model's check (two runs at a whole breast's size) took past its 2 minutes on a loaded machine,
// refused, and nothing ran (a clean-clone run): 10 minutes here
const station = openTestStation({ libraryDir, modelRoots: [models!], aiCheckTimeoutMs: 10 * 60_000 });
process.stdout.write('ready\n');
const signal = await stopped;
process.stdout.write(`stopping on ${signal}\n`);
await station.close();
await endIfTasksLeft();
process.stdout.write('ended normally\n');
