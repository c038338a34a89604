// Import-side inspection (main/dicom/inspect.ts) on crafted files: each broken kind rejected with
// its code (or accepted with a warning), never with a parser's own exception text, within bounds.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { deflateRawSync } from 'node:zlib';
import { inspectBytes, inspectFile, inspectSource, DEFAULT_INSPECT_LIMITS } from '../../main/dicom/inspect.ts';
import type { Inspection } from '../../main/dicom/inspect.ts';
import { FileSource } from '../../main/dicom/source.ts';
import { encodeLossless } from '../../main/dicom/codecs.ts';
import { describeProblem, IMPORT_PROBLEM_CODES, WARNING_CODES } from '../../common/import-problems.ts';
import type { ImportProblemCode } from '../../common/import-problems.ts';
import { tempDir } from '../helpers/paths.ts';
import {
  assemble, baseDataset, deeplyNested, element, elementHeader, encapsulatedPixelData, gradient, itemHeader, ITEM_DELIMITER,
  metaEnd, nativePixelData, noise, offsetsOf, rleFrame, SEQUENCE_DELIMITER, SOP_CLASSES, TS, UIDS, unclosedSequence,
  validNative, writeHugeNonImage, writeManyFragments,
} from '../helpers/crafted-dicom.ts';

const dir = tempDir('inspect');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const px = gradient(64, 48);
const pixels16 = (bytes: Uint8Array) => new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

function damaged(result: Inspection, code: ImportProblemCode, params?: Record<string, string | number>): Extract<Inspection, { kind: 'damaged' }> {
  assert.equal(result.kind, 'damaged', JSON.stringify(result).slice(0, 300));
  const d = result as Extract<Inspection, { kind: 'damaged' }>;
  assert.equal(d.problem.code, code, JSON.stringify(d.problem));
  if (params) for (const [k, v] of Object.entries(params)) assert.equal(d.problem.params?.[k], v, `${k} in ${JSON.stringify(d.problem)}`);
  // Every parameter a sentence names is given ("…" stands only for a value that is not shown).
  const unshown = Object.values(d.problem.params ?? {}).includes('…');
  for (const locale of ['en', 'fr'] as const) if (!unshown) assert.doesNotMatch(describeProblem(locale, d.problem), /…/, describeProblem(locale, d.problem));
  return d;
}

function accepted(result: Inspection, warnings: ImportProblemCode[] = []): Extract<Inspection, { kind: 'instance' }> {
  assert.equal(result.kind, 'instance', JSON.stringify(result).slice(0, 300));
  const r = result as Extract<Inspection, { kind: 'instance' }>;
  assert.deepEqual(r.warnings.map((w) => w.code), warnings);
  for (const w of r.warnings) assert.ok(WARNING_CODES.has(w.code), w.code);
  return r;
}

const withIds = (d: Extract<Inspection, { kind: 'damaged' }>) => assert.deepEqual(d.ids, { studyUid: UIDS.study, sopInstanceUid: UIDS.sop });

test('a valid native file is accepted with its attributes, in every native encoding written here', () => {
  for (const ts of [TS.explicit, TS.implicit]) {
    const bytes = validNative({}, ts);
    const r = accepted(inspectBytes(bytes));
    assert.equal(r.contentLength, bytes.length);
    assert.equal(r.instance.transferSyntaxUid, ts);
    assert.deepEqual([r.instance.rows, r.instance.columns, r.instance.bitsStored, r.instance.isImage], [64, 48, 12, true]);
    assert.equal(r.instance.study.uid, UIDS.study);
    assert.equal(r.instance.patient.name, 'CRAFTED^FILE');
    assert.equal(r.instance.imageLaterality, 'L');
  }
  const multi = accepted(inspectBytes(validNative({ frames: 3, rows: 16, columns: 16 })));
  assert.equal(multi.instance.numberOfFrames, 3);
  accepted(inspectBytes(validNative({ bitsAllocated: 8, samples: 3, rows: 7, columns: 5 }))); // odd length, padded
});

test('unknown transfer syntax 1.2.3.4 is refused, with the UIDs of its exam', () => {
  const d = damaged(inspectBytes(assemble(baseDataset(), '1.2.3.4', { pixelData: nativePixelData(px) })), 'unknown_transfer_syntax', { uid: '1.2.3.4' });
  assert.equal(d.ids.sopInstanceUid, UIDS.sop); // from the meta header: the data set's encoding is unknown
  // A transfer syntax "UID" holding text never reaches a parameter.
  damaged(inspectBytes(assemble(baseDataset(), 'SMITH JOHN', { pixelData: nativePixelData(px) })), 'unknown_transfer_syntax', { uid: '…' });
});

