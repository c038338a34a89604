// A full-size image made into a model's input on several cores at once. Between two model runs an
// AI thread is the only one working (the model's own threads are idle then): the breast mask's
// samples and the resampling, most of the pipeline's time, are cut in pieces of rows that this
// thread and helper threads (preprocess.worker.ts) take in turn, all reading the stored values
// where they lie in shared memory. Each piece sums the same products in the same order as one pass
// does (model-input.ts fillOutputRows), so the model's input is the same to the bit however it is
// cut, and the same as prepareModelInput's.

import os from 'node:os';
import type { DecodedFrame, StoredPixels } from '../dicom/pixels/decode.ts';
import type { ModelInput, ModelInputOptions, OutputFill } from '../dicom/pixels/model-input.ts';
import { fillOutputRows, finishModelInput, outputRowsOf, planModelInput, prepareModelInput } from '../dicom/pixels/model-input.ts';
import { maskFromBlockSums, maskGrid, sampleBlockRows } from '../dicom/pixels/breast-mask.ts';
import type { BreastMask } from '../dicom/pixels/breast-mask.ts';
import { presentationLut } from '../dicom/pixels/voi.ts';
import type { PresentationLut } from '../dicom/pixels/voi.ts';
import { WorkerPool, entryFromParent } from '../workers/pool.ts';
import { MADE, takePieces } from './preprocess-tasks.ts';
import type { PreprocessTasks, SharedPieces } from './preprocess-tasks.ts';
import type { WorkerEntry } from '../workers/pool.ts';
import { errorForLog, log } from '../base/log.ts';

/** Pieces per thread: enough for a slow thread to take fewer, few enough that handing them out costs nothing. */
const PIECES_PER_THREAD = 6;

/** Images smaller than this are made on one thread: handing out pieces would cost more than it saves. */
const MIN_BANDED_PIXELS = 1 << 20;
/**
 * Nor larger ones (a full-size mammogram is 8.5 M pixels, 17 MB stored): the shared arrays, kept
 * from image to image for as long as the AI thread lives, stay within about 4 × 64 MB; one unusual
 * image (16384² at 0.025 mm) held gigabytes for the thread's life (a probe).
 */
const MAX_BANDED_BYTES = 64 * 1024 * 1024;
/**
 * A piece a helper took and has not made by then (a stuck or crashed thread; on a busy machine a
 * piece takes milliseconds): the image is made again on the AI thread alone.
 */
const PIECE_WAIT_MS = 5_000;

const isShared = (a: ArrayBufferView) => a.buffer instanceof SharedArrayBuffer;

/** The helpers did not make every piece they took: the image is made on the AI thread alone. */
class HelpersFailed extends Error {}

export class PreprocessBands {
  /** One pool of one thread per helper: each is sent one call per share-out. */
  private readonly pools: WorkerPool<PreprocessTasks>[];
  private readonly entry: WorkerEntry | null;
  /** Shared arrays kept from image to image (stored values copied out of a codec's memory, the LUT, the mask's sums, the helpers' rows); dropped after a failure. */
  private sharedSource = new Uint16Array(new SharedArrayBuffer(0));
  private sharedFloats = new Map<string, Float32Array>();
  private readonly minPixels: number;
  private readonly pieceWaitMs: number;
  /** Pieces made so far, here and by the helpers, and images made again here after helpers failed. */
  readonly made = { here: 0, byHelpers: 0, madeAlone: 0 };

  /**
   * `helpers`: threads beside this one (default: one fewer than the cores, at most 3); none where
   * this thread was not given their entry (`entry`, by default the one its pool named).
   */
  constructor(options: { helpers?: number; entry?: WorkerEntry | null; minPixels?: number; pieceWaitMs?: number } = {}) {
    this.minPixels = options.minPixels ?? MIN_BANDED_PIXELS;
    this.pieceWaitMs = options.pieceWaitMs ?? PIECE_WAIT_MS;
    const helpers = options.helpers ?? Math.min(3, os.availableParallelism() - 1);
    this.entry = options.entry === undefined ? entryFromParent('preprocess.worker') : options.entry;
    this.pools = this.entry ? Array.from({ length: Math.max(0, helpers) }, () => this.newPool()) : [];
  }

