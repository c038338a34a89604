// Any vendor's Mammography CAD SR (TID 4000), read into marks on stored images: each Single Image
// Finding (TID 4006) with its class, the vendor's label, its rendering intent, its certainty and
// operating point where given, and its centre and outline on the image it was selected from. Vendors
// differ: codes from SNOMED RT or CT, images referenced by value or by reference to the image library,
// findings nested in composite features, rendering intent on the finding or on what contains it. What
// cannot be read is skipped, never guessed; a report that is not a Mammography CAD SR is refused.
//
// The rendering intent of a finding is the first "Presentation Optional" or "Not for Presentation"
// met on the way from the root down to it, else "Presentation Required" (PS3.4 O.2.2.1: a report's
// meaning is what is marked required, down to the first item that is not); a report that names no
// intent at all is shown (its marks are all the vendor said).

import dcmjs from 'dcmjs';
import { CONCEPTS, MAMMOGRAPHY_CAD_SR_CLASS, findingClassOf, renderingIntentOf } from './cad-sr-codes.ts';
import type { Code, RenderingIntent } from './cad-sr-codes.ts';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

export interface CadMarkRead {
  /** SOP Instance UID of the image the mark is on. */
  imageUid: string;
  class: string;
  /** The finding as the vendor coded it (its code meaning). */
  label: string;
  intent: RenderingIntent;
  certainty: number | null;
  operatingPoint: number | null;
  /** Centre and bounding box in the station's convention (pixel centres at integers). */
  x: number;
  y: number;
  box: [number, number, number, number];
  /** The outline's points (x, y, x, y, …) in the station's convention, when the report gives one. */
  outline: number[] | null;
}

export interface CadReportRead {
  sopInstanceUid: string;
  studyUid: string;
  manufacturer: string | null;
  algorithmName: string;
  algorithmVersion: string | null;
  /** Its Algorithm Parameters (TID 4019), where a writer says what the algorithm is not for (the station's synthetic-trained model does). */
  algorithmParameters: string | null;
  /** The CAD Processing and Findings Summary's meaning, e.g. "All algorithms succeeded; with findings". */
  summary: string | null;
  marks: CadMarkRead[];
}

export class CadSrError extends Error {
  constructor(readonly code: 'not_cad_sr' | 'unreadable', message: string) {
    super(message);
  }
}

type Item = Record<string, unknown>;

/** The graphic types of an SR's spatial coordinates (PS3.3 C.18.6.1.2). */
const GRAPHIC_TYPES: ReadonlySet<string> = new Set(['POINT', 'MULTIPOINT', 'POLYLINE', 'CIRCLE', 'ELLIPSE']);
/** How many values each graphic type has (x and y per point). */
const VALUES_OF: Record<string, (n: number) => boolean> = {
  POINT: (n) => n === 2, CIRCLE: (n) => n === 4, ELLIPSE: (n) => n === 8, POLYLINE: (n) => n >= 4, MULTIPOINT: (n) => n >= 2,
};
/** Marks kept of one report, and points kept of one outline (its bounds are taken from all of them). */
const MAX_MARKS = 1000;
const MAX_OUTLINE_POINTS = 256;

/** An outline of at most MAX_OUTLINE_POINTS points, every n-th kept (its last point too). */
function thinned(points: number[]): number[] {
  const count = points.length / 2;
  if (count <= MAX_OUTLINE_POINTS) return points;
  const step = count / (MAX_OUTLINE_POINTS - 1);
  const out: number[] = [];
  for (let k = 0; k < MAX_OUTLINE_POINTS - 1; k++) { const i = Math.floor(k * step) * 2; out.push(points[i]!, points[i + 1]!); }
  out.push(points[points.length - 2]!, points[points.length - 1]!);
  return out;
}

const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? v as T[] : v === undefined || v === null || v === '' ? [] : [v as T]);
const str = (v: unknown): string | null => {
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' && first.trim() ? first.trim() : typeof first === 'number' ? String(first) : null;
};

function codeOf(seq: unknown): Code | null {
  const item = asArray<Item>(seq)[0];
  if (!item) return null;
  const value = str(item.CodeValue) ?? str(item.LongCodeValue) ?? str(item.URNCodeValue);
  const scheme = str(item.CodingSchemeDesignator) ?? '';
  return value ? { value, scheme, meaning: str(item.CodeMeaning) ?? value } : null;
}

