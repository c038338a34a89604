import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPeaks, heatmapPeaks } from '../../main/ai/heatmap-peaks.ts';

/** A [1, channels, h, w] heatmap with Gaussian blobs. */
function heatmap(channels: number, h: number, w: number, blobs: { c: number; u: number; v: number; peak: number; sigma: number }[]): Float32Array {
  const data = new Float32Array(channels * h * w);
  for (const b of blobs) for (let v = 0; v < h; v++) for (let u = 0; u < w; u++) {
    const i = (b.c * h + v) * w + u;
    data[i] = Math.max(data[i]!, b.peak * Math.exp(-((u - b.u) ** 2 + (v - b.v) ** 2) / (2 * b.sigma ** 2)));
  }
  return data;
}

test('peaks: per class, above the floor, the weaker of two close peaks dropped, the box at half maximum', () => {
  const data = heatmap(2, 40, 40, [
    { c: 0, u: 10, v: 10, peak: 0.9, sigma: 2 }, { c: 0, u: 12, v: 11, peak: 0.5, sigma: 1 }, // close: one finding
    { c: 0, u: 30, v: 30, peak: 0.6, sigma: 2 }, { c: 1, u: 20, v: 5, peak: 0.3, sigma: 2 }, // below the floor
  ]);
  const peaks = heatmapPeaks(data, [1, 2, 40, 40], { floor: 0.4, minDistance: 4, maxPerChannel: 10, activation: 'none' });
  assert.deepEqual(peaks.map((p) => [p.channel, p.u, p.v]), [[0, 10, 10], [0, 30, 30]]);
  // half maximum of a Gaussian of sigma 2 is 2.35 pixels from its centre: pixels 8–12 stay above it
  assert.deepEqual(peaks[1]!.extent, [27.5, 27.5, 32.5, 32.5]);
  assert.throws(() => heatmapPeaks(data, [1, 3, 40, 40], { floor: 0.4, minDistance: 4, maxPerChannel: 10, activation: 'none' }));
});

test('the distance two peaks of one class are one finding within may be one per class', () => {
  // two blobs of each class 6 pixels apart, a dip between them (no shoulder), of equal height (no satellite)
  const data = heatmap(2, 40, 40, [
    { c: 0, u: 10, v: 20, peak: 0.8, sigma: 1 }, { c: 0, u: 16, v: 20, peak: 0.8, sigma: 1 },
    { c: 1, u: 10, v: 30, peak: 0.8, sigma: 1 }, { c: 1, u: 16, v: 30, peak: 0.8, sigma: 1 },
  ]);
  const options = { floor: 0.4, maxPerChannel: 10, activation: 'none' } as const;
  const count = (channel: number, minDistance: number | number[]) => heatmapPeaks(data, [1, 2, 40, 40], { ...options, minDistance }).filter((p) => p.channel === channel).length;
  assert.deepEqual([count(0, 8), count(1, 8)], [1, 1]);
  assert.deepEqual([count(0, [8, 4]), count(1, [8, 4])], [1, 2]);
  assert.deepEqual([count(0, 4), count(1, 4)], [2, 2]);
});

test('calcification peaks within the distance, through a chain, are one cluster with their box; other classes pass', () => {
  const p = (channel: number, u: number, v: number, score: number) => ({ channel, u, v, score, extent: [u - 1, v - 1, u + 1, v + 1] as [number, number, number, number] });
  const peaks = [p(1, 10, 10, 0.5), p(1, 14, 10, 0.8), p(1, 18, 10, 0.4), p(1, 40, 40, 0.6), p(0, 11, 10, 0.7)];
  const out = clusterPeaks(peaks, 1, 5);
  assert.equal(out.length, 3);
  const cluster = out.find((q) => q.channel === 1 && q.u === 14)!;
  assert.equal(cluster.score, 0.8);
  assert.deepEqual(cluster.extent, [9, 9, 19, 11]);
  assert.ok(out.some((q) => q.channel === 1 && q.u === 40));
  assert.ok(out.some((q) => q.channel === 0 && q.u === 11));
});

test('a logit heatmap gives the peaks, scores and boxes of its sigmoid, found without computing it for every pixel', () => {
  const probabilities = heatmap(2, 48, 40, [
    { c: 0, u: 10, v: 10, peak: 0.95, sigma: 2 }, { c: 0, u: 13, v: 11, peak: 0.6, sigma: 1 }, { c: 0, u: 30, v: 35, peak: 0.55, sigma: 3 },
    { c: 1, u: 20, v: 5, peak: 0.45, sigma: 2 }, { c: 1, u: 5, v: 40, peak: 0.7, sigma: 1.5 }, { c: 1, u: 35, v: 20, peak: 0.999, sigma: 2 },
  ]);
  // the background at 0.01, not 0 (a logit of −∞)
  const clamped = probabilities.map((p) => Math.min(0.9999, Math.max(0.01, p)));
  const logits = clamped.map((p) => Math.log(p / (1 - p)));
  const options = { floor: 0.5, minDistance: 4, maxPerChannel: 10 };
  const fromLogits = heatmapPeaks(logits, [1, 2, 48, 40], { ...options, activation: 'sigmoid' });
  const fromProbabilities = heatmapPeaks(clamped, [1, 2, 48, 40], { ...options, activation: 'none' });
  assert.deepEqual(fromLogits.map((p) => [p.channel, p.u, p.v]), [[1, 35, 20], [0, 10, 10], [1, 5, 40], [0, 30, 35]]);
  assert.deepEqual(fromLogits.map((p) => [p.channel, p.u, p.v, p.extent]), fromProbabilities.map((p) => [p.channel, p.u, p.v, p.extent]));
  for (const [i, p] of fromLogits.entries()) assert.ok(Math.abs(p.score - fromProbabilities[i]!.score) < 1e-6, `score ${p.score} vs ${fromProbabilities[i]!.score}`);
  // a peak exactly at the floor is kept, just below it is not
  const edge = new Float32Array(9 * 9).fill(-5);
  edge[4 * 9 + 4] = 0; // sigmoid 0.5
  assert.equal(heatmapPeaks(edge, [1, 1, 9, 9], { ...options, activation: 'sigmoid' }).length, 1);
  edge[4 * 9 + 4] = -0.001;
  assert.equal(heatmapPeaks(edge, [1, 1, 9, 9], { ...options, activation: 'sigmoid' }).length, 0);
});

