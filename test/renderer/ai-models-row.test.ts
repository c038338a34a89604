// A row of the AI models panel: what a clinic's IT person reads of a model before exams are analysed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ModelRow } from '../../renderer/ai/AiModelsPanel.tsx';
import { I18nContext, makeI18n } from '../../renderer/i18n.tsx';
import type { AiModelEntry, Locale } from '../../common/domain.ts';

const MODEL: AiModelEntry = {
  id: 'org.vendor.fixed', name: 'Vendor detector', version: '2.1.0', source: 'library', folder: 'vendor', provider: 'cpu', trainedOn: 'real', notForDiagnosticUse: false,
  shown: true, analyses: { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 },
};

function row(model: AiModelEntry, locale: Locale): string {
  const table = createElement('table', null, createElement('tbody', null, createElement(ModelRow, { model, chosen: null, onChoose() {} })));
  return renderToStaticMarkup(createElement(I18nContext.Provider, { value: makeI18n(locale) }, table));
}

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#x27;|&#39;/g, '\'');

test('a model with a fixed input at a fixed pixel size says the breast it reads at most, warned where it is less than a 24 × 30 cm detector\'s field; none said of a model whose input grows with the image', () => {
  const small = row({ ...MODEL, field: { width: 102, height: 205, small: true } }, 'en');
  assert.match(small, /data-testid="ai-model-field"[^>]*data-small="true"/);
  assert.match(text(small), /Reads at most 102 mm of breast from chest wall to nipple and 205 mm from top to bottom \(its fixed input\): a larger one is not analysed\. Less than a 24 × 30 cm detector’s field \(240 × 300 mm\): large breasts will not be analysed\./);
  const fr = text(row({ ...MODEL, field: { width: 102, height: 205, small: true } }, 'fr'));
  assert.match(fr, /Lit au plus 102\u00a0mm de sein de la paroi thoracique au mamelon et 205\u00a0mm de haut en bas \(son entrée fixe\)\u202f: un sein plus grand n’est pas analysé\. Moins que le champ/);
  const large = row({ ...MODEL, field: { width: 240, height: 300, small: false } }, 'en');
  assert.match(text(large), /Reads at most 240 mm .* a larger one is not analysed\./);
  assert.doesNotMatch(large, /data-small|Less than a 24/);
  assert.doesNotMatch(row(MODEL, 'en'), /ai-model-field/);
});

test('a model on hold says so, and until what, in the reader\'s language (the worklist\'s "on hold (see AI models)" found nothing said there: a probe); a model\'s own fault in words, then its code', () => {
  const overran = row({ ...MODEL, held: 'overran' }, 'en');
  assert.match(overran, /data-testid="ai-model-held"[^>]*data-held="overran"/);
  assert.match(text(overran), /On hold: it ran past its time limit on an image; its analyses wait until that exam is analysed again \(“Analyse again” in its viewer\) and the station is started again\./);
  assert.match(text(row({ ...MODEL, held: 'changed' }, 'fr')), /Suspendu\u202f: ses fichiers ont changé pendant que la station tournait\u202f; ses analyses attendent que la station redémarre\./);
  assert.doesNotMatch(row(MODEL, 'en'), /ai-model-held/);
  const failing = text(row({ ...MODEL, analyses: { ...MODEL.analyses, failed: 3 }, failures: [{ code: 'model_run_failed', count: 3, detail: 'RCC: Non-zero status code returned while running Reshape node.' }] }, 'fr'));
  assert.match(failing, /3 × le modèle s’est arrêté sur une erreur qui lui est propre pour une image \(RCC\) .*\(ce qui n’allait pas, en anglais\u202f: Non-zero status code returned while running Reshape node\.\)/);
});
