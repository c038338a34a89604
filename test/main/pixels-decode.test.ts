// The pixel pipeline's decoder against dcmtk: every transfer syntax the station accepts, 8- and
// 16-bit, signed and unsigned, single and multi-frame (with and without offset tables, frames in
// several fragments), and the real JPEG Lossless mammograms of the shared data.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeFrame, decodeImageFrame, withDecodedFrame } from '../../main/dicom/pixels/decode.ts';
import { ImageFile, PixelDataError } from '../../main/dicom/pixels/image-file.ts';
import { frameMemory } from '../../main/dicom/pixels/stored-bits.ts';
import { SHARED_DICOM, SKIP_NO_SHARED, tempDir } from '../helpers/paths.ts';
import { LOG_LEVEL_SET, log } from '../../main/base/log.ts';
import { dcmtk, difference, encodeJ2k, nativePixels, SKIP_NO_DCMTK, testPattern, writeEncapsulated, writeTestImage } from '../helpers/pixel-files.ts';

const dir = tempDir('pixels-decode');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

// Odd sizes, so that a row stride or padding mistake shows.
const ROWS = 53, COLUMNS = 67;
const SOURCES = {
  u12: { bitsAllocated: 16 as const, bitsStored: 12, pixels: Uint16Array.from(testPattern(ROWS, COLUMNS, 0, 4095, 1)) },
  s12: { bitsAllocated: 16 as const, bitsStored: 12, signed: true, pixels: Int16Array.from(testPattern(ROWS, COLUMNS, -2048, 2047, 2)) },
  u16: { bitsAllocated: 16 as const, bitsStored: 16, pixels: Uint16Array.from(testPattern(ROWS, COLUMNS, 0, 65535, 3)) },
  u8: { bitsAllocated: 8 as const, bitsStored: 8, pixels: Uint8Array.from(testPattern(ROWS, COLUMNS, 0, 255, 4)) },
};
type SourceName = keyof typeof SOURCES;

before(() => {
  for (const [name, spec] of Object.entries(SOURCES)) writeTestImage(at(`${name}.dcm`), { rows: ROWS, columns: COLUMNS, ...spec });
});

/** Decodes `file` and checks it against `expected` exactly. */
/** An array kept from file to file (as the AI and the renditions keep one), holding another file's bytes. */
const kept = Buffer.alloc(8 * 1024 * 1024, 0xa5);

async function assertDecodesTo(file: string, expected: ArrayLike<number>, label: string, type: string): Promise<void> {
  const { pixels } = await decodeFrame(file);
  assert.equal(pixels.constructor.name, type, label);
  assert.equal(difference(pixels, expected).max, 0, `${label}: differs from the reference`);
  // read into the kept array instead of a new one: the same values
  const image = ImageFile.open(file);
  try {
    assert.equal(await withDecodedFrame(image, 0, (values) => difference(values, expected).max, kept), 0, `${label}: differs when read into a kept array`);
  } finally {
    image.close();
  }
}

const TYPE: Record<SourceName, string> = { u12: 'Uint16Array', s12: 'Int16Array', u16: 'Uint16Array', u8: 'Uint8Array' };

test('native syntaxes (implicit, explicit, big endian, deflated) give back the written values', { skip: SKIP_NO_DCMTK }, async () => {
  for (const name of Object.keys(SOURCES) as SourceName[]) {
    await assertDecodesTo(at(`${name}.dcm`), SOURCES[name].pixels, `${name} explicit`, TYPE[name]);
    for (const [flag, syntax] of [['+ti', 'implicit'], ['+tb', 'big-endian'], ['+td', 'deflated']]) {
      const file = at(`${name}-${syntax}.dcm`);
      dcmtk('dcmconv', flag!, at(`${name}.dcm`), file);
      await assertDecodesTo(file, SOURCES[name].pixels, `${name} ${syntax}`, TYPE[name]);
    }
  }
});

