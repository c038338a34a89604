// Frames read into WebAssembly memory, and the look for bits above Bits Stored made there. A native
// frame's values must have those bits clear (decode.ts clears them where they are not); they nearly
// never are set, so the look is a read-only pass over the whole frame: 17 MB for a mammogram, about
// 3.7 ms in JavaScript, 0.7 ms in the kernel (wasm/stored-bits-kernel.as.ts, 128 bits at a time).
// The kernel needs the frame in its memory: the AI thread reads its frames (ScratchArrays, shared)
// into a shared WebAssembly memory, whose buffer is a SharedArrayBuffer its preprocessing helpers
// read as before. Frames elsewhere are looked at in JavaScript.

import { errorForLog, log } from '../../base/log.ts';
import { storedBitsKernelWasm } from './wasm/stored-bits-kernel.wasm.ts';

/** The little of the WebAssembly API used here (main's types are ES2022 and Node's, which leave it out). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: SharedArrayBuffer };
}
interface StoredBitsKernel { anyOutside(at: number, count: number, mask: number): number }

const PAGE = 65536;
/** The kernel's instance for each frame memory, by the memory's buffer. */
const kernels = new WeakMap<ArrayBufferLike, StoredBitsKernel>();
let module: object | null | undefined;

/**
 * `bytes` of shared memory for frames: a WebAssembly memory's where one can be made (the kernel then
 * looks at the values in it), else a SharedArrayBuffer's.
 */
export function frameMemory(bytes: number): Uint8Array<SharedArrayBuffer> {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  try {
    module ??= new wasm.Module(Buffer.from(storedBitsKernelWasm, 'base64'));
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    kernels.set(memory.buffer, new wasm.Instance(module, { env: { memory } }).exports as StoredBitsKernel);
    return new Uint8Array(memory.buffer, 0, bytes);
  } catch (error) {
    // not expected (Node 20 and Electron have shared WebAssembly memory and SIMD): looked at in JavaScript, said once
    if (module !== null) log.warn(`the stored-bits kernel could not be loaded: looking at frames in JavaScript (${errorForLog(error)})`);
    module = null;
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }
}

/** Whether any value has a bit set outside `mask`: in the kernel where the values lie in a frame memory, else four 32-bit words at a time. */
export function anyBitsOutside(pixels: Uint16Array, mask: number): boolean {
  const kernel = kernels.get(pixels.buffer);
  if (kernel) return kernel.anyOutside(pixels.byteOffset, pixels.length, mask) !== 0;
  const pairs = pixels.length >>> 1;
  let a = 0, b = 0, c = 0, d = 0;
  if (pixels.byteOffset % 4 === 0) {
    const words = new Uint32Array(pixels.buffer, pixels.byteOffset, pairs);
    const whole = pairs & ~3;
    for (let i = 0; i < whole; i += 4) { a |= words[i]!; b |= words[i + 1]!; c |= words[i + 2]!; d |= words[i + 3]!; }
    for (let i = whole; i < pairs; i++) a |= words[i]!;
  } else {
    for (let i = 0; i < 2 * pairs; i++) a |= pixels[i]!;
  }
  if (pixels.length % 2) a |= pixels[pixels.length - 1]!;
  const both = (mask & 0xffff) * 0x10001;
  return ((a | b | c | d) & ~both) !== 0;
}
