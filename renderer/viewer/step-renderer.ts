// Puts a hanging step on screen with Cornerstone3D: one stack viewport per place of the step, in the
// one rendering engine. Per image: oriented from its Patient Orientation (common/hanging/orientation.ts),
// sized (same size across the step, true size, or fitted), justified against its chest-wall edge,
// windowed from its preset (with its VOI LUT function; MONOCHROME1 shown with air dark). Its display
// rendition (a reduced copy made at import) is painted first when there is one, and the stored image
// replaces it once the step is the one on screen, with camera and window kept: the reader sees the
// exam at once and the full resolution a moment later. A step can be painted out of sight (the next
// step, the next exam's first step) and shown later without drawing again. Pixel data is never changed: flips, turns, zoom and window are the
// camera's and the lookup table's.
//
// What is on screen is written on each viewport element as data attributes (data-rendered,
// data-resolution, data-error, data-chest-wall, data-mm-per-pixel…), for tests and support.

import { Enums, cache, eventTarget } from '@cornerstonejs/core';
import type { Types } from '@cornerstonejs/core';
import type { InstanceDetail } from '../../common/domain.ts';
import type { HungStep, HungViewport } from '../../common/hanging/types.ts';
import { chestWallSide, displayTransform, isMloTypeView } from '../../common/hanging/orientation.ts';
import type { DisplayTransform } from '../../common/hanging/orientation.ts';
import { breastPlaneSpacing, fitRegion, fitScale, parallelScale, sameSizeScale, trueSizeScale } from '../../common/hanging/scale.ts';
import type { SizedViewport } from '../../common/hanging/scale.ts';
import type { StationApi } from '../api/station-api.ts';
import { utilities as toolUtilities } from '@cornerstonejs/tools';
import { ENGINE_ID, disableViewports, loadAndCacheImage, sharedEngine, toolGroup } from './cornerstone.ts';
import { StepSynchronizers, withoutSync } from './sync.ts';
import { initialVoi } from './voi.ts';
import { voiFromLutTable } from './voi-lut-table.ts';
import type { VoiLutTable } from './voi-lut-table.ts';
import type { FailureExplained } from './load-failure.ts';
import { loadedIndexOf } from '../ai/mark-geometry.ts';

/** The viewport Cornerstone's MagnifyTool draws its glass in (its MAGNIFY_VIEWPORT_ID, one per engine; not exported). */
const MAGNIFIER_VIEWPORT_ID = 'magnify-viewport';

/**
 * Where a stored-image pixel (column, row) of a placed image lies in the world: through the grid of
 * the image its viewport holds (the stored image, or its rendition) and that image's own transform.
 */
function worldPointOf(p: Placed, data: NonNullable<ReturnType<Types.IStackViewport['getImageData']>>, imagePoint: readonly [number, number]): Types.Point3 {
  const [columns, rows] = data.dimensions;
  const index = loadedIndexOf(imagePoint, { columns: p.instance.columns ?? columns!, rows: p.instance.rows ?? rows! }, { columns: columns!, rows: rows! });
  return data.imageData.indexToWorld!([index[0], index[1], 0]) as Types.Point3;
}

export type SizeMode = 'same-size' | 'true-size';

export interface StepOptions {
  renditions: boolean;
  sizeMode: SizeMode;
  monitorPixelPitchMm: number | null;
}

export interface ViewportReport {
  status: 'loading' | 'rendered' | 'missing' | 'error';
  resolution?: 'display' | 'full';
  /** Why it could not be shown, in the reader's language of the moment. */
  error?: FailureExplained['say'];
  warning?: DisplayTransform['warning'] | 'no-spacing';
}

interface Placed {
  spec: HungViewport;
  element: HTMLDivElement;
  viewportId: string;
  instance: InstanceDetail;
  transform: DisplayTransform;
  chestWall: 'left' | 'right' | null;
  /**
   * The part of the image fitted and centred: the breast with a margin (common/hanging/scale.ts
   * fitRegion), in displayed pixel edges of the stored image; null: the whole image (the breast's box
   * not known yet, or not plausible).
   */
  region: [number, number, number, number] | null;
  /** The camera the image was placed with: reset returns to it, synchronisation measures from it. */
  placement?: Types.ICamera;
  /** The canvas size (CSS pixels) the placement was made for: a relayout measures the anchor in it. */
  placedSize?: [number, number];
  /** The window and polarity it opened with: reset returns to them. */
  starting?: { voiRange: Types.VOIRange | undefined; VOILUTFunction: Types.ViewportProperties['VOILUTFunction']; invert: boolean };
  resolution?: 'display' | 'full';
}

const { triggerAnnotationRenderForViewportIds } = toolUtilities;

let nextStepKey = 1;

/**
 * An image that never arrives or is never drawn must say so rather than leave a black place: a
 * decoder that hangs, a pixel format the renderer silently cannot draw. Generous limits (a full-size
 * image decodes in a few seconds on this machine's CPU), counted only while the page is visible
 * (a hidden page draws nothing).
 */
const LOAD_LIMIT_MS = 90_000;
const DRAW_LIMIT_MS = 20_000;

