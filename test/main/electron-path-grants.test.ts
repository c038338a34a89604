// The paths a window may import over IPC: only what the user chose (main/electron/path-grants.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PathGrants, isWithin, normalizeGrantPath } from '../../main/electron/path-grants.ts';
import { tempDir } from '../helpers/paths.ts';

const WINDOW = 1;
const OTHER_WINDOW = 2;

/** A folder tree: chosen/ (a.dcm, sub/b.dcm), sibling/ (c.dcm), chosen-too/ (d.dcm); real paths. */
function tree() {
  const root = fs.realpathSync(tempDir('grants'));
  const chosen = path.join(root, 'chosen');
  fs.mkdirSync(path.join(chosen, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(root, 'sibling'));
  fs.mkdirSync(path.join(root, 'chosen-too'));
  for (const f of ['chosen/a.dcm', 'chosen/sub/b.dcm', 'sibling/c.dcm', 'chosen-too/d.dcm', 'single.dcm']) fs.writeFileSync(path.join(root, f), 'x');
  return { root, chosen };
}

function symlinksWork(dir: string): boolean {
  try {
    fs.symlinkSync(dir, path.join(dir, 'probe-link'), 'dir');
    fs.unlinkSync(path.join(dir, 'probe-link'));
    return true;
  } catch {
    return false;
  }
}

test('nothing is granted until the user chooses it, and only to the window it was chosen in', () => {
  const { root, chosen } = tree();
  const grants = new PathGrants();
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'a.dcm')), false);
  assert.deepEqual(grants.grant(WINDOW, [chosen, path.join(root, 'single.dcm')]), [chosen, path.join(root, 'single.dcm')]);
  assert.equal(grants.allows(WINDOW, path.join(root, 'single.dcm')), true, 'a granted file');
  assert.equal(grants.allows(WINDOW, chosen), true, 'a granted folder');
  assert.equal(grants.allows(WINDOW, `${chosen}${path.sep}`), true, 'a granted folder with a trailing separator');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'a.dcm')), true, 'a file in a granted folder');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'sub', 'b.dcm')), true, 'a file deeper in a granted folder');
  assert.equal(grants.allows(OTHER_WINDOW, path.join(chosen, 'a.dcm')), false, 'grants belong to one window');
  grants.revoke(WINDOW);
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'a.dcm')), false, 'revoked with the window');
});

test('siblings, parents, prefixes and .. tricks are refused', () => {
  const { root, chosen } = tree();
  const grants = new PathGrants();
  grants.grant(WINDOW, [chosen]);
  assert.equal(grants.allows(WINDOW, path.join(root, 'sibling', 'c.dcm')), false, 'a sibling folder');
  assert.equal(grants.allows(WINDOW, root), false, 'the parent');
  assert.equal(grants.allows(WINDOW, path.join(root, 'chosen-too', 'd.dcm')), false, 'a folder whose name starts with the granted one');
  assert.equal(grants.allows(WINDOW, `${chosen}${path.sep}..${path.sep}sibling${path.sep}c.dcm`), false, 'granted/../other');
  assert.equal(grants.allows(WINDOW, `${chosen}${path.sep}..`), false, 'granted/..');
  assert.equal(grants.allows(WINDOW, `${chosen}${path.sep}sub${path.sep}..${path.sep}..${path.sep}single.dcm`), false, 'granted/sub/../../file');
  assert.equal(grants.allows(WINDOW, `${chosen}${path.sep}sub${path.sep}..${path.sep}a.dcm`), true, '.. that stays inside is fine');
  assert.equal(grants.allows(WINDOW, path.relative(process.cwd(), path.join(chosen, 'a.dcm'))), false, 'a relative path');
  assert.equal(grants.allows(WINDOW, `${path.join(chosen, 'a.dcm')}\0`), false, 'a NUL byte');
  assert.equal(grants.allows(WINDOW, ''), false);
  assert.equal(grants.allows(WINDOW, 42), false);
  assert.equal(grants.allowsAll(WINDOW, [path.join(chosen, 'a.dcm'), path.join(root, 'sibling', 'c.dcm')]), false, 'one refused path refuses the request');
  assert.equal(grants.allowsAll(WINDOW, [path.join(chosen, 'a.dcm'), path.join(chosen, 'sub')]), true);
});

