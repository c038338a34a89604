// Walks a DICOM data set element by element, as PS3.5 encodes it, with every bound a crafted file
// could abuse kept finite: nesting depth, element count, bytes read outside bulk values, fragments.
// It checks what dicom-parser (the viewer's parser) does not: sequences and items closed by their
// delimiters, values inside their item, tags ascending in each data set. Bulk values (over 64 KiB:
// pixel data, private blobs, documents) are skipped by their lengths, never read.
//
// Every failure is a Damage carrying a problem code (common/import-problems.ts), never a message
// from inside a parser: those once reached users as "Maximum call stack size exceeded".

import type { ImportProblemCode, ProblemParams, ProblemRef } from '../../common/import-problems.ts';
import type { ByteSource } from './source.ts';

export const PIXEL_DATA = 0x7fe00010;
export const ITEM = 0xfffee000;
export const ITEM_END = 0xfffee00d;
export const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

/** Values up to this length are kept (the attributes the station reads are all far smaller). */
const CAPTURE_LIMIT = 64 * 1024;

export interface Element {
  tag: number;
  /** The VR's two characters as (first << 8) | second; 0 in implicit VR and for items. */
  vr: number;
  /** Source offset of the value (of the first item or fragment when the length is undefined). */
  offset: number;
  /** The value length; for an undefined length, the bytes up to and including the delimiter. */
  length: number;
  undefinedLength: boolean;
  /** The value's bytes, when short enough to be kept and not a sequence. */
  value: Uint8Array | null;
  /** A sequence's items. */
  items: DataSet[] | null;
}

export type DataSet = Map<number, Element>;

/** A file found damaged: the problem says what and where, in codes and numbers only. */
export class Damage extends Error {
  constructor(readonly problem: ProblemRef) {
    super(problem.code);
    this.name = 'Damage';
  }
}

