// Cornerstone3D set-up, done once per renderer: the core, the DICOM image loader (wadouri: with its
// decode workers and WASM codecs) and the tools this page uses.

import { init as coreInit } from '@cornerstonejs/core';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';
import { addTool, init as toolsInit, PanTool, WindowLevelTool, ZoomTool } from '@cornerstonejs/tools';

let ready: Promise<void> | null = null;

export const VIEWER_TOOLS = [WindowLevelTool, PanTool, ZoomTool] as const;

export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    await coreInit();
    dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)) });
    toolsInit();
    for (const tool of VIEWER_TOOLS) addTool(tool);
  })();
  return ready;
}