test('encapsulated pixel data in a native syntax, and native pixel data in a compressed one', async () => {
  withIds(damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { pixelData: encapsulatedPixelData([px]) })), 'encapsulated_in_native', { uid: TS.explicit }));
  const ls = await encodeLossless('jpeg-ls', pixels16(px), 48, 64, 12);
  accepted(inspectBytes(assemble(baseDataset(), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) })));
  withIds(damaged(inspectBytes(assemble(baseDataset(), TS.jpegLs, { pixelData: nativePixelData(px) })), 'native_in_encapsulated', { uid: TS.jpegLs }));
});

test('a JPEG-declared file whose fragment is not JPEG (the tomosynthesis slice exported as CT)', async () => {
  const j2k = await encodeLossless('j2k', pixels16(px), 48, 64, 12);
  accepted(inspectBytes(assemble(baseDataset(), TS.j2k, { pixelData: encapsulatedPixelData([j2k]) })));
  const ct = baseDataset({ sopClassUid: SOP_CLASSES.ct }, { Modality: 'CT' });
  damaged(inspectBytes(assemble(ct, TS.jpegLosslessSv1, { pixelData: encapsulatedPixelData([j2k]) })), 'codestream_mismatch', { expected: 'JPEG Lossless', found: 'JPEG 2000', uid: TS.jpegLosslessSv1 });
  damaged(inspectBytes(assemble(baseDataset(), TS.jpegBaseline, { pixelData: encapsulatedPixelData([noise(5000)]) })), 'codestream_unknown', { expected: 'JPEG' });
  const ls = await encodeLossless('jpeg-ls', pixels16(px), 48, 64, 12);
  damaged(inspectBytes(assemble(baseDataset(), TS.jpegLossless, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_mismatch', { found: 'JPEG-LS' });
  damaged(inspectBytes(assemble(baseDataset(), TS.j2k, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_mismatch', { expected: 'JPEG 2000', found: 'JPEG-LS' });
  damaged(inspectBytes(assemble(baseDataset(), TS.rle, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_mismatch', { expected: 'RLE', found: 'JPEG-LS' });
  // An empty first fragment holds no codestream at all.
  damaged(inspectBytes(assemble(baseDataset(), TS.jpegLs, { pixelData: encapsulatedPixelData([new Uint8Array(0)]) })), 'codestream_unknown');
});

test('a JPEG-LS file whose SOF says another size, and JPEG 2000 / HTJ2K files whose SIZ does', async () => {
  const ls = await encodeLossless('jpeg-ls', pixels16(px), 48, 64, 12);
  damaged(inspectBytes(assemble(baseDataset({ rows: 64, columns: 40 }), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_dimensions', { codedColumns: 48, codedRows: 64, columns: 40 });
  // Precision above Bits Allocated, or below Bits Stored.
  damaged(inspectBytes(assemble(baseDataset({ bitsStored: 14 }), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_dimensions', { codedBits: 12, bitsStored: 14 });
  damaged(inspectBytes(assemble(baseDataset({ samples: 3 }), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) })), 'codestream_dimensions', { codedComponents: 1, samples: 3 });
  for (const [codec, ts] of [['j2k', TS.j2k], ['htj2k', TS.htj2k]] as const) {
    const coded = await encodeLossless(codec, pixels16(px), 48, 64, 12);
    accepted(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([coded]) })));
    damaged(inspectBytes(assemble(baseDataset({ rows: 32 }), ts, { pixelData: encapsulatedPixelData([coded]) })), 'codestream_dimensions', { codedRows: 64, rows: 32 });
  }
});

test('a frame cut short inside its codestream (item lengths written to fit) is refused: its decoder might show the part it read', async () => {
  for (const [codec, ts] of [['jpeg-ls', TS.jpegLs], ['j2k', TS.j2k], ['htj2k', TS.htj2k]] as const) {
    const whole = await encodeLossless(codec, pixels16(px), 48, 64, 12);
    const cut = whole.subarray(0, Math.floor(whole.length * 0.8) & ~1);
    const format = { 'jpeg-ls': 'JPEG-LS', j2k: 'JPEG 2000', htj2k: 'HTJ2K' }[codec];
    accepted(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([whole]) })));
    damaged(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([cut]) })), 'codestream_truncated', { format, frame: 1 });
    // One frame in two fragments, the last short: the end marker split across them (FF | D9, then
    // the pad byte) where the codestream's length is odd, else the marker alone in the last.
    const split = whole.length % 2 ? whole.length - 1 : whole.length - 2;
    accepted(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([whole.subarray(0, split), whole.subarray(split)]) })));
    // A few padding bytes after the marker are allowed; the marker far before the end is not the end.
    accepted(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([Buffer.concat([whole, new Uint8Array(6)])]) })));
    damaged(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([Buffer.concat([whole, noise(200)])]) })), 'codestream_truncated');
    // Several frames: one fragment each, the second cut short.
    const three = baseDataset({ frames: 3 });
    accepted(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData([whole, whole, whole]) })));
    damaged(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData([whole, cut, whole]) })), 'codestream_truncated', { frame: 2 });
    // Frames of two fragments each placed by the offset table: the second frame cut short; and a
    // frame whose only fragment holds no marker, after a frame that ends whole (not looked past).
    const halves = (c: Uint8Array) => [c.subarray(0, 100), c.subarray(100)];
    const frames = [halves(whole), halves(cut), halves(whole)];
    const table = (fs: Uint8Array[][]) => { const o: number[] = []; let at = 0; for (const f of fs) { o.push(at); for (const g of f) at += 8 + g.length + (g.length % 2); } return o; };
    accepted(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData([...halves(whole), ...halves(whole), ...halves(whole)], { offsets: table([halves(whole), halves(whole), halves(whole)]) }) })));
    damaged(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData(frames.flat(), { offsets: table(frames) }) })), 'codestream_truncated', { frame: 2 });
    const two = baseDataset({ frames: 2 });
    const tiny = [halves(whole), [new Uint8Array(4)]];
    damaged(inspectBytes(assemble(two, ts, { pixelData: encapsulatedPixelData(tiny.flat(), { offsets: table(tiny) }) })), 'codestream_truncated', { frame: 2 });
    // Without an offset table, frames in several fragments each are found where a codestream starts
    // (as the pixel pipeline finds them): a cut middle frame is refused, and a last frame whose
    // end marker lies in its last fragment but one (a short or empty last fragment) is whole.
    damaged(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData(frames.flat()) })), 'codestream_truncated', { frame: 2 });
    const splitEnd = [halves(whole), halves(whole), [whole.subarray(0, split), whole.subarray(split)]];
    accepted(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData(splitEnd.flat()) })));
    accepted(inspectBytes(assemble(three, ts, { pixelData: encapsulatedPixelData([...halves(whole), ...halves(whole), ...halves(whole), new Uint8Array(0)]) })));
    // by the Extended Offset Table (64-bit offsets, the Basic Offset Table empty)
    const extended = (fs: Uint8Array[][]) => { const o = Buffer.alloc(8 * fs.length); table(fs).forEach((v, k) => o.writeBigUInt64LE(BigInt(v), 8 * k)); return o; };
    const eot = (fs: Uint8Array[][]) => new Uint8Array(Buffer.concat([element(0x7fe0, 0x0001, 'OV', extended(fs)), element(0x7fe0, 0x0002, 'OV', new Uint8Array(24))]));
    damaged(inspectBytes(assemble(three, ts, { beforePixelData: eot(frames), pixelData: encapsulatedPixelData(frames.flat()) })), 'codestream_truncated', { frame: 2 });
    accepted(inspectBytes(assemble(three, ts, { beforePixelData: eot(splitEnd), pixelData: encapsulatedPixelData(splitEnd.flat()) })));
    // Zero padding after the marker, however long a writer makes it (up to 1 MiB), is not damage.
    accepted(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([Buffer.concat([whole, new Uint8Array(1000)])]) })));
    damaged(inspectBytes(assemble(baseDataset(), ts, { pixelData: encapsulatedPixelData([Buffer.concat([cut, new Uint8Array(1000)])]) })), 'codestream_truncated');
  }
});

