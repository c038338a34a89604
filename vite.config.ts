// Builds the renderer into app/dist/renderer, where both the Electron protocol handler and the
// loopback host serve it. The optimizeDeps settings are the ones Cornerstone3D 5.x needs under Vite
// (see shared/notes/stack-facts.md: dicom-image-loader must share @cornerstonejs/metadata with core).
import { createLogger, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { viteCommonjs } from '@originjs/vite-plugin-commonjs';
import path from 'node:path';

// The codecs' Emscripten glue mentions fs/path/url for Node; in the browser those branches never run.
const logger = createLogger();
const warn = logger.warn;
logger.warn = (message, options) => {
  if (message.includes('has been externalized for browser compatibility')) return;
  warn(message, options);
};

export default defineConfig({
  customLogger: logger,
  root: path.resolve(import.meta.dirname, 'renderer'),
  base: './',
  plugins: [react(), viteCommonjs()],
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: ['dicom-parser', '@cornerstonejs/metadata', '@cornerstonejs/utils'],
  },
  worker: { format: 'es' },
  build: {
    outDir: path.resolve(import.meta.dirname, 'app', 'dist', 'renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
    target: 'es2022',
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
});
