// The synthetic generator's compressed exams (JPEG-LS, JPEG 2000, HTJ2K) decode to exactly the
// pixels of their uncompressed twins (same seed, same plan).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import type { TransferSyntaxName } from '../../main/synth/plan.ts';
import { tempDir } from '../helpers/paths.ts';
import { difference } from '../helpers/pixel-files.ts';

const dir = tempDir('pixels-generator');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('generated JPEG-LS, JPEG 2000 and HTJ2K images decode to their native twins exactly', async () => {
  const files = new Map<TransferSyntaxName, string[]>();
  // One exam per syntax, each made by its own worker pool (a thread that loads two codecs through
  // main/dicom/codecs.ts fails: see that file's module loading).
  for (const transferSyntax of ['explicit', 'jpeg-ls', 'j2k', 'htj2k'] as const) {
    const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed: 'pixels-twins', patients: 1, priors: 0, variants: false, size: 'reduced', transferSyntax }, path.join(dir, transferSyntax), { workers: 2 });
    files.set(transferSyntax, demo.dicomFiles.map((f) => path.relative(path.join(dir, transferSyntax), f)).sort());
  }
  const twins = files.get('explicit')!;
  assert.equal(twins.length, 4);
  for (const syntax of ['jpeg-ls', 'j2k', 'htj2k'] as const) {
    assert.deepEqual(files.get(syntax), twins);
    for (const file of twins) {
      const [compressed, native] = await Promise.all([decodeFrame(path.join(dir, syntax, file)), decodeFrame(path.join(dir, 'explicit', file))]);
      assert.notEqual(compressed.header.transferSyntax.uid, native.header.transferSyntax.uid);
      assert.equal(difference(compressed.pixels, native.pixels).max, 0, `${syntax} ${file}`);
    }
  }
});
