// The arrays a thread keeps from image to image: lent to one user at a time, grown as needed up to a
// cap, given back once (a second give-back by a finished user never frees them under a new one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScratchArrays } from '../../main/dicom/pixels/scratch.ts';

test('lent to one user at a time, grown to the sizes asked, kept between uses', () => {
  const scratch = new ScratchArrays();
  const first = scratch.borrow(1000);
  assert.ok(first.frame && first.frame.length >= 1000);
  const values = first.values!(200)!;
  assert.equal(values.length, 200, 'as many values as asked');
  assert.equal(first.values!(100)!.buffer, values.buffer, 'fewer: the same array');
  assert.equal(first.values!(300)!.length, 300, 'more: grown');
  const meanwhile = scratch.borrow(10);
  assert.equal(meanwhile.frame, undefined, 'while lent, another user gets nothing and allocates its own');
  assert.equal(meanwhile.values, undefined);
  meanwhile.giveBack(); // gives back nothing it did not get
  assert.equal(scratch.borrow(10).frame, undefined, 'still lent to the first');
  first.giveBack();
  const second = scratch.borrow(500);
  assert.equal(second.frame, first.frame, 'the same array again: no new allocation for a smaller frame');
  first.giveBack(); // the first user, done long ago, gives back again: the second keeps its arrays
  assert.equal(scratch.borrow(1).frame, undefined);
  second.giveBack();
  const larger = scratch.borrow(5000);
  assert.ok(larger.frame!.length >= 5000);
  larger.giveBack();
});

test('a frame far larger than any mammogram gets no kept array (the caller reads it into its own)', () => {
  const scratch = new ScratchArrays();
  const huge = scratch.borrow(512 * 1024 * 1024);
  assert.ok((huge.frame?.length ?? 0) < 512 * 1024 * 1024);
  assert.equal(huge.values!(128 * 1024 * 1024), undefined, 'nor do 512 MiB of values');
  huge.giveBack();
});