test('RLE: the header must hold one segment per byte of each sample', () => {
  accepted(inspectBytes(assemble(baseDataset(), TS.rle, { pixelData: encapsulatedPixelData([rleFrame(px, 2)]) })));
  damaged(inspectBytes(assemble(baseDataset(), TS.rle, { pixelData: encapsulatedPixelData([rleFrame(px, 2, 1)]) })), 'rle_segments', { count: 1, expected: 2 });
  damaged(inspectBytes(assemble(baseDataset(), TS.rle, { pixelData: encapsulatedPixelData([noise(200)]) })), 'codestream_unknown', { expected: 'RLE' });
});

test('absurd dimensions: 65535 × 65535 with little pixel data, no rows, too many frames', () => {
  withIds(damaged(inspectBytes(assemble(baseDataset({ rows: 65535, columns: 65535 }), TS.explicit, { pixelData: nativePixelData(px) })), 'absurd_dimensions', { rows: 65535, columns: 65535 }));
  damaged(inspectBytes(assemble(baseDataset({ rows: 0 }), TS.explicit, { pixelData: nativePixelData(px) })), 'absurd_dimensions', { rows: 0 });
  damaged(inspectBytes(assemble(baseDataset({ frames: 100_000 }), TS.explicit, { pixelData: nativePixelData(px) })), 'absurd_dimensions', { frames: 100_000 });
  damaged(inspectBytes(assemble(baseDataset({}, { NumberOfFrames: 0 }), TS.explicit, { pixelData: nativePixelData(px) })), 'absurd_dimensions', { frames: 0 });
  // Within the limits each, not together: 16384 × 16384 × 3 samples × 2 bytes × 5000 frames.
  damaged(inspectBytes(assemble(baseDataset({ rows: 16384, columns: 16384, samples: 3, frames: 5000 }), TS.explicit, { pixelData: nativePixelData(px) })), 'absurd_dimensions');
  // The limits are the caller's to set.
  damaged(inspectBytes(validNative(), { maxDimension: 32 }), 'absurd_dimensions', { rows: 64 });
  damaged(inspectBytes(validNative(), { maxElements: 10 }), 'too_many_elements', { limit: 10 });
  damaged(inspectBytes(validNative(), { maxHeaderBytes: 300 }), 'too_large', { limit: 300 });
});

