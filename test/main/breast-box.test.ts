// The breast's box in every stored image (migration 0020, main/import/renditions.ts): found beside the
// display rendition from the same decoding, it is what the viewer fits to a place instead of the
// whole detector. It must hold the whole breast (a box too small would zoom tissue out of sight):
// checked against the generator's ground truth (the nipple, every lesion) on every variant, stored
// mirrored and MONOCHROME1 included. A library made before the boxes gets them without its
// renditions being made again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateDemo } from '../../main/synth/demo.ts';
import { DEFAULT_DEMO_OPTIONS } from '../../main/synth/plan.ts';
import type { StationService } from '../../main/service/station.ts';
import Database from 'better-sqlite3';
import { BREAST_MARGIN_MM } from '../../common/hanging/scale.ts';
import { openTestStation } from '../helpers/station.ts';
import { tempDir } from '../helpers/paths.ts';

interface Truth {
  images: { file: string; sopInstanceUid: string; viewLabel: string; forProcessing: boolean; rows: number; columns: number; pixelSpacing: number; storedFlipped: boolean; nipplePx: [number, number];
    lesions: { id: string; bboxPx: [number, number, number, number] }[] }[];
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 120_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const boxesOf = (station: StationService) => new Map((station.db.connection.prepare('SELECT sop_uid, breast_box FROM instances WHERE is_image = 1 AND for_processing = 0').all() as { sop_uid: string; breast_box: string | null }[])
  .map((r) => [r.sop_uid, r.breast_box]));

test('every image gets its breast\'s box, which holds the nipple and every lesion, meets the chest wall and leaves the air out; a library made before boxes gets them, its renditions kept', { timeout: 300_000 }, async () => {
  const out = tempDir('breast-box-demo');
  // every variant (patients 1–6), each with a prior: MONOCHROME1, stored mirrored, additional views, implants, two detectors; reduced size (no renditions: the box alone)
  const demo = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed: 'breast-box-2026-12-07', patients: 6, priors: 1, size: 'reduced', variants: true }, out, { workers: 2 });
  // and one woman at full size, whose images get renditions too (a reduced image fits without one)
  const full = await generateDemo({ ...DEFAULT_DEMO_OPTIONS, seed: 'breast-box-full-2026-12-07', patients: 1, priors: 0, size: 'full', variants: false }, path.join(out, 'full'), { workers: 2 });
  demo.groundTruthFiles.push(...full.groundTruthFiles.map((gt) => path.join('full', gt)));
  const library = tempDir('breast-box-library');
  let station = openTestStation({ libraryDir: library, renditions: true });
  try {
    const imageCount = demo.groundTruthFiles.flatMap((gt) => (JSON.parse(fs.readFileSync(path.join(out, gt), 'utf8')) as Truth).images).length;
    const summary = await station.handlers.importPaths({ paths: [out] });
    await waitFor('the renditions', () => (station.db.connection.prepare('SELECT count(*) FROM instances WHERE is_image = 1 AND for_processing = 0 AND display_rendition IS NULL').pluck().get() === 0 ? true : undefined));
    assert.equal(summary.imported, imageCount, JSON.stringify(summary.problems));
    const boxes = await waitFor('every box', () => { const b = boxesOf(station); return [...b.values()].every((v) => v !== null) ? b : undefined; });
    let checked = 0;
    for (const gt of demo.groundTruthFiles) {
      const truth = JSON.parse(fs.readFileSync(path.join(out, gt), 'utf8')) as Truth;
      for (const image of truth.images.filter((i) => !i.forProcessing)) {
        const text = boxes.get(image.sopInstanceUid);
        assert.ok(text, `${gt} ${image.viewLabel}: a box`);
        const [c0, r0, c1, r1] = text.split(',').map(Number) as [number, number, number, number];
        const what = `${gt} ${image.viewLabel} (${text} of ${image.columns} × ${image.rows})`;
        // the nipple and every lesion inside it; the skin line's last millimetres, where the breast
        // thins to nothing, may fall under the mask's threshold: the viewer keeps a margin of air
        // around the box (BREAST_MARGIN_MM), and the nipple must be within it
        const [nx, ny] = image.nipplePx;
        const slack = BREAST_MARGIN_MM / image.pixelSpacing;
        const outside = Math.max(c0 - nx, nx - c1, r0 - ny, ny - r1, 0) * image.pixelSpacing;
        assert.ok(nx >= c0 - slack && nx <= c1 + slack && ny >= r0 - slack && ny <= r1 + slack, `${what}: the nipple ${nx}, ${ny} is within ${BREAST_MARGIN_MM} mm of it (${outside.toFixed(1)} mm out)`);
        for (const lesion of image.lesions) {
          const [x0, y0, x1, y1] = lesion.bboxPx;
          assert.ok(x0 >= c0 - 2 && x1 <= c1 + 2 && y0 >= r0 - 2 && y1 <= r1 + 2, `${what}: lesion ${lesion.id} ${lesion.bboxPx.join(',')} is inside`);
        }
        // the chest wall (on the stored image's right for a right breast, unless stored mirrored): the box reaches it
        const chestWallRight = image.viewLabel.startsWith('R') !== image.storedFlipped;
        if (!/ID$|XCCL|M$|S$/.test(image.viewLabel)) assert.ok(chestWallRight ? c1 >= image.columns - 2 : c0 <= 2, `${what}: the box meets the chest wall`);
        // and the air beyond the nipple is left out, and above and below a CC's breast (a prior's bright
        // column down its chest-wall edge made its box the image's whole height: a probe)
        assert.ok(chestWallRight ? c0 > 2 : c1 < image.columns - 2, `${what}: the air beyond the nipple is outside`);
        if (/^[RL]CC$/.test(image.viewLabel)) assert.ok(r1 - r0 < image.rows * 0.95, `${what}: the air above and below the CC's breast is outside`);
        checked++;
      }
    }
    assert.ok(checked >= 48, `${checked} images checked`);

    // a library made before the boxes (migration 0020): renditions made, boxes not looked for
    const renditionsBefore = station.db.connection.prepare('SELECT file_hash, display_rendition FROM instances WHERE is_image = 1 ORDER BY id').all();
    await station.close();
    const db = new Database(path.join(library, 'worklist.sqlite'));
    db.prepare('UPDATE instances SET breast_box = NULL').run();
    db.close();
    const renditionsFolder = path.join(library, 'store', 'renditions');
    const renditionFiles = () => fs.readdirSync(renditionsFolder, { recursive: true }).map(String).filter((f) => f.endsWith('.dcm')).sort()
      .map((f) => `${f} ${fs.statSync(path.join(renditionsFolder, f)).mtimeMs}`);
    const renditionsMade = renditionFiles();
    assert.equal(renditionsMade.length, 4, 'the full-size images\' renditions');
    station = openTestStation({ libraryDir: library, renditions: true });
    const again = await waitFor('the boxes again', () => { const b = boxesOf(station); return [...b.values()].every((v) => v !== null) ? b : undefined; });
    assert.deepEqual(again, boxes, 'the same boxes');
    assert.deepEqual(station.db.connection.prepare('SELECT file_hash, display_rendition FROM instances WHERE is_image = 1 ORDER BY id').all(), renditionsBefore, 'renditions as they were');
    assert.deepEqual(renditionFiles(), renditionsMade, 'no rendition made again');
    // the viewer reads them with the exam
    const examId = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows[0]!.examId;
    const detail = await station.handlers.examDetail({ examId, purpose: 'prefetch' });
    const images = detail.series.flatMap((s) => s.instances).filter((i) => i.isImage && !i.forProcessing);
    assert.ok(images.length >= 4 && images.every((i) => i.breastBox && i.breastBox.join(',') === again.get(i.sopInstanceUid)), 'each image\'s box in the exam\'s detail');
  } finally {
    await station.close();
  }
});

