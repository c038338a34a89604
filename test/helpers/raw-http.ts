// A raw HTTP/1.1 exchange over a socket, for probes that node:http or fetch would not send as
// written (bad percent-encoding, NUL, absolute-form targets, oversized headers, chunked bodies):
// writes the request, then reads one whole answer (by its Content-Length, or until the server
// closes), and says whether the connection was reset instead.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The connection was reset (ECONNRESET/EPIPE) rather than answered and closed. */
  reset: boolean;
  /** Everything received (for a failed assertion's message). */
  raw: string;
}

/** Sends `head` (request line and headers, without the blank line: it is added) and then each body part. */
export function rawRequest(port: number, head: string, body: (string | Buffer)[] = [], timeoutMs = 20_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${timeoutMs} ms to ${head.split('\r\n')[0]!.slice(0, 80)}`)); }, timeoutMs);
    let done = false;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // a whole answer with a Content-Length: done, even if the connection stays open
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const length = split < 0 ? NaN : Number(/\r\ncontent-length: *(\d+)/i.exec(raw.subarray(0, split).toString('latin1'))?.[1]);
      if (Number.isFinite(length) && raw.length >= split + 4 + length) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true; else { clearTimeout(timer); reject(e); } });
    socket.on('close', () => finish());
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      const lines = (split < 0 ? raw : raw.slice(0, split)).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let text = split < 0 ? '' : raw.slice(split + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) text = dechunk(text);
      resolve({ status, headers, body: Buffer.from(text, 'latin1').toString('utf8'), reset, raw: raw.slice(0, 2000) });
    };
    socket.on('connect', async () => {
      try {
        if (!socket.write(`${head}\r\n\r\n`)) await new Promise((r) => socket.once('drain', r));
        for (const part of body) {
          if (socket.destroyed) break;
          if (!socket.write(part)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
        }
      } catch { reset = true; }
    });
  });
}

function dechunk(text: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(text.slice(i, eol), 16);
    if (!size) break;
    out += text.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
  return out;
}

/** A chunked body: each part as one chunk, then the last chunk. */
export function chunked(parts: (string | Buffer)[]): Buffer[] {
  return [...parts.map((p) => {
    const b = Buffer.isBuffer(p) ? p : Buffer.from(p);
    return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
  }), Buffer.from('0\r\n\r\n')];
}