test('deflated data sets are inflated within a bound; a broken stream is refused as such', () => {
  const explicit = validNative();
  const meta = assemble(baseDataset(), TS.deflated);
  const file = (body: Uint8Array) => Buffer.concat([meta.subarray(0, metaEnd(meta)), body]);
  const deflated = deflateRawSync(explicit.subarray(metaEnd(explicit)));
  const r = accepted(inspectBytes(file(deflated)));
  assert.equal(r.instance.transferSyntaxUid, TS.deflated);
  assert.equal(r.contentLength, file(deflated).length);
  damaged(inspectBytes(file(deflated), { maxInflatedBytes: 1000 }), 'too_large', { limit: 1000 });
  damaged(inspectBytes(file(noise(500))), 'deflate_failed');
});

test('10 million empty fragments (80 MB) are refused in well under 2 s; with the limit lifted, walked whole', (ctx) => {
  const file = path.join(dir, 'fragments.dcm');
  writeManyFragments(file, 10_000_000);
  assert.ok(fs.statSync(file).size > 80_000_000);
  let t = performance.now();
  return inspectFile(file).then(async (r) => {
    const limited = performance.now() - t;
    damaged(r, 'too_many_fragments', { limit: DEFAULT_INSPECT_LIMITS.maxFragments });
    assert.ok(limited < 2000, `${limited.toFixed(0)} ms`);
    t = performance.now();
    // With the limit lifted, the walk itself: 10 million headers from 1 MiB reads (timed, not
    // asserted: other test files load the machine at the same time).
    const whole = await inspectFile(file, { maxFragments: 20_000_000 });
    const walked = performance.now() - t;
    damaged(whole, 'codestream_unknown'); // it got as far as the first fragment: empty
    ctx.diagnostic(`10,000,000 fragments: refused in ${limited.toFixed(0)} ms at the limit; walked whole in ${walked.toFixed(0)} ms`);
    fs.rmSync(file);
  });
});

test('sequences never closed, and items never closed, are refused', () => {
  withIds(damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: unclosedSequence(), pixelData: nativePixelData(px) })), 'unclosed_sequence', { tag: '(5200,9229)' }));
  const inner = element(0x0008, 0x1150, 'UI', SOP_CLASSES.mgForPresentation);
  const openItem = Buffer.concat([elementHeader(0x5200, 0x9229, 'SQ', 0xffffffff), itemHeader(), inner, SEQUENCE_DELIMITER]);
  damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: openItem, pixelData: nativePixelData(px) })), 'unclosed_sequence', { tag: '(5200,9229)' });
  const closed = Buffer.concat([elementHeader(0x5200, 0x9229, 'SQ', 0xffffffff), itemHeader(), inner, ITEM_DELIMITER, SEQUENCE_DELIMITER]);
  accepted(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: closed, pixelData: nativePixelData(px) })));
  // A defined-length sequence whose content is not items.
  damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: element(0x5200, 0x9229, 'SQ', inner), pixelData: nativePixelData(px) })), 'malformed_element', { tag: '(5200,9229)' });
});

test('tags out of order are kept, with a warning naming the first', () => {
  const r = accepted(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: element(0x0008, 0x0070, 'LO', 'VENDOR'), pixelData: nativePixelData(px) })), ['tags_out_of_order']);
  assert.deepEqual(r.warnings[0]!.params, { tag: '(0008,0070)', count: 1 });
  assert.equal(r.instance.rows, 64);
  assert.match(describeProblem('fr', r.warnings[0]!), /^attributs dans le désordre \(\(0008,0070\)\)\u202f; l’image a été conservée$/);
});