test('the box is found on the image\'s whole range, not its first window (a narrow preset clipped the fat to the air\'s level: the box held the dense core, the fat zoomed out of sight); none on an image too small to hold a breast', async () => {
  const { readForDisplay } = await import('../../main/dicom/pixels/rendition.ts');
  const { baseDataset, nativePixelData, assemble, TS } = await import('../helpers/crafted-dicom.ts');
  const rows = 400, columns = 300;
  const values = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      // air 100; a fatty breast (1000) against the left edge, rows 50–349, out to column 200; a dense core (3000) in it
      const breast = x < 200 && y >= 50 && y < 350;
      const core = x < 100 && y >= 150 && y < 250;
      values[y * columns + x] = core ? 3000 + ((x * 7 + y * 13) % 50) : breast ? 1000 + ((x * 5 + y * 3) % 40) : 100 + ((x + y) % 5);
    }
  }
  const file = path.join(tempDir('breast-box-window'), 'narrow.dcm');
  const narrow = { WindowCenter: 3000, WindowWidth: 600, PixelSpacing: [0.1, 0.1], ImagerPixelSpacing: [0.1, 0.1] };
  fs.writeFileSync(file, assemble(baseDataset({ rows, columns }, narrow), TS.explicit, { pixelData: nativePixelData(new Uint8Array(values.buffer), 'OW') }));
  const { breastBox } = await readForDisplay(file, { maxSide: 1024, rendition: false, breastBox: true });
  assert.ok(breastBox, 'a box');
  const [c0, r0, c1, r1] = breastBox;
  assert.ok(c0 <= 2 && c1 >= 198 && c1 <= 210 && r0 <= 52 && r0 >= 40 && r1 >= 348 && r1 <= 360, `the whole breast, fat and all: ${breastBox.join(',')}`);
  // an image of a few pixels (a probe's 1 × 2 image was zoomed onto one of them)
  const tiny = path.join(tempDir('breast-box-tiny'), 'tiny.dcm');
  fs.writeFileSync(tiny, assemble(baseDataset({ rows: 2, columns: 1 }), TS.explicit, { pixelData: nativePixelData(Uint8Array.of(10, 0, 200, 0), 'OW') }));
  assert.equal((await readForDisplay(tiny, { maxSide: 1024, rendition: false, breastBox: true })).breastBox, null);
});

