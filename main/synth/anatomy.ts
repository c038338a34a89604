// The latent "woman" behind a synthetic exam: per breast, its outline in each view, compressed
// thickness, glandular layout and texture seeds, and lesions placed in three dimensions. Views and
// priors are projections and small deformations of this one model, never fresh random draws, so
// CC and MLO agree and a prior shows the same breast.

import { Random } from './random.ts';

export type Side = 'R' | 'L';
export type ViewKind = 'CC' | 'MLO';
export type DensityClass = 'A' | 'B' | 'C' | 'D';
export type LesionClass = 'mass' | 'calcification_cluster' | 'architectural_distortion' | 'asymmetry';
export type MassShape = 'round' | 'oval' | 'irregular' | 'spiculated';
/** How a lesion of the current exam looked on the prior. */
export type LesionChange = 'new' | 'stable' | 'grown';

/**
 * A view's outline and thickness in view coordinates (mm): u is the distance from the chest wall
 * toward the nipple, w the position along the chest wall, positive toward the top of a
 * display-ready image (lateral on CC, superior-lateral on MLO).
 */
export interface ViewShape {
  view: ViewKind;
  /** Chest wall to nipple. */
  depth: number;
  /** Extent above (lateral/superior) and below (medial/inferior) the nipple line. */
  extentUp: number;
  extentDown: number;
  /** w of the nipple. */
  nippleW: number;
  nippleHeight: number;
  /** Low-order wobble of the outline: amplitude and phase per harmonic. */
  harmonics: { k: number; amp: number; phase: number }[];
  /** Compressed thickness. */
  thickness: number;
  /** MLO: the breast's depth at the top of the image (axillary tail), and the pectoral muscle. */
  axillaDepth: number;
  pectoralBaseW: number;
  pectoralSlope: number;
}

export interface Lesion {
  id: string;
  kind: LesionClass;
  shape: MassShape | null;
  side: Side;
  /** Position relative to the nipple: depth toward the chest wall, superior, lateral (mm). */
  depth: number;
  superior: number;
  lateral: number;
  /** Largest diameter in the current exam (mm). */
  size: number;
  /** 0.3 (subtle) … 1.5 (obvious). */
  contrast: number;
  /** For calcification clusters: speck offsets (mm, 3-D) and diameters (mm). */
  specks: { d: number; v: number; l: number; diameter: number }[];
  /** Shape harmonics (irregular), spicule directions (spiculated, distortion). */
  harmonics: { k: number; amp: number; phase: number }[];
  spicules: { angle: number; length: number; width: number }[];
  /** Oval: axis ratio and orientation. */
  aspect: number;
  orientation: number;
  change: LesionChange;
  /** Size on the prior relative to now (grown: < 1). */
  priorScale: number;
}

export interface BreastModel {
  side: Side;
  views: Record<ViewKind, ViewShape>;
  /** Glandular amplitude and threshold from the density class. */
  glandAmplitude: number;
  glandThreshold: number;
  textureSeed: string;
  lesions: Lesion[];
  implant: boolean;
}

export interface Woman {
  patientId: string;
  patientName: string;
  birthDate: string;
  density: DensityClass;
  breasts: Record<Side, BreastModel>;
}

export interface WomanOptions {
  /** Probability that the current exam has at least one lesion. */
  abnormalRate: number;
  /** Lesion contrast range. */
  contrast: [number, number];
  density?: DensityClass;
  implant?: boolean;
}

const DENSITY: Record<DensityClass, { amplitude: number; threshold: number }> = {
  A: { amplitude: 0.55, threshold: 0.95 },
  B: { amplitude: 0.8, threshold: 0.75 },
  C: { amplitude: 1.05, threshold: 0.55 },
  D: { amplitude: 1.35, threshold: 0.3 },
};

