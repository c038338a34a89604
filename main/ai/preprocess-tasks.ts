// The task table of an AI thread's preprocessing helpers (preprocess-bands.ts, preprocess.worker.ts),
// and how pieces of work are shared out between them and the AI thread.
import type { StoredPixels } from '../dicom/pixels/decode.ts';
import type { MaskGrid } from '../dicom/pixels/breast-mask.ts';
import type { OutputFill } from '../dicom/pixels/model-input.ts';
import type { ValueTable } from '../dicom/pixels/resample.ts';

/**
 * Pieces of work cut in advance. The threads take them one at a time by raising a shared counter,
 * so that a slow thread (started a moment ago, its code not yet compiled, or the machine busy)
 * takes fewer; each piece made is counted in shared memory too, so the AI thread knows when all
 * are made without waiting for any message (a helper's answer reaches it only between tasks).
 */
export interface SharedPieces {
  /** Piece i covers [pieces[2i], pieces[2i + 1]). */
  pieces: Int32Array;
  /** Shared memory: [the next piece to take, how many are made]. */
  control: Int32Array;
}

export const NEXT = 0;
export const MADE = 1;

export type PreprocessTasks = {
  /** The breast mask's block sums of the pieces' block rows, added into `sums` (shared memory), zeroed there first. */
  sampleBlocks: {
    input: SharedPieces & { source: StoredPixels; columns: number; lut: ValueTable; grid: MaskGrid; sums: Float32Array };
    result: number;
  };
  /** The pieces' resampled rows written into `out` (shared memory), their output rows zeroed first. */
  fillRows: {
    input: SharedPieces & { source: StoredPixels; columns: number; fill: OutputFill; out: Float32Array };
    result: number;
  };
};

/**
 * Takes pieces until none is left, making each with `make` and counting it made; returns the
 * indices of those taken here (made, unless `make` threw).
 */
export function takePieces({ pieces, control }: SharedPieces, make: (from: number, to: number) => void): number[] {
  const taken: number[] = [];
  for (let i = Atomics.add(control, NEXT, 1); i < pieces.length / 2; i = Atomics.add(control, NEXT, 1)) {
    taken.push(i);
    make(pieces[2 * i]!, pieces[2 * i + 1]!);
    Atomics.add(control, MADE, 1);
    Atomics.notify(control, MADE);
  }
  return taken;
}