test('garbage after the pixel data: kept with a warning, and the readable length that the viewer\'s parser can read', () => {
  const good = validNative();
  const bytes = Buffer.concat([good, noise(100)]);
  const r = accepted(inspectBytes(bytes), ['trailing_bytes']);
  assert.deepEqual(r.warnings[0]!.params, { count: 100 });
  assert.equal(r.contentLength, good.length);
  // dicom-parser (Cornerstone's) throws on the file as it is, reads its first contentLength bytes.
  assert.throws(() => dicomParser.parseDicom(bytes));
  assert.equal(dicomParser.parseDicom(bytes.subarray(0, r.contentLength)).uint16('x00280010'), 64);
  // Well-formed elements after the pixel data (a private group, trailing padding) are no garbage.
  const tail = Buffer.concat([element(0xcb0d, 0x0010, 'LO', 'VENDOR'), element(0xcb0d, 0x1011, 'US', new Uint8Array([1, 0])), element(0xfffc, 0xfffc, 'OB', new Uint8Array(300))]);
  const ok = accepted(inspectBytes(Buffer.concat([good, tail])));
  assert.equal(ok.contentLength, good.length + tail.length);
  // Elements out of order after the pixel data are not taken as elements.
  accepted(inspectBytes(Buffer.concat([good, element(0x0010, 0x0010, 'PN', 'X')])), ['trailing_bytes']);
});

test('20,000 nested sequences are refused as such, not with a stack overflow; 30 levels are fine', () => {
  const t = performance.now();
  withIds(damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: deeplyNested(20_000), pixelData: nativePixelData(px) })), 'nested_too_deeply', { limit: 64 }));
  assert.ok(performance.now() - t < 1000);
  accepted(inspectBytes(assemble(baseDataset(), TS.explicit, { beforePixelData: deeplyNested(30), pixelData: nativePixelData(px) })));
  // Implicit VR: undefined-length elements are sequences whatever their tag.
  const implicit = Buffer.concat(Array.from({ length: 20_000 }, () => Buffer.from([0x00, 0x52, 0x29, 0x92, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff])));
  const head = validNative({}, TS.implicit);
  const cut = head.length - (64 * 48 * 2 + 8);
  damaged(inspectBytes(Buffer.concat([head.subarray(0, cut), implicit])), 'nested_too_deeply');
});

test('a 1 GiB file without pixel data is refused without being read; small non-images are accepted', async () => {
  const file = path.join(dir, 'huge.dcm');
  writeHugeNonImage(file, 2 ** 30);
  assert.equal(fs.statSync(file).size, 2 ** 30 - ((2 ** 30) % 2));
  const d = damaged(await inspectFile(file), 'too_large', { limit: 64 * 1024 * 1024 });
  withIds(d);
  assert.match(describeProblem('en', d.problem), /1(\.0)?\u00a0GiB.*64(\.0)?\u00a0MiB/);
  assert.match(describeProblem('fr', d.problem), /1(,0)?\u00a0Gio.*64(,0)?\u00a0Mio/);
  fs.rmSync(file);
  const sr = baseDataset({ sopClassUid: SOP_CLASSES.basicTextSr }, {
    Modality: 'SR', Rows: undefined, Columns: undefined, SamplesPerPixel: undefined, PhotometricInterpretation: undefined,
    BitsAllocated: undefined, BitsStored: undefined, HighBit: undefined, PixelRepresentation: undefined,
  });
  const r = accepted(inspectBytes(assemble(sr, TS.explicit)));
  assert.equal(r.instance.isImage, false);
  assert.equal(r.instance.series.modality, 'SR');
});

test('an image SOP class without pixel data is refused', () => {
  withIds(damaged(inspectBytes(assemble(baseDataset(), TS.explicit)), 'no_pixel_data'));
  const ct = baseDataset({ sopClassUid: SOP_CLASSES.ct }, { Rows: undefined, Columns: undefined });
  damaged(inspectBytes(assemble(ct, TS.explicit)), 'no_pixel_data');
});

test('a DICOM data set without the Part 10 preamble is damaged, with its UIDs; text files are not DICOM', () => {
  const explicit = validNative();
  withIds(damaged(inspectBytes(explicit.subarray(132)), 'no_part10_header')); // meta header first, no preamble
  withIds(damaged(inspectBytes(explicit.subarray(metaEnd(explicit))), 'no_part10_header')); // data set alone, explicit VR
  const implicit = validNative({}, TS.implicit);
  withIds(damaged(inspectBytes(implicit.subarray(metaEnd(implicit))), 'no_part10_header')); // data set alone, implicit VR
  const noMagic = Buffer.from(explicit);
  noMagic.write('XXXX', 128, 'latin1'); // a preamble without "DICM"
  damaged(inspectBytes(noMagic), 'no_part10_header');
  const text = (s: string) => new TextEncoder().encode(s);
  for (const bytes of [text('MIT License\n\nCopyright (c) 2024\n'.repeat(20)), text(JSON.stringify({ generator: 'x', images: [1, 2, 3] })), new Uint8Array(0), new Uint8Array(4), noise(3000)]) {
    const r = inspectBytes(bytes);
    assert.deepEqual(r, { kind: 'not-dicom', problem: { code: 'not_dicom' } });
  }
});

