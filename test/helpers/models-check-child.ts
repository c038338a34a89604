// A command that checks the models and ends with its own status, as `binome models` does: a check
// past its time limit is still inside a model run when the runner closes; the command waits for it
// (waitForTasksLeft) and exits with status 1. Args: the models folder, the check's limit in ms.
import { InferenceRunner } from '../../main/ai/inference.ts';
import { waitForTasksLeft } from '../../main/service/end-process.ts';

const [models, limitMs] = process.argv.slice(2);
const runner = new InferenceRunner({ checkTimeoutMs: Number(limitMs) });
const found = await runner.discover([models!]);
const all = await found.complete;
process.stdout.write(`refused: ${all.refused.map((r) => r.problem.code).join(',')}\n`);
await runner.close();
await waitForTasksLeft((line) => process.stderr.write(`${line}\n`));
process.stdout.write('ended normally\n');
process.exitCode = 1;
