// electron-builder.yml, checked by electron-builder's own loader and schema validator (packaging
// itself needs the internet): the file is valid, and the fuses are the hardened ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../helpers/paths.ts';

interface BuilderConfig { electronFuses?: Record<string, boolean>; asar?: boolean; [key: string]: unknown }
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require(path.join(ROOT, 'node_modules', 'app-builder-lib', 'out', 'util', 'config', 'config.js')) as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: object | null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const quiet = { isEnabled: false, add() {} };

// electron-builder logs "  • loaded configuration" to stdout in three writes. A test file's stdout is
// also the channel of Node 20's test runner, whose reader takes the six bytes "  • " read just after
// a report as a report's header with a negative length and fails the file ("Unable to deserialize
// cloned data"; it failed a clean-clone run). Its lines are kept here instead.
const builderLog = require(require.resolve('builder-util', { paths: [path.join(ROOT, 'node_modules', 'app-builder-lib')] })) as { log: { stream: { write(text: string): boolean } } };
const builderLines: string[] = [];
builderLog.log.stream = { write: (text: string) => { builderLines.push(text); return true; } };

test('electron-builder.yml is valid for electron-builder and turns the unused fuses off', async () => {
  const config = await getConfig(ROOT, null, null);
  assert.match(builderLines.join(''), /loaded configuration/, "electron-builder's log was kept off stdout");
  await validateConfiguration(config, quiet);
  assert.equal(config.asar, true);
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    grantFileProtocolExtraPrivileges: false,
  });
  // the validator is live: a misspelt fuse is refused
  await assert.rejects(validateConfiguration({ ...config, electronFuses: { ...config.electronFuses, embeddedAsarIntegrityValidation: true } }, quiet), /does not match the API schema/);
});
