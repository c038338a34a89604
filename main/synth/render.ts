// Renders one view of a synthetic breast: a log-attenuation map (fat, fibroglandular tissue with a
// power-law texture, Cooper's ligaments, skin, pectoral muscle, lesions) over a compressed
// thickness that rolls off toward the skin, then the detector (quantum noise) and the vendor's
// processing (peripheral equalisation, log-linear presentation), quantised to Bits Stored.
// Images are rendered display-ready (chest wall on the right for a right breast); the caller
// mirrors or flips for other stored orientations.

import type { BreastModel, LesionClass, ViewKind } from './anatomy.ts';
import { outlineDepth, pectoralDepth, projectPoint } from './anatomy.ts';
import { Random } from './random.ts';
import { Field, powerLawField } from './texture.ts';

export interface Detector {
  name: string;
  manufacturerModel: string;
  rows: number;
  columns: number;
  /** Imager pixel spacing (mm). */
  spacing: number;
  bitsStored: number;
}

/** How this acquisition differs from the latent anatomy: positioning and compression of a prior. */
export interface Acquisition {
  /** Anatomy u = (image u + du) × ku; anatomy w = (image w − dw) × kw. A magnification view has ku = kw = 1/ERMF. */
  ku: number;
  kw: number;
  du: number;
  dw: number;
  thicknessScale: number;
  glandScale: number;
  noiseSeed: string;
  /** Size factor of each lesion present in this exam (absent: not shown). */
  lesionScale: ReadonlyMap<string, number>;
}

export interface LesionTruth {
  id: string;
  class: LesionClass;
  shape: string | null;
  sizeMm: number;
  /** Pixel coordinates (column, row) in the canonical layout, before any mirror or flip. */
  center: [number, number];
  bbox: [number, number, number, number];
}

export interface RenderedView {
  rows: number;
  columns: number;
  presentation: Uint16Array;
  /** Raw detector signal (FOR PROCESSING), when asked for. */
  processing: Uint16Array | null;
  lesions: LesionTruth[];
  window: { center: number; width: number };
  /** The mean glandular fraction inside the breast. */
  glandularFraction: number;
  /** The nipple's pixel position (column, row) in the canonical layout. */
  nipple: [number, number];
}

const MU_FAT = 0.045; // per mm, at mammographic energies
const MU_GLAND = 0.08;
const MU_MUSCLE = 0.058;
// A mass replaces the tissue along the ray with gland-like tissue plus this much more attenuation
// per mm at contrast 1 (real masses are only a few per cent denser than gland; the demo wants most
// of them visible, and contrast 0.3–0.5 makes them as subtle as real ones in dense breasts).
const MASS_EXCESS = 0.03;
const MU_CALC = 1.1;
// Presentation scale, close to a GE Senographe's processed images (GH133: fat about 2 300, dense
// tissue about 3 000 on 12 bits), so that a real exam's window presets suit these images too.
const PRESENTATION_GAIN = 500;
const PRESENTATION_OFFSET = 1330;
const AIR_LEVEL = 20;
const EQUALISATION = 0.85;

function smoothstep(a: number, b: number, x: number): number {
  const t = x <= a ? 0 : x >= b ? 1 : (x - a) / (b - a);
  return t * t * (3 - 2 * t);
}

/** Where w = 0 (the nipple line) sits, as a fraction of the image height from the top. */
function centreFraction(view: ViewKind): number {
  return view === 'CC' ? 0.5 : 0.6;
}

/**
 * The canonical-layout pixel (column, row) showing the anatomy point (u, w) in mm, through an
 * acquisition's positioning: the one mapping used for lesions, vessels, the nipple and by tests.
 */
export function anatomyToPixel(acq: Acquisition, det: Detector, view: ViewKind, u: number, w: number): [number, number] {
  const uImg = u / acq.ku - acq.du;
  const wImg = w / acq.kw + acq.dw;
  const yc = det.rows * det.spacing * centreFraction(view);
  return [det.columns - 0.5 - uImg / det.spacing, (yc - wImg) / det.spacing - 0.5];
}