function withinVisibleTime<T>(work: Promise<T>, limitMs: number, code: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let visibleMs = 0;
    const tick = setInterval(() => {
      if (document.visibilityState === 'visible') visibleMs += 1000;
      if (visibleMs >= limitMs) { clearInterval(tick); reject(new Error(code)); }
    }, 1000);
    work.then((value) => { clearInterval(tick); resolve(value); }, (error: unknown) => { clearInterval(tick); reject(error); });
  });
}

/** How long a step swapped onto the screen waits before its stored images replace its renditions. */
const UPGRADE_DELAY_MS = 250;
/** A wheel's zoom is the reader's this long after the wheel turned (each notch's camera change comes at once). */
const WHEEL_GESTURE_MS = 300;
/** Animation frames a resize is tried in while renders keep Cornerstone from making it (relayout). */
const RELAYOUT_TRIES = 30;

/** The steps to place again after the engine's next resize, and what each does then. */
const relayouts = new Map<StepRenderer, () => void>();
let relayoutFrame = 0;
/** The steps painted and not disposed: the engine's resize changes the size of every one of them. */
const liveSteps = new Set<StepRenderer>();

/**
 * Asks for one engine resize in the next animation frame (after any render already asked for),
 * with every step that asked placed again right after it, in the same frame. Every other step whose
 * places changed size measures what it shows first: its own resize observer may come after the
 * engine's resize, which had kept its cameras at the new size, and what it measured then lay about
 * 1 % off (an 8-up's chest walls 3.3 px past the seam after a few quick changes of the window's size,
 * until the next; a test failing one run in four).
 */
function relayoutSteps(step: StepRenderer, placeAgain: () => void): void {
  relayouts.set(step, placeAgain);
  relayoutFrame ||= requestAnimationFrame(() => {
    // (relayoutFrame still set: a step asking now joins this frame)
    for (const other of liveSteps) other.relayout();
    relayoutFrame = 0;
    const steps = [...relayouts.values()];
    relayouts.clear();
    withoutSync(() => sharedEngine().resize(true, true));
    for (const placeAgain of steps) placeAgain();
  });
}

/** Whether a place's image meets the top of its place (an MLO-type view hung by its chest wall), not its middle. */
function topJustified(spec: HungViewport): boolean {
  return spec.display.justify === 'chest-wall' && isMloTypeView(spec.image?.view);
}

/** The region a place's image is fitted by (Placed.region). */
function regionOf(spec: HungViewport, instance: InstanceDetail, transform: DisplayTransform, chestWall: 'left' | 'right' | null): Placed['region'] {
  const { rows, columns, breastBox } = instance;
  if (!rows || !columns) return null;
  return fitRegion({ rows, columns, breastBox, spacing: breastPlaneSpacing(instance) }, transform, { chestWall: spec.display.justify === 'chest-wall' ? chestWall : null, fromTop: topJustified(spec) });
}

/**
 * The canvas point (CSS pixels) a place keeps its image by across a change of size: the middle of
 * its chest-wall edge (the top of it for an MLO, which meets the top), else the middle. The reader's
 * zoom and pan are kept about it: the same part of the breast stays at the seam, scaled (kept about
 * the canvas's middle, a zoomed pair opened a gap at the seam or hid its chest walls past it).
 */
function anchorOf(p: Placed, widthPx: number, heightPx: number): Types.Point2 {
  const side = p.spec.display.justify === 'chest-wall' ? p.chestWall : null;
  const x = side === 'right' ? widthPx : side === 'left' ? 0 : widthPx / 2;
  return [x, topJustified(p.spec) ? 0 : heightPx / 2];
}

/**
 * A copy of what a viewport's canvas shows, laid over it until the image that replaces it is drawn.
 * Cornerstone's setStack fills the canvas with the background at once, and the new image is drawn a
 * frame or more later: at the rendition's swap for the stored image the place went black for that
 * long (150–200 ms on this machine's software WebGL, a probe). Under the measurement layers, which
 * come after the canvas; never takes the pointer.
 */
function coverWithCopy(canvas: HTMLCanvasElement): HTMLCanvasElement | null {
  if (!canvas.width || !canvas.height) return null;
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  copy.getContext('2d')?.drawImage(canvas, 0, 0);
  copy.className = 'swap-cover';
  copy.setAttribute('aria-hidden', 'true');
  Object.assign(copy.style, { position: 'absolute', left: `${canvas.offsetLeft}px`, top: `${canvas.offsetTop}px`, width: `${canvas.clientWidth}px`, height: `${canvas.clientHeight}px`, pointerEvents: 'none' });
  canvas.after(copy);
  return copy;
}

/** Moves a viewport's image by (dx, dy) CSS pixels on its canvas: its camera by the world distance of (−dx, −dy). */
function shiftOnCanvas(viewport: Types.IStackViewport, dx: number, dy: number): void {
  const { focalPoint, position } = viewport.getCamera();
  const origin = viewport.canvasToWorld([0, 0]);
  const moved = viewport.canvasToWorld([-dx, -dy]);
  const shifted = (point: Types.Point3): Types.Point3 => [point[0] + moved[0] - origin[0], point[1] + moved[1] - origin[1], point[2] + moved[2] - origin[2]];
  if (focalPoint && position) viewport.setCamera({ focalPoint: shifted(focalPoint), position: shifted(position) });
}

