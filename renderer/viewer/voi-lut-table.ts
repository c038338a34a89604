// A VOI LUT Sequence as a window (see voiFromLutTable); no Cornerstone import, so that it is unit-tested under Node.

/** A VOI LUT Sequence item as the DICOM image loader reads it. */
export interface VoiLutTable {
  firstValueMapped?: number;
  lut: ArrayLike<number>;
}

/**
 * The window an image opens with when it carries a VOI LUT Sequence and no window preset (some CR
 * and older MG systems). Cornerstone's GPU path draws windows, not tables, so the table becomes the
 * linear window over which it rises from 2 % to 98 % of its output, extended to its full rise; a
 * falling table (output dark for high values) is shown inverted. An approximation of the vendor's
 * curve, said so on the viewport (data-voi-source), never a change of the pixels.
 */
export function voiFromLutTable(table: VoiLutTable | undefined): { voiRange: { lower: number; upper: number }; invertTable: boolean } | null {
  const values = table?.lut;
  if (!values || values.length < 2) return null;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) { min = Math.min(min, values[i]!); max = Math.max(max, values[i]!); }
  if (!(max > min)) return null;
  const falling = values[values.length - 1]! < values[0]!;
  const low = min + 0.02 * (max - min);
  const high = max - 0.02 * (max - min);
  let first = -1;
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    const v = falling ? max + min - values[i]! : values[i]!;
    if (first < 0 && v > low) first = i;
    if (v < high) last = i;
  }
  if (first < 0 || last < first) return null;
  const start = table!.firstValueMapped ?? 0;
  const span = Math.max(1, (last - first) / 0.96);
  const lower = start + first - 0.02 * span;
  return { voiRange: { lower, upper: lower + span }, invertTable: falling };
}
