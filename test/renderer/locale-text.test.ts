// What the viewer and the worklist write in French beyond their messages: numbers with a decimal
// comma, key names as French keyboards print them, years with their plural, a space before a colon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOn, formatPercent, formatScore, formatScoreAgainst, formatThreshold, operatingPointChoice, operatingPointName, translate, translateCount } from '../../common/i18n/messages.ts';
import { keyLabel } from '../../renderer/viewer/key-label.ts';
import { marksLabel } from '../../renderer/ai/ai-state.ts';

test('scores: two decimals on a 0–1 scale (a decimal comma in French), a vendor\'s 0–100 as a whole number', () => {
  assert.equal(formatScore('en', 0.4249), '0.42');
  assert.equal(formatScore('fr', 0.4249), '0,42');
  assert.equal(formatScore('fr', 1), '1,00');
  // a score under 1 is not written 1.00 (it reads as certainty)
  assert.equal(formatScore('en', 0.9966), '0.99');
  assert.equal(formatScore('fr', 0.995), '0,99');
  assert.equal(formatScore('en', 0.9949), '0.99');
  // nor a score under 0.005 written 0.00, 0 itself (a breast with no candidate) included: it read as
  // certainty the other way ("sein gauche 0,00", probes)
  assert.equal(formatScore('en', 0.0031), '<0.01');
  assert.equal(formatScore('fr', 0.0049), '<\u202f0,01');
  assert.equal(formatScore('en', 0), '<0.01');
  assert.equal(formatScore('fr', 0.005), '0,01');
  assert.equal(formatScore('en', -0.42), '-0.42', 'a vendor\'s scale below 0 as it is');
  assert.equal(formatScore('fr', 87.4), '87');
  // a vendor's scales: not rounded up to what the score has not reached (99.6 read "100" on 0–100), a decimal under 10
  assert.equal(formatScore('en', 99.6), '99');
  assert.equal(formatScore('en', 1.4), '1.4');
  assert.equal(formatScore('fr', 1.5), '1,5');
  assert.equal(formatScore('en', 9.96), '9.9');
});