export class StepRenderer {
  private placed = new Map<string, Placed>();
  private sync: StepSynchronizers | null = null;
  private disposed = false;
  /** Invert asked for on this step (invert()): every image shown the other way from how it starts. */
  private inverted = false;
  private stepKey = '';
  private mmPerPixel: number | null = null;
  private inputs: { spec: HungViewport; element: HTMLDivElement }[] | null = null;
  private options: StepOptions | null = null;
  /** The viewports' sizes the images were placed for. */
  private size = '';
  private painted = false;
  private active = false;
  private upgrading = false;
  private upgradeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The reader's zoom, and what lies at each place's anchor, measured for a relayout not yet made. */
  private relayoutViews: { p: Placed; viewport: Types.IStackViewport; zoom: number; anchored: Types.Point3 }[] | null = null;
  /** A mouse button (or pen, or finger) is down on one of the step's images. */
  private pressed = false;
  /** When the reader last turned the wheel over an image of the step (performance.now()). */
  private wheeledAt = -Infinity;
  private onRelease: (() => void)[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly api: StationApi,
    private readonly report: (viewportId: string, state: ViewportReport) => void,
    /** Says why an image could not be shown (the stored file damaged, or the decoder's word). */
    private readonly explainFailure: (instance: InstanceDetail, error: unknown) => Promise<FailureExplained>,
  ) {}