const conceptOf = (item: Item) => codeOf(item.ConceptNameCodeSequence);
const is = (item: Item, concept: Code) => {
  const c = conceptOf(item);
  return c !== null && c.value === concept.value && c.scheme === concept.scheme;
};
const children = (item: Item) => asArray<Item>(item.ContentSequence);

function numberOf(item: Item): number | null {
  const measured = asArray<Item>(item.MeasuredValueSequence)[0];
  const n = Number(str(measured?.NumericValue));
  return measured && Number.isFinite(n) ? n : null;
}

/**
 * The text of the nearest item with this concept among an item's children, then its ancestors'.
 * `seen` remembers each item's answer: thousands of findings under one parent must not each scan
 * its thousands of children again.
 */
function nearestText(path: readonly Item[], concept: Code, seen = new Map<Item, string | null>()): string | null {
  for (let i = path.length - 1; i >= 0; i--) {
    const item = path[i]!;
    let text = seen.get(item);
    if (text === undefined) {
      const found = children(item).find((c) => c.ValueType === 'TEXT' && is(c, concept));
      text = found ? str(found.TextValue) ?? '' : null;
      seen.set(item, text);
    }
    if (text !== null) return text || null;
  }
  return null;
}

/** windows-1252 (what TextDecoder calls latin1) back to its bytes. */
const LATIN1_BYTES = new Map([...Array(256).keys()].map((b) => [new TextDecoder('latin1').decode(Uint8Array.of(b)), b]));
const CHARSETS: Record<string, string> = {
  'ISO_IR 100': 'latin1', 'ISO_IR 101': 'iso-8859-2', 'ISO_IR 109': 'iso-8859-3', 'ISO_IR 110': 'iso-8859-4', 'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6', 'ISO_IR 126': 'iso-8859-7', 'ISO_IR 138': 'iso-8859-8', 'ISO_IR 148': 'windows-1254', 'ISO_IR 166': 'windows-874',
  'ISO_IR 192': 'utf-8', GB18030: 'gb18030', GBK: 'gbk',
};

/** The data set's own Specific Character Set (0008,0005) as written in the file (dcmjs reports every one as ISO_IR 192). */
function specificCharacterSet(bytes: Uint8Array): string | null {
  const end = Math.min(bytes.length - 8, 64 * 1024);
  for (let i = 132; i < end; i++) {
    if (bytes[i] !== 0x08 || bytes[i + 1] !== 0x00 || bytes[i + 2] !== 0x05 || bytes[i + 3] !== 0x00) continue;
    const explicit = bytes[i + 4] === 0x43 && bytes[i + 5] === 0x53; // "CS"
    const length = explicit ? bytes[i + 6]! | (bytes[i + 7]! << 8) : bytes[i + 4]! | (bytes[i + 5]! << 8);
    const start = i + 8; // tag, VR and a 2-byte length (explicit), or tag and a 4-byte length (implicit)
    if (length > 256 || start + length > bytes.length) return null;
    return new TextDecoder('latin1').decode(bytes.subarray(start, start + length)).split('\\')[0]!.trim() || null;
  }
  return null;
}

/**
 * dcmjs decodes the strings of sequence items as latin1 whatever the data set's character set (it
 * decodes only the top level with it): the items' strings are decoded again here with the data
 * set's own. Without a Specific Character Set, text that is valid UTF-8 is read as UTF-8 (what most
 * writers that leave it out mean), anything else as latin1.
 */
function redecodeItems(ds: Item, charset: string | null): void {
  const encoding = charset ? CHARSETS[charset] ?? null : 'utf-8';
  if (!encoding || encoding === 'latin1') return;
  const decoder = new TextDecoder(encoding, { fatal: !charset });
  const fix = (s: string): string => {
    if (!/[^\x00-\x7f]/.test(s)) return s;
    const bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const b = LATIN1_BYTES.get(s[i]!);
      if (b === undefined) return s; // not what the latin1 decoder gives: leave it
      bytes[i] = b;
    }
    try {
      return decoder.decode(bytes);
    } catch {
      return s; // not UTF-8: latin1 it is
    }
  };
  const visit = (value: unknown, depth: number): unknown => {
    if (depth > 200) return value;
    if (typeof value === 'string') return fix(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = visit(value[i], depth + 1);
      return value;
    }
    if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
      const o = value as Item;
      for (const k of Object.keys(o)) o[k] = visit(o[k], depth + 1);
    }
    return value;
  };
  // the top level was decoded right: only what is inside its sequences
  for (const k of Object.keys(ds)) if (Array.isArray(ds[k]) && (ds[k] as unknown[]).some((v) => v && typeof v === 'object' && !ArrayBuffer.isView(v))) visit(ds[k], 0);
}

