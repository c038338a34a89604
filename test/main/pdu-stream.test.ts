import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PduStream } from '../../main/net/pdu-stream.ts';

/** A P-DATA-TF PDU of the given PDVs (presentation context, message control header, value). */
function pdata(...pdvs: [number, number, Buffer][]): Buffer {
  const items = pdvs.map(([pc, control, value]) => {
    const head = Buffer.alloc(6);
    head.writeUInt32BE(value.length + 2, 0);
    head[4] = pc;
    head[5] = control;
    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat(items);
  const head = Buffer.from([0x04, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function run(bytes: Buffer, chunk: number, takes: () => boolean = () => true, maxGathered = 1 << 20) {
  const passed: Buffer[] = [];
  const data: Buffer[] = [];
  const violations: string[] = [];
  const stream = new PduStream({ maxPData: 1 << 16, maxOther: 1 << 20, maxGathered }, {
    passOn: (b) => passed.push(Buffer.from(b)), takesDataset: takes, datasetBytes: (b) => data.push(Buffer.from(b)), violation: (r) => violations.push(r),
  });
  for (let at = 0; at < bytes.length; at += chunk) stream.push(bytes.subarray(at, at + chunk));
  return { passed: Buffer.concat(passed), data: Buffer.concat(data), violations };
}

test('data set fragments go to the file and dcmjs-dimse sees their headers only; commands and other PDUs reach it byte for byte, however the bytes are split', () => {
  const associate = Buffer.concat([Buffer.from([0x01, 0, 0, 0, 0, 10]), Buffer.from('0123456789')]);
  const command = Buffer.from('command-set');
  const part1 = Buffer.alloc(3000, 1);
  const part2 = Buffer.alloc(5000, 2);
  const release = Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  const bytes = Buffer.concat([associate, pdata([1, 0x03, command]), pdata([1, 0x00, part1]), pdata([1, 0x00, part2.subarray(0, 100)], [1, 0x02, part2.subarray(100)]), release]);
  const announce = Buffer.from([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x00]);
  const last = Buffer.from([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x02]);
  const expected = Buffer.concat([associate, pdata([1, 0x03, command]), announce, last, release]);
  for (const chunk of [1, 2, 5, 6, 7, 64, 1000, bytes.length]) {
    const r = run(bytes, chunk);
    assert.deepEqual(r.violations, [], `chunk ${chunk}`);
    assert.ok(r.passed.equals(expected), `chunk ${chunk}: what dcmjs-dimse sees`);
    assert.ok(r.data.equals(Buffer.concat([part1, part2])), `chunk ${chunk}: the data set`);
  }
});

test('data set fragments the SCP does not take (no C-STORE under way) reach dcmjs-dimse whole', () => {
  const identifier = Buffer.alloc(300, 7);
  const bytes = pdata([3, 0x02, identifier]);
  const r = run(bytes, 17, () => false);
  assert.ok(r.passed.equals(bytes));
  assert.equal(r.data.length, 0);
});

test('a PDU of unknown type, one longer than allowed, and a PDV longer than its PDU end the connection', () => {
  assert.match(run(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20]), 6).violations[0]!, /unknown type 71/);
  assert.match(run(Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0]), 6).violations[0]!, /type 4 and 4294967280 bytes/);
  assert.match(run(Buffer.from([0x01, 0, 0x7f, 0xff, 0xff, 0xff]), 6).violations[0]!, /type 1/);
  const lying = Buffer.from([0x04, 0, 0, 0, 0, 10, 0, 0, 0x10, 0, 1, 0]);
  assert.match(run(lying, 3).violations[0]!, /PDV longer than its PDU/);
  // nothing is read after a violation
  const after = run(Buffer.concat([Buffer.from([0x09, 0, 0, 0, 0, 0]), Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])]), 100);
  assert.equal(after.violations.length, 1);
  assert.equal(after.passed.length, 0);
});

test('a command (or a data set the SCP does not take) gathered beyond the limit ends the connection; fragments up to a last one start the count again', () => {
  const piece = Buffer.alloc(4000, 5);
  // command fragments that never say "last": dcmjs-dimse would gather them all in memory
  const flood = Buffer.concat(Array.from({ length: 30 }, () => pdata([1, 0x01, piece])));
  const r = run(flood, 1000, () => false, 50_000);
  assert.equal(r.violations.length, 1);
  assert.match(r.violations[0]!, /more than 50000 bytes/);
  assert.ok(r.passed.length < 60_000, `stopped passing on at the limit (${r.passed.length} bytes passed)`);
  // many whole commands, each ending with a last fragment, never reach the limit
  const commands = Buffer.concat(Array.from({ length: 30 }, () => pdata([1, 0x01, piece], [1, 0x03, piece])));
  assert.deepEqual(run(commands, 1000, () => false, 50_000).violations, []);
  // data set fragments this side writes to disk do not count
  const dataset = Buffer.concat([pdata([1, 0x03, piece]), ...Array.from({ length: 30 }, () => pdata([1, 0x00, piece]))]);
  assert.deepEqual(run(dataset, 1000, () => true, 50_000).violations, []);
});