  /** Shows a step in the given elements (one per viewport id of the step); resolves once every image is painted (or failed). */
  async show(step: HungStep, elements: Map<string, HTMLDivElement>, instances: Map<number, InstanceDetail>, options: StepOptions): Promise<void> {
    this.stepKey = `step-${nextStepKey++}`;
    const engine = sharedEngine();
    this.sync = new StepSynchronizers(this.stepKey, (viewportId) => [...this.placed.values()].find((p) => p.viewportId === viewportId)?.placement);
    const onLoadError = (event: Event) => {
      const detail = (event as CustomEvent).detail as { imageId?: string; error?: unknown } | unknown[];
      if (Array.isArray(detail) || !detail.imageId) return;
      for (const p of this.placed.values()) {
        if (detail.imageId === this.imageId(p, 'full') || detail.imageId === this.imageId(p, 'display')) void this.fail(p, detail.error);
      }
    };
    eventTarget.addEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError);
    this.cleanups.push(() => eventTarget.removeEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError));
    const released = () => {
      this.pressed = false;
      this.onRelease.splice(0).forEach((resolve) => resolve());
    };
    window.addEventListener('pointerup', released, true);
    window.addEventListener('pointercancel', released, true);
    this.cleanups.push(() => {
      window.removeEventListener('pointerup', released, true);
      window.removeEventListener('pointercancel', released, true);
      released();
    });

    const inputs: { spec: HungViewport; element: HTMLDivElement }[] = [];
    for (const spec of step.viewports) {
      const element = elements.get(spec.id);
      if (!element) continue;
      inputs.push({ spec, element });
      if (!spec.image) {
        this.report(spec.id, { status: 'missing' });
        continue;
      }
      const instance = instances.get(spec.image.instanceId);
      if (!instance) continue;
      const viewportId = `${this.stepKey}:${spec.id}`;
      engine.enableElement({ viewportId, type: Enums.ViewportType.STACK, element, defaultOptions: { background: [0, 0, 0] as Types.Point3 } });
      const transform = displayTransform({ laterality: spec.image.laterality, view: spec.image.view, patientOrientation: instance.patientOrientation });
      const chestWall = chestWallSide(spec.image, transform);
      const placed: Placed = { spec, element, viewportId, instance, transform, chestWall, region: regionOf(spec, instance, transform, chestWall) };
      this.placed.set(spec.id, placed);
      // what is drawn, with which window, written on the element after every render (tests, support)
      const describe = () => {
        const viewport = engine.getViewport(viewportId) as Types.IStackViewport | undefined;
        if (!viewport?.getCurrentImageId()) return;
        const { voiRange, VOILUTFunction, invert } = viewport.getProperties();
        element.dataset.voi = voiRange ? `${voiRange.lower.toFixed(1)},${voiRange.upper.toFixed(1)}` : '';
        element.dataset.voiFunction = String(VOILUTFunction ?? '');
        element.dataset.invert = String(Boolean(invert));
      };
      element.addEventListener(Enums.Events.IMAGE_RENDERED, describe);
      const pressed = () => { this.pressed = true; };
      element.addEventListener('pointerdown', pressed, true);
      const wheeled = () => { this.wheeledAt = performance.now(); };
      element.addEventListener('wheel', wheeled, { capture: true, passive: true });
      // Zoomed out by the reader past the step's placement: back to the placement. Zooming out about the
      // pointer pulled the pair apart, chest walls no longer back to back (a radiologist's probe); as far
      // out as it goes is the step as it opened (its breast fitted, or the step's common scale). Only
      // the reader's own zoom (a button held, a wheel turned): a resize replaces the camera on its way.
      const notSmallerThanPlaced = () => {
        if (!placed.placement || !(this.pressed || performance.now() - this.wheeledAt < WHEEL_GESTURE_MS)) return;
        const viewport = engine.getViewport(viewportId) as Types.IStackViewport | undefined;
        if (!viewport?.getCurrentImageId() || viewport.getZoom(placed.placement) >= 1 - 1e-3) return;
        viewport.setCamera({ ...placed.placement, flipHorizontal: undefined, flipVertical: undefined });
        viewport.render();
      };
      element.addEventListener(Enums.Events.CAMERA_MODIFIED, notSmallerThanPlaced);
      this.cleanups.push(() => {
        element.removeEventListener(Enums.Events.IMAGE_RENDERED, describe);
        element.removeEventListener('pointerdown', pressed, true);
        element.removeEventListener('wheel', wheeled, { capture: true });
        element.removeEventListener(Enums.Events.CAMERA_MODIFIED, notSmallerThanPlaced);
      });
      this.sync.add(viewportId, spec.sync, { chestWall: placed.chestWall, baseVoi: null, placed: false });
      this.report(spec.id, { status: 'loading', warning: transform.warning });
    }

    // the scale is the step's, decided before any image is shown, from what the database says of each image
    this.mmPerPixel = this.stepScale(inputs, options);

    this.inputs = inputs;
    this.options = options;
    this.size = this.sizeOf(elements);
    await Promise.all([...this.placed.values()].map(async (p) => {
      // the rendition first, unless the stored image is decoded already (a step shown before)
      const first = options.renditions && p.instance.displayRendition && !cache.isLoaded(this.imageId(p, 'full')) ? 'display' : 'full';
      try {
        await this.load(p, first);
      } catch (error) {
        if (first === 'display') {
          try { await this.load(p, 'full'); return; } catch (again) { await this.fail(p, again); return; }
        }
        await this.fail(p, error);
      }
    }));
    if (this.disposed) return;
    this.painted = true;
    liveSteps.add(this);
    this.relayout(); // the area may have changed size while the images loaded
    if (this.active) this.upgradeWhenActive();
  }

  /**
   * Whether the step is the one on screen. A step prepared out of sight (the next step, the next
   * exam's first) keeps its renditions; the one on screen gets its stored images.
   */
  setActive(active: boolean): void {
    if (this.disposed) return;
    this.active = active;
    clearTimeout(this.upgradeTimer);
    // Only the step on screen has the tools. A prepared step showing the same image would otherwise
    // draw the reader's measurement too, and take the recomputed length away from the one on screen.
    const ids = [...this.placed.values()].map((p) => p.viewportId);
    if (active) {
      for (const id of ids) toolGroup().addViewport(id, ENGINE_ID);
      triggerAnnotationRenderForViewportIds(ids);
    } else {
      for (const id of ids) toolGroup().removeViewports(ENGINE_ID, id);
    }
    // a step swapped in is on screen at once; its stored images come after that frame is painted
    if (active) this.upgradeTimer = setTimeout(() => this.upgradeWhenActive(), UPGRADE_DELAY_MS);
  }

  /** The stored images in place of the renditions, one after another (decoding competes for the same few cores). */
  private upgradeWhenActive(): void {
    if (!this.active || !this.painted || this.upgrading || this.disposed) return;
    this.upgrading = true;
    void (async () => {
      try {
        for (const p of this.placed.values()) {
          if (this.disposed || !this.active) return;
          if (p.resolution === 'display') await this.load(p, 'full').catch((error: unknown) => this.fail(p, error));
        }
      } finally {
        this.upgrading = false;
      }
    })();
  }

  private buttonsReleased(): Promise<void> {
    return this.pressed ? new Promise((resolve) => this.onRelease.push(resolve)) : Promise.resolve();
  }

  private sizeOf(elements: Map<string, HTMLDivElement>): string {
    return [...elements.values()].map((e) => `${e.clientWidth}x${e.clientHeight}`).join(',');
  }

  /**
   * After the step's area changed size (the window, a notice above it): canvases to their new size,
   * the step's scale and each image's placement computed again, the reader's zoom and pan kept.
   *
   * Cornerstone's resize is the engine's, not a step's: it gives every viewport of every step (the
   * one on screen and those prepared out of sight) its new size and keeps each camera as it was,
   * which shows every image displaced at the new size (Cornerstone's camera, not the placement). So
   * all the steps whose area changed are placed again in the frame of that one resize (see
   * relayoutSteps): a step placed a frame later was drawn displaced meanwhile, for many frames while
   * the window kept changing (a chest wall 2.5 px past the seam). Cornerstone's resize does nothing
   * while a render is pending but note the new size, so a step is placed again in the next frames
   * while a canvas of it is not the size Cornerstone means. Marks follow at the step's next render.
   */
  relayout(): void {
    if (this.disposed || !this.painted || !this.inputs || !this.options) return;
    const size = this.sizeOf(new Map(this.inputs.map(({ spec, element }) => [spec.id, element])));
    if (size === this.size) return;
    this.size = size;
    const engine = sharedEngine();
    // the reader's zoom (from each image's own placement, not Cornerstone's initial camera: its resize
    // replaces that with a fitted camera of its own) and what lies at each place's anchor, measured
    // before anything moves; a step still waiting for its last relayout keeps what was measured then
    const dpr = window.devicePixelRatio || 1;
    const views = this.relayoutViews ?? [...this.placed.values()].flatMap((p) => {
      const viewport = engine.getViewport(p.viewportId) as Types.IStackViewport | undefined;
      if (!viewport?.getCurrentImageId() || !p.placement) return [];
      // What lies at the place's anchor, as placed: in the canvas size the placement was made for.
      // Cornerstone's size may have changed since with the camera kept (the engine's resize is every
      // step's: a step's last images still loading when another step's relayout resized the engine),
      // and the same camera in another size shows the image at another scale about the canvas's
      // middle: the anchor's point is found there. Measured at Cornerstone's new size, it lay beyond
      // the image's chest-wall edge, and the relayout held every image that far off the seam (a probe:
      // 8 px at 2560 × 1440, the current row of a prior comparison prepared while the AI strip filled in).
      const [width, height] = [viewport.sWidth / dpr, viewport.sHeight / dpr];
      const [placedWidth, placedHeight] = p.placedSize ?? [width, height];
      const [ax, ay] = anchorOf(p, placedWidth, placedHeight);
      const scale = height / placedHeight;
      const anchored = viewport.canvasToWorld([width / 2 + (ax - placedWidth / 2) * scale, height / 2 + (ay - placedHeight / 2) * scale]);
      return [{ p, viewport, zoom: viewport.getZoom(p.placement), anchored }];
    });
    this.relayoutViews = views;
    let triesLeft = RELAYOUT_TRIES;
    const placeAgain = (): void => {
      if (this.disposed) return;
      // Placed in the frame of the resize, even where Cornerstone leaves a canvas for later: its
      // transforms use the new size (sWidth, sHeight) from now on, and a frame drawn before placing
      // would show every image displaced (Cornerstone's own fitted camera).
      this.mmPerPixel = this.stepScale(this.inputs!, this.options!);
      for (const { p, viewport, zoom, anchored } of views) {
        // the image loaded now: the stored image may have replaced the rendition since the resize was asked
        const rows = viewport.getImageData()?.dimensions[1];
        if (!rows) continue;
        this.sync?.update(p.viewportId, { placed: false });
        this.place(p, viewport, rows);
        viewport.setZoom(zoom);
        // what lay at the anchor goes back to it (placed, unzoomed and not panned, it is there already)
        const [ax, ay] = anchorOf(p, p.element.clientWidth, p.element.clientHeight);
        const [cx, cy] = viewport.worldToCanvas(anchored);
        shiftOnCanvas(viewport, ax - cx, ay - cy);
        this.sync?.update(p.viewportId, { placed: true });
        viewport.render();
      }
      const pending = views.some(({ viewport }) => viewport.canvas.width !== viewport.sWidth || viewport.canvas.height !== viewport.sHeight);
      if (pending && triesLeft-- > 0) relayoutSteps(this, placeAgain);
      else this.relayoutViews = null;
    };
    relayoutSteps(this, placeAgain);
  }

  private imageId(p: Placed, resolution: 'display' | 'full'): string {
    return this.api.imageIdFor(p.instance.instanceId, resolution === 'display' ? 'display' : undefined);
  }

  /** The step's millimetres per screen pixel (null: each image fitted to its viewport). */
  private stepScale(inputs: { spec: HungViewport; element: HTMLDivElement }[], options: StepOptions): number | null {
    const sized: SizedViewport[] = inputs.map(({ spec, element }) => {
      const p = this.placed.get(spec.id);
      const spacing = p ? breastPlaneSpacing(p.instance) : null;
      return {
        widthPx: element.clientWidth, heightPx: element.clientHeight,
        image: p && spacing && p.instance.rows && p.instance.columns ? { rows: p.instance.rows, columns: p.instance.columns, spacing, rotation: p.transform.rotation, region: p.region } : null,
      };
    });
    if (options.sizeMode === 'true-size' && options.monitorPixelPitchMm) return trueSizeScale(options.monitorPixelPitchMm, window.devicePixelRatio || 1);
    const sameSize = inputs.some(({ spec }) => spec.display.size === 'same-size');
    return sameSize ? sameSizeScale(sized) : null;
  }

  /** Loads one resolution of an image into its viewport and places it (keeping the camera and window when it replaces the rendition). */
  private async load(p: Placed, resolution: 'display' | 'full'): Promise<void> {
    const engine = sharedEngine();
    const viewport = engine.getViewport(p.viewportId) as Types.IStackViewport | undefined;
    if (!viewport || this.disposed) return;
    const imageId = this.imageId(p, resolution);
    await withinVisibleTime(loadAndCacheImage(imageId), LOAD_LIMIT_MS, 'load-timeout');
    // never swap the image under a drag (a measurement, a pan, a window): wait for the button's release
    if (p.placement) await this.buttonsReleased();
    if (this.disposed) return;
    const keep = p.placement ? { camera: viewport.getCamera(), properties: viewport.getProperties() } : null;
    // the image it replaces stays on screen until the new one is drawn
    const cover = keep ? coverWithCopy(viewport.canvas) : null;
    try {
      await this.setAndPlace(p, viewport, imageId, resolution, keep);
    } finally {
      cover?.remove();
    }
  }

  /** Sets a loaded image in its viewport, places it (or keeps the camera and window of the one it replaces), and waits until it is drawn. */
  private async setAndPlace(p: Placed, viewport: Types.IStackViewport, imageId: string, resolution: 'display' | 'full', keep: { camera: Types.ICamera; properties: Types.ViewportProperties } | null): Promise<void> {
    // while its image is set and placed, the viewport's camera moves say nothing to the others
    this.sync?.update(p.viewportId, { placed: false });
    await viewport.setStack([imageId], 0);
    if (this.disposed) return;
    const data = viewport.getImageData();
    const [columns, rows] = data?.dimensions ?? [0, 0];
    const expected = resolution === 'full' ? [p.instance.columns, p.instance.rows] : null;
    if (!data || !columns || !rows || (expected && (columns !== expected[0] || rows !== expected[1]))) {
      throw new Error(`decoded-size:${columns}x${rows}`);
    }
    viewport.setViewPresentation({ rotation: p.transform.rotation, flipHorizontal: p.transform.flipHorizontal, flipVertical: p.transform.flipVertical });
    if (keep) {
      // the rendition spans the same millimetres as the stored image: the same camera shows the same place
      viewport.setCamera({ ...p.placement!, flipHorizontal: undefined, flipVertical: undefined }, true);
      viewport.setCamera({ ...keep.camera, flipHorizontal: undefined, flipVertical: undefined });
      // the step's inversion as it is now (pressed while the image was set, it was lost here)
      viewport.setProperties({ voiRange: keep.properties.voiRange, VOILUTFunction: keep.properties.VOILUTFunction, invert: Boolean(p.starting?.invert) !== this.inverted });
    } else {
      this.applyStartingWindow(p, viewport);
      this.place(p, viewport, rows);
      const { voiRange, VOILUTFunction, invert } = viewport.getProperties();
      p.starting = { voiRange, VOILUTFunction, invert: Boolean(invert) };
      if (this.inverted) viewport.setProperties({ invert: !p.starting.invert });
      this.sync?.update(p.viewportId, { baseVoi: voiRange ?? null });
    }
    this.sync?.update(p.viewportId, { placed: true });
    p.resolution = resolution;
    await withinVisibleTime(this.whenRendered(p, viewport), DRAW_LIMIT_MS, 'draw-timeout');
    // "no pixel spacing: not at the same size" where the step shows its images at one scale and this
    // one has none (or none of them has): a step of images each fitted to its place (additional
    // views) said it of every image, pixel spacing or not
    const unscaled = p.spec.display.size !== 'fit' && !breastPlaneSpacing(p.instance) || p.spec.display.size === 'same-size' && this.mmPerPixel === null;
    this.report(p.spec.id, { status: 'rendered', resolution, warning: p.transform.warning ?? (unscaled ? 'no-spacing' : undefined) });
  }

  /**
   * The window an image opens with (its first preset through its VOI LUT function), and its
   * polarity: MONOCHROME1 stores air bright, so it is shown inverted, as MONOCHROME2 would show it
   * (air black). Cornerstone 5.14 decides that itself only when a stack changes photometric
   * interpretation, and missed it on a viewport's first image: the station says it explicitly.
   */
  private applyStartingWindow(p: Placed, viewport: Types.IStackViewport): void {
    const monochrome1 = p.instance.photometricInterpretation === 'MONOCHROME1';
    const preset = p.spec.display.voi === 'preset' ? initialVoi(p.instance) : null;
    if (preset) {
      viewport.setProperties({ ...preset, invert: monochrome1 });
      p.element.dataset.voiSource = 'preset';
      return;
    }
    const table = p.spec.display.voi === 'preset' ? voiFromLutTable((viewport.getCornerstoneImage() as { voiLUT?: VoiLutTable } | undefined)?.voiLUT) : null;
    if (table) {
      viewport.setProperties({ voiRange: table.voiRange, VOILUTFunction: Enums.VOILUTFunctionType.LINEAR, invert: monochrome1 !== table.invertTable });
      p.element.dataset.voiSource = 'lut-sequence-approximated';
      return;
    }
    viewport.setProperties({ invert: monochrome1 });
    p.element.dataset.voiSource = 'image-range';
  }

  /**
   * Sizes and justifies an image: the step's scale, its chest-wall edge on its viewport's chest-wall edge.
   * In the canvas Cornerstone draws now (its sWidth × sHeight), not the element's size: the two differ
   * where the place changed size after its viewport was enabled (a strip above it filled in while the
   * image loaded) and before the relayout that follows. Placed for the element's size, the image was
   * justified for a canvas Cornerstone did not have, and the relayout, which measures what lies at each
   * anchor at Cornerstone's size, carried that error into the new size: every image off its chest wall
   * (or its middle) by half or all of the change, for good, while its placement was right (Escape put it back).
   */
  private place(p: Placed, viewport: Types.IStackViewport, loadedRows: number): void {
    const dpr = window.devicePixelRatio || 1;
    const widthPx = viewport.sWidth / dpr;
    const heightPx = viewport.sHeight / dpr;
    const spacing = breastPlaneSpacing(p.instance);
    // An image without a spacing is fitted on its own, in its own pixels (a unit spacing): the step's
    // millimetres mean nothing to it. It was left to Cornerstone's camera, which in a wide place of a
    // same-size step drew a portrait image twice the place's height (a probe: most of the breast out of sight).
    const fitSpacing = spacing ?? { row: 1, column: 1 };
    const ownFit = p.instance.rows && p.instance.columns
      ? fitScale({ widthPx, heightPx, image: { rows: p.instance.rows, columns: p.instance.columns, spacing: fitSpacing, rotation: p.transform.rotation, region: p.region } })
      : null;
    const stepScale = spacing !== null && (p.spec.display.size === 'same-size' || this.mmPerPixel !== null && p.spec.display.size === 'true-size');
    const mmPerPixel = stepScale ? this.mmPerPixel ?? ownFit : ownFit;
    viewport.resetCamera();
    viewport.setViewPresentation({ rotation: p.transform.rotation, flipHorizontal: p.transform.flipHorizontal, flipVertical: p.transform.flipVertical });
    const data = viewport.getImageData();
    if (mmPerPixel && p.instance.rows && data) {
      // Cornerstone's world unit is its own idea of the pixel spacing; ours is the breast plane's. Along
      // the screen's vertical (an image row after a quarter turn, else a column), convert one into
      // the other; a rendition's pixels are `factor` stored pixels wide.
      const factor = p.instance.rows / loadedRows;
      const quarter = p.transform.rotation === 90 || p.transform.rotation === 270;
      const [worldAlongRow, worldDownColumn] = data.spacing;
      const scale = parallelScale({
        viewportHeightPx: heightPx, mmPerScreenPixel: mmPerPixel,
        breastSpacingMm: (quarter ? fitSpacing.column : fitSpacing.row) * factor,
        cornerstoneSpacingMm: quarter ? worldAlongRow! : worldDownColumn!,
      });
      viewport.setCamera({ parallelScale: scale });
    }
    this.justify(p, viewport, widthPx, heightPx);
    p.placement = viewport.getCamera();
    p.placedSize = [widthPx, heightPx];
    viewport.setCamera(p.placement, true);
    p.element.dataset.mmPerPixel = spacing && mmPerPixel ? mmPerPixel.toFixed(5) : '';
    p.element.dataset.chestWall = p.chestWall ?? '';
    p.element.dataset.flip = `${p.transform.flipHorizontal ? 'h' : ''}${p.transform.flipVertical ? 'v' : ''}${p.transform.rotation ? `r${p.transform.rotation}` : ''}`;
  }

  /** Moves the image so that its chest-wall edge meets the viewport's (and an MLO's top meets the top). */
  private justify(p: Placed, viewport: Types.IStackViewport, widthPx: number, heightPx: number): void {
    const data = viewport.getImageData();
    if (!data) return;
    const [columns, rows] = data.dimensions;
    const corners = [[0, 0], [columns - 1, 0], [0, rows - 1], [columns - 1, rows - 1]]
      .map(([i, j]) => viewport.worldToCanvas(data.imageData.indexToWorld!([i!, j!, 0]) as Types.Point3));
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    // pixel centres: the image reaches half a pixel beyond them
    const halfPixelX = (Math.max(...xs) - Math.min(...xs)) / Math.max(1, (p.transform.rotation % 180 ? rows : columns) - 1) / 2;
    const halfPixelY = (Math.max(...ys) - Math.min(...ys)) / Math.max(1, (p.transform.rotation % 180 ? columns : rows) - 1) / 2;
    const left = Math.min(...xs) - halfPixelX;
    const right = Math.max(...xs) + halfPixelX;
    const top = Math.min(...ys) - halfPixelY;
    const bottom = Math.max(...ys) + halfPixelY;
    // what is centred: the breast with its margin where it is known (fitRegion), else the whole image
    const { region } = p;
    const quarter = p.transform.rotation % 180 !== 0;
    const shownWidth = (quarter ? p.instance.rows : p.instance.columns) ?? 1, shownHeight = (quarter ? p.instance.columns : p.instance.rows) ?? 1;
    const across = (x: number) => left + (x / shownWidth) * (right - left), down = (y: number) => top + (y / shownHeight) * (bottom - top);
    const [cx0, cy0, cx1, cy1] = region ? [across(region[0]), down(region[1]), across(region[2]), down(region[3])] : [left, top, right, bottom];
    let dx = 0;
    if (p.spec.display.justify === 'chest-wall' && p.chestWall === 'right') dx = widthPx - right;
    else if (p.spec.display.justify === 'chest-wall' && p.chestWall === 'left') dx = -left;
    else dx = (widthPx - cx1 - cx0) / 2;
    const dy = topJustified(p.spec) ? -top : (heightPx - cy1 - cy0) / 2;
    shiftOnCanvas(viewport, dx, dy);
    p.element.dataset.fitted = region ? 'breast' : 'image';
  }

  private whenRendered(p: Placed, viewport: Types.IStackViewport): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        p.element.removeEventListener(Enums.Events.IMAGE_RENDERED, done);
        p.element.dataset.rendered = 'true';
        p.element.dataset.resolution = p.resolution ?? '';
        p.element.dataset.firstResolution ??= p.resolution ?? '';
        resolve();
      };
      p.element.addEventListener(Enums.Events.IMAGE_RENDERED, done);
      viewport.render();
    });
  }

  private async fail(p: Placed, error: unknown): Promise<void> {
    if (this.disposed || p.element.dataset.error) return;
    const reason = await this.explainFailure(p.instance, error);
    p.element.dataset.rendered = 'false';
    p.element.dataset.error = reason.text;
    this.report(p.spec.id, { status: 'error', error: reason.say });
  }

  /**
   * Inverts every image of the step (relative to how each starts: MONOCHROME1 starts inverted), those
   * drawn later too. Kept for the step, not toggled per image: an image still loading missed the key,
   * and one whose stored image replaced its rendition just then took back the polarity of before (a
   * review), one image of the step then shown the other way from the rest.
   */
  invert(): void {
    this.inverted = !this.inverted;
    for (const p of this.placed.values()) {
      const viewport = sharedEngine().getViewport(p.viewportId) as Types.IStackViewport | undefined;
      if (!viewport?.getCurrentImageId() || !p.starting) continue;
      viewport.setProperties({ invert: p.starting.invert !== this.inverted });
      viewport.render();
    }
  }

  /** Back to how the step opened: placement camera, preset window, no inversion beyond the image's own. */
  reset(): void {
    this.inverted = false;
    for (const p of this.placed.values()) {
      const viewport = sharedEngine().getViewport(p.viewportId) as Types.IStackViewport | undefined;
      if (!viewport?.getCurrentImageId() || !p.placement || !p.starting) continue;
      // not Cornerstone's resetProperties, which recomputes a window of its own (and throws on some)
      viewport.setProperties({ ...p.starting, voiRange: p.starting.voiRange });
      viewport.setCamera({ ...p.placement, flipHorizontal: undefined, flipVertical: undefined });
      viewport.render();
    }
  }

  /**
   * Where a stored-image pixel (column, row) of a place lands on its canvas, in CSS pixels, as drawn
   * now: through the loaded image's grid (the stored image, or its rendition) and Cornerstone's own
   * index → world → canvas transforms, so that zoom, pan, flips and turns are all accounted for. The
   * AI marks and the tests use it; null when the place shows no image.
   */
  canvasPointOf(viewportSpecId: string, imagePoint: readonly [number, number]): [number, number] | null {
    const p = this.placed.get(viewportSpecId);
    const viewport = p ? (sharedEngine().getViewport(p.viewportId) as Types.IStackViewport | undefined) : undefined;
    const data = viewport?.getCurrentImageId() ? viewport.getImageData() : undefined;
    if (!p || !viewport || !data) return null;
    const canvas = viewport.worldToCanvas(worldPointOf(p, data, imagePoint));
    return [canvas[0], canvas[1]];
  }

  /**
   * The magnifier's glass while it is held over a place (Cornerstone's MagnifyTool: a viewport of its
   * own, in a box over the image, the image under the pointer drawn larger in it): the glass's box and
   * where a stored-image pixel lands in it, both in CSS pixels of the place's canvas; null when no
   * glass is over the place. The AI marks are drawn in it through this: left where they were, they
   * circled other tissue in the glass (a probe).
   */
  magnifierOf(viewportSpecId: string): { glass: [number, number, number, number]; toGlass(imagePoint: readonly [number, number]): [number, number] | null } | null {
    const p = this.placed.get(viewportSpecId);
    const viewport = p ? (sharedEngine().getViewport(p.viewportId) as Types.IStackViewport | undefined) : undefined;
    const glass = sharedEngine().getViewport(MAGNIFIER_VIEWPORT_ID) as Types.IStackViewport | undefined;
    if (!p || !viewport || !glass?.element?.isConnected || !viewport.element.contains(glass.element)) return null;
    const data = viewport.getCurrentImageId() ? viewport.getImageData() : undefined;
    if (!data) return null;
    const outer = viewport.element.getBoundingClientRect();
    const box = glass.element.getBoundingClientRect();
    const [left, top] = [box.left - outer.left, box.top - outer.top];
    return {
      glass: [left, top, left + box.width, top + box.height],
      toGlass: (imagePoint) => {
        const [x, y] = glass.worldToCanvas(worldPointOf(p, data, imagePoint));
        return [left + x, top + y];
      },
    };
  }

  /** Leaves the step: its viewports go back to the engine, its synchronizers away. */
  dispose(): void {
    this.disposed = true;
    liveSteps.delete(this);
    clearTimeout(this.upgradeTimer);
    relayouts.delete(this);
    this.cleanups.splice(0).forEach((c) => c());
    this.sync?.destroy();
    for (const p of this.placed.values()) toolGroup().removeViewports(ENGINE_ID, p.viewportId);
    disableViewports([...this.placed.values()].map((p) => p.viewportId));
    this.placed.clear();
  }
}
