// The routes the loopback host reads from a request's path (main/transport/target.ts routeOf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeOf } from '../../main/transport/target.ts';

test('an /api/op/ path naming no operation is an unknown operation, by its name (keyed error.unknownOperation by the host); other unknown API paths are unknown addresses', () => {
  assert.deepEqual(routeOf('/api/op/appInfo'), { kind: 'operation', name: 'appInfo' });
  assert.deepEqual(routeOf('/api/op/exportExam'), { kind: 'unknownOperation', name: 'exportExam' });
  // names no operation can have (not letters, too long): an unknown address, the name not echoed
  assert.deepEqual(routeOf('/api/op/\u202eappInfo'), { kind: 'unknown' });
  assert.deepEqual(routeOf(`/api/op/${'a'.repeat(65)}`), { kind: 'unknown' });
  assert.deepEqual(routeOf('/api/nothing'), { kind: 'unknown' });
  assert.deepEqual(routeOf('/dicom/0'), { kind: 'unknown' });
});