test('lossless JPEG (.57, .70), JPEG-LS (.80, .81 near-lossless) and RLE decode exactly as dcmtk decodes them', { skip: SKIP_NO_DCMTK }, async () => {
  const encodings = [
    { syntax: '.57', encode: ['dcmcjpeg', '--encode-lossless'], decoder: 'dcmdjpeg', lossless: true },
    { syntax: '.70', encode: ['dcmcjpeg', '--encode-lossless-sv1'], decoder: 'dcmdjpeg', lossless: true },
    { syntax: '.80', encode: ['dcmcjpls', '--encode-lossless'], decoder: 'dcmdjpls', lossless: true },
    { syntax: '.81', encode: ['dcmcjpls', '--encode-nearlossless'], decoder: 'dcmdjpls', lossless: false },
    { syntax: '.5', encode: ['dcmcrle'], decoder: 'dcmdrle', lossless: true },
  ];
  for (const name of Object.keys(SOURCES) as SourceName[]) {
    for (const e of encodings) {
      if (e.syntax === '.81' && SOURCES[name].pixels instanceof Int16Array) continue; // dcmcjpls: no near-lossless for signed pixels
      const label = `${name} ${e.syntax}`;
      const compressed = at(`${name}${e.syntax}.dcm`), reference = at(`${name}${e.syntax}-dcmtk.dcm`);
      dcmtk(e.encode[0]!, ...e.encode.slice(1), at(`${name}.dcm`), compressed);
      dcmtk(e.decoder, compressed, reference);
      await assertDecodesTo(compressed, nativePixels(reference), label, TYPE[name]);
      if (e.lossless) await assertDecodesTo(compressed, SOURCES[name].pixels, `${label} against the source`, TYPE[name]);
    }
  }
});

test('lossy DCT JPEG: 8-bit baseline (.50) and extended (.51) within 1 of dcmtk; 12-bit extended within 16 (the viewer decoder\'s bias)', { skip: SKIP_NO_DCMTK }, async () => {
  // libjpeg-turbo (8-bit) and IJG (dcmtk) use different inverse DCTs: ±1 is rounding.
  for (const [name, flag] of [['u8', '--encode-baseline'], ['u8', '--encode-extended']] as const) {
    const compressed = at(`${name}${flag}.dcm`), reference = at(`${name}${flag}-dcmtk.dcm`);
    dcmtk('dcmcjpeg', flag, at(`${name}.dcm`), compressed);
    dcmtk('dcmdjpeg', compressed, reference);
    const { pixels } = await decodeFrame(compressed);
    assert.ok(difference(pixels, nativePixels(reference)).max <= 1, `${name} ${flag}: ${JSON.stringify(difference(pixels, nativePixels(reference)))}`);
  }
  // 12-bit: the viewer's own decoder (the loader's JavaScript DCT decoder) levels its samples by
  // 2056·4095/255/16 ≈ 2063.5 rather than 2048.5: every sample comes out about 15 higher than IJG's.
  // We decode as the viewer shows, so the AI and the renditions agree with it; the bias is reported.
  const compressed = at('u12-extended.dcm'), reference = at('u12-extended-dcmtk.dcm');
  dcmtk('dcmcjpeg', '--encode-extended', at('u12.dcm'), compressed);
  dcmtk('dcmdjpeg', compressed, reference);
  const { pixels } = await decodeFrame(compressed);
  const d = difference(pixels, nativePixels(reference));
  assert.ok(d.max <= 16 && Math.abs(d.mean - 15) < 1, `12-bit: ${JSON.stringify(d)}`);
});

test('JPEG 2000 and HTJ2K codestreams (.90, .91, .201, .202, .203) decode to the encoded values', async () => {
  const source = SOURCES.u12;
  const j2k = await encodeJ2k('j2k', source.pixels, COLUMNS, ROWS, 12);
  const htj2k = await encodeJ2k('htj2k', source.pixels, COLUMNS, ROWS, 12);
  const spec = { rows: ROWS, columns: COLUMNS, bitsAllocated: 16 as const, bitsStored: 12 };
  for (const [suffix, codestream] of [['90', j2k], ['91', j2k], ['201', htj2k], ['202', htj2k], ['203', htj2k]] as const) {
    const file = at(`u12-${suffix}.dcm`);
    writeEncapsulated(file, spec, `1.2.840.10008.1.2.4.${suffix}`, [codestream]);
    await assertDecodesTo(file, source.pixels, `.${suffix}`, 'Uint16Array');
  }
});

