import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFile, checkLayers } from '../../scripts/layers.ts';
import { ROOT } from '../helpers/paths.ts';

test('every source file imports only from its own room', () => {
  const { files, problems } = checkLayers(ROOT);
  assert.ok(files > 20, `checked ${files} files`);
  assert.deepEqual(problems, []);
});

test('the rule catches each kind of forbidden import', () => {
  const cases: [string, string, RegExp][] = [
    ['common/x.ts', "import fs from 'node:fs';", /Node built-in/],
    ['common/x.ts', "import { app } from 'electron';", /electron package/],
    ['common/x.ts', "import React from 'react';", /dom package/],
    ['common/x.ts', "import { a } from '../main/service/station.ts';", /may only import from common\//],
    ['renderer/x.ts', "import { a } from '../main/service/station.ts';", /may only import from renderer\/, common\//],
    ['renderer/x.ts', "import path from 'path';", /Node built-in/],
    ['renderer/x.ts', "import Database from 'better-sqlite3';", /node package/],
    ['renderer/x.ts', "import { ipcRenderer } from 'electron';", /electron package/],
    ['main/service/station.ts', "import { BrowserWindow } from 'electron';", /electron package/],
    ['main/service/station.ts', "import { x } from '../../renderer/App.tsx';", /service files may only import from/],
    ['main/import/x.ts', "import leftpad from 'left-pad';", /not classed/],
    ['main/electron/preload.preload.ts', "import fs from 'node:fs';", /Node built-in/],
    ['main/electron/preload.preload.ts', "import { StationService } from '../service/station.ts';", /may only import from common\//],
    // inside main, imports point down the rooms, never up
    ['main/db/worklist.ts', "import type { ParsedInstance } from '../dicom/parse.ts';", /db files may only import from main\/db\/, main\/base\/, common\//],
    ['main/dicom/parse.ts', "import { LibraryDatabase } from '../db/library-database.ts';", /dicom files may only import/],
    ['main/import/importer.ts', "import { StationService } from '../service/station.ts';", /import files may only import/],
    ['main/synth/demo.ts', "import { Importer } from '../import/importer.ts';", /synth files may only import/],
    ['main/transport/http.ts', "import { LibraryDatabase } from '../db/library-database.ts';", /transport files may only import/],
    ['main/cli.ts', "import { generateDemo } from './synth/demo.ts';", /cli files may only import/],
    ['main/base/log.ts', "import { x } from '../workers/pool.ts';", /base files may only import from main\/base\/, common\//],
    ['main/service/station.ts', "import { registerIpc } from '../electron/ipc.ts';", /service files may only import/],
    ['main/stray.ts', "export const x = 1;", /is in no room/],
    // computed and indirect loading is seen too
    ['main/dicom/codecs.ts', "const require = createRequire(import.meta.url); const m = require(name);", /computed name/],
    ['main/dicom/codecs.ts', "const require = createRequire(import.meta.url); require('left-pad');", /not classed/],
    ['main/workers/x.mjs', "await import('better-sqlite3'); import('electron');", /electron package/],
    ['common/x.ts', "export * from '../main/db.ts';", /may only import from common\//],
    ['common/x.ts', "const m = await import('node:path');", /Node built-in/],
  ];
  for (const [file, source, expected] of cases) {
    const problems = checkFile(file, source);
    assert.equal(problems.length, 1, `${file}: ${source} → ${problems.join('; ')}`);
    assert.match(problems[0]!, expected);
  }
  // and lets the allowed ones through
  assert.deepEqual(checkFile('main/electron/main.ts', "import { app } from 'electron'; import fs from 'node:fs'; import { a } from '../service/station.ts';"), []);
  assert.deepEqual(checkFile('main/service/station.ts', "import { a } from '../import/importer.ts'; import { b } from '../db/library-database.ts'; import { c } from '../base/log.ts';"), []);
  assert.deepEqual(checkFile('main/import/importer.ts', "import { a } from '../workers/pool.ts'; import { b } from '../dicom/parse.ts'; import { c } from '../db/imports.ts';"), []);
  assert.deepEqual(checkFile('renderer/x.tsx', "import { z } from 'zod'; import { RenderingEngine } from '@cornerstonejs/core'; import { a } from '../common/api.ts';"), []);
});