test('scores written with the decimals of their model\'s scale: a 0.5 on 0–100 is not "0.50", a vendor\'s logit of 0 not "<0.01" nor -0.003 "-0.00" (a vendor\'s probe)', () => {
  const percent = { min: 0, max: 100 }, logits = { min: -5, max: 5 }, tenths = { min: 0, max: 10 }, unit = { min: 0, max: 1 };
  assert.equal(formatScore('en', 0.5, percent), '<1', 'at the foot of 0–100: not written as a certainty of 0');
  assert.equal(formatScore('fr', 0.5, percent), '<\u202f1');
  assert.equal(formatScore('en', 0, percent), '<1');
  assert.equal(formatScore('en', 5.5, percent), '5', 'whole numbers all along its scale');
  assert.equal(formatScore('en', 99.6, percent), '99');
  assert.equal(formatScore('en', 0.4, tenths), '0.4');
  assert.equal(formatScore('en', 0.03, tenths), '<0.1');
  assert.equal(formatScore('fr', 9.96, tenths), '9,9');
  assert.equal(formatScore('en', 0, logits), '0.0', 'a middle score like any other');
  assert.equal(formatScore('en', -0.03, logits), '0.0', 'no sign where no digit is left');
  assert.equal(formatScore('en', -0.003, unit), '0.00');
  assert.equal(formatScore('en', -2.47, logits), '-2.5', 'below 0 rounded: cut toward 0, it was rounded up');
  assert.equal(formatScore('fr', -0.05, logits), '-0,1', 'not "0,0" beside a mark at 0, the threshold (a vendor\'s probe)');
  assert.equal(formatScore('en', Math.fround(0.7), tenths), '0.7', 'a float32\'s 0.7 (0.69999998…) as the model gave it');
  assert.equal(formatScore('en', 0.003, unit), '<0.01', 'a 0–1 scale as before');
  assert.equal(formatScore('en', 0.9966, unit), '0.99');
  // beside a threshold on such a scale: a score under it never reads as it
  assert.equal(formatScoreAgainst('en', 29.6, 30, percent), '29.6', 'one decimal more than its scale\'s, beside "30 or more"');
  assert.equal(formatScoreAgainst('fr', 59.7, 60, percent), '59,7', 'not "59,70" beside "60,00" (a vendor\'s probe)');
  assert.equal(formatThreshold('fr', 60, percent), '60');
  assert.equal(formatThreshold('en', 0.4, logits), '0.4');
  assert.equal(formatThreshold('en', -1, logits), '-1.0');
  assert.equal(formatThreshold('en', 0.2089, unit), '0.2089', 'a 0–1 scale\'s as before');
  // a mark at the threshold, or at 0 beside a threshold of 0, with the scale's one decimal (they read "0,40", "0,00": a re-probe)
  assert.equal(formatScoreAgainst('fr', Math.fround(0.4), 0.4, logits), '0,4');
  assert.equal(formatScoreAgainst('fr', 0, 0, logits), '0,0');
  assert.equal(formatScoreAgainst('en', 2.5, 0.4, logits), '2.5');
  assert.equal(formatScoreAgainst('en', -0.05, 0, logits), '-0.1');
  assert.equal(formatScoreAgainst('en', 0.2148, 0.2089, unit), '0.2148', 'a 0–1 scale as before');
  assert.equal(formatScoreAgainst('en', 0.354, 0.35, unit), '0.354');
  assert.equal(formatScoreAgainst('en', 0.4249, 0.2089, unit), '0.42');
  assert.equal(formatScoreAgainst('en', Math.fround(0.39), 0.4, logits), '0.39', 'a float32\'s 0.39 not cut to "0.38", a number the model never gave (a vendor\'s probe)');
  assert.equal(formatScoreAgainst('en', 85, 30, percent), '85');
  assert.equal(formatScoreAgainst('en', 0.5, 30, percent), '<1');
  assert.equal(formatScoreAgainst('en', 0.003, 0.008, unit), '0.003', '"<0.01" beside a threshold of 0.008 told neither side');
});

