// Display renditions: reduced by area averaging, stored values kept, millimetres kept, every
// attribute the viewer reads copied, a derived instance pointing at its original; read back with
// dicom-parser as the viewer's loader reads it, and checked with dciodvfy where it is installed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { decodeFrame } from '../../main/dicom/pixels/decode.ts';
import { makeDisplayRendition } from '../../main/dicom/pixels/rendition.ts';
import { DEFAULT_DEMO_OPTIONS, planPatient } from '../../main/synth/plan.ts';
import { produceImage } from '../../main/synth/produce.ts';
import { SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { dcmtk, SKIP_NO_DCMTK, testPattern, writeTestImage } from '../helpers/pixel-files.ts';

const dir = tempDir('pixels-rendition');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A generated MONOCHROME1 + SIGMOID R-CC, 832 × 640, 0.28 mm. */
let original = '';
before(async () => {
  const patient = planPatient({ ...DEFAULT_DEMO_OPTIONS, seed: 'pixels-rendition', priors: 0, size: 'reduced', transferSyntax: 'explicit' }, 1);
  assert.equal(patient.variant, 'monochrome1-sigmoid');
  const exam = patient.exams[0]!;
  original = path.join(dir, (await produceImage(patient, exam, exam.images[0]!, dir)).file);
});

const parse = (bytes: Uint8Array) => dicomParser.parseDicom(bytes);

test('a rendition holds the area means of the original\'s stored values, at the same millimetres', async () => {
  const bytes = (await makeDisplayRendition(original, { maxSide: 208 }))!; // 832 × 640 → 208 × 160: 4 × 4 blocks
  const r = parse(bytes), o = parse(fs.readFileSync(original));
  assert.equal(r.string('x00020010'), '1.2.840.10008.1.2.1');
  assert.deepEqual([r.uint16('x00280010'), r.uint16('x00280011')], [208, 160]);
  const el = r.elements['x7fe00010']!;
  assert.equal(el.length, 208 * 160 * 2);
  assert.equal(el.vr, 'OW');
  const values = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + el.dataOffset, bytes.byteOffset + el.dataOffset + el.length));
  const source = (await decodeFrame(original)).pixels;
  for (let y = 0; y < 208; y++) for (let x = 0; x < 160; x++) {
    let sum = 0;
    for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) sum += source[(4 * y + dy) * 640 + 4 * x + dx]!;
    if (values[y * 160 + x] !== Math.round(sum / 16)) assert.fail(`pixel (${x}, ${y}): ${values[y * 160 + x]}, block mean ${sum / 16}`);
  }
  // one millimetre stays one millimetre: the same physical extent in both
  for (const tag of ['x00280030', 'x00181164']) {
    assert.ok(Math.abs(r.floatString(tag, 0)! * 208 - o.floatString(tag, 0)! * 832) < 1e-6, `${tag} rows`);
    assert.ok(Math.abs(r.floatString(tag, 1)! * 160 - o.floatString(tag, 1)! * 640) < 1e-6, `${tag} columns`);
  }
});

test('a rendition keeps what the viewer reads and is a derived instance of its original', async () => {
  const bytes = (await makeDisplayRendition(original, { maxSide: 256 }))!;
  const r = parse(bytes), o = parse(fs.readFileSync(original));
  for (const tag of [
    'x00080016', 'x00080060', 'x00280004', 'x00280100', 'x00280101', 'x00280102', 'x00280103', 'x00281052', 'x00281053',
    'x00281050', 'x00281051', 'x00281055', 'x00281056', 'x20500020', 'x00200062', 'x00185101', 'x00200020', 'x00181114',
    'x00281300', 'x00281350', 'x00100020', 'x00100010', 'x0020000d', 'x0020000e', 'x00080068',
  ]) {
    assert.ok(o.elements[tag], `the original has ${tag}`);
    assert.equal(r.string(tag) ?? r.uint16(tag), o.string(tag) ?? o.uint16(tag), tag);
  }
  assert.equal(r.string('x00280004'), 'MONOCHROME1');
  assert.equal(r.string('x00281056'), 'SIGMOID');
  const view = r.elements['x00540220']!.items![0]!.dataSet!;
  assert.equal(view.string('x00080100'), o.elements['x00540220']!.items![0]!.dataSet!.string('x00080100'));
  // a new instance, derived from the original's UID (the same each time), pointing at it
  const uid = r.string('x00080018');
  assert.notEqual(uid, o.string('x00080018'));
  assert.equal(r.string('x00020003'), uid);
  assert.equal(parse((await makeDisplayRendition(original, { maxSide: 256 }))!).string('x00080018'), uid);
  assert.equal(r.string('x00080008')!.split('\\')[0], 'DERIVED');
  assert.equal(r.string('x00082111'), 'display rendition');
  const source = r.elements['x00082112']!.items![0]!.dataSet!;
  assert.equal(source.string('x00081155'), o.string('x00080018'));
  assert.equal(source.string('x00081150'), o.string('x00080016'));
});