/**
 * Reads a Mammography CAD SR's marks. `bytes`: a Part 10 file. Throws CadSrError when it is not a
 * Mammography CAD SR or cannot be parsed.
 */
export function readCadSr(bytes: Uint8Array): CadReportRead {
  let ds: Item;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const message = DicomMessage.readFile(buffer, { ignoreErrors: false });
    ds = DicomMetaDictionary.naturalizeDataset(message.dict) as Item;
    redecodeItems(ds, specificCharacterSet(bytes));
  } catch (error) {
    throw new CadSrError('unreadable', `The CAD SR could not be parsed: ${(error as Error).message}`);
  }
  if (str(ds.SOPClassUID) !== MAMMOGRAPHY_CAD_SR_CLASS) throw new CadSrError('not_cad_sr', 'Not a Mammography CAD SR');
  if (!is(ds, CONCEPTS.report)) throw new CadSrError('not_cad_sr', 'The report\'s root is not a Mammography CAD Report (TID 4000)');

  const resolve = (identifier: unknown): Item | null => {
    const path = asArray<number>(identifier).map(Number);
    if (path[0] !== 1) return null;
    let node: Item | undefined = ds;
    for (const index of path.slice(1)) {
      node = Number.isInteger(index) && index >= 1 ? children(node)[index - 1] : undefined;
      if (!node) return null; // a reference to nothing: the mark has no image
    }
    return node;
  };
  /** The image an SCOORD was selected from (by value, or by reference into the image library). */
  const imageOf = (scoord: Item): string | null => {
    for (const c of children(scoord)) {
      const target = c.ValueType ? c : resolve(c.ReferencedContentItemIdentifier);
      if (target?.ValueType === 'IMAGE') return str(asArray<Item>(target.ReferencedSOPSequence)[0]?.ReferencedSOPInstanceUID);
    }
    return null;
  };

  let summary: string | null = null;
  let detectionsAlgorithm: { name: string | null; version: string | null; parameters: string | null } = { name: null, version: null, parameters: null };
  const marks: CadMarkRead[] = [];
  const findings: { item: Item; path: Item[]; intent: RenderingIntent | null }[] = [];
  const names = new Map<Item, string | null>();
  const versions = new Map<Item, string | null>();
  const parameters = new Map<Item, string | null>();

  // the content tree, depth first; `intent` is the first intent other than required on the way down
  const walk = (item: Item, path: Item[], intent: RenderingIntent | null, depth: number) => {
    if (depth > 64) return; // a report nested deeper than any template is not read further
    const own = renderingIntentOf(codeOf(children(item).find((c) => c.ValueType === 'CODE' && is(c, CONCEPTS.renderingIntent))?.ConceptCodeSequence));
    const inherited = intent ?? (own && own !== 'required' ? own : null);
    if (item.ValueType === 'CODE' && is(item, CONCEPTS.findingsSummary)) summary = codeOf(item.ConceptCodeSequence)?.meaning ?? null;
    if (item.ValueType === 'CODE' && is(item, CONCEPTS.detectionPerformed) && !detectionsAlgorithm.name) {
      detectionsAlgorithm = { name: nearestText([item], CONCEPTS.algorithmName), version: nearestText([item], CONCEPTS.algorithmVersion),
        parameters: nearestText([item], CONCEPTS.algorithmParameters) };
    }
    if (item.ValueType === 'CODE' && is(item, CONCEPTS.singleImageFinding)) {
      findings.push({ item, path: [...path, item], intent: inherited });
    }
    for (const c of children(item)) if (c.ValueType) walk(c, [...path, item], inherited, depth + 1);
  };
  walk(ds, [], null, 0);

  const observer = (concept: Code) => str(children(ds).find((c) => c.ValueType === 'TEXT' && is(c, concept))?.TextValue);
  const manufacturer = str(ds.Manufacturer);
  const algorithmName = detectionsAlgorithm.name ?? findings.map((f) => nearestText(f.path, CONCEPTS.algorithmName, names)).find((n) => n)
    ?? observer(CONCEPTS.deviceObserverModelName) ?? observer(CONCEPTS.deviceObserverName) ?? manufacturer ?? 'CAD';

  for (const { item, intent } of findings) {
    const found = codeOf(item.ConceptCodeSequence);
    const cls = findingClassOf(found);
    const own = children(item);
    const intentItem = own.find((c) => c.ValueType === 'CODE' && is(c, CONCEPTS.renderingIntent));
    const operatingPoint = intentItem ? children(intentItem).filter((c) => c.ValueType === 'NUM' && is(c, CONCEPTS.operatingPoint)).map(numberOf)[0] ?? null : null;
    const certaintyItem = own.find((c) => c.ValueType === 'NUM' && is(c, CONCEPTS.certaintyOfFinding));
    const certainty = certaintyItem ? numberOf(certaintyItem) : null;
    // required where it says so, and where no intent is said at all
    const effective: RenderingIntent = intent ?? 'required';
    // every spatial coordinate of the finding, grouped by the image it is on
    const byImage = new Map<string, { center: [number, number] | null; points: number[]; outline: number[] | null }>();
    for (const c of own) {
      if (c.ValueType !== 'SCOORD') continue;
      const uid = imageOf(c);
      const data = asArray<number>(c.GraphicData).map(Number);
      if (!uid || data.length < 2 || data.length % 2 || data.some((v) => !Number.isFinite(v))) continue;
      const station = data.map((v) => v - 0.5);
      const entry = byImage.get(uid) ?? { center: null, points: [], outline: null };
      const type = str(c.GraphicType);
      // a graphic type DICOM does not define, or one with fewer or more values than its type has
      // (PS3.3 C.18.6.1.2: a point 2, a circle 4, an ellipse 8, a polyline at least 2 points), is not guessed at
      if (!type || !GRAPHIC_TYPES.has(type) || !(VALUES_OF[type]?.(station.length) ?? true)) continue;
      if (is(c, CONCEPTS.center) && type === 'POINT') entry.center = [station[0]!, station[1]!];
      else if (type === 'CIRCLE') {
        // centre, then a point on the circle
        const r = Math.hypot(station[2]! - station[0]!, station[3]! - station[1]!);
        entry.center ??= [station[0]!, station[1]!];
        entry.points.push(station[0]! - r, station[1]! - r, station[0]! + r, station[1]! + r);
      } else {
        // by a loop: an outline may have more points than a call may take arguments
        for (const v of station) entry.points.push(v);
        if (type === 'POLYLINE' || type === 'ELLIPSE' || type === 'MULTIPOINT') entry.outline ??= thinned(station);
      }
      byImage.set(uid, entry);
    }
    for (const [imageUid, e] of byImage) {
      // the points' bounds, by a loop (an outline may have more points than a call may take arguments)
      let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let i = 0; i + 1 < e.points.length; i += 2) {
        minX = Math.min(minX, e.points[i]!); maxX = Math.max(maxX, e.points[i]!);
        minY = Math.min(minY, e.points[i + 1]!); maxY = Math.max(maxY, e.points[i + 1]!);
      }
      const center = e.center ?? (e.points.length ? [(minX + maxX) / 2, (minY + maxY) / 2] as [number, number] : null);
      if (!center) continue;
      const box: [number, number, number, number] = [Math.min(minX, center[0]), Math.min(minY, center[1]), Math.max(maxX, center[0]), Math.max(maxY, center[1])];
      marks.push({ imageUid, class: cls, label: found?.meaning ?? cls, intent: effective, certainty, operatingPoint, x: center[0], y: center[1], box, outline: e.outline });
    }
    if (marks.length >= MAX_MARKS) break; // more than any reader could look at: the rest is not read
  }

  return {
    sopInstanceUid: str(ds.SOPInstanceUID) ?? '',
    studyUid: str(ds.StudyInstanceUID) ?? '',
    manufacturer,
    algorithmName,
    algorithmVersion: detectionsAlgorithm.version ?? findings.map((f) => nearestText(f.path, CONCEPTS.algorithmVersion, versions)).find((n) => n) ?? null,
    algorithmParameters: (detectionsAlgorithm.parameters ?? findings.map((f) => nearestText(f.path, CONCEPTS.algorithmParameters, parameters)).find((n) => n) ?? null)?.slice(0, 200) ?? null,
    summary,
    marks,
  };
}
