// Cornerstone3D, set up once per renderer: the core, the DICOM image loader (wadouri: with its
// decode workers and WASM codecs), the tools, ONE rendering engine for the whole session (an engine
// per exam leaked WebGL contexts until Chromium refused more), and one tool group whose viewports
// come and go with the hanging steps. Tools are bound by name, never by position in a list.

import { Enums as CoreEnums, RenderingEngine, cache, eventTarget, imageLoader, init as coreInit, metaData } from '@cornerstonejs/core';
import type { Types as CoreTypes } from '@cornerstonejs/core';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';
import {
  Enums as ToolEnums, LengthTool, MagnifyTool, PanTool, ToolGroupManager, WindowLevelTool, ZoomTool,
  addTool, init as toolsInit, utilities as toolUtilities,
} from '@cornerstonejs/tools';
import type { Types as ToolTypes } from '@cornerstonejs/tools';
import type { Locale } from '../../common/domain.ts';
import { displayedDelta } from './window-drag.ts';

export const ENGINE_ID = 'binome';

type NewRangeArgs = Parameters<WindowLevelTool['getNewRange']>[0];

/**
 * Cornerstone's window/level tool with the vertical drag in the direction seen: down darkens the image
 * on screen whether it is shown as stored or inverted (MONOCHROME1, or after Invert); see window-drag.ts.
 */
class DisplayedWindowLevelTool extends WindowLevelTool {
  static override toolName = WindowLevelTool.toolName;
  override getNewRange(args: NewRangeArgs): ReturnType<WindowLevelTool['getNewRange']> {
    const inverted = Boolean((args.viewport as { getProperties?: () => { invert?: boolean } }).getProperties?.().invert);
    const delta = args.deltaPointsCanvas as [number, number];
    return super.getNewRange({ ...args, deltaPointsCanvas: displayedDelta(delta, inverted) });
  }
}
export const TOOL_GROUP_ID = 'binome-viewer';

/** What the left mouse button does; the middle button pans and the right button and wheel zoom, always. */
export const PRIMARY_TOOLS = {
  windowLevel: DisplayedWindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  magnifier: MagnifyTool.toolName,
  measure: LengthTool.toolName,
} as const;
export type PrimaryTool = keyof typeof PRIMARY_TOOLS;

let ready: Promise<void> | null = null;
let engine: RenderingEngine | null = null;

export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    await coreInit();
    dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)) });
    keepVoiLutSequence();
    toolsInit();
    for (const tool of [DisplayedWindowLevelTool, PanTool, ZoomTool, MagnifyTool, LengthTool]) addTool(tool);
    const group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID)!;
    for (const name of Object.values(PRIMARY_TOOLS)) group.addTool(name, name === LengthTool.toolName ? { getTextLines: lengthText } : undefined);
    setPrimaryTool('windowLevel');
    redrawWhenStatsUpdate();
  })();
  return ready;
}

let numbersLocale: Locale = 'en';

/**
 * A measurement's length as the reader's language writes numbers: "53,7 mm" in French, beside marks
 * scored "0,18" (Cornerstone wrote "53.7 mm", a probe). Its unit is Cornerstone's ("mm ERMF": at
 * the breast, the detector's spacing divided by the magnification factor).
 */
function lengthText(data: { cachedStats: Record<string, { length?: number | null; unit?: string }> }, targetId: string): string[] | undefined {
  const stats = data.cachedStats[targetId];
  if (!stats || stats.length === undefined || stats.length === null || Number.isNaN(stats.length)) return undefined;
  const number = String(toolUtilities.roundNumber(stats.length));
  // "ERMF" (Cornerstone's: corrected by the magnification factor) said in French as what it means: an
  // English acronym in a French measurement, a radiologist's probe
  const unit = numbersLocale === 'fr' ? (stats.unit ?? '').replace(/\bERMF\b/, 'au sein') : stats.unit ?? '';
  return [`${numbersLocale === 'fr' ? number.replace('.', ',') : number} ${unit}`.trim()];
}

/** The reader's language for the numbers the tools write (measurements), redrawn in it at once. */
export function setToolsLocale(locale: Locale): void {
  if (locale === numbersLocale) return;
  numbersLocale = locale;
  if (ToolGroupManager.getToolGroup(TOOL_GROUP_ID)) toolUtilities.triggerAnnotationRenderForToolGroupIds([TOOL_GROUP_ID]);
}

/** Above the metadata package's providers (its highest is 0), below none. */
const VOI_LUT_SEQUENCE_PRIORITY = 10_000;

