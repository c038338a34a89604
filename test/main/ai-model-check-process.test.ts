// A model's check runs in a process of its own (main/ai/model-check-process.ts), which the station
// can stop: on the AI thread, a model whose trial never ended kept a core busy until the station
// stopped (onnxruntime's session.run cannot be interrupted), a model whose trial took 4–5 GB took them
// from the station (a probe), and a runtime crashing on a hostile file would take the station down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { InferenceRunner } from '../../main/ai/inference.ts';
import { ModelCheckProcesses } from '../../main/ai/model-check-process.ts';
import { MEMORY_REPORT_LINE } from '../../main/ai/model-check-limits.ts';
import { describeModelProblem } from '../../common/ai/model-problems.ts';
import { fixtureManifest, slowModel, writeTinyModel } from '../helpers/onnx-models.ts';
import { ROOT, tempDir } from '../helpers/paths.ts';
import { spawn } from 'node:child_process';

const SHIPPED = path.join(ROOT, 'models', 'binome-synth-detector');
const MB = 1024 * 1024;

/** A model whose trial at a fixed 2048² input holds 16 channels of it at once (256 MB each). */
function writeGreedyModel(root: string, side = 2048): string {
  const folder = path.join(root, 'greedy');
  fs.mkdirSync(folder, { recursive: true });
  const bytes = slowModel(2);
  fs.writeFileSync(path.join(folder, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(fixtureManifest(bytes, { id: 'org.binome.tests.greedy', name: 'Greedy (test fixture)', imageScore: true }, (m) => {
    m.input.size = { mode: 'fixed', width: side, height: side };
    m.input.tensor.shape = [1, 1, side, side];
  })));
  return folder;
}

/** This process's children whose command line names the check's entry (Linux: /proc). */
function checkChildren(): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('model-check.process') ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

test('the shipped model passes its check in a process of its own, which says the memory its trial took and ends', { timeout: 120_000 }, async () => {
  const runner = new InferenceRunner();
  try {
    const checked = await runner.check(SHIPPED);
    assert.equal(checked.problem, null);
    assert.equal(checked.provider, 'cpu');
    assert.equal(checked.manifest?.id, 'org.binome.synth-detector');
    // about 280 MB for a whole breast at 0.1 mm here: more than the runtime's library alone, well under any limit
    assert.ok(checked.workingBytes! > 50 * MB && checked.workingBytes! < 2048 * MB, `${checked.workingBytes! / MB} MB`);
  } finally {
    await runner.close();
  }
  if (process.platform === 'linux') {
    // it ends by itself once its answer is sent
    const until = Date.now() + 5000;
    while (checkChildren().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(checkChildren(), [], 'no check process left');
  }
});

test('a model whose trial takes more memory than the limit is refused as such, its process killed; the station\'s memory is untouched and the other models are found', { timeout: 120_000 }, async () => {
  const root = tempDir('ai-greedy');
  writeGreedyModel(root);
  writeTinyModel(root);
  const runner = new InferenceRunner({ memoryLimitBytes: 150 * MB });
  const rssBefore = process.memoryUsage.rss();
  try {
    const found = await runner.discover([root]);
    assert.deepEqual(found.models.map((m) => m.manifest.id), ['org.binome.tests.bright-spots'], 'the other model is found');
    assert.deepEqual(found.refused.map((r) => [path.basename(r.folder), r.problem.code]), [['greedy', 'model_memory']]);
    const problem = found.refused[0]!.problem;
    assert.equal(problem.params?.limitMb, 150);
    // (past the limit by less than half a megabyte where the watch caught it: 150 once rounded, a flake)
    assert.ok(Number(problem.params?.mb) >= 150, `at least the limit: ${problem.params?.mb}`);
    assert.match(describeModelProblem('en', problem), /^opening it and its trial run on an image as large as it will be given took more than 150 MB of memory \(at least \d+ MB\) and were stopped: too much for this computer/);
    assert.match(describeModelProblem('fr', problem), /^l’ouvrir et son essai sur une image aussi grande que celles qu’il recevra ont pris plus de 150\u202fMo de mémoire \(au moins \d+\u202fMo\) et ont été arrêtés\u202f: trop pour cet ordinateur/);
    // the 256 MB activations were the check process's, not this one's
    assert.ok(process.memoryUsage.rss() - rssBefore < 200 * MB, `the station grew by ${(process.memoryUsage.rss() - rssBefore) / MB} MB`);
  } finally {
    await runner.close();
  }
});

test('a check past its time is stopped with its process: no core stays busy with a trial no one waits for', { timeout: 120_000, skip: process.platform === 'linux' ? false : 'counts the check processes in /proc (Linux)' }, async () => {
  const root = tempDir('ai-endless-check');
  writeGreedyModel(root, 4096); // its trial takes seconds here, memory allowed
  const runner = new InferenceRunner({ checkTimeoutMs: 300, memoryLimitBytes: 64 * 1024 * MB });
  try {
    const found = runner.discover([root]);
    // its process is there while it runs
    const until = Date.now() + 20_000;
    while (checkChildren().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const { refused } = await found;
    assert.deepEqual(refused.map((r) => r.problem.code), ['check_too_slow']);
    const gone = Date.now() + 5000;
    while (checkChildren().length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(checkChildren(), [], 'the check\'s process is gone, not left running its trial');
    assert.equal(runner.overrunThreads, 0, 'no AI thread holds the trial either');
  } finally {
    await runner.close();
  }
});

test('a check whose process dies without an answer (the runtime crashing on a hostile file) refuses the model, saying how it stopped; the station lives on', { timeout: 60_000 }, async () => {
  const dir = tempDir('ai-check-crash');
  const crashing = path.join(dir, 'crash.cjs');
  fs.writeFileSync(crashing, `process.once('message', () => { process.stderr.write('onnxruntime: bad graph\\n'); process.kill(process.pid, 'SIGSEGV'); });`);
  const checks = new ModelCheckProcesses({ file: async () => crashing });
  try {
    const checked = await checks.check(path.join(dir, 'some-model'), { timeoutMs: 30_000, memoryLimitBytes: 1024 * MB });
    assert.equal(checked.problem?.code, 'check_stopped');
    // said as what it may be (a crash, or a kill from outside), in the reader's language: the French read
    // "ne peut pas être chargé par le moteur ONNX (its check stopped …)" (a probe)
    assert.match(describeModelProblem('en', checked.problem!), /^its check stopped before it ended \((signal SIGSEGV|exit code \d+); its last words: onnxruntime: bad graph\): the ONNX runtime crashed on this file, or the process was stopped from outside/);
    assert.match(describeModelProblem('fr', checked.problem!), /^sa vérification s’est arrêtée avant la fin \((signal SIGSEGV|code de sortie \d+)\u202f; ses derniers mots\u202f: onnxruntime: bad graph\)\u202f: le moteur ONNX a planté/);
    assert.equal(checked.manifest, null);
  } finally {
    checks.close();
  }
});

test('a check whose station is killed (it could not kill its check) ends by itself: no trial left running on a core for good', { timeout: 120_000, skip: process.platform === 'linux' ? false : 'finds the check processes in /proc (Linux)' }, async () => {
  const root = tempDir('ai-orphan-check');
  writeGreedyModel(root, 4096);
  const checksNow = () => new Set(fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('model-check.process'); } catch { return false; }
  }));
  const before = checksNow();
  // a station checking its models, its check's limits far off (a trial of minutes, memory allowed)
  const station = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    import { InferenceRunner } from ${JSON.stringify(path.join(ROOT, 'main/ai/inference.ts'))};
    const runner = new InferenceRunner({ checkTimeoutMs: 600000, memoryLimitBytes: 64 * 1024 ** 3 });
    await runner.discover([${JSON.stringify(root)}]);`], { cwd: ROOT, stdio: 'ignore' });
  let check: string | undefined;
  const until = Date.now() + 60_000;
  while (!check && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    check = [...checksNow()].find((pid) => !before.has(pid));
  }
  assert.ok(check, 'the check started');
  station.kill('SIGKILL');
  const gone = Date.now() + 10_000;
  while (fs.existsSync(`/proc/${check}/cmdline`) && fs.readFileSync(`/proc/${check}/cmdline`, 'utf8').includes('model-check.process') && Date.now() < gone) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!checksNow().has(check!), 'the orphaned check ended');
});

test('the memory limit is the checks\' together: where checks running at once hold more, one set aside (slow) is stopped before a newcomer, and of the same kind the one holding most; the other goes on', { timeout: 60_000 }, async () => {
  // four slow, greedy models each under the limit held 10.6 GB together for two minutes (a probe); stopped
  // by size alone, a quick model of 3.4 GB was refused beside a never-ending one of 700 MB (a re-probe).
  // Stand-in checks that say what they hold as a check does: one endless, one that answers after 1.5 s
  const dir = tempDir('ai-checks-together');
  const holds = (mb: number) => `setInterval(() => process.stderr.write('${MEMORY_REPORT_LINE} ${mb * MB}\\n'), 50);`;
  const answers = (mb: number) => `setTimeout(() => process.send({ checked: { folder: 'x', problem: null, provider: 'cpu', manifest: null, manifestSha256: null }, workingBytes: ${mb * MB} }, () => process.exit(0)), 1500);`;
  fs.writeFileSync(path.join(dir, 'endless-600.cjs'), `process.once('message', () => { ${holds(600)} });`);
  fs.writeFileSync(path.join(dir, 'endless-800.cjs'), `process.once('message', () => { ${holds(800)} });`);
  fs.writeFileSync(path.join(dir, 'quick-900.cjs'), `process.once('message', () => { ${holds(900)} ${answers(900)} });`);
  fs.writeFileSync(path.join(dir, 'quick-600.cjs'), `process.once('message', () => { ${holds(600)} ${answers(600)} });`);
  const limits = { timeoutMs: 30_000, memoryLimitBytes: 1000 * MB };
  const pair = async (first: string, second: string, firstAsideMs?: number) => {
    let next = first;
    const checks = new ModelCheckProcesses({ file: async () => path.join(dir, next) });
    try {
      const a = checks.check('a', { ...limits, ...(firstAsideMs === undefined ? {} : { asideAfterMs: firstAsideMs }) });
      await new Promise((r) => setTimeout(r, 400)); // (alone, under the limit; set aside where it has a patience)
      next = second;
      return await Promise.all([a, checks.check('b', limits)]);
    } finally {
      checks.close();
    }
  };
  // the slow one, set aside, is stopped, though the newcomer holds more
  const [slow, quick] = await pair('endless-600.cjs', 'quick-900.cjs', 100);
  assert.deepEqual(slow.problem, { code: 'model_memory', params: { mb: 600, limitMb: 1000, together: 1 } });
  assert.match(describeModelProblem('en', slow.problem!), /held 600 MB while other models were checked beside it, the checks together past 1000 MB, and was stopped/);
  assert.match(describeModelProblem('fr', slow.problem!), /occupait 600\u202fMo pendant que d’autres modèles étaient vérifiés à côté, les vérifications ensemble au-delà de 1000\u202fMo/);
  assert.equal(quick.problem, null, 'the quick one went on to its answer');
  // neither set aside: the one holding most
  const [greedy, modest] = await pair('endless-800.cjs', 'quick-600.cjs');
  assert.deepEqual(greedy.problem, { code: 'model_memory', params: { mb: 800, limitMb: 1000, together: 1 } });
  assert.equal(modest.problem, null);
});

test('BINOME_AI_MODEL_MEMORY_MB: a plain number of megabytes from 512 sets the limit; anything else (0x100, 1e30, 0, -1, 64, abc) the default, said in the log', async () => {
  const { modelMemoryLimitBytes } = await import('../../main/ai/model-check-limits.ts');
  const os = await import('node:os');
  const fallback = Math.min(4 * 1024 * MB, Math.round(os.totalmem() / 4));
  const saved = process.env.BINOME_AI_MODEL_MEMORY_MB;
  try {
    for (const [value, expected] of [['2048', 2048 * MB], ['600.5', Math.round(600.5 * MB)], ['64', fallback], ['0x100', fallback], ['1e30', fallback], ['0', fallback], ['-1', fallback], ['abc', fallback], ['Infinity', fallback], ['0.001', fallback], ['', fallback]] as const) {
      process.env.BINOME_AI_MODEL_MEMORY_MB = value;
      assert.equal(modelMemoryLimitBytes(), expected, value);
    }
    // more than the computer has: what it has
    process.env.BINOME_AI_MODEL_MEMORY_MB = String(Math.ceil(os.totalmem() / MB) * 4);
    assert.equal(modelMemoryLimitBytes(), os.totalmem());
    // however many digits (a ten-digit number was refused as "not a number of megabytes from 512", a probe)
    process.env.BINOME_AI_MODEL_MEMORY_MB = '1000000000';
    assert.equal(modelMemoryLimitBytes(), os.totalmem());
  } finally {
    if (saved === undefined) delete process.env.BINOME_AI_MODEL_MEMORY_MB;
    else process.env.BINOME_AI_MODEL_MEMORY_MB = saved;
  }
});