export function damage(code: ImportProblemCode, params?: ProblemParams): Damage {
  return new Damage(params ? { code, params } : { code });
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
/** A tag as DICOM writes it: (7FE0,0010). */
export const tagName = (tag: number): string => `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;

export const vrCode = (vr: string): number => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
export const SQ = vrCode('SQ');
export const UN = vrCode('UN');
export const OB = vrCode('OB');
export const OW = vrCode('OW');

/** 1: a VR with a 2-byte length; 2: a VR with a reserved field and a 4-byte length (PS3.5 7.1.2). */
const VR_KIND = new Uint8Array(65536);
for (const vr of ['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']) VR_KIND[vrCode(vr)] = 1;
for (const vr of ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']) VR_KIND[vrCode(vr)] = 2;

export const isKnownVr = (code: number): boolean => VR_KIND[code] !== 0;

/** Groups PS3.5 7.1 forbids in a data set. */
const illegalGroup = (group: number) => group === 0x0001 || group === 0x0003 || group === 0x0005 || group === 0x0007 || group === 0xffff;

export interface StructureLimits {
  /** Sequences nested deeper than this are refused (dicom-parser recurses once per level). */
  maxDepth: number;
  /** Elements and items in the whole file. */
  maxElements: number;
  /** Bytes read outside the pixel data and bulk values (element headers and kept values). */
  maxHeaderBytes: number;
  /** Items of one encapsulated pixel data element. */
  maxFragments: number;
}

export interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

export interface FragmentWalk {
  /** Offset just after the sequence delimiter. */
  end: number;
  /** Offset and length of the Basic Offset Table's value. */
  table: { offset: number; length: number };
  /** Every fragment after the table, in order: offset and length of its value. */
  items: { offset: number; length: number }[];
  /** Whether every offset given lands on a fragment's item header, when offsets were given. */
  offsetsMatch: boolean;
}

export class Parser {
  elements = 0;
  headerBytes = 0;
  /** The first tag found out of ascending order (or repeated) in its data set, and how many were. */
  outOfOrder: { tag: number; count: number } | null = null;

  private win: Uint8Array = new Uint8Array(0);
  private winStart = 0;
  private winEnd = 0;
  // The element header last read (fields, not an object: this runs for every element).
  private hTag = 0;
  private hVr = 0;
  private hLength = 0;
  private hValue = 0;

  /**
   * `keep`: the tags worth keeping in the data sets built (the rest are checked and counted, not
   * kept: a crafted file may hold millions); null keeps every element.
   */
  constructor(readonly src: ByteSource, readonly limits: StructureLimits, private readonly keep: ReadonlySet<number> | null = null) {}

  /** Makes [pos, pos + n) addressable in `win`; returns the index of pos, or -1 when the source ends first. */
  at(pos: number, n: number, hint?: number): number {
    if (pos >= this.winStart && pos + n <= this.winEnd) return pos - this.winStart;
    if (pos < 0 || pos + n > this.src.size) return -1;
    const w = this.src.window(pos, n, hint);
    this.win = w.bytes;
    this.winStart = w.start;
    this.winEnd = w.start + w.bytes.length;
    return pos >= this.winStart && pos + n <= this.winEnd ? pos - this.winStart : -1;
  }

  /** The bytes [pos, pos + n), or null when the source ends first. */
  bytes(pos: number, n: number, hint?: number): Uint8Array | null {
    const i = this.at(pos, n, hint);
    return i < 0 ? null : this.win.subarray(i, i + n);
  }

  u16(i: number, le: boolean): number {
    const b = this.win;
    return le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
  }

  u32(i: number, le: boolean): number {
    const b = this.win;
    return le
      ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
      : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  }

  tagAt(i: number, le: boolean): number {
    return ((this.u16(i, le) << 16) | this.u16(i + 2, le)) >>> 0;
  }

  /** Reads the element header at pos into the h* fields; `context` names the element a cut falls in. */
  private header(pos: number, enc: Encoding, context: number): void {
    const le = enc.littleEndian;
    let i = this.at(pos, 8);
    if (i < 0) {
      const t = this.at(pos, 4);
      throw damage('truncated', { tag: tagName(t < 0 ? context : this.tagAt(t, le)) });
    }
    const tag = this.tagAt(i, le);
    this.hTag = tag;
    if (tag >>> 16 === 0xfffe || !enc.explicitVr) {
      this.hVr = 0;
      this.hLength = this.u32(i + 4, le);
      this.hValue = pos + 8;
      return;
    }
    const vr = (this.win[i + 4]! << 8) | this.win[i + 5]!;
    this.hVr = vr;
    if (VR_KIND[vr] === 2) {
      i = this.at(pos, 12);
      if (i < 0) throw damage('truncated', { tag: tagName(tag) });
      this.hLength = this.u32(i + 8, le);
      this.hValue = pos + 12;
    } else {
      // Unknown VRs are read with a 2-byte length, as dcmtk and dicom-parser do.
      this.hLength = this.u16(i + 6, le);
      this.hValue = pos + 8;
    }
  }

  private noteOrder(tag: number, previous: number): void {
    if (tag > previous) return;
    if (this.outOfOrder) this.outOfOrder.count++;
    else this.outOfOrder = { tag, count: 1 };
  }

  private count(): void {
    if (++this.elements > this.limits.maxElements) throw damage('too_many_elements', { limit: this.limits.maxElements });
  }

  /**
   * Parses the File Meta Information (group 0002) from pos; returns where the data set starts. It is
   * Explicit VR Little Endian (PS3.10 7.1); a few writers used Implicit VR, told by its VR bytes.
   */
  meta(pos: number, ds: DataSet): number {
    const i = this.at(pos, 6);
    const letter = (c: number) => c >= 0x41 && c <= 0x5a;
    const enc: Encoding = { explicitVr: i < 0 || (letter(this.win[i + 4]!) && letter(this.win[i + 5]!)), littleEndian: true };
    let previous = -1;
    for (;;) {
      const j = this.at(pos, 4);
      if (j < 0 || this.u16(j, true) !== 0x0002) return pos;
      this.header(pos, enc, 0x00020000);
      this.noteOrder(this.hTag, previous);
      previous = this.hTag;
      pos = this.value(pos, this.src.size, 0, enc, ds);
    }
  }

  /**
   * Parses the elements of a data set from pos: to `end` ('defined'), to its item delimiter ('item',
   * `end` bounding it), or to `end` or the top-level Pixel Data, whose header only is read ('top').
   * Returns the position after the data set (after the delimiter), or of the Pixel Data element.
   */
  dataSet(pos: number, end: number, depth: number, enc: Encoding, ds: DataSet | null, mode: 'defined' | 'item' | 'top', owner = 0): number {
    let previous = -1;
    for (;;) {
      if (mode !== 'item' && pos >= end) return pos;
      if (mode === 'item' && pos + 8 > end) {
        throw end >= this.src.size ? damage('truncated', { tag: tagName(owner) }) : damage('unclosed_sequence', { tag: tagName(owner) });
      }
      this.header(pos, enc, owner);
      const tag = this.hTag;
      if (tag >>> 16 === 0xfffe) {
        if (tag === ITEM_END && mode === 'item') return this.hValue;
        // An item ends where its sequence ends, or the data set holds a stray delimiter.
        if (tag === SEQUENCE_END && mode === 'item') throw damage('unclosed_sequence', { tag: tagName(owner) });
        throw damage('malformed_element', { tag: tagName(mode === 'top' ? tag : owner), offset: pos });
      }
      if (illegalGroup(tag >>> 16)) throw damage('malformed_element', { tag: tagName(tag), offset: pos });
      this.noteOrder(tag, previous);
      previous = tag;
      if (mode === 'top' && tag === PIXEL_DATA && depth === 0) {
        this.count();
        this.headerBytes += this.hValue - pos;
        ds?.set(tag, { tag, vr: this.hVr, offset: this.hValue, length: this.hLength, undefinedLength: this.hLength === UNDEFINED, value: null, items: null });
        return pos;
      }
      pos = this.value(pos, end, depth, enc, ds);
    }
  }

  /** Parses the value of the element whose header was just read at `start`; returns the position after it. */
  private value(start: number, end: number, depth: number, enc: Encoding, ds: DataSet | null): number {
    const tag = this.hTag, vr = this.hVr, length = this.hLength, valueOffset = this.hValue;
    this.count();
    this.headerBytes += valueOffset - start;
    const el: Element | null = ds && (this.keep === null || this.keep.has(tag))
      ? { tag, vr, offset: valueOffset, length, undefinedLength: false, value: null, items: null }
      : null;
    if (el) ds!.set(tag, el);
    if (length === UNDEFINED) {
      let next: number;
      if (enc.explicitVr ? vr === SQ : tag !== PIXEL_DATA) {
        next = this.sequenceUndefined(valueOffset, depth + 1, enc, tag, el ? (el.items = []) : null);
      } else if (enc.explicitVr && vr === UN) {
        // A sequence of unknown VR: its items are in Implicit VR Little Endian (PS3.5 6.2.2).
        next = this.sequenceUndefined(valueOffset, depth + 1, { explicitVr: false, littleEndian: true }, tag, el ? (el.items = []) : null);
      } else if (vr === OB || vr === OW || tag === PIXEL_DATA) {
        // Encapsulated pixel data below the top level (an icon image): walked, not checked.
        next = this.fragments(valueOffset, tag, enc.littleEndian, null).end;
      } else {
        throw damage('malformed_element', { tag: tagName(tag), offset: start });
      }
      if (el) {
        el.undefinedLength = true;
        el.length = next - valueOffset;
      }
      return next;
    }
    const valueEnd = valueOffset + length;
    if (valueEnd > end) {
      throw valueEnd > this.src.size ? damage('truncated', { tag: tagName(tag) }) : damage('malformed_element', { tag: tagName(tag), offset: start });
    }
    if (enc.explicitVr ? vr === SQ : this.looksLikeItems(valueOffset, length, enc.littleEndian)) {
      this.sequenceDefined(valueOffset, valueEnd, depth + 1, enc, tag, el ? (el.items = []) : null);
    } else if (length <= CAPTURE_LIMIT) {
      this.headerBytes += length;
      if (el) {
        const i = this.at(valueOffset, length);
        if (i < 0) throw damage('truncated', { tag: tagName(tag) });
        el.value = this.win.subarray(i, i + length);
      }
    }
    if (this.headerBytes > this.limits.maxHeaderBytes) throw damage('too_large', { size: this.headerBytes, limit: this.limits.maxHeaderBytes });
    return valueEnd;
  }

  /** In Implicit VR the dictionary says which elements are sequences; like dicom-parser, look for an item instead. */
  private looksLikeItems(offset: number, length: number, le: boolean): boolean {
    if (length < 8) return false;
    const i = this.at(offset, 4);
    return i >= 0 && this.tagAt(i, le) === ITEM;
  }

  private sequenceUndefined(pos: number, depth: number, enc: Encoding, owner: number, items: DataSet[] | null): number {
    if (depth > this.limits.maxDepth) throw damage('nested_too_deeply', { limit: this.limits.maxDepth });
    const le = enc.littleEndian;
    for (;;) {
      const i = this.at(pos, 8);
      if (i < 0) throw damage('truncated', { tag: tagName(owner) });
      const tag = this.tagAt(i, le);
      const length = this.u32(i + 4, le);
      if (tag === SEQUENCE_END) return pos + 8;
      // Anything but an item here means the sequence's delimiter is missing.
      if (tag !== ITEM) throw damage('unclosed_sequence', { tag: tagName(owner) });
      pos = this.item(pos, length, this.src.size, depth, enc, owner, items);
    }
  }

  private sequenceDefined(pos: number, end: number, depth: number, enc: Encoding, owner: number, items: DataSet[] | null): void {
    if (depth > this.limits.maxDepth) throw damage('nested_too_deeply', { limit: this.limits.maxDepth });
    const le = enc.littleEndian;
    while (pos < end) {
      const i = pos + 8 <= end ? this.at(pos, 8) : -1;
      if (i < 0 || this.tagAt(i, le) !== ITEM) throw damage('malformed_element', { tag: tagName(owner), offset: pos });
      pos = this.item(pos, this.u32(i + 4, le), end, depth, enc, owner, items);
    }
  }

  private item(pos: number, length: number, end: number, depth: number, enc: Encoding, owner: number, items: DataSet[] | null): number {
    this.count();
    this.headerBytes += 8;
    const ds: DataSet | null = items ? new Map() : null;
    if (ds) items!.push(ds);
    if (length === UNDEFINED) return this.dataSet(pos + 8, end, depth, enc, ds, 'item', owner);
    const itemEnd = pos + 8 + length;
    if (itemEnd > end) throw itemEnd > this.src.size ? damage('truncated', { tag: tagName(owner) }) : damage('malformed_element', { tag: tagName(owner), offset: pos });
    return this.dataSet(pos + 8, itemEnd, depth, enc, ds, 'defined', owner);
  }

  /**
   * Walks encapsulated pixel data from its first item (the Basic Offset Table) to the sequence
   * delimiter by the items' lengths, reading their headers from large buffered windows. `offsets`
   * (ascending, relative to the first fragment's item) are checked against the fragments found.
   */
  fragments(pos: number, owner: number, le: boolean, offsets: readonly number[] | null): FragmentWalk {
    let i = this.at(pos, 8);
    if (i < 0) throw damage('truncated', { tag: tagName(owner) });
    const tableLength = this.u32(i + 4, le);
    if (this.tagAt(i, le) !== ITEM || tableLength === UNDEFINED || tableLength % 4 !== 0) throw damage('malformed_element', { tag: tagName(owner), offset: pos });
    const table = { offset: pos + 8, length: tableLength };
    pos += 8 + tableLength;
    const firstItem = pos;
    const items: FragmentWalk['items'] = [];
    let nextOffset = 0;
    let offsetsMatch = true;
    let hint = 16 * 1024;
    const max = this.limits.maxFragments;
    const size = this.src.size;
    for (;;) {
      // The next item header, from the window in hand when it holds it (the common case).
      if (pos >= this.winStart && pos + 8 <= this.winEnd) i = pos - this.winStart;
      else if ((i = this.at(pos, 8, hint)) < 0) throw damage('truncated', { tag: tagName(owner) });
      const b = this.win;
      const tag = le ? ((b[i]! | (b[i + 1]! << 8)) << 16 | b[i + 2]! | (b[i + 3]! << 8)) >>> 0 : this.tagAt(i, le);
      const length = le ? (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0 : this.u32(i + 4, le);
      if (tag === SEQUENCE_END) {
        if (offsets && nextOffset < offsets.length) offsetsMatch = false;
        return { end: pos + 8, table, items, offsetsMatch };
      }
      if (tag !== ITEM || length === UNDEFINED) {
        // Past the end of a cut file's pixel data there is nothing; inside it, garbage.
        throw damage('malformed_element', { tag: tagName(owner), offset: pos });
      }
      if (items.length >= max) throw damage('too_many_fragments', { limit: max });
      items.push({ offset: pos + 8, length });
      if (offsets && nextOffset < offsets.length) {
        const relative = pos - firstItem;
        if (offsets[nextOffset]! < relative) offsetsMatch = false;
        while (nextOffset < offsets.length && offsets[nextOffset]! <= relative) nextOffset++;
      }
      pos += 8 + length;
      if (pos > size) throw damage('truncated', { tag: tagName(owner) });
      // Small fragments lie close together: read far ahead. Large ones: read just their headers.
      hint = length < 64 * 1024 ? 1024 * 1024 : 16 * 1024;
    }
  }

  /**
   * Parses the elements found after the top-level pixel data, up to `maxBytes` of them: returns
   * where the first one that is not a well-formed element in ascending order starts (the source
   * size when all are), and adds the good ones to `ds`.
   */
  trailer(pos: number, enc: Encoding, ds: DataSet, maxBytes: number, maxElements: number): number {
    let previous = PIXEL_DATA;
    const stop = Math.min(this.src.size, pos + maxBytes);
    const elementsBefore = this.elements;
    while (pos < stop) {
      if (this.elements - elementsBefore > maxElements) return this.src.size;
      const good = pos;
      try {
        this.header(pos, enc, PIXEL_DATA);
        const tag = this.hTag;
        if (tag <= previous || tag >>> 16 === 0xfffe || illegalGroup(tag >>> 16) || (enc.explicitVr && !isKnownVr(this.hVr))) return good;
        previous = tag;
        const found: DataSet = new Map();
        pos = this.value(pos, this.src.size, 0, enc, found);
        for (const [t, el] of found) ds.set(t, el);
      } catch (error) {
        if (error instanceof Damage) return good;
        throw error;
      }
    }
    return this.src.size; // all good, or checked as far as the bound: the rest is taken as good
  }
}
