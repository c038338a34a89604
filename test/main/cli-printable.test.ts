// What the command line writes is shown by a terminal: a name from the disk or a DICOM file must not
// drive it (escape sequences) nor turn the rest of the line backwards (bidirectional overrides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable, printableJson } from '../../main/cli.ts';

test('a line keeps its text and writes its control and bidirectional characters as escapes', () => {
  assert.equal(printable('vendor\u202eledom\x1b[31m\nforged'), 'vendor\\u202eledom\\x1b[31m\\x0aforged');
  assert.equal(printable('Hélène Dupont'), 'Hélène Dupont');
});

test('JSON for the terminal: bidirectional overrides and line separators escaped, the same value once parsed', () => {
  const value = { folder: 'h-evil\u202ename\x1b[31m', name: 'a\u2028b\u2066c\u2069', plain: 'Hélène' };
  const text = printableJson(value);
  assert.doesNotMatch(text, /[\u202e\u2028\u2066\u2069\x1b]/u);
  assert.deepEqual(JSON.parse(text), value);
});