test('multi-frame: frames found by the Basic Offset Table, by walking fragments without one, and one fragment per frame', { skip: SKIP_NO_DCMTK }, async () => {
  const frames = 3;
  const pixels = Uint16Array.from([1, 2, 3].flatMap((seed) => testPattern(ROWS, COLUMNS, 0, 4095, seed)));
  writeTestImage(at('multi.dcm'), { rows: ROWS, columns: COLUMNS, frames, bitsAllocated: 16, bitsStored: 12, pixels });
  const variants: [string, string[]][] = [
    ['native', []],
    ['jpeg-ls, 1 KiB fragments, offset table', ['dcmcjpls', '+fs', '1', '+ot']],
    ['jpeg-ls, 1 KiB fragments, no offset table', ['dcmcjpls', '+fs', '1', '-ot']],
    ['jpeg lossless, one fragment per frame, no offset table', ['dcmcjpeg', '-ot']],
    ['rle', ['dcmcrle']],
  ];
  const frameLength = ROWS * COLUMNS;
  for (const [label, command] of variants) {
    const file = command.length ? at(`multi-${label.replace(/\W+/g, '-')}.dcm`) : at('multi.dcm');
    if (command.length) dcmtk(command[0]!, ...command.slice(1), at('multi.dcm'), file);
    const image = ImageFile.open(file);
    try {
      assert.equal(image.header.frames, frames, label);
      for (let k = 0; k < frames; k++) {
        const frame = await decodeImageFrame(image, k);
        assert.equal(difference(frame, pixels.subarray(k * frameLength, (k + 1) * frameLength)).max, 0, `${label}, frame ${k + 1}`);
      }
      assert.throws(() => image.frameData(frames), PixelDataError);
    } finally {
      image.close();
    }
  }
});

test('native values keep only their Bits Stored (garbage above High Bit is dropped, as PS3.5 8.1.1 says)', async () => {
  const dirty = Uint16Array.from(SOURCES.u12.pixels, (v, i) => v | ((i % 16) << 12));
  // an odd number of pixels: masked two at a time, the last one alone
  writeTestImage(at('dirty.dcm'), { rows: ROWS, columns: COLUMNS, bitsAllocated: 16, bitsStored: 12, pixels: dirty });
  assert.equal(difference((await decodeFrame(at('dirty.dcm'))).pixels, SOURCES.u12.pixels).max, 0);
  assert.equal((ROWS * COLUMNS) % 2, 1);
});

test('one value with garbage above High Bit is enough for it to be dropped, wherever it lies (the frame is looked at before it is written), read into an array or a frame memory', async () => {
  const n = ROWS * COLUMNS;
  // the first, a middle one, the last of the words read four at a time, one of the words after them, the odd last one;
  // in a frame memory (stored-bits.ts: 64 bytes at a time, then 16, then one value) the last of each
  const words = n >>> 1;
  const vectors = (n >>> 3) << 3;
  const frame = frameMemory(n * 2 + 64);
  for (const at_ of [0, (n >>> 1) + 1, 2 * (words & ~3) - 1, 2 * (words & ~3), n - 1, ((vectors >>> 5) << 5) - 1, vectors - 1, vectors]) {
    const dirty = Uint16Array.from(SOURCES.u12.pixels, (v, i) => (i === at_ ? v | 0xa000 : v));
    writeTestImage(at('dirty-one.dcm'), { rows: ROWS, columns: COLUMNS, bitsAllocated: 16, bitsStored: 12, pixels: dirty });
    assert.equal(difference((await decodeFrame(at('dirty-one.dcm'))).pixels, SOURCES.u12.pixels).max, 0, `garbage at pixel ${at_} of ${n}`);
    const image = ImageFile.open(at('dirty-one.dcm'));
    try {
      const inMemory = await withDecodedFrame(image, 0, (pixels) => {
        assert.equal(pixels.buffer, frame.buffer, 'read into the frame memory');
        return Uint16Array.from(pixels);
      }, frame);
      assert.equal(difference(inMemory, SOURCES.u12.pixels).max, 0, `garbage at pixel ${at_} of ${n}, in a frame memory`);
    } finally {
      image.close();
    }
  }
});

test('OpenJPEG\'s [INFO] chatter never reaches stdout or stderr, not even in the debug log (it was most of one: an IT probe)', async () => {
  const file = at('u12-90.dcm');
  writeEncapsulated(file, { rows: ROWS, columns: COLUMNS, bitsAllocated: 16, bitsStored: 12 }, '1.2.840.10008.1.2.4.90', [await encodeJ2k('j2k', SOURCES.u12.pixels, COLUMNS, ROWS, 12)]);
  const written: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: unknown) => { written.push(String(chunk)); return true; };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  log.setLevel('debug');
  try {
    await decodeFrame(file);
  } finally {
    log.setLevel(LOG_LEVEL_SET ?? 'info');
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
  assert.deepEqual(written.filter((w) => /INFO|codec/i.test(w)), []);
});

