// A streaming parser of multipart bodies (RFC 2046, as DICOMweb's multipart/related uses them):
// fed the body in chunks of any size, it answers what they held — a part began (with its headers),
// a piece of its body, it ended, the whole body ended — and never holds more than one chunk plus a
// boundary's length of body in memory. A broken or hostile body (no boundary, headers that never
// end, a part larger than allowed, too many parts, no closing boundary) is a MultipartError with a
// code, never a crash nor an unbounded buffer.

export class MultipartError extends Error {
  constructor(readonly code: 'bad_multipart' | 'too_large', message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export type MultipartEvent =
  | { type: 'part'; headers: Record<string, string> }
  | { type: 'data'; chunk: Buffer }
  | { type: 'endPart'; bytes: number }
  | { type: 'done' };

export interface MultipartLimits {
  /** The longest header block of one part. */
  maxHeaderBytes: number;
  /** The largest body of one part. */
  maxPartBytes: number;
  maxParts: number;
  /** What may come before the first boundary. */
  maxPreambleBytes: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxHeaderBytes: 16 * 1024, maxPartBytes: 2 * 1024 ** 3, maxParts: 100_000, maxPreambleBytes: 64 * 1024 };

/** The parameters of a media type ("multipart/related; type=\"application/dicom\"; boundary=x"), names lower-cased, quotes removed. */
export function mediaTypeOf(header: string | null): { type: string; params: Record<string, string> } | null {
  if (!header) return null;
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return null;
  const params: Record<string, string> = {};
  const re = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)\s*/gy;
  re.lastIndex = semi < 0 ? header.length : semi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) {
    const raw = m[2]!;
    params[m[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    if (re.lastIndex >= header.length) break;
  }
  return { type, params };
}

/** The boundary of a multipart body from its Content-Type (quoted or not), or null where there is none or it is not a valid one. */
export function boundaryOf(contentType: string | null): string | null {
  const media = mediaTypeOf(contentType);
  if (!media || !media.type.startsWith('multipart/')) return null;
  const b = media.params.boundary;
  // RFC 2046: 1 to 70 characters, not ending with a space
  return b && b.length <= 70 && !b.endsWith(' ') && /^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(b) ? b : null;
}

const CRLF = Buffer.from('\r\n');

export class MultipartParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'epilogue' = 'preamble';
  private readonly dash: Buffer;
  /** CRLF + "--" + boundary: what ends a part's body. */
  private readonly delimiter: Buffer;
  private partBytes = 0;
  private parts = 0;
  private seen = 0;

  constructor(boundary: string, private readonly limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS) {
    this.dash = Buffer.from(`--${boundary}`, 'latin1');
    this.delimiter = Buffer.concat([CRLF, this.dash]);
  }

  get done(): boolean {
    return this.state === 'epilogue';
  }

  push(chunk: Buffer): MultipartEvent[] {
    if (this.state === 'epilogue') return []; // an epilogue is ignored, whatever its size
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const events: MultipartEvent[] = [];
    for (;;) {
      if (!this.step(events)) break;
    }
    return events;
  }

  /** The body ended: throws unless the closing boundary came. */
  end(): MultipartEvent[] {
    if (this.state !== 'epilogue') {
      throw new MultipartError('bad_multipart', this.parts === 0 && this.state === 'preamble' ? 'the body holds no multipart boundary' : 'the body ended before its closing boundary');
    }
    return [];
  }

  /** One step of the state machine; false when it needs more bytes. */
  private step(events: MultipartEvent[]): boolean {
    switch (this.state) {
      case 'preamble': {
        // the first boundary, at the very start or at the start of a line
        let from = 0;
        for (;;) {
          const i = this.buf.indexOf(this.dash, from);
          if (i < 0) {
            this.seen += Math.max(0, this.buf.length - this.dash.length);
            if (this.seen > this.limits.maxPreambleBytes) throw new MultipartError('bad_multipart', 'no multipart boundary where one was expected');
            this.buf = this.buf.subarray(Math.max(0, this.buf.length - this.dash.length));
            return false;
          }
          if (i === 0 || this.buf[i - 1] === 0x0a) {
            this.buf = this.buf.subarray(i + this.dash.length);
            this.state = 'afterDelimiter';
            return true;
          }
          from = i + 1;
        }
      }
      case 'afterDelimiter': {
        if (this.buf.length < 2) return false;
        if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = 'epilogue';
          this.buf = Buffer.alloc(0);
          events.push({ type: 'done' });
          return false;
        }
        // transport padding (spaces, tabs), then the line's end
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) {
          if (this.buf.length > 256) throw new MultipartError('bad_multipart', 'a multipart boundary line does not end');
          return false;
        }
        const padding = this.buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        if (!/^[ \t]*$/.test(padding)) throw new MultipartError('bad_multipart', 'a multipart boundary is followed by other characters');
        this.buf = this.buf.subarray(nl + 1);
        if (++this.parts > this.limits.maxParts) throw new MultipartError('too_large', `more than ${this.limits.maxParts} parts`);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        let end: number;
        let skip: number;
        if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) { end = 0; skip = 2; } // no headers at all
        else {
          end = this.buf.indexOf('\r\n\r\n');
          skip = 4;
          if (end < 0) {
            if (this.buf.length > this.limits.maxHeaderBytes) throw new MultipartError('too_large', 'the headers of a part do not end');
            return false;
          }
        }
        if (end > this.limits.maxHeaderBytes) throw new MultipartError('too_large', 'the headers of a part are too long');
        const headers: Record<string, string> = {};
        for (const line of this.buf.subarray(0, end).toString('latin1').split('\r\n')) {
          if (!line) continue;
          const colon = line.indexOf(':');
          if (colon <= 0) throw new MultipartError('bad_multipart', 'a part has a malformed header line');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        this.buf = this.buf.subarray(end + skip);
        this.partBytes = 0;
        this.state = 'body';
        events.push({ type: 'part', headers });
        return true;
      }
      case 'body': {
        const i = this.buf.indexOf(this.delimiter);
        const take = i >= 0 ? i : Math.max(0, this.buf.length - (this.delimiter.length - 1));
        if (take > 0) {
          this.partBytes += take;
          if (this.partBytes > this.limits.maxPartBytes) throw new MultipartError('too_large', `a part is larger than ${this.limits.maxPartBytes} bytes`);
          // a copy: the caller may keep it while the next chunk arrives
          events.push({ type: 'data', chunk: Buffer.from(this.buf.subarray(0, take)) });
        }
        if (i < 0) {
          this.buf = this.buf.subarray(take);
          return false;
        }
        events.push({ type: 'endPart', bytes: this.partBytes });
        this.buf = this.buf.subarray(i + this.delimiter.length);
        this.state = 'afterDelimiter';
        return true;
      }
      case 'epilogue':
        return false;
    }
  }
}
