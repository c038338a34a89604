// The multipart/related parser that reads WADO-RS answers: parts come out whole whatever the chunk
// sizes, boundaries quoted or not, and broken or hostile bodies are refused with a code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultipartError, MultipartParser, boundaryOf, mediaTypeOf } from '../../main/net/multipart.ts';
import type { MultipartEvent, MultipartLimits } from '../../main/net/multipart.ts';
import { DEFAULT_MULTIPART_LIMITS } from '../../main/net/multipart.ts';

function body(boundary: string, parts: Buffer[], options: { preamble?: string; epilogue?: string; headers?: string } = {}): Buffer {
  const out: Buffer[] = [Buffer.from(options.preamble ?? '')];
  for (const p of parts) out.push(Buffer.from(`--${boundary}\r\n${options.headers ?? 'Content-Type: application/dicom\r\n'}\r\n`), p, Buffer.from('\r\n'));
  out.push(Buffer.from(`--${boundary}--${options.epilogue ?? '\r\n'}`));
  return Buffer.concat(out);
}

/** Feeds `data` in chunks of `size` (1: byte by byte); returns the parts' bodies and headers. */
function parse(boundary: string, data: Buffer, size: number, limits?: Partial<MultipartLimits>): { parts: Buffer[]; headers: Record<string, string>[] } {
  const parser = new MultipartParser(boundary, { ...DEFAULT_MULTIPART_LIMITS, ...limits });
  const parts: Buffer[] = [];
  const headers: Record<string, string>[] = [];
  let current: Buffer[] = [];
  const take = (events: MultipartEvent[]) => {
    for (const e of events) {
      if (e.type === 'part') { headers.push(e.headers); current = []; }
      if (e.type === 'data') current.push(e.chunk);
      if (e.type === 'endPart') { parts.push(Buffer.concat(current)); assert.equal(e.bytes, parts.at(-1)!.length); }
    }
  };
  for (let i = 0; i < data.length; i += size) take(parser.push(data.subarray(i, i + size)));
  take(parser.end());
  return { parts, headers };
}

test('boundaries from Content-Type, quoted or not, with other parameters around them', () => {
  assert.equal(boundaryOf('multipart/related; type="application/dicom"; boundary=abc123'), 'abc123');
  assert.equal(boundaryOf('multipart/related;boundary="a b:c";type="application/dicom"'), 'a b:c');
  assert.equal(boundaryOf('Multipart/Related; BOUNDARY=XyZ'), 'XyZ');
  assert.equal(boundaryOf('multipart/related; type="application/dicom"'), null);
  assert.equal(boundaryOf('application/dicom; boundary=abc'), null);
  assert.equal(boundaryOf(`multipart/related; boundary=${'x'.repeat(71)}`), null);
  assert.equal(boundaryOf(null), null);
  assert.deepEqual(mediaTypeOf('multipart/related; type="application/dicom; x"; transfer-syntax=*'), { type: 'multipart/related', params: { type: 'application/dicom; x', 'transfer-syntax': '*' } });
});

test('parts come out whole at every chunk size, binary bodies that hold CRLF and dashes included', () => {
  const boundary = 'b0undary-x';
  const parts = [Buffer.from('DICM\r\n--b0undary\r\n--b0undary-'), Buffer.alloc(0), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)), Buffer.from('\r\n')];
  const data = body(boundary, parts, { preamble: 'preamble text\r\n', epilogue: '\r\nepilogue that is ignored' });
  for (const size of [1, 2, 3, 7, 13, 64, 1000, data.length]) {
    const r = parse(boundary, data, size);
    assert.equal(r.parts.length, parts.length, `chunk size ${size}`);
    r.parts.forEach((p, i) => assert.ok(p.equals(parts[i]!), `part ${i} at chunk size ${size}`));
    assert.equal(r.headers[0]!['content-type'], 'application/dicom');
  }
});

test('a part without headers, and transport padding after a boundary', () => {
  const data = Buffer.from('--xx  \r\n\r\nhello\r\n--xx\t\r\nContent-Type: application/dicom\r\n\r\nworld\r\n--xx--');
  const r = parse('xx', data, 5);
  assert.deepEqual(r.parts.map(String), ['hello', 'world']);
  assert.deepEqual(r.headers[0], {});
});

test('broken bodies are refused with a code, not a crash', () => {
  const code = (f: () => unknown) => { try { f(); } catch (e) { assert.ok(e instanceof MultipartError); return e.code; } return 'accepted'; };
  assert.equal(code(() => parse('xx', Buffer.from('no boundary at all'), 4)), 'bad_multipart');
  assert.equal(code(() => parse('xx', Buffer.from('--xx\r\nContent-Type: application/dicom\r\n\r\nbody without end'), 4)), 'bad_multipart');
  assert.equal(code(() => parse('xx', Buffer.from('--xxgarbage\r\n\r\nx\r\n--xx--'), 4)), 'bad_multipart');
  assert.equal(code(() => parse('xx', Buffer.from('--xx\r\nno colon here\r\n\r\nx\r\n--xx--'), 4)), 'bad_multipart');
  assert.equal(code(() => parse('xx', Buffer.from(''), 4)), 'bad_multipart');
});

test('limits: a huge part, endless headers, an endless preamble, too many parts', () => {
  const code = (f: () => unknown) => { try { f(); } catch (e) { assert.ok(e instanceof MultipartError); return e.code; } return 'accepted'; };
  assert.equal(code(() => parse('xx', body('xx', [Buffer.alloc(5000)]), 512, { maxPartBytes: 4096 })), 'too_large');
  assert.equal(code(() => parse('xx', body('xx', [Buffer.alloc(4096)]), 512, { maxPartBytes: 4096 })), 'accepted');
  assert.equal(code(() => parse('xx', Buffer.concat([Buffer.from('--xx\r\n'), Buffer.alloc(40_000, 0x41)]), 1000, { maxHeaderBytes: 16_384 })), 'too_large');
  assert.equal(code(() => parse('xx', Buffer.alloc(200_000, 0x41), 1000)), 'bad_multipart');
  assert.equal(code(() => parse('xx', body('xx', Array.from({ length: 11 }, () => Buffer.from('x'))), 64, { maxParts: 10 })), 'too_large');
});

test('memory stays bounded: a 64 MB part fed in 64 KB chunks never holds more than a chunk and a boundary', () => {
  const parser = new MultipartParser('bb');
  parser.push(Buffer.from('--bb\r\n\r\n'));
  const chunk = Buffer.alloc(65536, 0x42);
  let out = 0;
  for (let i = 0; i < 1024; i++) for (const e of parser.push(chunk)) if (e.type === 'data') { out += e.chunk.length; assert.ok(e.chunk.length <= chunk.length + 8); }
  assert.ok(out >= 1024 * 65536 - 8);
  const end = parser.push(Buffer.from('\r\n--bb--'));
  assert.deepEqual(end.map((e) => e.type), ['data', 'endPart', 'done'].filter((t) => t !== 'data' || out < 1024 * 65536));
});