interface LesionMaps {
  /** mm of mass along the ray: it replaces the local tissue with gland-like tissue... */
  mass: Float32Array;
  /** ...and adds its own excess density, scaled by the lesion's contrast (mm × contrast). */
  massExcess: Float32Array;
  /** mm of calcification along the ray. */
  calc: Float32Array;
  /** Added glandular fraction (focal asymmetry). */
  gland: Float32Array;
  /** Texture warps of architectural distortions (centre and radius in anatomy mm). */
  warps: { u: number; w: number; radius: number; strength: number }[];
  truths: LesionTruth[];
}

function hashAngle(id: string, view: ViewKind): number {
  let h = 0;
  for (const ch of `${id}/${view}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return ((h % 3600) / 3600) * 2 * Math.PI;
}

function drawLesions(breast: BreastModel, view: ViewKind, acq: Acquisition, det: Detector): LesionMaps {
  const { rows: R, columns: C, spacing: s } = det;
  const visible = breast.lesions.some((l) => acq.lesionScale.get(l.id));
  const n = visible ? R * C : 0; // no lesion in this view: nothing to allocate or read
  const maps: LesionMaps = { mass: new Float32Array(n), massExcess: new Float32Array(n), calc: new Float32Array(n), gland: new Float32Array(n), warps: [], truths: [] };
  const shape = breast.views[view];
  const toPixel = (uA: number, wA: number) => anatomyToPixel(acq, det, view, uA, wA);
  for (const lesion of breast.lesions) {
    const scale = acq.lesionScale.get(lesion.id);
    if (!scale) continue;
    const { u, w } = projectPoint(shape, lesion.depth, lesion.superior, lesion.lateral);
    const [cx, cy] = toPixel(u, w);
    const size = lesion.size * scale;
    const radiusPx = size / 2 / s / acq.ku;
    const rotation = hashAngle(lesion.id, view);
    let bbox: [number, number, number, number] = [cx - radiusPx, cy - radiusPx, cx + radiusPx, cy + radiusPx];

    const forBox = (x0: number, y0: number, x1: number, y1: number, f: (i: number, dx: number, dy: number) => void) => {
      const xa = Math.max(0, Math.floor(x0)); const xb = Math.min(C - 1, Math.ceil(x1));
      const ya = Math.max(0, Math.floor(y0)); const yb = Math.min(R - 1, Math.ceil(y1));
      for (let y = ya; y <= yb; y++) for (let x = xa; x <= xb; x++) f(y * C + x, x - cx, y - cy);
    };
    const drawSpicules = (innerPx: number, spread: number) => {
      for (const sp of lesion.spicules) {
        const a = sp.angle + rotation;
        const len = radiusPx * sp.length * spread;
        const halfWidth = Math.max(0.6, sp.width / s / 2);
        const ex = Math.cos(a), ey = Math.sin(a);
        const x0 = cx + ex * innerPx, y0 = cy + ey * innerPx;
        forBox(Math.min(x0, x0 + ex * len) - halfWidth - 1, Math.min(y0, y0 + ey * len) - halfWidth - 1,
          Math.max(x0, x0 + ex * len) + halfWidth + 1, Math.max(y0, y0 + ey * len) + halfWidth + 1, (i, dx, dy) => {
            const px = dx - ex * innerPx, py = dy - ey * innerPx;
            const along = px * ex + py * ey;
            if (along < 0 || along > len) return;
            const across = Math.abs(-px * ey + py * ex);
            const taper = 1 - along / len;
            const wEff = halfWidth * (0.4 + 0.6 * taper);
            if (across > wEff + 1) return;
            const profile = across <= wEff ? 1 : 1 - (across - wEff);
            const chord = profile * taper * sp.width * 6;
            maps.mass[i]! += chord;
            maps.massExcess[i]! += chord * lesion.contrast;
          });
      }
    };

    if (lesion.kind === 'mass') {
      const harmonics = lesion.harmonics;
      const aspect = lesion.aspect;
      const cosO = Math.cos(lesion.orientation + rotation), sinO = Math.sin(lesion.orientation + rotation);
      const reach = radiusPx * 1.35;
      const soft = lesion.shape === 'round' || lesion.shape === 'oval' ? 0.6 : 1.8; // margin sharpness (px)
      forBox(cx - reach, cy - reach, cx + reach, cy + reach, (i, dx, dy) => {
        // oval: squeeze one axis
        const rx = dx * cosO + dy * sinO;
        const ry = (-dx * sinO + dy * cosO) / aspect;
        const rho = Math.hypot(rx, ry);
        let radius = radiusPx;
        if (harmonics.length) {
          const phi = Math.atan2(ry, rx);
          let f = 1;
          for (const h of harmonics) f += h.amp * Math.cos(h.k * phi + h.phase);
          radius *= f;
        }
        if (rho > radius + soft) return;
        const inside = Math.max(0, radius * radius - Math.min(rho, radius) * Math.min(rho, radius));
        const chordPx = 2 * Math.sqrt(inside) * aspect;
        const edge = rho <= radius - soft ? 1 : Math.max(0, (radius + soft - rho) / (2 * soft));
        const chord = Math.max(chordPx * s * acq.ku, edge * 0.5) * edge;
        maps.mass[i]! += chord;
        maps.massExcess[i]! += chord * lesion.contrast;
      });
      // the box is the mass's core; its spicules reach beyond it
      if (lesion.shape === 'spiculated') drawSpicules(radiusPx * 0.8, 1);
      if (aspect !== 1) {
        const ax = radiusPx * Math.max(Math.abs(cosO), aspect * Math.abs(sinO));
        const ay = radiusPx * Math.max(Math.abs(sinO), aspect * Math.abs(cosO));
        bbox = [cx - ax, cy - ay, cx + ax, cy + ay];
      }
    } else if (lesion.kind === 'architectural_distortion') {
      drawSpicules(radiusPx * 0.15, 1.1);
      maps.warps.push({ u, w, radius: size * 0.6, strength: 0.35 * lesion.contrast });
    } else if (lesion.kind === 'asymmetry') {
      const sigma = radiusPx / 2;
      const cosO = Math.cos(lesion.orientation + rotation), sinO = Math.sin(lesion.orientation + rotation);
      forBox(cx - 3 * sigma, cy - 3 * sigma, cx + 3 * sigma, cy + 3 * sigma, (i, dx, dy) => {
        const rx = dx * cosO + dy * sinO;
        const ry = (-dx * sinO + dy * cosO) / 0.7;
        maps.gland[i]! += 0.55 * lesion.contrast * Math.exp(-(rx * rx + ry * ry) / (2 * sigma * sigma));
      });
    } else {
      // calcification cluster: each speck projected on its own; supersampled discs
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (const speck of lesion.specks) {
        const p = projectPoint(shape, lesion.depth + speck.d * scale, lesion.superior + speck.v * scale, lesion.lateral + speck.l * scale);
        const [sx, sy] = toPixel(p.u, p.w);
        const r = speck.diameter / 2 / s;
        minX = Math.min(minX, sx - r); minY = Math.min(minY, sy - r); maxX = Math.max(maxX, sx + r); maxY = Math.max(maxY, sy + r);
        const xa = Math.max(0, Math.floor(sx - r - 1)), xb = Math.min(C - 1, Math.ceil(sx + r + 1));
        const ya = Math.max(0, Math.floor(sy - r - 1)), yb = Math.min(R - 1, Math.ceil(sy + r + 1));
        for (let y = ya; y <= yb; y++) for (let x = xa; x <= xb; x++) {
          let chord = 0;
          for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) {
            const dx = x + (k + 0.5) / 4 - 0.5 - sx, dy = y + (j + 0.5) / 4 - 0.5 - sy;
            const q = r * r - dx * dx - dy * dy;
            if (q > 0) chord += 2 * Math.sqrt(q);
          }
          maps.calc[y * C + x]! += (chord / 16) * s * lesion.contrast;
        }
      }
      bbox = [minX, minY, maxX, maxY];
    }
    maps.truths.push({
      id: lesion.id, class: lesion.kind, shape: lesion.shape, sizeMm: Math.round(size * 10) / 10,
      center: [cx, cy],
      bbox: [Math.max(0, bbox[0]), Math.max(0, bbox[1]), Math.min(C - 1, bbox[2]), Math.min(R - 1, bbox[3])],
    });
  }
  return maps;
}

/**
 * A few blood vessels per view: smooth curves from the chest wall toward the nipple, 0.6–1.6 mm
 * wide, tapering; drawn as mm of vessel along each ray. Seeded per breast and view, so a prior
 * shows the same vessels.
 */
function drawVessels(breast: BreastModel, view: ViewKind, acq: Acquisition, det: Detector): Float32Array {
  const { rows: R, columns: C, spacing: s } = det;
  const out = new Float32Array(R * C);
  const shape = breast.views[view];
  const rng = new Random(`${breast.textureSeed}/${view}/vessels`);
  const count = rng.int(3, 7);
  const span = view === 'CC' ? shape.extentUp + shape.extentDown : shape.extentDown + 60;
  for (let v = 0; v < count; v++) {
    const w0 = shape.nippleW + (view === 'CC' ? rng.range(-shape.extentDown, shape.extentUp) * 0.8 : rng.range(-shape.extentDown * 0.6, 70));
    const p = [
      { u: rng.range(0, 8), w: w0 },
      { u: shape.depth * rng.range(0.25, 0.4), w: w0 + rng.range(-0.15, 0.15) * span },
      { u: shape.depth * rng.range(0.5, 0.65), w: shape.nippleW + (w0 - shape.nippleW) * rng.range(0.3, 0.6) + rng.range(-10, 10) },
      { u: shape.depth * rng.range(0.75, 0.9), w: shape.nippleW + (w0 - shape.nippleW) * rng.range(0.05, 0.3) },
    ];
    const width0 = rng.range(0.6, 1.6);
    const lengthMm = Math.hypot(p[3]!.u - p[0]!.u, p[3]!.w - p[0]!.w) * 1.2;
    const steps = Math.ceil(lengthMm / (s * 0.7));
    for (let k = 0; k <= steps; k++) {
      const t = k / steps, a = 1 - t;
      const u = a * a * a * p[0]!.u + 3 * a * a * t * p[1]!.u + 3 * a * t * t * p[2]!.u + t * t * t * p[3]!.u;
      const w = a * a * a * p[0]!.w + 3 * a * a * t * p[1]!.w + 3 * a * t * t * p[2]!.w + t * t * t * p[3]!.w;
      const radius = (width0 * (1 - 0.6 * t)) / 2;
      const [cx, cy] = anatomyToPixel(acq, det, view, u, w);
      const rp = radius / s;
      const xa = Math.max(0, Math.floor(cx - rp - 1)), xb = Math.min(C - 1, Math.ceil(cx + rp + 1));
      const ya = Math.max(0, Math.floor(cy - rp - 1)), yb = Math.min(R - 1, Math.ceil(cy + rp + 1));
      for (let y = ya; y <= yb; y++) for (let x = xa; x <= xb; x++) {
        const d2 = ((x - cx) ** 2 + (y - cy) ** 2) * s * s;
        const q = radius * radius - d2;
        if (q <= 0) continue;
        const chord = 2 * Math.sqrt(q);
        const i = y * C + x;
        if (chord > out[i]!) out[i] = chord;
      }
    }
  }
  return out;
}

/** Texture fields are cached per breast and view: a prior and its current share them. */
/**
 * Turns a smooth field into line intensities: 1 on its zero crossings, falling to 0 about 0.3 mm
 * away (the distance is |f| / |∇f|, so every line is equally thin), computed once on the grid.
 */
function ligamentLines(f: Field): Field {
  const { width: w, height: h, values: v, spacing } = f;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h - 1; y++) for (let x = 0; x < w - 1; x++) {
    const i = y * w + x;
    const gx = (v[i + 1]! - v[i]!) / spacing, gy = (v[i + w]! - v[i]!) / spacing;
    const d2 = (v[i]! * v[i]!) / (gx * gx + gy * gy + 1e-12); // squared distance (mm²) to the zero line
    const t = d2 / 0.09;
    out[i] = t < 1 ? (1 - t) * (1 - t) : 0;
  }
  return new Field(out, w, h, spacing, f.originX, f.originY);
}

interface TextureFields { gland: Field; strands: Field; ligaments: Field; lobules: Field }
const fieldCache = new Map<string, TextureFields>();

function textureFields(breast: BreastModel, view: ViewKind, spacing: number): TextureFields {
  const shape = breast.views[view];
  const finest = Math.max(0.14, spacing * 1.001);
  const key = `${breast.textureSeed}/${view}/${finest.toFixed(3)}`;
  let fields = fieldCache.get(key);
  if (!fields) {
    const rng = new Random(`${breast.textureSeed}/${view}`);
    const extent = { x0: -5, y0: -shape.extentDown - 15, x1: shape.depth + 15, y1: view === 'CC' ? shape.extentUp + 15 : 180 };
    fields = {
      gland: powerLawField(rng.fork('gland'), { ...extent, beta: 3.0, coarsest: 0.14 * 256, finest }),
      strands: powerLawField(rng.fork('strands'), { ...extent, beta: 3.2, coarsest: 0.14 * 256, finest: Math.max(finest, 0.56), anisotropy: 2.5 }),
      // Cooper's ligaments: thin lines along the zero crossings of a smooth field (long gentle arcs)
      ligaments: ligamentLines(powerLawField(rng.fork('ligaments'), { ...extent, beta: 4.4, coarsest: 0.14 * 256, finest: Math.max(finest, 0.56) })),
      // fat lobules: rounded dark islands of a few mm inside the glandular tissue
      lobules: powerLawField(rng.fork('lobules'), { ...extent, beta: 3.0, coarsest: 0.14 * 128, finest: Math.max(finest, 1.12) }),
    };
    if (fieldCache.size > 16) fieldCache.clear();
    fieldCache.set(key, fields);
  }
  return fields;
}

const SIGMOID = (() => {
  const t = new Float32Array(2049);
  for (let i = 0; i <= 2048; i++) t[i] = 1 / (1 + Math.exp(-((i / 2048) * 16 - 8)));
  return t;
})();
function sigmoid(x: number): number {
  const i = ((x + 8) * 128) | 0;
  return i <= 0 ? SIGMOID[0]! : i >= 2048 ? SIGMOID[2048]! : SIGMOID[i]!;
}

export interface RenderOptions {
  forProcessing?: boolean;
  /** Implant-displaced view: the implant is pushed back out of the field. */
  implantDisplaced?: boolean;
}

export function renderView(breast: BreastModel, view: ViewKind, acq: Acquisition, det: Detector, options: RenderOptions = {}): RenderedView {
  const { rows: R, columns: C, spacing: s } = det;
  const shape = breast.views[view];
  const yc = R * s * centreFraction(view); // mm from the top edge to the nipple line
  const T = shape.thickness * acq.thicknessScale;
  const rRoll = T / 2;
  const thicknessNorm = 50 / T;
  const { gland, strands, ligaments, lobules } = textureFields(breast, view, s);
  const lesions = drawLesions(breast, view, acq, det);
  const vessels = drawVessels(breast, view, acq, det);
  const hasLesions = lesions.truths.length > 0;
  const maxValue = (1 << det.bitsStored) - 1;
  const implant = breast.implant && !options.implantDisplaced;
  const presentation = new Uint16Array(R * C);
  const processing = options.forProcessing ? new Uint16Array(R * C) : null;
  const noise = new Random(acq.noiseSeed);
  // photons per pixel at the entrance: more for bigger pixels; sets the quantum mottle. The noise
  // in the log domain, 1/sqrt(counts), is tabulated over the attenuation (with electronic noise).
  const photons = 9000 * (s / 0.07) ** 2;
  const electronic = 2.5;
  const NOISE_STEPS = 256;
  const noiseSigma = new Float32Array(12 * NOISE_STEPS + 1);
  for (let k = 0; k < noiseSigma.length; k++) {
    const a = k / NOISE_STEPS;
    noiseSigma[k] = Math.sqrt(1 / (photons * Math.exp(-a) + 1) + (electronic / PRESENTATION_GAIN) ** 2);
  }
  const uTable = new Float32Array(C);
  for (let x = 0; x < C; x++) {
    const uA = ((C - x - 0.5) * s + acq.du) * acq.ku;
    const t = uA / shape.depth;
    uTable[x] = Math.exp(-(((t - 0.52) / 0.36) ** 2)) * smoothstep(0.02, 0.2, t);
  }
  const glandSpread = view === 'CC' ? 0.62 * (shape.extentUp + shape.extentDown) / 2 : 0.55 * shape.extentDown;
  const glandCentre = shape.nippleW + (view === 'CC' ? 0 : -0.1 * shape.extentDown);
  let glandSum = 0;
  let breastPixels = 0;
  const histogram = new Uint32Array(maxValue + 1);

  for (let y = 0; y < R; y++) {
    const wImg = yc - (y + 0.5) * s;
    const w = (wImg - acq.dw) * acq.kw;
    const depthA = outlineDepth(shape, w);
    const slope = (outlineDepth(shape, w + 0.5) - outlineDepth(shape, w - 0.5)) / 1;
    const normal = 1 / Math.sqrt(1 + slope * slope);
    const pectoral = pectoralDepth(shape, w);
    const rowGland = Math.exp(-(((w - glandCentre) / glandSpread) ** 2));
    const row = y * C;
    for (let x = 0; x < C; x++) {
      const i = row + x;
      const u = ((C - x - 0.5) * s + acq.du) * acq.ku;
      // a row with no breast is air across, to the chest-wall edge: a prior's acquisition moved the breast
      // (du < 0), and the columns it left there were drawn as tissue 0–3 mm thick, a grey band the
      // image's full height that a radiologist read as a detector artefact (two probes)
      if (u >= depthA || depthA <= 0) {
        // air: detector offset and electronic noise only (a triangular draw from one random word)
        const bits = noise.uint32();
        const e = ((bits & 0xff) + ((bits >>> 8) & 0xff) - 255) / 64;
        presentation[i] = (AIR_LEVEL + electronic * e) | 0;
        if (processing) processing[i] = maxValue - ((electronic * 4 * Math.abs(e)) | 0);
        continue;
      }
      const dEdge = (depthA - u) * normal;
      const L = dEdge >= rRoll ? T : 2 * Math.sqrt(rRoll * rRoll - (rRoll - dEdge) * (rRoll - dEdge));
      // texture coordinates, pulled toward the centre of any architectural distortion
      let tu = u, tw = w;
      for (const warp of lesions.warps) {
        const du = u - warp.u, dw = w - warp.w;
        const d2 = du * du + dw * dw;
        if (d2 < 9 * warp.radius * warp.radius) {
          const k = 1 - warp.strength * Math.exp(-d2 / (warp.radius * warp.radius));
          tu = warp.u + du * k;
          tw = warp.w + dw * k;
        }
      }
      const envelope = uTable[x]! * rowGland * smoothstep(2, 14, dEdge);
      const n = gland.sample(tu, tw);
      // glandular fraction: the envelope plus texture through a soft threshold; never all gland,
      // so that dense regions keep their fine structure
      const st = strands.sample(tu, tw);
      let g = 0.82 * sigmoid((breast.glandAmplitude * acq.glandScale * envelope + 0.5 * n - breast.glandThreshold) / 0.2);
      // fibrous strands running toward the nipple (the anisotropic field), faint in fat too, and
      // Cooper's ligaments: thin curved lines through the fat (the strands field's zero crossings)
      g += (0.06 + 0.14 * g) * st;
      g *= 1 - 0.45 * smoothstep(0.9, 1.8, lobules.sample(tu, tw));
      g += (1 - g) * 0.06 * ligaments.sample(tu, tw) * smoothstep(4, 12, dEdge);
      if (g < 0) g = 0;
      if (hasLesions) g += lesions.gland[i]!;
      if (g > 1) g = 1;
      glandSum += g;
      let mu = MU_FAT + (MU_GLAND - MU_FAT) * g;
      let muscle = false;
      if (u < pectoral) {
        mu += (MU_MUSCLE + 0.004 * n - mu) * smoothstep(0, 2.5, pectoral - u);
        muscle = pectoral - u > 2.5;
      }
      let A = L * mu;
      if (hasLesions) A += (MU_GLAND - mu) * lesions.mass[i]! + MASS_EXCESS * lesions.massExcess[i]! + MU_CALC * lesions.calc[i]!;
      if (implant) {
        // a silicone implant behind the gland: an ellipsoid against the chest wall
        const iu = u / (shape.depth * 0.5), iw = (w - shape.nippleW) / ((shape.extentUp + shape.extentDown) * 0.36);
        const q = 1 - iu * iu - iw * iw;
        if (q > 0) A += 0.09 * T * 0.8 * Math.sqrt(q);
      }
      // skin: a 1.5 mm shell seen edge-on near the outline
      A += 0.35 * Math.exp(-dEdge / 0.8);
      // vessels
      A += MU_GLAND * vessels[i]!;
      // detector: Poisson-like noise in the log domain
      const k = (A * NOISE_STEPS) | 0;
      const noisyA = A + noise.normal() * noiseSigma[k < 0 ? 0 : k > 12 * NOISE_STEPS ? 12 * NOISE_STEPS : k]!;
      // vendor processing: peripheral equalisation, normalisation to a 50 mm breast, log-linear
      const equalised = (noisyA + EQUALISATION * MU_FAT * (T - L)) * thicknessNorm;
      const v = PRESENTATION_OFFSET + PRESENTATION_GAIN * equalised;
      const q = v < 0 ? 0 : v > maxValue ? maxValue : v | 0;
      presentation[i] = q;
      if (!muscle) { histogram[q]!++; breastPixels++; }
      if (processing) {
        const raw = (maxValue * 0.95) * Math.exp(-noisyA);
        processing[i] = raw < 0 ? 0 : raw > maxValue ? maxValue : raw | 0;
      }
    }
  }
  // window preset from the breast's own histogram (what a vendor's auto-window does)
  const breastCount = breastPixels;
  const threshold = AIR_LEVEL + 60;
  const quantile = (p: number) => {
    let acc = 0;
    const target = p * breastCount;
    for (let v = threshold; v <= maxValue; v++) { acc += histogram[v]!; if (acc >= target) return v; }
    return maxValue;
  };
  // from just below the fat to a little above the densest tissue, so that nothing in the breast
  // saturates (the pectoral muscle is left out of the histogram)
  const lo = quantile(0.03), hi = quantile(0.998);
  const lower = lo - 0.05 * (hi - lo), upper = hi + 0.12 * (hi - lo);
  const window = { center: Math.round((lower + upper) / 2), width: Math.max(64, Math.round(upper - lower)) };
  const nipple = anatomyToPixel(acq, det, view, outlineDepth(shape, shape.nippleW), shape.nippleW);
  return { rows: R, columns: C, presentation, processing, lesions: lesions.truths, window, glandularFraction: breastPixels ? glandSum / breastPixels : 0, nipple };
}
