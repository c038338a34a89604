// The import rule that keeps each file in its room (VS Code's code-layering, as a table): a file's
// folder says which process it runs in, and so what it may import. Inside the main process the
// rooms are stacked: every import points down the list in ROOMS (transport → service → import, ai,
// net, synth → db, dicom, workers → base → common), never back up. Run by the tests and by
// `npm run lint`; it fails with one line per forbidden import.

import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import ts from 'typescript';

type PackageClass = 'std' | 'dom' | 'node' | 'electron';

/** Every npm package a source room may import, classed by the runtime it needs. */
export const PACKAGE_CLASSES: Record<string, PackageClass> = {
  'zod': 'std',
  'dicom-parser': 'std',
  'dcmjs': 'std',
  'hash-wasm': 'std',
  'unicode-confusables': 'std',
  '@humanwhocodes/momoa': 'std',
  '@cornerstonejs/codec-charls': 'std',
  '@cornerstonejs/codec-openjph': 'std',
  '@cornerstonejs/codec-openjpeg': 'std',
  '@cornerstonejs/codec-libjpeg-turbo-8bit': 'std',
  '@cornerstonejs/jpeg-lossless-decoder-js': 'std',
  'react': 'dom',
  'react-dom': 'dom',
  '@cornerstonejs/core': 'dom',
  '@cornerstonejs/tools': 'dom',
  '@cornerstonejs/dicom-image-loader': 'dom',
  'better-sqlite3': 'node',
  'onnxruntime-node': 'node',
  'dcmjs-dimse': 'node',
  'fastify': 'node',
  '@fastify/static': 'node',
  '@fastify/cookie': 'node',
  // the compiler, used only to bundle worker entries when running from the sources (tests, the CLI)
  'esbuild': 'node',
  'electron': 'electron',
};

interface Room {
  name: string;
  /** Folders or files (relative to the root; folders end with a slash) this room's files may import from. */
  mayImportFrom: string[];
  packages: PackageClass[];
  /** Packages of another class this room may use by name (e.g. a browser package that also runs in Node). */
  namedPackages?: string[];
  nodeBuiltins: boolean;
}

const MAIN = (name: string, below: string[]): Room => ({
  name, mayImportFrom: [...below, 'main/base/', 'common/'], packages: ['std', 'node'], nodeBuiltins: true,
});

/** Matched in order: the first room whose test accepts the file's path is its room. */
export const ROOMS: { test: (file: string) => boolean; room: Room }[] = [
  { test: (f) => f.startsWith('common/'), room: { name: 'common', mayImportFrom: ['common/'], packages: ['std'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('renderer/'), room: { name: 'renderer', mayImportFrom: ['renderer/', 'common/'], packages: ['std', 'dom'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('main/electron/') && /\.preload\.ts$/.test(f), room: { name: 'preload', mayImportFrom: ['common/'], packages: ['electron'], nodeBuiltins: false } },
  { test: (f) => f.startsWith('main/electron/'), room: { name: 'electron-main', mayImportFrom: ['main/electron/', 'main/transport/', 'main/service/', 'main/base/', 'common/'], packages: ['std', 'node', 'electron'], nodeBuiltins: true } },
  // the command line and its words (English and French)
  { test: (f) => f === 'main/cli.ts' || f === 'main/cli-text.ts', room: MAIN('cli', ['main/cli.ts', 'main/cli-text.ts', 'main/transport/', 'main/service/']) },
  { test: (f) => f.startsWith('main/transport/'), room: MAIN('transport', ['main/transport/', 'main/service/']) },
  { test: (f) => f.startsWith('main/service/'), room: MAIN('service', ['main/service/', 'main/import/', 'main/ai/', 'main/net/', 'main/synth/', 'main/db/', 'main/dicom/', 'main/workers/']) },
  { test: (f) => f.startsWith('main/net/'), room: MAIN('net', ['main/net/', 'main/import/', 'main/db/', 'main/dicom/', 'main/workers/']) },
  { test: (f) => f.startsWith('main/import/'), room: MAIN('import', ['main/import/', 'main/db/', 'main/dicom/', 'main/workers/']) },
  { test: (f) => f.startsWith('main/ai/'), room: MAIN('ai', ['main/ai/', 'main/db/', 'main/dicom/', 'main/workers/']) },
  { test: (f) => f.startsWith('main/synth/'), room: MAIN('synth', ['main/synth/', 'main/dicom/', 'main/workers/']) },
  { test: (f) => f.startsWith('main/db/'), room: MAIN('db', ['main/db/']) },
  // the pixel pipeline decodes 12-bit extended JPEG with the viewer's own loader (a browser package whose decoder runs in Node)
  { test: (f) => f.startsWith('main/dicom/'), room: { ...MAIN('dicom', ['main/dicom/']), namedPackages: ['@cornerstonejs/dicom-image-loader'] } },
  { test: (f) => f.startsWith('main/workers/'), room: MAIN('workers', ['main/workers/']) },
  { test: (f) => f.startsWith('main/base/'), room: MAIN('base', []) },
];

const BUILTINS = new Set(builtinModules);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every module a file loads: static imports and re-exports, import() and require() (also through createRequire). */
function importsOf(relativePath: string, source: string): { specifiers: string[]; dynamic: number } {
  const kind = relativePath.endsWith('.tsx') ? ts.ScriptKind.TSX : /\.(js|mjs|cjs)$/.test(relativePath) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const file = ts.createSourceFile(relativePath, source, ts.ScriptTarget.Latest, false, kind);
  const specifiers: string[] = [];
  let dynamic = 0;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      specifiers.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) {
        const arg = node.arguments[0];
        if (arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) specifiers.push(arg.text);
        else dynamic++;
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { specifiers, dynamic };
}

/** Checks one file's imports; returns the violations as messages. */
export function checkFile(relativePath: string, source: string): string[] {
  const entry = ROOMS.find((r) => r.test(relativePath));
  if (!entry) {
    return relativePath.startsWith('main/') && !relativePath.startsWith('main/types/')
      ? [`${relativePath}: is in no room; move it into one of main's folders (see ROOMS in scripts/layers.ts)`]
      : [];
  }
  const { room } = entry;
  const problems: string[] = [];
  const { specifiers, dynamic } = importsOf(relativePath, source);
  if (dynamic) problems.push(`${relativePath}: loads a module by a computed name (import() or require() of a non-literal), which hides what it imports; name each module literally`);
  for (const spec of specifiers) {
    const where = `${relativePath}: imports "${spec}"`;
    if (spec.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(relativePath), spec));
      if (!room.mayImportFrom.some((allowed) => (allowed.endsWith('/') ? target.startsWith(allowed) : target === allowed))) {
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
    else if (!room.packages.includes(cls) && !room.namedPackages?.includes(pkg)) problems.push(`${where}, a ${cls} package, which ${room.name} files may not use`);
  }
  return problems;
}

function sourceFiles(dir: string, root: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full, root);
    return SOURCE_FILE.test(e.name) && !/\.d\.[mc]?ts$/.test(e.name) ? [path.relative(root, full).split(path.sep).join('/')] : [];
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
