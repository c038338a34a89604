// The import rule that keeps each file in its room (VS Code's code-layering, as a table): a file's
// folder says which process it runs in, and so what it may import. Run by the tests and by
// `npm run lint`; it fails with one line per forbidden import.

import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import ts from 'typescript';

/** Every npm package a source room may import, classed by the runtime it needs. */
export const PACKAGE_CLASSES: Record<string, 'std' | 'dom' | 'node' | 'electron'> = {
  'zod': 'std',
  'dicom-parser': 'std',
  'dcmjs': 'std',
  'hash-wasm': 'std',
  '@cornerstonejs/codec-charls': 'std',
  '@cornerstonejs/codec-openjph': 'std',
  '@cornerstonejs/codec-openjpeg': 'std',
  'react': 'dom',
  'react-dom': 'dom',
  '@cornerstonejs/core': 'dom',
  '@cornerstonejs/tools': 'dom',
  '@cornerstonejs/dicom-image-loader': 'dom',
  'better-sqlite3': 'node',
  'electron': 'electron',
};

interface Room {
  name: string;
  /** Folders (relative to the root, with a trailing slash) this room's files may import from. */
  mayImportFrom: string[];
  /** Package classes allowed. */
  packages: ('std' | 'dom' | 'node' | 'electron')[];
  nodeBuiltins: boolean;
}

/** Matched in order: the first room whose test accepts the file's path is its room. */
export const ROOMS: { test: (file: string) => boolean; room: Room }[] = [
  { test: (f) => f.startsWith('common/'), room: { name: 'common', mayImportFrom: ['common/'], packages: ['std'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('renderer/'), room: { name: 'renderer', mayImportFrom: ['renderer/', 'common/'], packages: ['std', 'dom'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('main/electron/') && f.endsWith('.preload.ts'), room: { name: 'preload', mayImportFrom: ['common/'], packages: ['electron'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('main/electron/'), room: { name: 'electron-main', mayImportFrom: ['main/', 'common/'], packages: ['std', 'node', 'electron'], nodeBuiltins: true } },
  { test: (f) => f.startsWith('main/'), room: { name: 'main', mayImportFrom: ['main/', 'common/'], packages: ['std', 'node'], nodeBuiltins: true } },
];

const BUILTINS = new Set(builtinModules);

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Checks one file's imports; returns the violations as messages. */
export function checkFile(relativePath: string, source: string): string[] {
  const entry = ROOMS.find((r) => r.test(relativePath));
  if (!entry) return [];
  const { room } = entry;
  const problems: string[] = [];
  const info = ts.preProcessFile(source, true, true);
  for (const ref of info.importedFiles) {
    const spec = ref.fileName;
    const where = `${relativePath}: imports "${spec}"`;
    if (spec.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(relativePath), spec));
      if (!room.mayImportFrom.some((folder) => target.startsWith(folder))) {
        problems.push(`${where}, but ${room.name} files may only import from ${room.mayImportFrom.join(', ')}`);
      }
      continue;
    }
    const bare = spec.replace(/^node:/, '');
    if (spec.startsWith('node:') || BUILTINS.has(bare)) {
      if (!room.nodeBuiltins) problems.push(`${where}, a Node built-in, which ${room.name} files may not use`);
      continue;
    }
    const pkg = packageName(spec);
    const cls = PACKAGE_CLASSES[pkg];
    if (!cls) problems.push(`${where}: package "${pkg}" is not classed; add it to PACKAGE_CLASSES in scripts/layers.ts`);
    else if (!room.packages.includes(cls)) problems.push(`${where}, a ${cls} package, which ${room.name} files may not use`);
  }
  return problems;
}

function sourceFiles(dir: string, root: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full, root);
    return /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.relative(root, full).split(path.sep).join('/')] : [];
  });
}

export function checkLayers(root: string): { files: number; problems: string[] } {
  const files = ['common', 'main', 'renderer'].flatMap((d) => sourceFiles(path.join(root, d), root));
  return { files: files.length, problems: files.flatMap((f) => checkFile(f, fs.readFileSync(path.join(root, f), 'utf8'))) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { files, problems } = checkLayers(path.resolve(import.meta.dirname, '..'));
  for (const p of problems) console.error(p);
  console.log(`layers: ${files} files checked, ${problems.length} forbidden import(s)`);
  process.exitCode = problems.length ? 1 : 0;
}
