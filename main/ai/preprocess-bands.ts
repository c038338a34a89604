// A full-size image made into a model's input on several cores at once. Between two model runs an
// AI thread is the only one working (the model's own threads are idle then): the resampling, about
// two thirds of the pipeline's time, is cut in bands of rows, one made here and the others on
// helper threads (preprocess.worker.ts), all reading the stored values where they lie in shared
// memory. Each band sums the same products in the same order as one pass does (model-input.ts
// fillOutputRows), so the model's input is the same to the bit however it is cut, and the same as
// prepareModelInput's.

import os from 'node:os';
import type { DecodedFrame, StoredPixels } from '../dicom/pixels/decode.ts';
import type { ModelInput, ModelInputOptions, OutputFill } from '../dicom/pixels/model-input.ts';
import { fillOutputRows, finishModelInput, outputRowsOf, planModelInput, prepareModelInput } from '../dicom/pixels/model-input.ts';
import { maskFromBlockSums, maskGrid, sampleBlockRows } from '../dicom/pixels/breast-mask.ts';
import type { BreastMask } from '../dicom/pixels/breast-mask.ts';
import { presentationLut } from '../dicom/pixels/voi.ts';
import type { PresentationLut } from '../dicom/pixels/voi.ts';
import { WorkerPool, entryFromParent } from '../workers/pool.ts';
import { takePieces } from './preprocess-tasks.ts';
import type { PreprocessTasks, SharedPieces } from './preprocess-tasks.ts';
import type { WorkerEntry } from '../workers/pool.ts';
import { errorForLog, log } from '../base/log.ts';

/** Pieces per thread: enough for a slow thread to take fewer, few enough that handing them out costs nothing. */
const PIECES_PER_THREAD = 6;

/** Images smaller than this are made on one thread: handing out bands would cost more than it saves. */
const MIN_BANDED_PIXELS = 1 << 20;
/** A helper that has not answered by then has failed: its band is made here. */
const BAND_TIMEOUT_MS = 60_000;

const isShared = (a: ArrayBufferView) => a.buffer instanceof SharedArrayBuffer;

export class PreprocessBands {
  private readonly pool: WorkerPool<PreprocessTasks> | null;
  private readonly helpers: number;
  /** Shared arrays kept from image to image: stored values copied out of a codec's memory, and the helpers' rows. */
  private sharedSource = new Uint16Array(new SharedArrayBuffer(0));
  private readonly sharedFloats = new Map<string, Float32Array>();

  /**
   * `helpers`: threads beside this one (default: one fewer than the cores, at most 3); none where
   * this thread was not given their entry (`entry`, by default the one its pool named).
   */
  /** Pieces made so far: here, by the helpers, and here again after a helper failed. */
  readonly made = { here: 0, byHelpers: 0, again: 0 };
  private readonly minPixels: number;

  constructor(options: { helpers?: number; entry?: WorkerEntry | null; minPixels?: number } = {}) {
    this.minPixels = options.minPixels ?? MIN_BANDED_PIXELS;
    const helpers = options.helpers ?? Math.min(3, os.availableParallelism() - 1);
    const entry = options.entry === undefined ? entryFromParent('preprocess.worker') : options.entry;
    this.helpers = entry ? Math.max(0, helpers) : 0;
    this.pool = entry && this.helpers > 0 ? new WorkerPool<PreprocessTasks>({ name: 'preprocess', entry, size: this.helpers,
      // sent at once even while an earlier call is still on its way back (one that found nothing left
      // to take): this thread is busy taking pieces until its own call is answered
      tasksPerWorker: 64 }) : null;
  }

