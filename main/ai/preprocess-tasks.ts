// The task table of an AI thread's preprocessing helpers (preprocess-bands.ts, preprocess.worker.ts).
import type { StoredPixels } from '../dicom/pixels/decode.ts';
import type { MaskGrid } from '../dicom/pixels/breast-mask.ts';
import type { OutputFill } from '../dicom/pixels/model-input.ts';
import type { ValueTable } from '../dicom/pixels/resample.ts';

/**
 * Pieces of work cut in advance; the threads take them one at a time by raising a shared counter
 * (`next`), so that a thread slowed down (started a moment ago, its code not yet compiled, or the
 * machine busy) takes fewer. Each returns the pieces it made.
 */
export interface SharedPieces {
  /** Piece i covers [pieces[2i], pieces[2i + 1]). */
  pieces: Int32Array;
  /** The next piece to take (shared memory). */
  next: Int32Array;
}

export type PreprocessTasks = {
  /** The breast mask's block sums of the pieces' block rows, added into `sums` (shared memory), zeroed there first. */
  sampleBlocks: {
    input: SharedPieces & { source: StoredPixels; columns: number; lut: ValueTable; grid: MaskGrid; sums: Float32Array };
    result: number[];
  };
  /** The pieces' resampled rows written into `out` (shared memory), their output rows zeroed first. */
  fillRows: {
    input: SharedPieces & { source: StoredPixels; columns: number; fill: OutputFill; out: Float32Array };
    result: number[];
  };
};

/** Takes pieces until none is left, making each with `make`; returns the ones made. */
export function takePieces({ pieces, next }: SharedPieces, make: (from: number, to: number) => void): number[] {
  const made: number[] = [];
  for (let i = Atomics.add(next, 0, 1); i < pieces.length / 2; i = Atomics.add(next, 0, 1)) {
    make(pieces[2 * i]!, pieces[2 * i + 1]!);
    made.push(i);
  }
  return made;
}

