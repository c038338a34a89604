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
    ['main/service/station.ts', "import { x } from '../renderer/App.tsx';", /may only import from main\/, common\//],
    ['main/x.ts', "import leftpad from 'left-pad';", /not classed/],
    ['main/electron/preload.preload.ts', "import fs from 'node:fs';", /Node built-in/],
    ['main/electron/preload.preload.ts', "import { StationService } from '../service.ts';", /may only import from common\//],
    ['common/x.ts', "export * from '../main/db.ts';", /may only import from common\//],
    ['common/x.ts', "const m = await import('node:path');", /Node built-in/],
  ];
  for (const [file, source, expected] of cases) {
    const problems = checkFile(file, source);
    assert.equal(problems.length, 1, `${file}: ${source} → ${problems.join('; ')}`);
    assert.match(problems[0]!, expected);
  }
  // and lets the allowed ones through
  assert.deepEqual(checkFile('main/electron/main.ts', "import { app } from 'electron'; import fs from 'node:fs'; import { a } from '../service.ts';"), []);
  assert.deepEqual(checkFile('renderer/x.tsx', "import { z } from 'zod'; import { RenderingEngine } from '@cornerstonejs/core'; import { a } from '../common/api.ts';"), []);
});
