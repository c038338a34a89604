// Pictures for checking marks against the ground truth by eye: a stored image reduced (block means
// through its presentation LUT, as stored: not flipped), the ground truth's boxes in green and the
// model's marks in orange with their class and score, drawn in Chromium and saved as PNG.
import type { Page } from 'playwright-core';
import type { DecodedFrame } from '../../main/dicom/pixels/decode.ts';
import { presentationLut } from '../../main/dicom/pixels/voi.ts';
import type { Lesion, Mark } from './froc.ts';

const SIDE = 640;

export async function drawFigure(page: Page, frame: DecodedFrame, lesions: Lesion[], marks: Mark[], title: string, file: string): Promise<void> {
  const h = frame.header;
  const lut = presentationLut(h, frame.pixels, 'preset');
  const factor = Math.max(1, Math.ceil(Math.max(h.rows, h.columns) / SIDE));
  const w = Math.floor(h.columns / factor), ht = Math.floor(h.rows / factor);
  const grey = new Uint8Array(w * ht);
  for (let y = 0; y < ht; y++) for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += lut.table[frame.pixels[(y * factor + dy) * h.columns + x * factor + dx]! - lut.offset]!;
    grey[y * w + x] = Math.round((255 * sum) / (factor * factor));
  }
  const scale = 1 / factor;
  await page.setViewportSize({ width: w, height: ht + 24 });
  await page.setContent('<html><body style="margin:0;background:#000"><canvas id="c"></canvas></body></html>');
  await page.evaluate(({ grey, w, ht, lesions, marks, scale, title }) => {
    const canvas = document.getElementById('c') as HTMLCanvasElement;
    canvas.width = w;
    canvas.height = ht + 24;
    const g = canvas.getContext('2d')!;
    const image = g.createImageData(w, ht);
    for (let i = 0; i < w * ht; i++) { const v = grey[i]!; image.data.set([v, v, v, 255], i * 4); }
    g.putImageData(image, 0, 24);
    g.font = '12px sans-serif';
    g.fillStyle = '#fff';
    g.fillText(title, 4, 16);
    g.lineWidth = 2;
    for (const l of lesions) {
      const [x0, y0, x1, y1] = l.box.map((v) => v * scale) as [number, number, number, number];
      g.strokeStyle = '#3c3';
      g.strokeRect(x0 - 3, y0 - 3 + 24, x1 - x0 + 6, y1 - y0 + 6);
      g.fillStyle = '#3c3';
      g.fillText(`${l.class} ${l.sizeMm} mm c${l.contrast}`, x0, y1 + 24 + 16);
    }
    for (const m of marks) {
      const x = m.x * scale, y = m.y * scale + 24;
      g.strokeStyle = '#fa0';
      g.beginPath();
      g.arc(x, y, 9, 0, 2 * Math.PI);
      g.stroke();
      g.fillStyle = '#fa0';
      g.fillText(`${m.class.slice(0, 4)} ${m.score.toFixed(2)}`, x + 11, y - 6);
    }
  }, { grey: Array.from(grey), w, ht, lesions, marks, scale, title });
  await page.screenshot({ path: file });
}
