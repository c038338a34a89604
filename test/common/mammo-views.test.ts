import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acrViewLabel, sortViewLabels } from '../../common/mammo-views.ts';

const sct = (value: string) => ({ value, scheme: 'SCT', meaning: '' });
const srt = (value: string) => ({ value, scheme: 'SRT', meaning: '' });

test('ACR labels from SNOMED CT and SNOMED-RT view codes', () => {
  assert.equal(acrViewLabel('R', sct('399162004'), []), 'RCC');
  assert.equal(acrViewLabel('L', sct('399368009'), []), 'LMLO');
  assert.equal(acrViewLabel('R', srt('R-10226'), []), 'RMLO');
  assert.equal(acrViewLabel('L', { value: 'R-10242', scheme: 'SNM3', meaning: 'cranio-caudal' }, []), 'LCC');
  assert.equal(acrViewLabel('L', sct('399192008'), []), 'LXCCL');
  assert.equal(acrViewLabel('R', srt('Y-X1770'), []), 'RXCCL');
  assert.equal(acrViewLabel('R', sct('399260004'), []), 'RML');
});

test('modifiers: prefixes M and S sorted, suffixes after, replacing views', () => {
  assert.equal(acrViewLabel('R', sct('399162004'), [sct('399209000')]), 'RCCID');
  assert.equal(acrViewLabel('L', sct('399162004'), [sct('399055006'), sct('399163009')]), 'LMSCC');
  assert.equal(acrViewLabel('L', sct('399368009'), [srt('R-102D7')]), 'LSMLO');
  assert.equal(acrViewLabel('R', sct('399368009'), [sct('399011000')]), 'RAT');
  assert.equal(acrViewLabel('R', sct('399162004'), [sct('399197002'), sct('399209000')]), 'RCCIDRL');
});

test('View Position fills in when the View Code Sequence is missing; unknown views give null', () => {
  assert.equal(acrViewLabel('L', null, [], 'MLO'), 'LMLO');
  assert.equal(acrViewLabel('R', null, [], 'cc'), 'RCC');
  assert.equal(acrViewLabel('R', null, [], 'AP'), null);
  assert.equal(acrViewLabel(null, sct('399162004'), []), 'CC');
  assert.equal(acrViewLabel('R', sct('123456'), []), null);
});

test('view labels sort in screening order, then the others', () => {
  assert.deepEqual(sortViewLabels(['LMLO', 'RXCCL', 'LCC', 'RCC', 'RMLO', 'RCC']), ['RCC', 'LCC', 'RMLO', 'LMLO', 'RXCCL']);
  // the other views by view, right before left (LCCID came before RCCID)
  assert.deepEqual(sortViewLabels(['LMLOID', 'LCCID', 'RMLOID', 'RCCID', 'LCC', 'RCC', 'LXCCL', 'RXCCL']), ['RCC', 'LCC', 'RCCID', 'LCCID', 'RMLOID', 'LMLOID', 'RXCCL', 'LXCCL']);
});