test('no rendition for an image that already fits; 8-bit stays 8-bit; a compressed source gives the same rendition as its native twin', { skip: SKIP_NO_DCMTK }, async () => {
  assert.equal(await makeDisplayRendition(original, { maxSide: 832 }), null);
  const small = path.join(dir, 'u8.dcm');
  writeTestImage(small, { rows: 90, columns: 70, bitsAllocated: 8, bitsStored: 8, pixels: Uint8Array.from(testPattern(90, 70, 0, 255)) });
  const r8 = parse((await makeDisplayRendition(small, { maxSide: 45 }))!);
  assert.deepEqual([r8.uint16('x00280100'), r8.uint16('x00280010'), r8.uint16('x00280011'), r8.elements['x7fe00010']!.vr], [8, 45, 35, 'OB']);
  const jpegLs = path.join(dir, 'jpeg-ls.dcm');
  dcmtk('dcmcjpls', original, jpegLs); // lossless: the same SOP Instance UID, the same pixels
  assert.deepEqual(await makeDisplayRendition(jpegLs, { maxSide: 300 }), await makeDisplayRendition(original, { maxSide: 300 }));
});

test('renditions made one after another and several at once on one thread are each their own image\'s (the frame array a thread keeps is lent to one at a time)', async () => {
  const other = path.join(dir, 'other-size.dcm');
  writeTestImage(other, { rows: 1200, columns: 900, bitsAllocated: 16, bitsStored: 12, pixels: Uint16Array.from(testPattern(1200, 900, 0, 4095)) });
  const files = [original, other, original, other];
  const oneByOne: (Uint8Array | null)[] = [];
  for (const file of files) oneByOne.push(await makeDisplayRendition(file, { maxSide: 300 }));
  const atOnce = await Promise.all(files.map((file) => makeDisplayRendition(file, { maxSide: 300 })));
  assert.notDeepEqual(oneByOne[0], oneByOne[1]);
  assert.deepEqual(oneByOne[2], oneByOne[0]);
  assert.deepEqual(atOnce, oneByOne);
});

const HAS_DCIODVFY = spawnSync('dciodvfy', [], { encoding: 'utf8' }).error === undefined;

/** dciodvfy's error lines for a file. */
function iodErrors(file: string): string[] {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

test('dciodvfy finds no error in a rendition that it does not find in its original', { skip: HAS_DCIODVFY ? false : 'dciodvfy (dicom3tools) is not installed' }, async () => {
  const files = [original, ...(SKIP_NO_SHARED ? [] : ['GH133.dcm', 'OutOfBoundsOverlay.dcm'].map((f) => path.join(SHARED_DICOM, 'fo-dicom', f)))];
  for (const file of files) {
    const out = path.join(dir, `rendition-${path.basename(file)}`);
    fs.writeFileSync(out, (await makeDisplayRendition(file, { maxSide: 512 }))!);
    const before = new Set(iodErrors(file));
    assert.deepEqual(iodErrors(out).filter((e) => !before.has(e)), [], path.basename(file));
  }
});

test('real renditions: GH133 keeps its VOI LUT Sequence and loses its icon; OutOfBoundsOverlay loses its overlays', { skip: SKIP_NO_SHARED }, async () => {
  const gh = fs.readFileSync(path.join(SHARED_DICOM, 'fo-dicom', 'GH133.dcm'));
  const r = parse((await makeDisplayRendition(path.join(SHARED_DICOM, 'fo-dicom', 'GH133.dcm'), { maxSide: 1024 }))!);
  const o = parse(gh);
  const lut = (ds: dicomParser.DataSet) => ds.elements['x00283010']!.items!.map((item) => {
    const data = item.dataSet!.elements['x00283006']!;
    return Buffer.from(item.dataSet!.byteArray.subarray(data.dataOffset, data.dataOffset + data.length)).toString('hex');
  });
  assert.deepEqual(lut(r), lut(o), 'VOI LUT Sequence (indexed by stored value) unchanged');
  assert.ok(o.elements['x00880200'] && !r.elements['x00880200'], 'icon dropped');
  assert.deepEqual([r.uint16('x00280010'), r.uint16('x00280011')], [1024, 801]);
  const oob = parse((await makeDisplayRendition(path.join(SHARED_DICOM, 'fo-dicom', 'OutOfBoundsOverlay.dcm'), { maxSide: 512 }))!);
  assert.deepEqual(Object.keys(oob.elements).filter((t) => t.startsWith('x60')), []);
});