test('GH133 and OutOfBoundsOverlay (real JPEG Lossless SV1 mammograms) decode as dcmdjpeg decodes them', { skip: SKIP_NO_SHARED || SKIP_NO_DCMTK }, async () => {
  for (const name of ['GH133.dcm', 'OutOfBoundsOverlay.dcm']) {
    const reference = at(`${name}-dcmtk.dcm`);
    dcmtk('dcmdjpeg', path.join(SHARED_DICOM, 'fo-dicom', name), reference);
    await assertDecodesTo(path.join(SHARED_DICOM, 'fo-dicom', name), nativePixels(reference), name, 'Uint16Array');
  }
});

test('files the pipeline cannot read say why', async () => {
  writeTestImage(at('rgb.dcm'), { rows: 4, columns: 4, bitsAllocated: 8, bitsStored: 8, pixels: new Uint8Array(48), attributes: { SamplesPerPixel: 3, PhotometricInterpretation: 'RGB', PlanarConfiguration: 0 } });
  await assert.rejects(decodeFrame(at('rgb.dcm')), (e: Error) => e instanceof PixelDataError && /greyscale only/.test(e.message));
  writeTestImage(at('short.dcm'), { rows: ROWS, columns: COLUMNS, bitsAllocated: 16, bitsStored: 12, pixels: SOURCES.u12.pixels.subarray(0, 100) });
  await assert.rejects(decodeFrame(at('short.dcm')), (e: Error) => e instanceof PixelDataError && /shorter/.test(e.message));
});

test('a frame cut short inside its codestream is refused, not decoded as the part its decoder read (HTJ2K and JPEG Lossless decoders return a partial image)', async () => {
  const source = SOURCES.u12;
  const spec = { rows: ROWS, columns: COLUMNS, bitsAllocated: 16 as const, bitsStored: 12 };
  for (const [codec, uid] of [['htj2k', '1.2.840.10008.1.2.4.201'], ['j2k', '1.2.840.10008.1.2.4.90']] as const) {
    const whole = await encodeJ2k(codec, source.pixels, COLUMNS, ROWS, 12);
    const cut = whole.subarray(0, Math.floor(whole.length * 0.9) & ~1);
    writeEncapsulated(at(`cut-${codec}.dcm`), spec, uid, [cut]);
    const format = codec === 'htj2k' ? 'HTJ2K' : 'JPEG 2000';
    await assert.rejects(decodeFrame(at(`cut-${codec}.dcm`)), (e: Error) => e instanceof PixelDataError && e.message.includes(`${format} image of frame 1 ends before its end marker`), codec);
    // zero padding after the marker is not damage; after a cut, it hides nothing
    writeEncapsulated(at(`padded-${codec}.dcm`), spec, uid, [Buffer.concat([whole, new Uint8Array(300)])]);
    await assertDecodesTo(at(`padded-${codec}.dcm`), source.pixels, `${codec} padded`, 'Uint16Array');
    writeEncapsulated(at(`cut-padded-${codec}.dcm`), spec, uid, [Buffer.concat([cut, new Uint8Array(300)])]);
    await assert.rejects(decodeFrame(at(`cut-padded-${codec}.dcm`)), PixelDataError);
    // the whole codestream, padded to an even length with one 00 as DICOM does, still decodes
    writeEncapsulated(at(`whole-${codec}.dcm`), spec, uid, [whole]);
    await assertDecodesTo(at(`whole-${codec}.dcm`), source.pixels, codec, 'Uint16Array');
  }
});

test('GH133 cut short inside its JPEG Lossless codestream is refused (its decoder fills the rest with zeros)', { skip: SKIP_NO_SHARED }, async () => {
  const image = ImageFile.open(path.join(SHARED_DICOM, 'fo-dicom', 'GH133.dcm'));
  let codestream: Uint8Array;
  try { codestream = image.frameData(0).slice(); } finally { image.close(); }
  writeEncapsulated(at('gh133-cut.dcm'), { rows: 3062, columns: 2394, bitsAllocated: 16, bitsStored: 12 }, '1.2.840.10008.1.2.4.70', [codestream.subarray(0, codestream.length - 1000)]);
  await assert.rejects(decodeFrame(at('gh133-cut.dcm')), (e: Error) => e instanceof PixelDataError && /JPEG Lossless image of frame 1 ends before its end marker/.test(e.message));
});