  /**
   * prepareModelInput, its rows made in bands on this thread and the helpers. The stored values are
   * read before this returns its promise only where they are not in shared memory (they are copied
   * there first): a codec's memory, valid only until the caller's callback returns, is never read
   * afterwards.
   */
  async prepare(frame: DecodedFrame, options: ModelInputOptions): Promise<ModelInput> {
    const { header } = frame;
    const { columns, rows } = header;
    if (!this.pool || columns * rows < this.minPixels) return prepareModelInput(frame, options);
    const source = isShared(frame.pixels) ? frame.pixels : this.copyToShared(frame.pixels);
    const made = presentationLut(header, source, options.voi ?? 'preset');
    // the lookup table (256 KB for 16-bit values) lent to the helpers where it lies, not copied to each
    const lut: PresentationLut = { ...made, table: this.shared('table', made.table.length) };
    lut.table.set(made.table);

    // the breast mask's samples, in pieces of block rows
    const grid = maskGrid(columns, rows);
    const sums = this.shared('sums', grid.width * grid.height);
    const zeroSums = (by0: number, by1: number) => sums.fill(0, by0 * grid.width, by1 * grid.width);
    await this.shareOut(evenCuts(grid.height, this.threads * PIECES_PER_THREAD),
      (by0, by1) => sampleBlockRows(source, columns, lut, grid, by0, by1, zeroSums(by0, by1)),
      (shared) => this.pool!.run('sampleBlocks', { ...shared, source, columns, lut, grid, sums }, { timeoutMs: BAND_TIMEOUT_MS }),
      () => undefined);
    const mask = maskFromBlockSums(grid, sums);

    const { input, fill } = planModelInput({ header, pixels: source }, options, { lut, mask });
    const count = input.width * input.height;
    const pixels = options.into?.(count) ?? new Float32Array(count);
    if (fill.turned || fill.rows < this.threads * PIECES_PER_THREAD) {
      pixels.fill(0);
      fillOutputRows(source, columns, fill, pixels, 0, fill.rows);
    } else {
      const stride = fill.target.stride;
      const out = this.shared('out', count);
      // the padding below the content is zeros; each piece's rows are zeroed by the thread that makes
      // them (the helpers' then copied over whole)
      const [content0, content1] = outputRowsOf(fill, 0, fill.rows);
      pixels.fill(0, 0, content0 * stride);
      pixels.fill(0, content1 * stride);
      const rowsOf = (k0: number, k1: number) => outputRowsOf(fill, k0, k1).map((r) => r * stride) as [number, number];
      await this.shareOut(balancedCuts(fill, mask, this.threads * PIECES_PER_THREAD),
        (k0, k1) => fillOutputRows(source, columns, fill, pixels.fill(0, ...rowsOf(k0, k1)), k0, k1),
        (shared) => this.pool!.run('fillRows', { ...shared, source, columns, fill, out }, { timeoutMs: BAND_TIMEOUT_MS }),
        (k0, k1) => pixels.set(out.subarray(...rowsOf(k0, k1)), rowsOf(k0, k1)[0]));
    }
    finishModelInput(pixels, options);
    return { pixels, ...input };
  }

  private get threads(): number {
    return this.helpers + 1;
  }

  /**
   * The pieces made by this thread and the helpers at once, each taking the next piece left
   * (`here` makes one here; `helper` sends a helper to take them; `adopt` takes in a piece a helper
   * made). A helper that fails (its thread crashed, or it did not answer in time) has the pieces
   * this thread did not make made here again: the same values, later.
   */
  private async shareOut(cuts: [number, number][], here: (from: number, to: number) => void, helper: (shared: SharedPieces) => Promise<number[]>,
    adopt: (from: number, to: number) => void): Promise<void> {
    const shared: SharedPieces = { pieces: new Int32Array(cuts.flat()), next: new Int32Array(new SharedArrayBuffer(4)) };
    const helpers = Array.from({ length: this.helpers }, () => helper(shared));
    const mine = new Set(takePieces(shared, here));
    this.made.here += mine.size;
    // all made here (a helper still starting): it takes none now, so it is not waited for
    if (mine.size === cuts.length) {
      for (const h of helpers) h.catch((error: unknown) => log.debug(`preprocessing helper failed, with nothing to make: ${errorForLog(error)}`));
      return;
    }
    const results = await Promise.allSettled(helpers);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      log.warn(`preprocessing helper failed, its pieces made on the AI thread: ${errorForLog((failed as PromiseRejectedResult).reason)}`);
      cuts.forEach(([from, to], i) => {
        if (mine.has(i)) return;
        here(from, to);
        this.made.again++;
      });
      return;
    }
    for (const r of results) {
      for (const i of (r as PromiseFulfilledResult<number[]>).value) {
        adopt(...cuts[i]!);
        this.made.byHelpers++;
      }
    }
  }

  /** A shared array kept for `use`, grown to at least `count` values. */
  private shared(use: 'table' | 'sums' | 'out', count: number): Float32Array {
    let kept = this.sharedFloats.get(use);
    if (!kept || kept.length < count) this.sharedFloats.set(use, kept = new Float32Array(new SharedArrayBuffer(count * 4)));
    return kept.subarray(0, count);
  }

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
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
export function balancedCuts(fill: OutputFill, mask: BreastMask, bands: number): [number, number][] {
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