test('beside an operating point: its threshold with its decimals, and a score that would read as it with the decimals that tell its side', () => {
  // a probe: 0.2148 (highlighted) and 0.2085 (not: under 0.2089) were both shown 0.21, the legend "(0.21)"
  assert.equal(formatThreshold('en', 0.2089), '0.2089');
  assert.equal(formatThreshold('fr', 0.2089), '0,2089');
  // shares (an exam operating point's specificity): a narrow no-break space before % in French, in every engine
  assert.equal(formatPercent('en', 0.907), '91%');
  assert.equal(formatPercent('fr', 0.758), '76\u202f%');
  assert.equal(formatThreshold('en', 0.5), '0.50');
  assert.equal(formatThreshold('en', 0.35), '0.35');
  assert.equal(formatThreshold('en', 0.123456789), '0.123457');
  // a vendor's tiny threshold: its three significant digits, never "0.000000"
  assert.equal(formatThreshold('en', 3e-7), '0.0000003');
  assert.equal(formatThreshold('fr', 1.23456789e-7), '0,000000123');
  assert.equal(formatScoreAgainst('en', 2.9e-7, 3e-7), '0.0000002', 'under it: cut, not rounded onto it');
  assert.equal(formatScoreAgainst('en', 0.2148, 0.2089), '0.2148');
  assert.equal(formatScoreAgainst('en', 0.2085, 0.2089), '0.2085');
  assert.equal(formatScoreAgainst('fr', 0.2085, 0.2089), '0,2085');
  assert.equal(formatScoreAgainst('en', 0.20899, 0.2089), '0.2089', 'at the threshold: highlighted, reads as it');
  assert.equal(formatScoreAgainst('en', 0.20889, 0.2089), '0.2088', 'cut, not rounded up to it');
  assert.equal(formatScoreAgainst('en', 0.354, 0.35), '0.354');
  assert.equal(formatScoreAgainst('en', 0.346, 0.35), '0.346');
  // away from the threshold: as any score
  assert.equal(formatScoreAgainst('en', 0.4249, 0.2089), '0.42');
  assert.equal(formatScoreAgainst('fr', 0.9966, 0.2089), '0,99');
  assert.equal(formatScoreAgainst('en', 87.4, 0.5), '87');
  // a vendor's 0–100 scale: never rounded onto (or across) its threshold
  assert.equal(formatScoreAgainst('en', 29.6, 30), '29.60', 'not 30 beside "30.00 or more", unflagged');
  assert.equal(formatScoreAgainst('fr', 29.99, 30), '29,99');
  assert.equal(formatScoreAgainst('en', 30.4, 30), '30.40');
  assert.equal(formatScoreAgainst('en', 75.4, 75.5), '75.40', 'its whole number is the threshold\'s as shown (75.5 shows 75 whole, cut)');
  assert.equal(formatScoreAgainst('en', 75.46, 75.5), '75.46');
  assert.equal(formatScoreAgainst('en', 75.5, 75.5), '75.50');
  assert.equal(formatScoreAgainst('en', 62, 30), '62');
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  for (let i = 0; i < 5000; i++) {
    const threshold = Math.round(random() * 1e4) / 1e4;
    const score = Math.min(1, Math.max(0, threshold + (random() - 0.5) * 0.01));
    const shown = Number(formatScoreAgainst('en', score, threshold));
    const legend = Number(formatThreshold('en', threshold));
    assert.equal(shown >= legend, score >= threshold, `${score} against ${threshold}: shown ${shown}, legend ${legend}`);
  }
  for (let i = 0; i < 5000; i++) {
    const threshold = Math.round(random() * 10000) / 100;
    const score = threshold + (random() - 0.5) * 2;
    const shown = Number(formatScoreAgainst('en', score, threshold));
    const legend = Number(formatThreshold('en', threshold));
    assert.equal(shown >= legend, score >= threshold, `${score} against ${threshold} (0–100): shown ${shown}, legend ${legend}`);
  }
});

test('the AI in French is "elle" (l\'IA) throughout the worklist\'s line; its operating points named in French where their names are known', () => {
  // « Entraîné sur des images de synthèse… » beside « là où elle marque »: one AI, feminine
  for (const key of ['worklist.ai.synthetic', 'worklist.ai.mixed'] as const) assert.match(translate('fr', key), /^IA entraînée /);
  assert.match(translate('fr', 'worklist.ai.aboveHint', { name: operatingPointName('fr', 'balanced'), threshold: '0,2089' }), /«\u202féquilibré\u202f» \(0,2089\).*elle marque/);
  assert.equal(operatingPointName('fr', 'high-sensitivity'), 'haute sensibilité');
  assert.equal(operatingPointName('fr', 'high-specificity'), 'haute spécificité');
  assert.equal(operatingPointName('en', 'high-specificity'), 'high specificity');
  assert.equal(operatingPointName('en', 'balanced'), 'balanced');
  // a vendor's own name, as its manifest gives it
  assert.equal(operatingPointName('fr', 'screening-v2'), 'screening-v2');
  assert.equal(operatingPointName('fr', 'constructor'), 'constructor');
});

