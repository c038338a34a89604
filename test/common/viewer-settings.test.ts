// The viewer settings the AI marks add: the key that shows and hides them (a keymap action like any
// other, remappable, never taking a key the reader gave another action) and the marks mode, second
// look unless the reader chose concurrent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_VIEWER_SETTINGS, VIEWER_ACTIONS, actionForKey, mergeViewerSettings, viewerSettingsInput } from '../../common/viewer-settings.ts';

test('the AI marks key: "a" by default, remappable, and given up when the reader gave "a" to another action', () => {
  assert.ok(VIEWER_ACTIONS.includes('aiMarks'));
  const defaults = mergeViewerSettings(null);
  assert.deepEqual(defaults.keymap.aiMarks, ['a']);
  assert.equal(actionForKey(defaults.keymap, 'a'), 'aiMarks');
  // a keymap stored before the action existed gets its default
  assert.deepEqual(mergeViewerSettings({ keymap: { nextStep: ['F9'] } as never }).keymap.aiMarks, ['a']);
  // the reader's own choice wins, and frees the default
  const remapped = mergeViewerSettings({ keymap: { invert: ['a'] } as never });
  assert.deepEqual(remapped.keymap.aiMarks, []);
  assert.equal(actionForKey(remapped.keymap, 'a'), 'invert');
  assert.deepEqual(mergeViewerSettings({ keymap: { aiMarks: ['F7'] } as never }).keymap.aiMarks, ['F7']);
});

test('the marks mode: second look by default, concurrent when chosen, the default again for a value this version does not know', () => {
  assert.equal(DEFAULT_VIEWER_SETTINGS.aiMarksMode, 'second-look');
  assert.equal(mergeViewerSettings(null).aiMarksMode, 'second-look');
  assert.equal(mergeViewerSettings({ aiMarksMode: 'concurrent' }).aiMarksMode, 'concurrent');
  assert.equal(mergeViewerSettings({ aiMarksMode: 'always' as never }).aiMarksMode, 'second-look');
  assert.equal(viewerSettingsInput.safeParse({ aiMarksMode: 'concurrent' }).success, true);
  assert.equal(viewerSettingsInput.safeParse({ aiMarksMode: 'always' }).success, false);
});

test('marking an exam read with steps not seen asks by default; a reader may turn it off; a damaged value asks', () => {
  assert.equal(mergeViewerSettings(null).askUnseenSteps, true);
  assert.equal(mergeViewerSettings({ askUnseenSteps: false }).askUnseenSteps, false);
  assert.equal(mergeViewerSettings({ askUnseenSteps: 'no' as unknown as boolean }).askUnseenSteps, true);
  assert.equal(viewerSettingsInput.safeParse({ askUnseenSteps: 'no' }).success, false);
});
