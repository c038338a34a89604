// The viewer asks the AI results of the exam on screen and its priors together and shows them
// together (after another model is chosen, the current exam and its prior change at once); an
// answer overtaken by a newer question about the same exam is dropped; a failed answer keeps what
// the exam had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultsAsker } from '../../renderer/ai/results-asker.ts';

/** A fetch whose answers the test releases one by one, in any order. */
function controlledFetch() {
  const pending: { examId: number; answer: (r: string) => void; fail: () => void }[] = [];
  const fetch = (examId: number) => new Promise<string>((resolve, reject) => pending.push({ examId, answer: resolve, fail: () => reject(new Error('unavailable')) }));
  return { fetch, pending };
}
const settle = () => new Promise((r) => setImmediate(r));

test('the exams asked together are handed over together, once every answer is in', async () => {
  const { fetch, pending } = controlledFetch();
  const applied: [number, string][][] = [];
  const ask = resultsAsker(fetch, (fresh) => applied.push(fresh));
  const done = ask([1, 2]);
  pending[1]!.answer('prior under model B');
  await settle();
  assert.deepEqual(applied, [], 'the prior alone is not shown under the new model while the current exam is still under the old');
  pending[0]!.answer('current under model B');
  await done;
  assert.deepEqual(applied, [[[1, 'current under model B'], [2, 'prior under model B']]]);
});

test('an answer overtaken by a newer question about the same exam is dropped (rapid model switches)', async () => {
  const { fetch, pending } = controlledFetch();
  const applied: [number, string][][] = [];
  const ask = resultsAsker(fetch, (fresh) => applied.push(fresh));
  const first = ask([1, 2]);
  const second = ask([1, 2]);
  // the newer answers arrive first, the older ones after them
  pending[2]!.answer('current under C');
  pending[3]!.answer('prior under C');
  await second;
  pending[0]!.answer('current under B');
  pending[1]!.answer('prior under B');
  await first;
  assert.deepEqual(applied, [[[1, 'current under C'], [2, 'prior under C']]]);
  // a question about one exam overtakes only that exam's part of an older one
  const both = ask([1, 2]);
  const one = ask([2]);
  pending[6]!.answer('prior, asked alone');
  await one;
  pending[4]!.answer('current');
  pending[5]!.answer('prior, asked with the current');
  await both;
  assert.deepEqual(applied.slice(1), [[[2, 'prior, asked alone']], [[1, 'current']]]);
});

test('a failed answer keeps what that exam had; the others are handed over; nothing asked, nothing handed', async () => {
  const { fetch, pending } = controlledFetch();
  const applied: [number, string][][] = [];
  const ask = resultsAsker(fetch, (fresh) => applied.push(fresh));
  const done = ask([1, 2]);
  pending[0]!.fail();
  pending[1]!.answer('prior');
  await done;
  assert.deepEqual(applied, [[[2, 'prior']]]);
  await ask([]);
  assert.equal(pending.length, 2);
  assert.equal(applied.length, 1);
});
