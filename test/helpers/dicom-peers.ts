// dcmtk's network tools as independent DICOM peers of the station's storage SCP (storescu,
// echoscu as clients; storescp, bit-preserving, as a reference receiver), and a TCP relay that a
// test can hold or cut in the middle of an association.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

export const HAS_DCMTK_NET = ['storescu', 'echoscu', 'storescp'].every((tool) => spawnSync(tool, ['--version']).status === 0);
export const SKIP_NO_DCMTK_NET = HAS_DCMTK_NET ? false : 'dcmtk\'s network tools (storescu, echoscu, storescp) are not installed (apt-get install dcmtk)';

export interface ToolRun {
  code: number | null;
  output: string;
}

/** Runs a dcmtk tool to its end (TCP_NODELAY=1 in its environment, as the station's peers are measured). */
export function runTool(tool: string, args: string[], options: { onSpawn?: (child: ChildProcess) => void } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    options.onSpawn?.(child);
  });
}

export function echoscu(port: number, callingAe: string, calledAe: string): Promise<ToolRun> {
  return runTool('echoscu', ['-aet', callingAe, '-aec', calledAe, '127.0.0.1', String(port)]);
}

/** storescu sends the files in the order given, over one association. */
export function storescu(port: number, callingAe: string, calledAe: string, files: string[], options: { extra?: string[]; onSpawn?: (child: ChildProcess) => void } = {}): Promise<ToolRun> {
  return runTool('storescu', ['-aet', callingAe, '-aec', calledAe, ...(options.extra ?? []), '127.0.0.1', String(port), ...files], { onSpawn: options.onSpawn });
}

/**
 * A TCP relay from a local port to the SCP. `hold()` stops passing the client's bytes on (they
 * wait in the relay), `release()` passes them again, `cut()` drops both connections at once.
 * `forwarded` counts the client's bytes passed on.
 */
export class Relay {
  private server: net.Server;
  private pairs: { client: net.Socket; upstream: net.Socket }[] = [];
  private held = false;
  private queue: Buffer[] = [];
  forwarded = 0;
  /** Called with the running count after each forwarded chunk. */
  onForward: ((total: number) => void) | null = null;

  private constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect({ port: this.target, host: '127.0.0.1' });
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      this.pairs.push({ client, upstream });
      client.on('data', (chunk: Buffer) => {
        if (this.held) { this.queue.push(chunk); return; }
        upstream.write(chunk);
        this.forwarded += chunk.length;
        this.onForward?.(this.forwarded);
      });
      upstream.on('data', (chunk: Buffer) => {
        this.watchServer(chunk);
        client.write(chunk);
      });
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
  }

  private serverHeader = Buffer.alloc(6);
  private serverHeaderBytes = 0;
  private serverRemaining = 0;
  private serverPData = 0;
  private holdAfter = Infinity;

  /** Holds the client's bytes from the moment the server has sent its `n`th P-DATA-TF PDU (for a storescu, its nth response). */
  holdAfterResponses(n: number): void {
    this.holdAfter = n;
  }

  /** Follows the server's PDUs (6-byte headers, then their lengths) and counts its P-DATA-TF. */
  private watchServer(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.serverRemaining > 0) {
        const skip = Math.min(this.serverRemaining, chunk.length - at);
        this.serverRemaining -= skip;
        at += skip;
        continue;
      }
      const take = Math.min(6 - this.serverHeaderBytes, chunk.length - at);
      chunk.copy(this.serverHeader, this.serverHeaderBytes, at, at + take);
      this.serverHeaderBytes += take;
      at += take;
      if (this.serverHeaderBytes < 6) return;
      this.serverHeaderBytes = 0;
      this.serverRemaining = this.serverHeader.readUInt32BE(2);
      if (this.serverHeader[0] === 0x04 && ++this.serverPData === this.holdAfter) this.held = true;
    }
  }

  /** Bytes of the client's held back so far. */
  get queued(): number {
    return this.queue.reduce((n, c) => n + c.length, 0);
  }

  /** Passes the first `bytes` of what was held on to the server (waiting until that much is held); the rest stays held. */
  async pass(bytes: number): Promise<void> {
    while (this.queued < bytes) await new Promise((r) => setTimeout(r, 10));
    const all = Buffer.concat(this.queue);
    this.queue = [all.subarray(bytes)];
    for (const { upstream } of this.pairs) upstream.write(all.subarray(0, bytes));
    this.forwarded += bytes;
  }

  static async start(target: number): Promise<Relay> {
    const relay = new Relay(target);
    await new Promise<void>((resolve) => relay.server.listen({ port: 0, host: '127.0.0.1' }, () => resolve()));
    return relay;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    const queued = this.queue;
    this.queue = [];
    for (const chunk of queued) for (const { upstream } of this.pairs) if (!upstream.destroyed) { upstream.write(chunk); this.forwarded += chunk.length; }
  }

  /** Drops every connection through the relay (the SCP sees its peer vanish). */
  cut(): void {
    for (const { client, upstream } of this.pairs) { client.destroy(); upstream.destroy(); }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