/**
 * Cornerstone 5.14 loads wadouri images through naturalized metadata, whose VOI LUT module knows
 * Window Center and Width but not the VOI LUT Sequence: the loader then never sets an image's
 * table (`image.voiLUT`), and an image with a table and no window preset opened on its full pixel
 * range. This provider answers the VOI LUT module first for images that carry a table, with the
 * table read from the same naturalized data set (the viewer turns it into a window:
 * voi-lut-table.ts); every other image is left to Cornerstone's providers.
 */
function keepVoiLutSequence(): void {
  metaData.addProvider((type: string, ...rest: unknown[]) => {
    const imageId = rest[0];
    if (type !== CoreEnums.MetadataModules.VOI_LUT || typeof imageId !== 'string' || !imageId.startsWith('wadouri:')) return undefined;
    const natural = metaData.get(CoreEnums.MetadataModules.NATURALIZED, imageId) as Record<string, unknown> | undefined;
    const table = voiLutTableOf(natural);
    if (!table) return undefined;
    const numbers = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : ([] as unknown[]).concat(v).map(Number));
    return {
      windowCenter: numbers(natural!.WindowCenter), windowWidth: numbers(natural!.WindowWidth),
      voiLUTFunction: typeof natural!.VOILUTFunction === 'string' ? natural!.VOILUTFunction : undefined,
      voiLUTSequence: [table],
    };
  }, VOI_LUT_SEQUENCE_PRIORITY);
}

/** The first item of a naturalized VOI LUT Sequence as Cornerstone's LUT (`id`, `firstValueMapped`, `numBitsPerEntry`, `lut`), or null. */
function voiLutTableOf(natural: Record<string, unknown> | undefined): { id: string; firstValueMapped: number; numBitsPerEntry: number; lut: number[] } | null {
  const item = (natural?.VOILUTSequence as Record<string, unknown>[] | undefined)?.[0];
  const descriptor = item ? ([] as unknown[]).concat(item.LUTDescriptor).map(Number) : [];
  if (!item || descriptor.length < 3) return null;
  const entries = descriptor[0] === 0 ? 65536 : descriptor[0]!;
  // LUT Data is US (numbers) in explicit VR, OW (bytes) where the writer or implicit VR made it so
  const data = item.LUTData;
  const buffer = data instanceof ArrayBuffer ? data : Array.isArray(data) && data[0] instanceof ArrayBuffer ? data[0] : null;
  const values = buffer ? Array.from(new Uint16Array(buffer, 0, Math.floor(buffer.byteLength / 2)))
    : ArrayBuffer.isView(data) ? Array.from(data as unknown as ArrayLike<number>) : Array.isArray(data) ? data.map(Number) : [];
  if (values.length < Math.min(entries, 2)) return null;
  return { id: '1', firstValueMapped: descriptor[1]!, numBitsPerEntry: descriptor[2]!, lut: values.slice(0, entries) };
}

/**
 * A measurement's length is computed again at most every 100 ms while it is drawn; the last
 * computation can land after the last drawing, leaving an earlier length on screen. Cornerstone says
 * so with a "stats updated" event: the measurement is drawn again then.
 */
function redrawWhenStatsUpdate(): void {
  const pending = new Set<string>();
  eventTarget.addEventListener(ToolEnums.Events.ANNOTATION_MODIFIED, (event: Event) => {
    const { changeType, viewportId } = (event as CustomEvent<{ changeType?: string; viewportId?: string }>).detail;
    if (changeType !== ToolEnums.ChangeTypes.StatsUpdated || !viewportId) return;
    if (!pending.size) requestAnimationFrame(() => {
      toolUtilities.triggerAnnotationRenderForViewportIds([...pending]);
      pending.clear();
    });
    pending.add(viewportId);
  });
}

/**
 * imageLoader.loadAndCacheImage, without the unhandled rejection it leaves behind when an image
 * fails (a damaged JPEG-LS stream, a file cut short): it hands the load to Cornerstone's cache,
 * whose promise rethrows the failure and is awaited by nobody, an "Uncaught (in promise)" in the
 * page for each failed image beside the failure the caller handles and shows (and the codecs reject
 * with bare strings, so the echo cannot be told apart afterwards). Here the load is put into the
 * cache as loadAndCacheImage does, and the cache's echo of its failure is caught (a failure of the
 * cache's own, for an image that loaded, is warned of). The load object
 * is the promise alone: the wadouri loader's, through naturalized metadata, has no cancel or
 * decache function to lose.
 */