test('files cut short: in the header, in native pixel data, in a fragment, before the delimiter', async () => {
  const native = validNative();
  withIds(damaged(inspectBytes(native.subarray(0, native.length - 100)), 'truncated', { tag: '(7FE0,0010)' }));
  damaged(inspectBytes(native.subarray(0, 400)), 'truncated');
  const ls = await encodeLossless('jpeg-ls', pixels16(px), 48, 64, 12);
  const whole = assemble(baseDataset(), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) });
  for (const cut of [8, 100, ls.length / 2]) damaged(inspectBytes(whole.subarray(0, whole.length - cut)), 'truncated', { tag: '(7FE0,0010)' });
  damaged(inspectBytes(assemble(baseDataset(), TS.jpegLs, { pixelData: encapsulatedPixelData([ls], { delimiter: false }) })), 'truncated');
});

test('native pixel data shorter than rows × columns × samples × bytes × frames is refused; longer is kept with a warning', () => {
  damaged(inspectBytes(assemble(baseDataset({ rows: 65 }), TS.explicit, { pixelData: nativePixelData(px) })), 'pixel_data_length', { actual: px.length, expected: 65 * 48 * 2 });
  damaged(inspectBytes(assemble(baseDataset({ frames: 2 }), TS.explicit, { pixelData: nativePixelData(px) })), 'pixel_data_length', { expected: 2 * px.length, frames: 2 });
  const r = accepted(inspectBytes(assemble(baseDataset({ rows: 63 }), TS.explicit, { pixelData: nativePixelData(px) })), ['pixel_data_longer']);
  assert.deepEqual(r.warnings[0]!.params, { actual: px.length, expected: 63 * 48 * 2 });
});

test('encapsulated frames: at least one fragment each, and an offset table that points at them', async () => {
  const frames = await Promise.all([0, 1, 2].map((k) => encodeLossless('jpeg-ls', pixels16(gradient(64, 48, { maxValue: 1000 + k * 1000 })), 48, 64, 12)));
  const ds = baseDataset({ frames: 3 });
  accepted(inspectBytes(assemble(ds, TS.jpegLs, { pixelData: encapsulatedPixelData(frames) })));
  accepted(inspectBytes(assemble(ds, TS.jpegLs, { pixelData: encapsulatedPixelData(frames, { offsets: offsetsOf(frames) }) })));
  damaged(inspectBytes(assemble(ds, TS.jpegLs, { pixelData: encapsulatedPixelData([frames[0]!]) })), 'fragment_count', { count: 1, frames: 3 });
  const wrong = offsetsOf(frames).map((o, k) => (k === 2 ? o + 2 : o));
  damaged(inspectBytes(assemble(ds, TS.jpegLs, { pixelData: encapsulatedPixelData(frames, { offsets: wrong }) })), 'bad_offset_table', { frames: 3 });
  damaged(inspectBytes(assemble(ds, TS.jpegLs, { pixelData: encapsulatedPixelData(frames, { offsets: [0, 10] }) })), 'bad_offset_table', { count: 2, frames: 3 });
});

