// A helper of an AI thread (preprocess-bands.ts): takes pieces of a model input's making, reading
// stored values in shared memory and writing into shared memory: the breast mask's samples, then
// the resampled rows. Started by the AI thread itself.

import { serveTasks } from '../workers/serve.ts';
import { fillOutputRows, outputRowsOf } from '../dicom/pixels/model-input.ts';
import { sampleBlockRows } from '../dicom/pixels/breast-mask.ts';
import { takePieces } from './preprocess-tasks.ts';
import type { PreprocessTasks } from './preprocess-tasks.ts';

serveTasks<PreprocessTasks>({
  sampleBlocks: async ({ source, columns, lut, grid, sums, ...shared }) =>
    takePieces(shared, (by0, by1) => sampleBlockRows(source, columns, lut, grid, by0, by1, sums.fill(0, by0 * grid.width, by1 * grid.width))).length,
  fillRows: async ({ source, columns, fill, out, ...shared }) =>
    takePieces(shared, (k0, k1) => {
      // the rows' earlier values are another image's: resampling adds to zeros
      const [r0, r1] = outputRowsOf(fill, k0, k1);
      fillOutputRows(source, columns, fill, out.fill(0, r0 * fill.target.stride, r1 * fill.target.stride), k0, k1);
    }).length,
});