test('an exam opened before its images\' boxes were made is said ready once they are (displayReady: its viewer hangs it again), once, and not again at the next opening', { timeout: 180_000 }, async () => {
  const library = tempDir('display-ready');
  let station = openTestStation({ libraryDir: library, renditions: true });
  let examId: number;
  try {
    await station.handlers.loadDemoExams({ patients: 2, priors: 0, size: 'reduced', seed: 'display-ready' });
    await waitFor('the boxes', () => ([...boxesOf(station).values()].every((b) => b !== null) ? true : undefined));
    examId = (await station.handlers.worklistQuery({ filter: { scope: 'breast' }, sort: { field: 'studyDate', direction: 'desc' }, offset: 0, limit: 1 })).rows[0]!.examId;
  } finally {
    await station.close();
  }
  // as just received: no box looked for yet
  const db = new Database(path.join(library, 'worklist.sqlite'));
  db.prepare('UPDATE instances SET breast_box = NULL').run();
  db.close();
  station = openTestStation({ libraryDir: library, renditions: true });
  try {
    const ready: { examId: number; boxed: boolean }[] = [];
    const boxedNow = (id: number) => (station.db.connection.prepare(`SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_ref
      WHERE se.study_ref = ? AND i.is_image = 1 AND i.for_processing = 0 AND i.breast_box IS NULL`).pluck().get(id) as number) === 0;
    station.on('displayReady', (event) => ready.push({ examId: event.examId, boxed: boxedNow(event.examId) }));
    // opened at once (before the station's own look, 5 s after its start): its images first
    const opened = await station.handlers.examDetail({ examId });
    assert.ok(opened.series.flatMap((s) => s.instances).some((i) => i.isImage && i.breastBox === null), 'opened without its boxes');
    await waitFor('the exam said ready', () => (ready.length ? true : undefined));
    assert.deepEqual(ready, [{ examId, boxed: true }], 'said once its images all have their boxes');
    // opened again, with nothing left to make: not said again (its viewer would hang it again without end)
    await station.handlers.examDetail({ examId });
    await waitFor('every box', () => ([...boxesOf(station).values()].every((b) => b !== null) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ready.length, 1);
  } finally {
    await station.close();
  }
});