test('missing and impossible image attributes', () => {
  damaged(inspectBytes(assemble(baseDataset({}, { SeriesInstanceUID: undefined }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute', { names: '(0020,000E) SeriesInstanceUID' });
  damaged(inspectBytes(assemble(baseDataset({}, { BitsAllocated: undefined }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute', { names: '(0028,0100) BitsAllocated' });
  damaged(inspectBytes(assemble(baseDataset({ bitsAllocated: 12 }), TS.explicit, { pixelData: nativePixelData(px) })), 'invalid_attribute', { tag: '(0028,0100)', value: 12 });
  damaged(inspectBytes(assemble(baseDataset({}, { NumberOfFrames: 'abc' }), TS.explicit, { pixelData: nativePixelData(px) })), 'invalid_attribute', { tag: '(0028,0008)', value: '…' });
  damaged(inspectBytes(assemble(baseDataset({ bitsStored: 17 }), TS.explicit, { pixelData: nativePixelData(px) })), 'invalid_attribute', { tag: '(0028,0101)' });
  // Type 1 attributes decoders need (dcmtk: "Tag not found")
  damaged(inspectBytes(assemble(baseDataset({}, { SamplesPerPixel: undefined }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute', { names: '(0028,0002) SamplesPerPixel' });
  damaged(inspectBytes(assemble(baseDataset({}, { BitsStored: undefined, PixelRepresentation: undefined }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute',
    { names: '(0028,0101) BitsStored, (0028,0103) PixelRepresentation' });
});

test('a File Meta Information that names another instance or class than its data set is refused as damaged (kept in quarantine), saying both', () => {
  const file = validNative();
  const end = metaEnd(file);
  // the meta's copy of a UID, one digit changed: same length, another UID
  const otherIn = (uid: string) => {
    const bytes = Buffer.from(file);
    const at = bytes.subarray(0, end).indexOf(Buffer.from(uid, 'latin1'));
    assert.ok(at > 0, uid);
    const last = at + uid.length - 1;
    bytes[last] = bytes[last] === 0x39 ? 0x38 : bytes[last]! + 1;
    return { bytes: new Uint8Array(bytes), other: bytes.toString('latin1', at, at + uid.length) };
  };
  const instance = otherIn(UIDS.sop);
  damaged(inspectBytes(instance.bytes), 'meta_instance_mismatch', { meta: instance.other, dataset: UIDS.sop });
  const mg = SOP_CLASSES.mgForPresentation;
  const cls = otherIn(mg);
  damaged(inspectBytes(cls.bytes), 'meta_class_mismatch', { meta: cls.other, dataset: mg });
  accepted(inspectBytes(file));
});

test('pixel data under another VR than OB or OW, and photometric interpretations a viewer cannot show, are refused', () => {
  // every byte is there, but image readers refuse float or unknown data as pixel data (dcmtk: "wrong class")
  for (const vr of ['OF', 'OD', 'UN']) {
    damaged(inspectBytes(assemble(baseDataset(), TS.explicit, { pixelData: element(0x7fe0, 0x0010, vr, px) })), 'pixel_data_vr', { vr });
  }
  accepted(inspectBytes(assemble(baseDataset(), TS.explicit, { pixelData: nativePixelData(px, 'OB') })));
  damaged(inspectBytes(assemble(baseDataset({}, { PhotometricInterpretation: 'XXXXXX' }), TS.explicit, { pixelData: nativePixelData(px) })), 'unknown_photometric', { value: 'XXXXXX' });
  damaged(inspectBytes(assemble(baseDataset({}, { PhotometricInterpretation: undefined }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute', { names: '(0028,0004) PhotometricInterpretation' });
  // one sample per pixel said to be RGB; three said to be MONOCHROME2
  damaged(inspectBytes(assemble(baseDataset({}, { PhotometricInterpretation: 'RGB' }), TS.explicit, { pixelData: nativePixelData(px) })), 'photometric_samples', { photometric: 'RGB', samples: 1 });
  const rgb = gradient(64, 48, { samples: 3, bitsAllocated: 8 });
  damaged(inspectBytes(assemble(baseDataset({ samples: 3, bitsAllocated: 8 }, { PhotometricInterpretation: 'MONOCHROME2' }), TS.explicit, { pixelData: nativePixelData(rgb, 'OB') })), 'photometric_samples', { photometric: 'MONOCHROME2', samples: 3 });
  damaged(inspectBytes(assemble(baseDataset({ samples: 3, bitsAllocated: 8 }, { PhotometricInterpretation: 'RGB', PlanarConfiguration: undefined }), TS.explicit, { pixelData: nativePixelData(rgb, 'OB') })), 'missing_attribute', { names: '(0028,0006) PlanarConfiguration' });
  accepted(inspectBytes(assemble(baseDataset({ samples: 3, bitsAllocated: 8 }, { PhotometricInterpretation: 'RGB', PlanarConfiguration: 0 }), TS.explicit, { pixelData: nativePixelData(rgb, 'OB') })));
  // palette colour without its palette
  const palette = damaged(inspectBytes(assemble(baseDataset({}, { PhotometricInterpretation: 'PALETTE COLOR' }), TS.explicit, { pixelData: nativePixelData(px) })), 'missing_attribute');
  assert.match(String(palette.problem.params?.names), /^\(0028,1101\) RedPaletteColorLookupTableDescriptor, .*\(0028,1201\) RedPaletteColorLookupTableData$/);
  // High Bit outside the allocated bits, or below the stored ones
  damaged(inspectBytes(assemble(baseDataset({}, { HighBit: 16 }), TS.explicit, { pixelData: nativePixelData(px) })), 'invalid_attribute', { tag: '(0028,0102)', value: 16 });
  damaged(inspectBytes(assemble(baseDataset({}, { HighBit: 7 }), TS.explicit, { pixelData: nativePixelData(px) })), 'invalid_attribute', { tag: '(0028,0102)', value: 7 });
});

test('inspectFile reads a 17 MB image in one small read and agrees with inspectBytes', async () => {
  const big = validNative({ rows: 3328, columns: 2560 });
  const file = path.join(dir, 'big.dcm');
  fs.writeFileSync(file, big);
  const fd = fs.openSync(file, 'r');
  try {
    const source = new FileSource(fd, big.length);
    accepted(inspectSource(source, DEFAULT_INSPECT_LIMITS));
    assert.ok(source.bytesRead <= 16 * 1024, `${source.bytesRead} bytes read`);
  } finally {
    fs.closeSync(fd);
  }
  // The same verdicts from disk as from memory, for every small crafted kind.
  const kinds: Uint8Array[] = [
    validNative(), validNative({}, TS.implicit), big.subarray(0, 5000),
    assemble(baseDataset(), TS.explicit, { beforePixelData: unclosedSequence(), pixelData: nativePixelData(px) }),
    assemble(baseDataset(), TS.explicit, { beforePixelData: deeplyNested(1000), pixelData: nativePixelData(px) }),
    Buffer.concat([validNative(), noise(3000)]),
    assemble(baseDataset(), TS.rle, { pixelData: encapsulatedPixelData([rleFrame(px, 2)]) }),
  ];
  for (const [k, bytes] of kinds.entries()) {
    const f = path.join(dir, `kind-${k}.dcm`);
    fs.writeFileSync(f, bytes);
    assert.deepEqual(await inspectFile(f), inspectBytes(bytes), `kind ${k}`);
  }
});

test('I/O errors are thrown as Node errors for the caller to report', async () => {
  await assert.rejects(inspectFile(path.join(dir, 'absent.dcm')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  await assert.rejects(inspectFile(dir), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});

test('3,000 mutated files: every verdict is a code, never a parser\'s exception text', async () => {
  const ls = await encodeLossless('jpeg-ls', pixels16(px), 48, 64, 12);
  const bases = [
    validNative(), validNative({}, TS.implicit),
    assemble(baseDataset(), TS.jpegLs, { pixelData: encapsulatedPixelData([ls]) }),
    assemble(baseDataset({ frames: 2 }), TS.rle, { pixelData: encapsulatedPixelData([rleFrame(px, 2), rleFrame(px, 2)], { offsets: offsetsOf([rleFrame(px, 2), rleFrame(px, 2)]) }) }),
    assemble(baseDataset(), TS.explicit, { beforePixelData: Buffer.concat([elementHeader(0x5200, 0x9229, 'SQ', 0xffffffff), itemHeader(), element(0x0008, 0x1150, 'UI', '1.2.3'), ITEM_DELIMITER, SEQUENCE_DELIMITER]), pixelData: nativePixelData(px) }),
  ];
  const seen = new Map<string, number>();
  for (let seed = 1; seed <= 3000; seed++) {
    const base = bases[seed % bases.length]!;
    const r = noise(16, seed);
    const bytes = Buffer.from(base);
    const flips = 1 + (r[0]! % 8);
    // Mutate the header mostly, where the structure is; sometimes cut the file or append to it.
    const headerEnd = Math.min(bytes.length, 1200);
    for (let f = 0; f < flips; f++) bytes[(r[1 + f]! * 257 + r[9 + (f % 7)]! * 7 + seed * 31) % headerEnd] = r[(f + 3) % 16]!;
    const mutated = r[12]! < 40 ? bytes.subarray(0, (r[13]! * 997 + seed) % bytes.length) : r[12]! > 230 ? Buffer.concat([bytes, noise(r[14]!, seed)]) : bytes;
    let result: Inspection;
    try {
      result = inspectBytes(mutated);
    } catch (error) {
      assert.fail(`seed ${seed}: threw ${String(error)}`);
    }
    const problems = result.kind === 'instance' ? result.warnings : result.kind === 'dicomdir' ? [] : [result.problem];
    for (const p of problems) {
      assert.ok((IMPORT_PROBLEM_CODES as readonly string[]).includes(p.code), p.code);
      assert.notEqual(p.code, 'inspection_failed', `seed ${seed}`);
      for (const v of Object.values(p.params ?? {})) assert.match(String(v), /^[\w ().,=…+-]*$/, `seed ${seed}: ${p.code} ${JSON.stringify(p.params)}`);
      assert.doesNotMatch(describeProblem('en', p), /undefined|Cannot|stack|NaN|dicomParser/, `seed ${seed}`);
      seen.set(p.code, (seen.get(p.code) ?? 0) + 1);
    }
  }
  // The mutations reach many distinct checks, not one.
  assert.ok(seen.size >= 8, JSON.stringify([...seen]));
});
