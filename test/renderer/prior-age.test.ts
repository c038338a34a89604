// A prior's label says how long before the current exam it was taken, to the month past a year.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { priorAgeText } from '../../renderer/viewer/prior-age.ts';
import { translate } from '../../common/i18n/messages.ts';

const age = (locale: 'en' | 'fr', earlier: string | null, later: string | null) => priorAgeText(locale, (k, p) => translate(locale, k, p), earlier, later);

test('a prior of 23 months is "1 y 11 mo", not "1 y" (read as an annual interval); whole years alone; under a year in months; no date, a dash', () => {
  assert.equal(age('en', '20230727', '20250627'), '1 y 11 mo');
  assert.equal(age('fr', '20230727', '20250627'), '1\u00a0an 11\u00a0mois');
  assert.equal(age('fr', '20230627', '20250627'), '2\u00a0ans');
  assert.equal(age('en', '20240627', '20250626'), '11 mo', 'a day short of a year');
  assert.equal(age('en', '20250101', '20250120'), '0 mo');
  assert.equal(age('en', null, '20250120'), '—');
  assert.equal(age('en', '2025', '20250120'), '—');
  assert.equal(age('en', '20250620', '20250120'), '—', 'taken after the exam on screen');
});
