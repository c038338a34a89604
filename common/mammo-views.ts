// Mammography view semantics: CID 4014 views, CID 4015 modifiers, and ACR view labels.
// Both SNOMED CT (SCT) and the older SNOMED-RT (SRT/SNM3) codes are accepted: priors still carry SRT.

import type { CodedConcept, Laterality } from './domain.ts';

interface ViewDefinition {
  label: string;
  sct: string;
  srt: string[];
  meaning: string;
}

export const MAMMO_VIEWS: readonly ViewDefinition[] = [
  { label: 'CC', sct: '399162004', srt: ['R-10242'], meaning: 'cranio-caudal' },
  { label: 'MLO', sct: '399368009', srt: ['R-10226'], meaning: 'medio-lateral oblique' },
  { label: 'ML', sct: '399260004', srt: ['R-10224'], meaning: 'medio-lateral' },
  { label: 'LM', sct: '399352003', srt: ['R-10228'], meaning: 'latero-medial' },
  { label: 'LMO', sct: '399099002', srt: ['R-10230'], meaning: 'latero-medial oblique' },
  { label: 'FB', sct: '399196006', srt: ['R-10244'], meaning: 'caudo-cranial (from below)' },
  { label: 'SIO', sct: '399188001', srt: ['R-102D0'], meaning: 'superolateral to inferomedial oblique' },
  { label: 'ISO', sct: '441555000', srt: ['R-40AAA'], meaning: 'inferomedial to superolateral oblique' },
  { label: 'XCCL', sct: '399192008', srt: ['R-1024A', 'Y-X1770'], meaning: 'cranio-caudal exaggerated laterally' },
  { label: 'XCCM', sct: '399101009', srt: ['R-1024B', 'Y-X1771'], meaning: 'cranio-caudal exaggerated medially' },
  { label: 'XCC', sct: '399265009', srt: ['R-102CF'], meaning: 'exaggerated cranio-caudal' },
];

type ModifierPlace = 'prefix' | 'suffix' | 'replace';
interface ModifierDefinition {
  label: string;
  sct: string;
  srt: string[];
  meaning: string;
  place: ModifierPlace;
}

export const MAMMO_VIEW_MODIFIERS: readonly ModifierDefinition[] = [
  { label: 'M', sct: '399163009', srt: ['R-102D6'], meaning: 'Magnification', place: 'prefix' },
  { label: 'S', sct: '399055006', srt: ['R-102D7'], meaning: 'Spot Compression', place: 'prefix' },
  { label: 'ID', sct: '399209000', srt: ['R-102D5'], meaning: 'Implant Displaced', place: 'suffix' },
  { label: 'RL', sct: '399197002', srt: ['R-102D3'], meaning: 'Rolled Lateral', place: 'suffix' },
  { label: 'RM', sct: '399226006', srt: ['R-102D4'], meaning: 'Rolled Medial', place: 'suffix' },
  { label: 'RI', sct: '414493004', srt: ['R-102CA'], meaning: 'Rolled Inferior', place: 'suffix' },
  { label: 'RS', sct: '415670009', srt: ['R-102C9'], meaning: 'Rolled Superior', place: 'suffix' },
  { label: 'NP', sct: '442581004', srt: ['R-40AB3'], meaning: 'Nipple in profile', place: 'suffix' },
  { label: 'AC', sct: '441752004', srt: ['P2-00161'], meaning: 'Anterior compression', place: 'suffix' },
  { label: 'IMF', sct: '442593008', srt: ['R-40ABE'], meaning: 'Infra-mammary fold', place: 'suffix' },
  { label: 'AX', sct: '442580003', srt: ['R-40AB2'], meaning: 'Axillary tissue', place: 'suffix' },
  { label: 'AT', sct: '399011000', srt: ['R-102D1'], meaning: 'Axillary Tail', place: 'replace' },
  { label: 'CV', sct: '399161006', srt: ['R-102D2'], meaning: 'Cleavage', place: 'replace' },
  { label: 'TAN', sct: '399110001', srt: ['R-102C2'], meaning: 'Tangential', place: 'replace' },
];

