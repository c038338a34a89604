import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagingModalities } from '../../renderer/worklist/modalities.ts';

test('the Modality column says the imaging modalities: an analysed exam with the station\'s CAD report is MG, not "MG SR"; an exam of documents alone says them', () => {
  assert.deepEqual(imagingModalities(['MG', 'SR']), ['MG']);
  assert.deepEqual(imagingModalities(['MG', 'US', 'KO', 'PR']), ['MG', 'US']);
  assert.deepEqual(imagingModalities(['SR']), ['SR']);
  assert.deepEqual(imagingModalities([]), []);
});