const FAMILY = ['MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'RICHARD', 'PETIT', 'DURAND', 'LEROY', 'MOREAU', 'SIMON', 'LAURENT', 'LEFEBVRE', 'MICHEL', 'GARCIA', 'FOURNIER', 'GIRARD', 'BONNET', 'DUPONT', 'LAMBERT'];
const GIVEN = ['MARIE', 'NATHALIE', 'ISABELLE', 'SYLVIE', 'CATHERINE', 'FRANCOISE', 'CHRISTINE', 'MONIQUE', 'VALERIE', 'SOPHIE', 'ANNE', 'CHANTAL', 'HELENE', 'CLAIRE', 'AGNES'];

function viewShape(rng: Random, view: ViewKind, base: { depth: number; width: number; thickness: number }): ViewShape {
  const depth = view === 'MLO' ? base.depth * rng.range(1.02, 1.1) : base.depth;
  const harmonics = [1, 2, 3].map((k) => ({ k, amp: rng.range(0, 0.05 / k), phase: rng.range(0, 2 * Math.PI) }));
  if (view === 'CC') {
    return {
      view, depth, extentUp: base.width * rng.range(0.95, 1.1), extentDown: base.width * rng.range(0.9, 1.05),
      nippleW: rng.range(-8, 8), nippleHeight: rng.range(3, 6), harmonics, thickness: base.thickness,
      axillaDepth: 0, pectoralBaseW: 0, pectoralSlope: 0,
    };
  }
  const shape: ViewShape = {
    view, depth, extentUp: base.width * rng.range(0.75, 0.95), extentDown: base.width * rng.range(0.7, 0.85),
    nippleW: rng.range(-12, 4), nippleHeight: rng.range(3, 6), harmonics, thickness: base.thickness * rng.range(1.02, 1.12),
    axillaDepth: depth * rng.range(0.38, 0.5),
    // the pectoral muscle's edge: from the chest wall near the nipple line up to most of the
    // axillary tail's depth at the top of the image (about 130 mm above the nipple line)
    pectoralBaseW: rng.range(20, 55), pectoralSlope: 0,
  };
  shape.pectoralSlope = (shape.axillaDepth * rng.range(0.35, 0.6)) / (130 - shape.pectoralBaseW);
  return shape;
}

function makeLesion(rng: Random, id: string, side: Side, shape: ViewShape, options: WomanOptions): Lesion {
  const kind = rng.pick<LesionClass>(['mass', 'mass', 'mass', 'calcification_cluster', 'calcification_cluster', 'architectural_distortion', 'asymmetry']);
  const shapeKind = kind === 'mass' ? rng.pick<MassShape>(['round', 'oval', 'irregular', 'spiculated']) : null;
  const size = kind === 'mass' ? rng.range(5, 30) : kind === 'calcification_cluster' ? rng.range(4, 10) : kind === 'asymmetry' ? rng.range(15, 30) : rng.range(12, 25);
  // Inside the breast with a margin, away from the nipple and the chest wall.
  const depth = shape.depth * rng.range(0.22, 0.75);
  const radial = (shape.extentUp + shape.extentDown) / 2 * Math.sqrt(depth / shape.depth) * rng.range(0, 0.55);
  const angle = rng.range(0, 2 * Math.PI);
  const specks: Lesion['specks'] = [];
  if (kind === 'calcification_cluster') {
    const n = rng.int(5, 30);
    const spread = size / 2;
    for (let i = 0; i < n; i++) {
      specks.push({ d: rng.normal() * spread / 2, v: rng.normal() * spread / 2, l: rng.normal() * spread / 2, diameter: rng.range(0.1, 0.5) });
    }
  }
  const spicules: Lesion['spicules'] = [];
  if (shapeKind === 'spiculated' || kind === 'architectural_distortion') {
    const n = rng.int(10, 22);
    for (let i = 0; i < n; i++) spicules.push({ angle: (2 * Math.PI * (i + rng.range(-0.3, 0.3))) / n, length: rng.range(0.8, 2.0), width: rng.range(0.25, 0.6) });
  }
  const change = rng.pick<LesionChange>(['new', 'new', 'stable', 'grown']);
  return {
    id, kind, shape: shapeKind, side, depth,
    superior: radial * Math.sin(angle),
    lateral: radial * Math.cos(angle),
    size,
    contrast: rng.range(options.contrast[0], options.contrast[1]),
    specks,
    harmonics: shapeKind === 'irregular' || shapeKind === 'spiculated' ? [2, 3, 4, 5].map((k) => ({ k, amp: rng.range(0.04, 0.14), phase: rng.range(0, 2 * Math.PI) })) : [],
    spicules,
    aspect: shapeKind === 'oval' ? rng.range(0.55, 0.8) : 1,
    orientation: rng.range(0, Math.PI),
    change,
    priorScale: change === 'grown' ? rng.range(0.45, 0.75) : 1,
  };
}

export function makeWoman(rng: Random, patientId: string, options: WomanOptions): Woman {
  const density = options.density ?? rng.pick<DensityClass>(['A', 'B', 'B', 'C', 'C', 'D']);
  const size = rng.range(0, 1); // breast size, shared by both sides
  const base = { depth: 75 + 70 * size, width: 58 + 28 * size, thickness: 38 + 32 * size + rng.range(-5, 5) };
  const abnormal = rng.chance(options.abnormalRate);
  const lesionSide: Side = rng.chance(0.5) ? 'R' : 'L';
  const lesionCount = abnormal ? (rng.chance(0.2) ? 2 : 1) : 0;
  const breasts = {} as Record<Side, BreastModel>;
  for (const side of ['R', 'L'] as const) {
    const r = rng.fork(`breast-${side}`);
    const sideBase = { depth: base.depth * r.range(0.96, 1.04), width: base.width * r.range(0.96, 1.04), thickness: base.thickness * r.range(0.95, 1.05) };
    const views = { CC: viewShape(r.fork('CC'), 'CC', sideBase), MLO: viewShape(r.fork('MLO'), 'MLO', sideBase) };
    const lesions: Lesion[] = [];
    if (side === lesionSide) for (let i = 0; i < lesionCount; i++) lesions.push(makeLesion(r.fork(`lesion-${i}`), `${side}${i + 1}`, side, views.CC, options));
    breasts[side] = {
      side, views,
      glandAmplitude: DENSITY[density].amplitude * r.range(0.95, 1.05),
      glandThreshold: DENSITY[density].threshold,
      textureSeed: `${rng.seed}/texture-${side}`,
      lesions,
      implant: options.implant ?? false,
    };
  }
  const year = 1945 + Math.floor(rng.range(0, 30));
  return {
    patientId,
    patientName: `${rng.pick(FAMILY)}^${rng.pick(GIVEN)}`,
    birthDate: `${year}${String(rng.int(1, 12)).padStart(2, '0')}${String(rng.int(1, 28)).padStart(2, '0')}`,
    density,
    breasts,
  };
}

/** The outline: depth of the breast (mm from the chest wall) at position w, in anatomy coordinates. */
export function outlineDepth(shape: ViewShape, w: number): number {
  const rel = w - shape.nippleW;
  let base: number;
  if (shape.view === 'CC') {
    const t = rel >= 0 ? rel / shape.extentUp : -rel / shape.extentDown;
    if (t >= 1) return 0;
    base = shape.depth * Math.pow(1 - Math.pow(t, 2.3), 1 / 2.3);
  } else if (rel < 0) {
    const t = -rel / shape.extentDown;
    if (t >= 1) return 0;
    base = shape.depth * Math.pow(1 - Math.pow(t, 2.1), 1 / 2.1);
  } else {
    // above the nipple line the breast runs up into the axillary tail, off the top of the image
    const t = rel / shape.extentUp;
    base = shape.axillaDepth + (shape.depth - shape.axillaDepth) * Math.exp(-t * t * 1.6);
  }
  let wobble = 1;
  const t = rel / (rel >= 0 ? shape.extentUp : shape.extentDown);
  for (const h of shape.harmonics) wobble += h.amp * Math.cos(h.k * Math.PI * t + h.phase);
  const nipple = shape.nippleHeight * Math.exp(-((rel / 4.5) ** 2));
  return Math.max(0, base * wobble + nipple);
}

/** The pectoral muscle's anterior edge on MLO (mm from the chest wall), 0 where there is none. */
export function pectoralDepth(shape: ViewShape, w: number): number {
  if (shape.view !== 'MLO' || w <= shape.pectoralBaseW) return 0;
  return (w - shape.pectoralBaseW) * shape.pectoralSlope;
}

/**
 * The view-coordinate position (mm) of a point given relative to the nipple, in one view: its depth
 * is measured back from the skin at the nipple line, so it agrees between CC and MLO whatever each
 * view's outline does.
 */
export function projectPoint(shape: ViewShape, depth: number, superior: number, lateral: number): { u: number; w: number } {
  const skinAtNipple = outlineDepth(shape, shape.nippleW) - shape.nippleHeight;
  if (shape.view === 'CC') return { u: skinAtNipple - depth, w: shape.nippleW + lateral };
  // MLO at 45°: lateral structures project higher than on a true lateral view.
  const c = Math.SQRT1_2;
  return { u: skinAtNipple - depth * 1.03, w: shape.nippleW + superior * c + lateral * c };
}

/** Clock-face position of a lesion as a reader names it (the right breast's lateral side is 9 o'clock). */
export function clockPosition(side: Side, superior: number, lateral: number): string {
  if (Math.hypot(superior, lateral) < 5) return 'subareolar';
  const x = side === 'R' ? -lateral : lateral; // viewer facing the patient
  let hour = Math.round(((Math.atan2(x, superior) * 180) / Math.PI) / 30);
  hour = ((hour % 12) + 12) % 12;
  return `${hour === 0 ? 12 : hour} o'clock`;
}

export function depthThird(shape: ViewShape, depth: number): 'anterior' | 'middle' | 'posterior' {
  const f = depth / shape.depth;
  return f < 1 / 3 ? 'anterior' : f < 2 / 3 ? 'middle' : 'posterior';
}