test('keys as French keyboards name them; English unchanged', () => {
  assert.equal(keyLabel(' ', 'fr'), 'Espace');
  assert.equal(keyLabel('Shift+ ', 'fr'), 'Maj+Espace');
  assert.equal(keyLabel('Shift+ ', 'en'), 'Shift+Space');
  assert.equal(keyLabel('ArrowRight', 'fr'), '→');
  assert.equal(keyLabel('a', 'fr'), 'a');
  assert.equal(keyLabel('PageDown', 'fr'), 'Pg suiv.');
  assert.equal(keyLabel('Shift+PageUp', 'fr'), 'Maj+Pg préc.');
  assert.equal(keyLabel('Home', 'fr'), 'Début');
  assert.equal(keyLabel('PageDown', 'en'), 'Page Down');
  assert.equal(keyLabel('Home', 'en'), 'Home');
});

test('a prior\'s age in years with its plural, labels with the French space before the colon, and the marks\' label says IA', () => {
  assert.equal(translateCount('fr', 'viewer.ageYears', 1, { n: 1 }), '1\u00a0an');
  assert.equal(translateCount('fr', 'viewer.ageYears', 3, { n: 3 }), '3\u00a0ans');
  assert.equal(translateCount('en', 'viewer.ageYears', 3, { n: 3 }), '3 y');
  assert.equal(translate('fr', 'common.labelled', { label: 'IA', text: 'score' }), 'IA\u202f: score');
  assert.equal(translate('en', 'common.labelled', { label: 'AI', text: 'score' }), 'AI: score');
  const model = { id: 'x', name: 'Détecteur', version: '1.0.0', trainedOn: 'synthetic' as const, notForDiagnosticUse: true, limits: [], implantCaveat: null, scoreScale: { semantics: 'uncalibrated' as const, min: 0, max: 1, prevalence: null }, operatingPoint: { name: 'default', threshold: 0.5 }, operatingPoints: [{ name: 'default', threshold: 0.5, sensitivity: null, specificity: null, falseMarksPerImage: 0.5, dataset: 'validation' }], defaultOperatingPoint: 'default', examOperatingPoint: null, classes: ['mass'] };
  assert.equal(marksLabel((key, params) => translate('fr', key, params), model).model, 'IA · Détecteur\u00a01.0.0');
  assert.equal(marksLabel((key, params) => translate('en', key, params), model).model, 'AI · Détecteur\u00a01.0.0');
});

test('what a model is said to be over its marks: synthetic-trained, partly so, or not for diagnostic use by its own manifest (a real-trained one was called synthetic-trained), in English and French', () => {
  const model = { id: 'x', name: 'D', version: '1.0.0', trainedOn: 'synthetic' as 'synthetic' | 'real' | 'mixed', notForDiagnosticUse: true, limits: [], implantCaveat: null, scoreScale: { semantics: 'uncalibrated' as const, min: 0, max: 1, prevalence: null }, operatingPoint: { name: 'default', threshold: 0.5 }, operatingPoints: [{ name: 'default', threshold: 0.5, sensitivity: null, specificity: null, falseMarksPerImage: 0.5, dataset: 'validation' }], defaultOperatingPoint: 'default', examOperatingPoint: null, classes: ['mass'] };
  const label = (locale: 'en' | 'fr', trainedOn: 'synthetic' | 'real' | 'mixed', notForDiagnosticUse: boolean) =>
    marksLabel((key, params) => translate(locale, key, params), { ...model, trainedOn, notForDiagnosticUse });
  assert.equal(label('en', 'synthetic', true).warning, 'Synthetic-trained AI — not for diagnostic use');
  assert.equal(label('en', 'mixed', true).warning, 'Partly synthetic-trained AI — not for diagnostic use');
  assert.equal(label('en', 'real', true).warning, 'AI not for diagnostic use');
  assert.doesNotMatch(JSON.stringify(label('en', 'real', true)), /ynthetic/);
  assert.doesNotMatch(JSON.stringify(label('fr', 'real', true)), /ynth/);
  assert.equal(label('en', 'real', false).warning, null);
  for (const locale of ['en', 'fr'] as const) {
    for (const trainedOn of ['synthetic', 'mixed', 'real'] as const) {
      const l = label(locale, trainedOn, true);
      for (const text of [l.warning, l.warningShort, l.warningTiny]) assert.ok(text && !/^ai\./.test(text), `${locale} ${trainedOn}: ${text}`);
      // the short and tiny forms fit the small cells the long one does not
      assert.ok(l.warningTiny!.length <= l.warningShort!.length && l.warningShort!.length <= l.warning!.length, `${locale} ${trainedOn}`);
    }
  }
  assert.equal(label('fr', 'mixed', true).warningShort, 'IA en partie entraînée sur images de synthèse — pas pour le diagnostic');
  // what was trained on synthetic images, said every time: « Synthèse » alone is, in breast imaging, the 2D image made from a
  // tomosynthesis, « IA sur images simulées » said the woman's images were, and « entraînée sur synthèse » read as
  // "trained on a summary" (radiologists' probes)
  for (const trainedOn of ['synthetic', 'mixed'] as const) {
    const l = label('fr', trainedOn, true);
    for (const text of [l.warning!, l.warningShort!, l.warningTiny!]) assert.match(text, /entraînée (en partie )?sur (des )?images de synthèse/i, text);
  }
});