test('a refusal does not depend on whether the path exists: paths outside the grants never touch the disk', () => {
  const { root, chosen } = tree();
  const looked: string[] = [];
  const grants = new PathGrants({ realpath: (p) => { looked.push(p); try { return fs.realpathSync.native(p); } catch { return null; } } });
  grants.grant(WINDOW, [chosen]);
  looked.length = 0;
  const existing = path.join(root, 'sibling', 'c.dcm');
  const missing = path.join(root, 'sibling', 'no-such-file.dcm');
  assert.ok(fs.existsSync(existing) && !fs.existsSync(missing));
  assert.equal(grants.allows(WINDOW, existing), false);
  assert.equal(grants.allows(WINDOW, missing), false);
  assert.equal(grants.allows(WINDOW, '/etc/passwd'), false);
  assert.deepEqual(looked, [], 'no file-system lookup for a path outside every grant');
});

test('grant() keeps only absolute paths, normalised, once each; the oldest are forgotten past the cap', () => {
  const { root, chosen } = tree();
  const grants = new PathGrants({ maxPerOwner: 2 });
  assert.deepEqual(grants.grant(WINDOW, ['relative/path', '', 7, null, `${chosen}${path.sep}sub${path.sep}..`, chosen]), [chosen]);
  grants.grant(WINDOW, [path.join(root, 'sibling')]);
  grants.grant(WINDOW, [path.join(root, 'single.dcm')]);
  assert.equal(grants.size(WINDOW), 2);
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'a.dcm')), false, 'the oldest grant was forgotten');
  assert.equal(grants.allows(WINDOW, path.join(root, 'single.dcm')), true);
  assert.equal(normalizeGrantPath(`${chosen}${path.sep}.${path.sep}a.dcm`), path.join(chosen, 'a.dcm'));
  assert.equal(isWithin(path.join(root, 'chosen-too'), chosen), false);
  assert.equal(isWithin(path.join(chosen, '..x'), chosen), true, 'a name starting with .. is inside');
});

test('symbolic links inside a granted folder cannot reach out of it; a chosen link is honoured', (t) => {
  const { root, chosen } = tree();
  if (!symlinksWork(root)) { t.skip('symbolic links cannot be created here'); return; }
  const outside = path.join(root, 'sibling');
  fs.symlinkSync(outside, path.join(chosen, 'to-outside'), 'dir');
  fs.symlinkSync(path.join(outside, 'c.dcm'), path.join(chosen, 'outside-file.dcm'), 'file');
  fs.symlinkSync(path.join(chosen, 'sub'), path.join(chosen, 'to-sub'), 'dir');
  const grants = new PathGrants();
  grants.grant(WINDOW, [chosen]);
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'to-outside', 'c.dcm')), false, 'through a link to a folder outside');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'to-outside')), false, 'a link to a folder outside');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'outside-file.dcm')), false, 'a link to a file outside');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'to-outside', 'no-such-file.dcm')), false,
    'a missing file behind a link that leaves is refused too, so existence outside is never revealed');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'to-sub', 'b.dcm')), true, 'a link that stays inside');
  assert.equal(grants.allows(WINDOW, path.join(chosen, 'not-yet', 'e.dcm')), true, 'a missing path inside (the import says it is missing)');

  // the user chose the link itself: it and what is under its target are granted
  const link = path.join(root, 'chosen-link');
  fs.symlinkSync(outside, link, 'dir');
  const linkGrants = new PathGrants();
  linkGrants.grant(WINDOW, [link]);
  assert.equal(linkGrants.allows(WINDOW, link), true);
  assert.equal(linkGrants.allows(WINDOW, path.join(link, 'c.dcm')), true);
  assert.equal(linkGrants.allows(WINDOW, path.join(root, 'single.dcm')), false);
});
