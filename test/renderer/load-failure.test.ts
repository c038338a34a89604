// The viewer's words for an image it could not show: the libraries' messages sorted into what they
// say about the file, in English and French, the library's text kept only as a short detail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../common/i18n/messages.ts';
import type { InstanceDetail } from '../../common/domain.ts';
import { explainLoadFailure } from '../../renderer/viewer/load-failure.ts';

const instance = { columns: 2560, rows: 3328, photometricInterpretation: 'PALETTE COLOR' } as InstanceDetail;
const en = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate('en', key, params);
const fr = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) => translate('fr', key, params);

test('a file whose structure the parser cannot read is called damaged, with the parser\'s words as a detail', () => {
  const said = explainLoadFailure(new Error('loadImageFromNaturalizedMetadata: no pixel data in NATURALIZED for imageId wadouri:http://127.0.0.1:4000/dicom/7'), instance, en);
  assert.match(said, /^its file is damaged: the viewer cannot read its structure\. \(Technical detail: loadImageFromNaturalizedMetadata: no pixel data in NATURALIZED for imageId\)$/);
  assert.doesNotMatch(said, /wadouri|127\.0\.0\.1/);
  assert.match(explainLoadFailure({ error: 'Request more than currently allocated buffer' }, instance, en), /^its file is damaged/);
  assert.match(explainLoadFailure(new Error('Finding view is past end of input for start=2147616748'), instance, en), /^its file is damaged/);
});

test('a decoder\'s failure says the pixels could not be decoded', () => {
  assert.match(explainLoadFailure(new Error('ERROR: Huffman table format error [count>Lh]'), instance, en), /^its pixel data could not be decoded \(Technical detail: ERROR: Huffman/);
  assert.equal(explainLoadFailure(undefined, instance, en), 'its pixel data could not be decoded');
});

test('timeouts, sizes and HTTP errors each have their sentence, in French too', () => {
  assert.match(explainLoadFailure(new Error('draw-timeout'), instance, en), /could not be drawn \(its pixel format, PALETTE COLOR,/);
  assert.match(explainLoadFailure(new Error('load-timeout'), instance, fr), /^elle n’est pas arrivée à temps/);
  assert.equal(explainLoadFailure(new Error('decoded-size:100x200'), instance, en), 'its pixel data decoded to 100 × 200 pixels where the file says 2560 × 3328');
  // no pixels at all (an HTJ2K header zeroed): not decoded, rather than "0 × 0 pixels"
  assert.equal(explainLoadFailure(new Error('decoded-size:0x0'), instance, fr), 'ses pixels n’ont pas pu être décodés');
  assert.equal(explainLoadFailure({ request: { status: 500 } }, instance, fr), 'la station a répondu par l’erreur 500');
  assert.match(explainLoadFailure(new Error('something unheard of'), instance, fr), /^la visionneuse n’a pas pu la lire\. \(Détail technique\u202f: something unheard of\)$/);
});

test('no answer from the station (it stopped, or the request failed on the network) is said as such, not blamed on the image', () => {
  // what the DICOM image loader rejects with: the XMLHttpRequest itself, status 0
  const xhr = { readyState: 4, status: 0, response: null };
  assert.match(explainLoadFailure(xhr, instance, en), /^the station did not answer/);
  assert.match(explainLoadFailure({ error: xhr }, instance, fr), /^la station n’a pas répondu/);
  assert.match(explainLoadFailure(new TypeError('Failed to fetch'), instance, en), /^the station did not answer/);
  // an answer with an error status is the station's answer
  assert.equal(explainLoadFailure({ readyState: 4, status: 404 }, instance, en), 'the station answered with error 404');
  // an object with a status that is not a request is not taken for one
  assert.equal(explainLoadFailure({ status: 0 }, instance, en), 'its pixel data could not be decoded');
});
