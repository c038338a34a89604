// FROC curves as an SVG chart: sensitivity against false marks per image on a log axis (0.125–8),
// one line per curve, the evaluation's rates (0.25–4) as grid lines.
import type { FrocPoint } from './froc.ts';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#111111'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function frocSvg(curves: { label: string; curve: FrocPoint[] }[], title: string): string {
  const W = 900, H = 600, left = 70, right = 250, top = 50, bottom = 60;
  const pw = W - left - right, ph = H - top - bottom;
  const lo = Math.log2(0.125), hi = Math.log2(8);
  const x = (fpi: number) => left + ((Math.log2(Math.min(8, Math.max(0.125, fpi))) - lo) / (hi - lo)) * pw;
  const y = (s: number) => top + (1 - s) * ph;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13"><rect width="${W}" height="${H}" fill="white"/>`];
  // a long title (four seeds) squeezed into the picture's width rather than cut at its edge
  const fit = title.length > 90 ? ` textLength="${W - left - 10}" lengthAdjust="spacingAndGlyphs"` : '';
  parts.push(`<text x="${left}" y="28" font-size="15" font-weight="bold"${fit}>${escape(title)}</text>`);
  for (const rate of [0.125, 0.25, 0.5, 1, 2, 4, 8]) {
    parts.push(`<line x1="${x(rate)}" y1="${top}" x2="${x(rate)}" y2="${top + ph}" stroke="#ddd"/><text x="${x(rate)}" y="${top + ph + 18}" text-anchor="middle">${rate}</text>`);
  }
  for (let s = 0; s <= 1.0001; s += 0.1) {
    parts.push(`<line x1="${left}" y1="${y(s)}" x2="${left + pw}" y2="${y(s)}" stroke="#eee"/><text x="${left - 8}" y="${y(s) + 4}" text-anchor="end">${s.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${H - 18}" text-anchor="middle">false marks per image (log scale)</text>`);
  parts.push(`<text transform="translate(20 ${top + ph / 2}) rotate(-90)" text-anchor="middle">lesion sensitivity</text>`);
  curves.forEach(({ label, curve }, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    // a FROC curve is a staircase: it rises at a threshold, then runs right to the next false mark
    const points: string[] = [];
    let last: FrocPoint | null = null;
    for (const p of curve) {
      if (last) points.push(`${x(p.falsePerImage).toFixed(1)},${y(last.sensitivity).toFixed(1)}`);
      points.push(`${x(p.falsePerImage).toFixed(1)},${y(p.sensitivity).toFixed(1)}`);
      last = p;
    }
    if (last) points.push(`${x(8).toFixed(1)},${y(last.sensitivity).toFixed(1)}`);
    // no curve (no lesion of the class in the set): nothing drawn, and the legend says why
    if (points.length) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`);
    parts.push(`<line x1="${left + pw + 20}" y1="${top + 10 + i * 22}" x2="${left + pw + 44}" y2="${top + 10 + i * 22}" stroke="${colour}" stroke-width="3"${points.length ? '' : ' stroke-dasharray="3 3"'}/>` +
      `<text x="${left + pw + 50}" y="${top + 14 + i * 22}">${escape(points.length ? label : `${label}: no lesion`)}</text>`);
  });
  parts.push(`<text x="${left + pw + 20}" y="${top + ph}" font-size="11" fill="#a00">Synthetic images only:</text><text x="${left + pw + 20}" y="${top + ph + 14}" font-size="11" fill="#a00">not for diagnostic use.</text></svg>`);
  return parts.join('\n');
}