  private newPool(): WorkerPool<PreprocessTasks> {
    return new WorkerPool<PreprocessTasks>({ name: 'preprocess', entry: this.entry!, size: 1,
      // it lives as long as the AI thread (it stops with it), its code compiled
      idleMs: 2 ** 31 - 1,
      // sent at once while an earlier call is still on its way back (one that found nothing left to
      // take): the AI thread answers nothing until its image is made
      tasksPerWorker: 64 });
  }

  /**
   * prepareModelInput, its pieces made by this thread and the helpers at once (this thread waits
   * for theirs: it returns with the input made). Stored values that are not in shared memory (a
   * codec's) are copied there first.
   */
  prepare(frame: DecodedFrame, options: ModelInputOptions): ModelInput {
    const { header } = frame;
    if (!this.pools.length || header.columns * header.rows < this.minPixels || frame.pixels.byteLength > MAX_BANDED_BYTES) return prepareModelInput(frame, options);
    const source = isShared(frame.pixels) ? frame.pixels : this.copyToShared(frame.pixels);
    try {
      return this.prepareShared({ header, pixels: source }, options);
    } catch (error) {
      // a helper may still write into the shared arrays: they are dropped (new ones next time), the
      // helpers started again, and the image made here alone (the stored values are never written)
      this.sharedFloats = new Map();
      this.sharedSource = new Uint16Array(new SharedArrayBuffer(0));
      if (!(error instanceof HelpersFailed)) throw error;
      log.warn(`preprocessing helper did not make the pieces it took: the image is made on the AI thread alone (${error.message})`);
      this.made.madeAlone++;
      for (const [i, pool] of this.pools.entries()) {
        void pool.close().catch(() => undefined);
        this.pools[i] = this.newPool();
      }
      return prepareModelInput({ header, pixels: source }, options);
    }
  }

  private prepareShared(frame: DecodedFrame, options: ModelInputOptions): ModelInput {
    const { header, pixels: source } = frame;
    const { columns, rows } = header;
    const presentation = presentationLut(header, source, options.voi ?? 'preset');
    // the lookup table (256 KB for 16-bit values) lent to the helpers where it lies, not copied to each
    const lut: PresentationLut = { ...presentation, table: this.shared('table', presentation.table.length) };
    lut.table.set(presentation.table);

    // the breast mask's samples, in pieces of block rows
    const grid = maskGrid(columns, rows);
    const sums = this.shared('sums', grid.width * grid.height);
    this.shareOut(evenCuts(grid.height, this.threads * PIECES_PER_THREAD),
      (by0, by1) => sampleBlockRows(source, columns, lut, grid, by0, by1, sums.fill(0, by0 * grid.width, by1 * grid.width)),
      (pool, shared) => pool.run('sampleBlocks', { ...shared, source, columns, lut, grid, sums }),
      () => undefined);
    const mask = maskFromBlockSums(grid, sums);

    const { input, fill } = planModelInput(frame, options, { lut, mask });
    const count = input.width * input.height;
    const pixels = options.into?.(count) ?? new Float32Array(count);
    if (fill.turned || fill.rows < this.threads * PIECES_PER_THREAD || count * 4 > MAX_BANDED_BYTES) {
      pixels.fill(0);
      fillOutputRows(source, columns, fill, pixels, 0, fill.rows);
    } else {
      const stride = fill.target.stride;
      const out = this.shared('out', count);
      // the padding rows above and below the content are zeros (finishModelInput gives them a padding
      // value); each piece's rows are zeroed by the thread that makes them (the helpers' then copied
      // over whole)
      const [content0, content1] = outputRowsOf(fill, 0, fill.rows);
      pixels.fill(0, 0, content0 * stride);
      pixels.fill(0, content1 * stride);
      const rowsOf = (k0: number, k1: number) => outputRowsOf(fill, k0, k1).map((r) => r * stride) as [number, number];
      this.shareOut(balancedCuts(fill, mask, this.threads * PIECES_PER_THREAD),
        (k0, k1) => fillOutputRows(source, columns, fill, pixels.fill(0, ...rowsOf(k0, k1)), k0, k1),
        (pool, shared) => pool.run('fillRows', { ...shared, source, columns, fill, out }),
        (k0, k1) => pixels.set(out.subarray(...rowsOf(k0, k1)), rowsOf(k0, k1)[0]));
    }
    finishModelInput(pixels, options, fill);
    return { pixels, ...input };
  }

