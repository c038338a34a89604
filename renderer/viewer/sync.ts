// Synchronisation within a hanging step. Zoom and pan move together, mirrored across the centre
// seam: the right breast faces left and the left breast right, so a reader who zooms into one
// breast's axilla (or nipple) gets the other breast's axilla (or nipple), not the opposite corner.
// Window/level moves together relatively: each viewport keeps its own starting window (images of two
// detectors do not share window values) and follows the others' change in proportion, in the direction
// seen on screen (an image shown inverted follows with its centre's move mirrored).
//
// Both are Cornerstone synchronizers (tools' SynchronizerManager) with callbacks of our own; the
// engine's own zoom/pan synchronizer copies the pan as is, which moves mirrored images apart.

import { Enums, getRenderingEngine } from '@cornerstonejs/core';
import type { Types } from '@cornerstonejs/core';
import { SynchronizerManager } from '@cornerstonejs/tools';
import { ENGINE_ID } from './cornerstone.ts';
import { followedWindow } from './window-drag.ts';

type Synchronizer = ReturnType<typeof SynchronizerManager.createSynchronizer>;

/** What the synchronizers know of each viewport: which way its chest wall faces, and its starting window. */
export interface SyncedViewport {
  chestWall: 'left' | 'right' | null;
  baseVoi: { lower: number; upper: number } | null;
  /**
   * Whether its image is placed. Until then it neither leads nor follows: placing an image moves its
   * camera several times, and following each move would redraw every other image of the step.
   */
  placed: boolean;
}

/**
 * Cornerstone's resize resets every viewport's camera of the engine (all steps') and puts it back,
 * firing a camera event for each, and keeps a fitted camera of its own as each one's initial
 * camera: that is no reader's zoom or pan, and following it drew every image of the 8-up step
 * displaced (a prior CC's chest wall cut off at the seam) for a frame, or for good after a few
 * resizes in a row. Nothing follows while it runs.
 */
let suspended = 0;
export function withoutSync<T>(work: () => T): T {
  suspended++;
  try {
    return work();
  } finally {
    suspended--;
  }
}

function stackViewport(ref: { renderingEngineId: string; viewportId: string }): Types.IStackViewport | undefined {
  return getRenderingEngine(ref.renderingEngineId)?.getViewport(ref.viewportId) as Types.IStackViewport | undefined;
}

export class StepSynchronizers {
  private readonly zoomPan: Synchronizer;
  private readonly voi: Synchronizer;
  private readonly info = new Map<string, SyncedViewport>();

  /**
   * `placementOf`: the camera a viewport's image was placed with (chest wall at the seam, the step's
   * scale). Zoom and pan are measured from it, not from Cornerstone's initial camera, which its resize
   * replaces with a fitted camera of its own in every step, the steps out of sight included.
   */
  constructor(stepKey: string, private readonly placementOf: (viewportId: string) => Types.ICamera | undefined) {
    this.zoomPan = SynchronizerManager.createSynchronizer(`${stepKey}:zoomPan`, Enums.Events.CAMERA_MODIFIED, (_s, source, target) => {
      if (!this.bothPlaced(source.viewportId, target.viewportId)) return;
      const from = stackViewport(source);
      const to = stackViewport(target);
      const fromPlacement = this.placementOf(source.viewportId), toPlacement = this.placementOf(target.viewportId);
      if (!from || !to || !fromPlacement || !toPlacement) return;
      const mirrored = this.info.get(source.viewportId)?.chestWall !== this.info.get(target.viewportId)?.chestWall;
      const [x, y] = from.getPan(fromPlacement);
      to.setZoom(from.getZoom(fromPlacement), false, toPlacement);
      // Cornerstone's setPan is from its initial camera: moved by what separates the pan wanted from
      // the target's placement and the pan it has from there now (differences of canvas pixels)
      const [nowX, nowY] = to.getPan(toPlacement);
      const [initialX, initialY] = to.getPan();
      to.setPan([initialX + (mirrored ? -x : x) - nowX, initialY + y - nowY]);
      to.render();
    });
    this.voi = SynchronizerManager.createSynchronizer(`${stepKey}:voi`, Enums.Events.VOI_MODIFIED, (_s, source, target) => {
      if (!this.bothPlaced(source.viewportId, target.viewportId)) return;
      const from = stackViewport(source);
      const to = stackViewport(target);
      const fromBase = this.info.get(source.viewportId)?.baseVoi;
      const toBase = this.info.get(target.viewportId)?.baseVoi;
      const range = from?.getProperties().voiRange;
      if (!from || !to || !fromBase || !toBase || !range) return;
      // an image shown inverted (MONOCHROME1) follows one shown as stored in the direction seen, not in values
      to.setProperties({ voiRange: followedWindow(
        { base: fromBase, range, inverted: Boolean(from.getProperties().invert) },
        { base: toBase, inverted: Boolean(to.getProperties().invert) },
      ) });
      to.render();
    });
  }

  private bothPlaced(a: string, b: string): boolean {
    return !suspended && Boolean(this.info.get(a)?.placed && this.info.get(b)?.placed);
  }

  add(viewportId: string, groups: readonly ('zoomPan' | 'voi')[], info: SyncedViewport): void {
    this.info.set(viewportId, info);
    const ref = { renderingEngineId: ENGINE_ID, viewportId };
    if (groups.includes('zoomPan')) this.zoomPan.add(ref);
    if (groups.includes('voi')) this.voi.add(ref);
  }

  /** Updates what is known of a viewport (its starting window once its image is placed). */
  update(viewportId: string, info: Partial<SyncedViewport>): void {
    const known = this.info.get(viewportId);
    if (known) Object.assign(known, info);
  }

  destroy(): void {
    SynchronizerManager.destroySynchronizer(this.zoomPan.id);
    SynchronizerManager.destroySynchronizer(this.voi.id);
    this.info.clear();
  }
}