export function loadAndCacheImage(imageId: string): Promise<CoreTypes.IImage> {
  if (cache.getImageLoadObject(imageId)) return imageLoader.loadAndCacheImage(imageId);
  const promise = imageLoader.loadImage(imageId);
  cache.putImageLoadObject(imageId, { promise }).catch((error: unknown) => {
    // the echo of a failed load is the caller's to show; an image loaded and not cached (larger than
    // the cache) is said, as it is loaded again each time it is shown
    promise.then(() => console.warn(`an image loaded but was not cached: ${String((error as Error)?.message ?? error)}`), () => undefined);
  });
  return promise;
}

export function sharedEngine(): RenderingEngine {
  engine ??= new RenderingEngine(ENGINE_ID);
  return engine;
}

/** What the viewer reads of Cornerstone 5.14's WebGL context pool (not public API: see disableViewports). */
interface OffscreenContextPool {
  getContextCount(): number;
  getMaxSizeForContext(index: number): { width: number; height: number } | undefined;
  getContextByIndex(index: number): { context: { resize(): void }; container: { width: number; height: number } } | null;
}

function offscreenContextPool(renderingEngine: RenderingEngine): OffscreenContextPool | null {
  const pool = (renderingEngine as unknown as { _implementation?: { contextPool?: Partial<OffscreenContextPool> } })._implementation?.contextPool;
  return pool && typeof pool.getContextCount === 'function' && typeof pool.getMaxSizeForContext === 'function' && typeof pool.getContextByIndex === 'function'
    ? pool as OffscreenContextPool : null;
}

/**
 * Gives viewports back to the engine, then keeps each offscreen WebGL canvas the size its context is
 * drawn at. Cornerstone 5.14's context pool shrinks a context's size (its largest viewport's) when a
 * viewport leaves, and leaves its canvas as large as it was; the next viewport drawn in that context
 * takes its share of the canvas from the smaller size, so it is drawn across the whole larger canvas
 * and copied from its corner: the image displaced by half its place, or out of it. The viewer saw it
 * on a step of eight places drawn after the exam before (four larger places) had left. Upstream:
 * cornerstonejs/cornerstone3D#2909 (open). Where the pool is not what this expects (another
 * Cornerstone), nothing is done.
 */
export function disableViewports(viewportIds: readonly string[]): void {
  const renderingEngine = sharedEngine();
  for (const id of viewportIds) renderingEngine.disableElement(id);
  const pool = offscreenContextPool(renderingEngine);
  if (!pool) return;
  for (let index = 0; index < pool.getContextCount(); index++) {
    const size = pool.getMaxSizeForContext(index);
    const offscreen = pool.getContextByIndex(index);
    // an empty context keeps its canvas: the next viewport in it sizes the canvas itself
    if (!size || !offscreen || size.width < 1 || size.height < 1) continue;
    if (offscreen.container.width === size.width && offscreen.container.height === size.height) continue;
    offscreen.container.width = size.width;
    offscreen.container.height = size.height;
    offscreen.context.resize();
  }
}

export function toolGroup(): ToolTypes.IToolGroup {
  return ToolGroupManager.getToolGroup(TOOL_GROUP_ID)!;
}

/** Binds the left button to a tool; middle pans, right and the wheel zoom, whatever the left does. */
export function setPrimaryTool(tool: PrimaryTool): void {
  const group = toolGroup();
  const { Primary, Auxiliary, Secondary, Wheel } = ToolEnums.MouseBindings;
  for (const name of Object.values(PRIMARY_TOOLS)) group.setToolPassive(name, { removeAllBindings: true });
  const bindings: Record<string, { mouseButton: number }[]> = {
    [PanTool.toolName]: [{ mouseButton: Auxiliary }],
    [ZoomTool.toolName]: [{ mouseButton: Secondary }, { mouseButton: Wheel }],
  };
  const primary = PRIMARY_TOOLS[tool];
  (bindings[primary] ??= []).push({ mouseButton: Primary });
  for (const [name, list] of Object.entries(bindings)) group.setToolActive(name, { bindings: list });
  // measurements stay visible (and editable) whichever tool the left button has
  if (primary !== LengthTool.toolName) group.setToolEnabled(LengthTool.toolName);
}

/** The decoded-image cache: big enough for the exam read and the next one. */
export function setCacheSizeMb(megabytes: number): void {
  cache.setMaxCacheSize(megabytes * 1024 * 1024);
}