  private get threads(): number {
    return this.pools.length + 1;
  }

  /**
   * The pieces made by this thread and the helpers at once, each taking the next one left (`here`
   * makes one here; `send` sends a helper to take them; `adopt` takes in a piece a helper made).
   * Waits, blocking this thread (it has nothing else to do meanwhile), until every piece taken is
   * made; throws HelpersFailed when a helper's pieces are not made within PIECE_WAIT_MS.
   */
  private shareOut(cuts: [number, number][], here: (from: number, to: number) => void,
    send: (pool: WorkerPool<PreprocessTasks>, shared: SharedPieces) => Promise<number>, adopt: (from: number, to: number) => void): void {
    const shared: SharedPieces = { pieces: new Int32Array(cuts.flat()), control: new Int32Array(new SharedArrayBuffer(8)) };
    // their answers are not waited for (the count in shared memory says what is made); a helper that
    // fails shows as pieces never made
    for (const pool of this.pools) send(pool, shared).catch((error: unknown) => log.debug(`preprocessing helper: ${errorForLog(error)}`));
    const mine = new Set(takePieces(shared, here));
    this.made.here += mine.size;
    if (mine.size === cuts.length) return;
    const until = Date.now() + this.pieceWaitMs;
    for (let made = Atomics.load(shared.control, MADE); made < cuts.length; made = Atomics.load(shared.control, MADE)) {
      const left = until - Date.now();
      if (left <= 0) throw new HelpersFailed(`${cuts.length - made} of ${cuts.length} pieces not made after ${this.pieceWaitMs} ms`);
      Atomics.wait(shared.control, MADE, made, left);
    }
    cuts.forEach(([from, to], i) => {
      if (mine.has(i)) return;
      adopt(from, to);
      this.made.byHelpers++;
    });
  }

  /** A shared array kept for `use`, grown to at least `count` values. */
  private shared(use: 'table' | 'sums' | 'out', count: number): Float32Array {
    let kept = this.sharedFloats.get(use);
    if (!kept || kept.length < count) this.sharedFloats.set(use, kept = new Float32Array(new SharedArrayBuffer(count * 4)));
    return kept.subarray(0, count);
  }

  close(): Promise<void> {
    return Promise.all(this.pools.map((pool) => pool.close())).then(() => undefined);
  }

  private copyToShared(pixels: StoredPixels): StoredPixels {
    const bytes = pixels.byteLength;
    if (this.sharedSource.byteLength < bytes) this.sharedSource = new Uint16Array(new SharedArrayBuffer(bytes + (bytes & 1)));
    const Type = pixels.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => StoredPixels;
    const copy = new Type(this.sharedSource.buffer, 0, pixels.length);
    copy.set(pixels as never);
    return copy;
  }
}

/** `bands` cuts of [0, count) of about the same length. */
function evenCuts(count: number, bands: number): [number, number][] {
  return Array.from({ length: bands }, (_, b) => [Math.round((count * b) / bands), Math.round((count * (b + 1)) / bands)]);
}

/**
 * `bands` cuts of the resampled rows [0, fill.rows) with about the same work each: a row's work is
 * the breast it crosses (the air around it, mapped to 0, is skipped), read from the breast mask's
 * row at the stored row the resampled row starts from.
 */
function balancedCuts(fill: OutputFill, mask: BreastMask, bands: number): [number, number][] {
  const tissue = new Float64Array(mask.height);
  for (let y = 0; y < mask.height; y++) {
    let n = 0;
    for (let x = 0, at = y * mask.width; x < mask.width; x++, at++) n += mask.mask[at]!;
    tissue[y] = n;
  }
  const work = new Float64Array(fill.rows + 1);
  for (let k = 0; k < fill.rows; k++) {
    const y = Math.min(mask.height - 1, Math.max(0, Math.floor(fill.yw.first[k]! / mask.factor)));
    // every row costs something (its weights, the rows beside the breast)
    work[k + 1] = work[k]! + tissue[y]! + 1;
  }
  const cuts: [number, number][] = [];
  let from = 0;
  for (let b = 1; b <= bands; b++) {
    let to = fill.rows;
    if (b < bands) {
      const goal = (work[fill.rows]! * b) / bands;
      to = from;
      while (to < fill.rows && work[to]! < goal) to++;
    }
    cuts.push([from, to]);
    from = to;
  }
  return cuts;
}
