// Inspection on files the station must keep accepting: the real files of ../shared/data/dicom,
// dcmtk's encoders in every syntax it writes, and the synthetic generator in every syntax it writes.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { inspectBytes, inspectFile } from '../../main/dicom/inspect.ts';
import type { Inspection } from '../../main/dicom/inspect.ts';
import { checkCodestream, probeJpeg } from '../../main/dicom/codestream.ts';
import { TRANSFER_SYNTAXES } from '../../main/dicom/transfer-syntax.ts';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import { SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { TS, UIDS, validNative } from '../helpers/crafted-dicom.ts';

const dir = tempDir('inspect-real');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  return fs.readdirSync(root, { recursive: true }).map((f) => path.join(root, String(f))).filter((f) => fs.statSync(f).isFile()).sort();
}

function clean(result: Inspection, label: string): Extract<Inspection, { kind: 'instance' }> {
  assert.equal(result.kind, 'instance', `${label}: ${JSON.stringify(result).slice(0, 300)}`);
  const r = result as Extract<Inspection, { kind: 'instance' }>;
  assert.deepEqual(r.warnings, [], label);
  return r;
}

test('every real file of the shared data is accepted as before; licences and notes are not DICOM', { skip: SKIP_NO_SHARED }, async () => {
  const kinds = new Map<string, string>();
  for (const file of files(SHARED_DICOM)) {
    const rel = path.relative(SHARED_DICOM, file);
    const result = await inspectFile(file);
    if (/\.(md|txt)$/.test(file)) {
      assert.equal(result.kind, 'not-dicom', rel);
      continue;
    }
    assert.ok(result.kind === 'instance' || result.kind === 'dicomdir', `${rel}: ${JSON.stringify(result).slice(0, 300)}`);
    if (result.kind === 'instance') {
      assert.deepEqual(result.warnings, [], rel);
      assert.equal(result.contentLength, fs.statSync(file).size, rel);
      assert.deepEqual(inspectBytes(fs.readFileSync(file)), result, rel);
    }
    kinds.set(rel, result.kind);
  }
  assert.equal(kinds.get('fo-dicom/GH133.dcm'), 'instance');
  assert.equal(kinds.get('pydicom-dicomdir/DICOMDIR'), 'dicomdir');
  assert.equal([...kinds.values()].filter((k) => k === 'instance').length, 39);
  assert.equal([...kinds.values()].filter((k) => k === 'dicomdir').length, 2);
});

test('GH133 and OutOfBoundsOverlay: real JPEG Lossless mammograms whose SOF3 says 16 bits for 12 stored', { skip: SKIP_NO_SHARED }, () => {
  for (const [name, rows, columns] of [['GH133.dcm', 3062, 2394], ['OutOfBoundsOverlay.dcm', 788, 1318]] as const) {
    const bytes = fs.readFileSync(path.join(SHARED_DICOM, 'fo-dicom', name));
    const r = clean(inspectBytes(bytes), name);
    assert.deepEqual([r.instance.rows, r.instance.columns, r.instance.bitsStored, r.instance.bitsAllocated], [rows, columns, 12, 16]);
    // The top-level pixel data's first fragment (GH133 also holds a JPEG icon in a sequence before it).
    const at = Buffer.from(bytes).lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42]));
    const table = bytes.readUInt32LE(at + 16);
    const first = at + 12 + 8 + table + 8;
    const length = bytes.readUInt32LE(first - 4);
    const probe = probeJpeg(bytes.subarray(first, first + 4096));
    assert.equal(probe.kind, 'frame');
    if (probe.kind === 'frame') assert.deepEqual([probe.marker, probe.image.precision, probe.image.rows, probe.image.columns, probe.image.components], [0xc3, 16, rows, columns, 1]);
    const declared = { rows, columns, samples: 1, bitsAllocated: 16, bitsStored: 12 };
    assert.equal(checkCodestream(bytes.subarray(first, first + 4096), false, length, TRANSFER_SYNTAXES.get(TS.jpegLosslessSv1)!, declared), null);
    // And the same frame declared 14 bits stored in 12 allocated would not pass.
    assert.equal((checkCodestream(bytes.subarray(first, first + 4096), false, length, TRANSFER_SYNTAXES.get(TS.jpegLosslessSv1)!, { ...declared, bitsAllocated: 12 }) as { code: string }).code, 'codestream_dimensions');
  }
});

