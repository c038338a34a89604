// Arrays a thread keeps from one full-size image to the next, for the frame's bytes as stored and
// for values made from them (a model's input). Allocating and first touching a new 17 MB array for
// each image cost 60–120 ms on a busy 2-core machine, against 2 ms to read a file into an array
// already touched. Lent to one user at a time: an image started while another still holds them (an
// analysis awaiting its model run) gets arrays of its own.

import { frameMemory } from './stored-bits.ts';

/** Larger frames than this (many times a mammogram's) get arrays of their own, not kept. */
const MAX_KEPT_BYTES = 256 * 1024 * 1024;

export interface LentScratch {
  /** Where to read the frame's bytes (undefined: read into an array of its own). */
  frame?: Uint8Array;
  /** `count` float32 values, grown to that size (undefined: allocate them). */
  values?: (count: number) => Float32Array | undefined;
  /** Gives the arrays back once nothing lies in them any more. */
  giveBack(): void;
}

export class ScratchArrays {
  private frame: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private values = new Float32Array(0);
  private lent = false;

  /**
   * `shared`: the frame's bytes in shared memory, for other threads to read where they lie (a
   * WebAssembly memory's, where a native frame's stored bits are looked at fastest: stored-bits.ts).
   */
  constructor(private readonly options: { shared?: boolean } = {}) {}

  /** The arrays (the frame's grown to at least `frameBytes` where it may be kept), or nothing while they are lent. */
  borrow(frameBytes: number): LentScratch {
    if (this.lent) return { giveBack: () => undefined };
    if (this.frame.length < frameBytes && frameBytes <= MAX_KEPT_BYTES) this.frame = this.options.shared ? frameMemory(frameBytes) : Buffer.allocUnsafe(frameBytes);
    this.lent = true;
    let given = false;
    return {
      frame: this.frame,
      values: (count) => {
        if (this.values.length < count && count * 4 <= MAX_KEPT_BYTES) this.values = new Float32Array(count);
        return this.values.length >= count ? this.values.subarray(0, count) : undefined;
      },
      giveBack: () => {
        if (!given) this.lent = false;
        given = true;
      },
    };
  }
}
