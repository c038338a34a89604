// A command that checks the models and ends with its own status, as `binome models` does: a check
// past its time limit has its process killed; the command waits for any model run left on its AI
// threads (waitForTasksLeft: none here) and exits with status 1, or ends by SIGTERM once it waited its limit. Args: the
// models folder, the check's limit in ms, and how long to wait for the run left (ms; the command's 60 s if absent).
import { InferenceRunner } from '../../main/ai/inference.ts';
import { waitForTasksLeft } from '../../main/service/end-process.ts';

const [models, limitMs, endWaitMs] = process.argv.slice(2);
const runner = new InferenceRunner({ checkTimeoutMs: Number(limitMs) });
const found = await runner.discover([models!]);
const all = await found.complete;
process.stdout.write(`refused: ${all.refused.map((r) => r.problem.code).join(',')}\n`);
await runner.close();
await waitForTasksLeft((what, seconds) => process.stderr.write(`${what} ${seconds} s\n`), endWaitMs ? Number(endWaitMs) : undefined);
process.stdout.write('ended normally\n');
process.exitCode = 1;