const dcmtk = spawnSync('dcmcjpeg', ['--version']).status === 0 && spawnSync('dcmcjpls', ['--version']).status === 0 && spawnSync('dcmcrle', ['--version']).status === 0;

test('files compressed by dcmtk in every syntax it writes pass', { skip: dcmtk ? false : 'dcmtk (dcmcjpeg, dcmcjpls, dcmcrle, dcmconv) is not installed' }, async () => {
  const write = (name: string, bytes: Uint8Array) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };
  const grey8 = write('grey8.dcm', validNative({ bitsAllocated: 8 }));
  const rgb8 = write('rgb8.dcm', validNative({ bitsAllocated: 8, samples: 3 }));
  const grey12 = write('grey12.dcm', validNative());
  const frames12 = write('frames12.dcm', validNative({ frames: 3, rows: 128, columns: 96 }));
  const cases: [string, string, string[], string, string][] = [
    ['JPEG baseline 8-bit', 'dcmcjpeg', ['+eb'], grey8, TS.jpegBaseline],
    ['JPEG baseline 8-bit RGB', 'dcmcjpeg', ['+eb'], rgb8, TS.jpegBaseline],
    ['JPEG extended 12-bit', 'dcmcjpeg', ['+ee'], grey12, TS.jpegExtended],
    ['JPEG lossless (process 14)', 'dcmcjpeg', ['+el'], grey12, TS.jpegLossless],
    ['JPEG lossless SV1', 'dcmcjpeg', ['+e1'], grey12, TS.jpegLosslessSv1],
    ['JPEG lossless SV1, 3 frames in 1 KiB fragments', 'dcmcjpeg', ['+e1', '+fs', '1'], frames12, TS.jpegLosslessSv1],
    ['JPEG-LS lossless', 'dcmcjpls', ['+el'], grey12, TS.jpegLs],
    ['JPEG-LS near-lossless', 'dcmcjpls', ['+en'], grey12, TS.jpegLsNear],
    ['JPEG-LS, 3 frames', 'dcmcjpls', [], frames12, TS.jpegLs],
    ['RLE', 'dcmcrle', [], grey12, TS.rle],
    ['RLE RGB', 'dcmcrle', [], rgb8, TS.rle],
    ['RLE, 3 frames', 'dcmcrle', [], frames12, TS.rle],
    ['deflated', 'dcmconv', ['+td'], grey12, TS.deflated],
    ['big endian', 'dcmconv', ['+tb'], grey12, TS.bigEndian],
    ['implicit', 'dcmconv', ['+ti'], grey12, TS.implicit],
  ];
  for (const [label, tool, args, input, ts] of cases) {
    const out = path.join(dir, `${label.replace(/\W+/g, '-')}.dcm`);
    const run = spawnSync(tool, [...args, input, out], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${label}: ${run.stderr}`);
    const r = clean(await inspectFile(out), label);
    assert.equal(r.instance.transferSyntaxUid, ts, label);
    assert.equal(r.instance.isImage, true, label);
    assert.equal(r.instance.study.uid, UIDS.study, label); // lossy encoders give the instance a new UID
  }
});

test('the synthetic generator\'s exams pass in every syntax it writes (MONOCHROME1, JPEG-LS, JPEG 2000, HTJ2K)', async () => {
  const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 6, priors: 1, size: 'reduced' }, path.join(dir, 'demo'));
  const htj2k = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, patients: 1, priors: 0, size: 'reduced', transferSyntax: 'htj2k', variants: false }, path.join(dir, 'demo-htj2k'));
  const seen = new Set<string>();
  for (const file of [...demo.dicomFiles, ...htj2k.dicomFiles]) {
    const r = clean(await inspectFile(file), path.basename(file));
    assert.equal(r.instance.isImage, true);
    seen.add(r.instance.transferSyntaxUid);
    seen.add(r.instance.photometricInterpretation ?? '');
  }
  for (const expected of [TS.explicit, TS.jpegLs, TS.j2k, TS.htj2k, 'MONOCHROME1', 'MONOCHROME2']) assert.ok(seen.has(expected), `${expected} in ${[...seen]}`);
});