test('a weaker peak on the flank of a stronger one of its class (the heatmap between them never falls below about a third of it) is the same finding: one mark per lesion; a peak apart, or of another class, stays', () => {
  const data = heatmap(2, 48, 48, [
    // a large mass: one broad blob, and a narrow bump on its flank 8 pixels from its centre (a probe saw four marks on one such mass)
    { c: 0, u: 20, v: 20, peak: 0.9, sigma: 6 }, { c: 0, u: 28, v: 20, peak: 0.5, sigma: 1 },
    // another lesion 20 pixels away, the heatmap near 0 between them
    { c: 0, u: 20, v: 40, peak: 0.5, sigma: 1.5 },
    // another class on the mass's flank: its own finding
    { c: 1, u: 28, v: 20, peak: 0.5, sigma: 1 },
  ]);
  const options = { floor: 0.2, minDistance: 4, maxPerChannel: 10, activation: 'none' as const };
  assert.deepEqual(heatmapPeaks(data, [1, 2, 48, 48], options).map((p) => [p.channel, p.u, p.v]), [[0, 20, 20], [0, 20, 40], [1, 28, 20]]);
  // the bump alone (the mass weaker than a third of it below): a finding of its own
  const apart = heatmap(1, 48, 48, [{ c: 0, u: 20, v: 20, peak: 0.9, sigma: 2 }, { c: 0, u: 28, v: 20, peak: 0.5, sigma: 1 }]);
  assert.deepEqual(heatmapPeaks(apart, [1, 1, 48, 48], options).map((p) => [p.u, p.v]), [[20, 20], [28, 20]]);
});

test('a weaker peak within the satellite distance of one scoring twice its own is part of it (a spicule of one mass); one scoring more than half of it, one farther, or of another class, stays', () => {
  // the probe's mass: 0.88 and 0.25 about 11 heatmap pixels apart, the heatmap near 0 between them
  const blobs = [{ c: 0, u: 20, v: 20, peak: 0.88, sigma: 1.5 }, { c: 0, u: 29, v: 14, peak: 0.25, sigma: 1.5 },
    // as strong as half of it: two findings
    { c: 0, u: 20, v: 30, peak: 0.5, sigma: 1.5 },
    // weak but beyond the distance: its own finding
    { c: 0, u: 40, v: 40, peak: 0.25, sigma: 1.5 },
    // another class beside the mass: its own finding
    { c: 1, u: 29, v: 14, peak: 0.25, sigma: 1.5 }];
  const data = heatmap(2, 48, 48, blobs);
  const options = { floor: 0.1, minDistance: 4, maxPerChannel: 10, activation: 'none' as const };
  const found = (satelliteDistance?: number) => heatmapPeaks(data, [1, 2, 48, 48], { ...options, satelliteDistance }).map((p) => [p.channel, p.u, p.v]);
  assert.deepEqual(found(12.5), [[0, 20, 20], [0, 20, 30], [0, 40, 40], [1, 29, 14]]);
  // without the rule (a model folder's own post-processing asks none): the spicule is a mark of its own
  assert.deepEqual(found(), [[0, 20, 20], [0, 20, 30], [0, 29, 14], [0, 40, 40], [1, 29, 14]]);
});

/** A heatmap of noise whose every other pixel is a local maximum above the floor, falling gently from its top-left corner: what a model whose logits are read as scores gives. */
function floodOfMaxima(height: number, width: number): Float32Array {
  const data = new Float32Array(height * width);
  for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) data[v * width + u] = 0.9 - 1e-6 * (u + v) + (u % 2 === 0 && v % 2 === 0 ? 0.05 : 0);
  return data;
}

test('a heatmap whose every other pixel is a maximum (140,000 of them) is read in bounded time: its strongest maxima only, one finding where the ridge joins them all', { timeout: 20_000 }, () => {
  // (each maximum was compared with every earlier one: over a minute for this heatmap here, its thread past its timeout, a probe)
  const [height, width] = [750, 750];
  const peaks = heatmapPeaks(floodOfMaxima(height, width), [1, 1, height, width], { floor: 0.5, minDistance: 3, maxPerChannel: 10, activation: 'none' });
  assert.ok(peaks.length >= 1 && peaks.length <= 10, `${peaks.length} peaks`);
  // the strongest is the corner's, and the plateau of maxima around it is one finding
  assert.deepEqual([peaks[0]!.u, peaks[0]!.v], [0, 0]);
  assert.equal(peaks.length, 1);
});
