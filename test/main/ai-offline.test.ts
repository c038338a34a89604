// Opening a model leaves nothing behind and keeps the runtime's telemetry off: onnxruntime-node
// 1.30 would otherwise write a device identifier under ~/.cache/Microsoft, leave an empty
// mat-debug-<pid>.log and a .ses file in the temporary folder of every process that opens a model,
// and try HTTPS uploads. Each way the station opens a model runs in a child process whose home and
// temporary folder are fresh, without the CI variables under which the runtime keeps quiet by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers/paths.ts';

const MODEL = path.join(ROOT, 'models', 'binome-synth-detector');
const source = (file: string) => JSON.stringify(path.join(ROOT, file));
// the variables under which the runtime sends nothing anyway (its CI detection), and its own switch
const QUIETING = ['ORT_DISABLE_TELEMETRY', 'CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL',
  'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER', 'XDG_CACHE_HOME'];

function openModelIn(script: string): { left: string[] } {
  const home = tempDir('offline-home');
  const tmp = tempDir('offline-tmp');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp, TSX_DISABLE_CACHE: '1' };
  for (const name of QUIETING) delete env[name];
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /opened on cpu/);
  const left = [home, tmp].flatMap((dir) => fs.readdirSync(dir, { recursive: true }).map((f) => path.join(path.basename(dir), String(f))));
  return { left };
}

test('the station\'s model threads open a model without telemetry and leave nothing in the home or temporary folder', () => {
  const { left } = openModelIn(`
    import { InferenceRunner } from ${source('main/ai/inference.ts')};
    const runner = new InferenceRunner();
    const checked = await runner.check(${JSON.stringify(MODEL)}, ['cpu']);
    await runner.close();
    if (checked.problem) throw new Error(JSON.stringify(checked.problem));
    console.log('opened on ' + checked.provider);`);
  assert.deepEqual(left, []);
});

test('a model opened on the main thread (the evaluation, the model checks) leaves nothing either', () => {
  const { left } = openModelIn(`
    import { checkModelFolder } from ${source('main/ai/model-package.ts')};
    const checked = await checkModelFolder(${JSON.stringify(MODEL)}, { providers: ['cpu'] });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problem));
    await checked.model.opened.session.release();
    console.log('opened on ' + checked.model.opened.provider);`);
  assert.deepEqual(left, []);
});