function matches(code: CodedConcept, def: { sct: string; srt: string[] }): boolean {
  const scheme = code.scheme.toUpperCase();
  if (scheme === 'SCT') return code.value === def.sct;
  if (scheme === 'SRT' || scheme === 'SNM3') return def.srt.includes(code.value);
  return code.value === def.sct || def.srt.includes(code.value);
}

export function viewFromCode(code: CodedConcept | null): ViewDefinition | null {
  if (!code) return null;
  return MAMMO_VIEWS.find((v) => matches(code, v)) ?? null;
}

export function modifierFromCode(code: CodedConcept): ModifierDefinition | null {
  return MAMMO_VIEW_MODIFIERS.find((m) => matches(code, m)) ?? null;
}

/** View Position (0018,5101) values that name a mammography view when no View Code Sequence is present. */
const VIEW_POSITION_LABELS: Record<string, string> = {
  CC: 'CC', MLO: 'MLO', ML: 'ML', LM: 'LM', LMO: 'LMO', FB: 'FB', SIO: 'SIO', ISO: 'ISO',
  XCCL: 'XCCL', XCCM: 'XCCM', XCC: 'XCC',
};

/**
 * The ACR view label: laterality, then prefixes (M, S) sorted, the view, then suffixes sorted,
 * with no spaces (RCC, LMLO, RCCID, LMSCC). Axillary tail, cleavage and tangential replace the view.
 * Returns null when neither a View Code nor a View Position names a mammography view.
 */
export function acrViewLabel(
  laterality: Laterality | null,
  viewCode: CodedConcept | null,
  modifiers: readonly CodedConcept[],
  viewPosition: string | null = null,
): string | null {
  const view = viewFromCode(viewCode)?.label ?? (viewPosition ? VIEW_POSITION_LABELS[viewPosition.trim().toUpperCase()] : undefined);
  const mods = modifiers.map(modifierFromCode).filter((m): m is ModifierDefinition => m !== null);
  const replacing = mods.find((m) => m.place === 'replace');
  const core = replacing?.label ?? view;
  if (!core) return null;
  const prefixes = mods.filter((m) => m.place === 'prefix').map((m) => m.label).sort();
  const suffixes = mods.filter((m) => m.place === 'suffix').map((m) => m.label).sort();
  const side = laterality === 'R' || laterality === 'L' ? laterality : laterality === 'B' ? 'B' : '';
  return `${side}${prefixes.join('')}${core}${suffixes.join('')}`;
}

/** The four screening views in the order a reader expects them listed. */
export const SCREENING_VIEW_ORDER = ['RCC', 'LCC', 'RMLO', 'LMLO'] as const;

/**
 * Sorts view labels: the screening four first, then the others by their view (alphabetically), right
 * before left (sorted by the whole label, LCCID came before RCCID: a radiologist's probe).
 */
export function sortViewLabels(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const rank = (label: string): number => {
    const i = (SCREENING_VIEW_ORDER as readonly string[]).indexOf(label);
    return i >= 0 ? i : SCREENING_VIEW_ORDER.length;
  };
  const view = (label: string) => label.replace(/^[RL]/, '');
  const side = (label: string) => (label.startsWith('R') ? 0 : label.startsWith('L') ? 1 : 2);
  return unique.sort((a, b) => rank(a) - rank(b) || view(a).localeCompare(view(b)) || side(a) - side(b) || a.localeCompare(b));
}

export const MAMMOGRAPHY_SOP_CLASSES = {
  forPresentation: '1.2.840.10008.5.1.4.1.1.1.2',
  forProcessing: '1.2.840.10008.5.1.4.1.1.1.2.1',
} as const;

/** SOP classes that make an exam breast imaging whatever its modality says. */
export const BREAST_SOP_CLASSES: readonly string[] = [
  MAMMOGRAPHY_SOP_CLASSES.forPresentation,
  MAMMOGRAPHY_SOP_CLASSES.forProcessing,
  '1.2.840.10008.5.1.4.1.1.13.1.3', // Breast Tomosynthesis Image
  '1.2.840.10008.5.1.4.1.1.13.1.4', // Breast Projection X-Ray Image, For Presentation
  '1.2.840.10008.5.1.4.1.1.13.1.5', // Breast Projection X-Ray Image, For Processing
  '1.2.840.10008.5.1.4.1.1.88.50', // Mammography CAD SR
];