test('no translated text is followed by a colon (or ; ! ?) written into the code: French wants a narrow no-break space before it', async () => {
  // a probe found the AI models panel's radio buttons read "Affiché: <model>" in French
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const root = join(import.meta.dirname, '../../renderer');
  const files = (await readdir(root, { recursive: true })).filter((f) => /\.tsx?$/.test(f));
  const offenders: string[] = [];
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8');
    for (const m of text.matchAll(/\$\{t\([^`]*?\)\}[:;!?]/g)) offenders.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(offenders, []);
  assert.equal(translate('fr', 'common.labelled', { label: 'Affiché', text: 'D' }), 'Affiché\u202f: D');
});

test('a woman\'s age on the exam\'s date: whole years, her birthday counted on the day; unknown where a date is missing or malformed', () => {
  assert.equal(ageOn('19620315', '20250314'), 62);
  assert.equal(ageOn('19620315', '20250315'), 63, 'on her birthday');
  assert.equal(ageOn('19620229', '20250301'), 63);
  for (const [born, on] of [[null, '20250101'], ['19620315', null], ['1962', '20250101'], ['20300101', '20250101']] as const) assert.equal(ageOn(born, on), null, `${born} ${on}`);
  assert.equal(translate('fr', 'exam.age', { n: 63 }), '63\u00a0ans', 'never cut from its unit at the end of a line ("70 / ans" at 1000 px: a probe)');
  assert.equal(translate('fr', 'exam.born', { date: '15/03/1962', n: 63 }), 'née le 15/03/1962\u202f; 63\u00a0ans à la date de l’examen');
});

test('an operating point offered to the reader: its name (the default said), what it achieved, numbers and plurals as each language writes them', () => {
  const balanced = { name: 'balanced', sensitivity: 0.652, specificity: null, falseMarksPerImage: 0.5 };
  assert.equal(operatingPointChoice('en', balanced, true), 'balanced (the model’s default): sensitivity 65%, 0.5 false marks per image');
  assert.equal(operatingPointChoice('fr', balanced, true), 'équilibré (par défaut du modèle)\u202f: sensibilité 65\u202f%, 0,5 fausse marque par image');
  const one = { name: 'high-sensitivity', sensitivity: null, specificity: 0.9, falseMarksPerImage: 1 };
  assert.equal(operatingPointChoice('en', one, false), 'high sensitivity: specificity 90%, 1 false mark per image');
  assert.equal(operatingPointChoice('fr', { ...one, falseMarksPerImage: 2 }, false), 'haute sensibilité\u202f: spécificité 90\u202f%, 2 fausses marques par image');
  // a vendor's name, and a point that says nothing the station shows beyond its name
  assert.equal(operatingPointChoice('en', { name: 'Site A', sensitivity: null, specificity: null, falseMarksPerImage: null }, false), 'Site A');
});
