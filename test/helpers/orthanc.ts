// Debian's Orthanc with its DICOMweb plugin as a real PACS for the tests. Orthanc listens on every
// network interface whatever its configuration says, so it runs only inside a private network
// namespace, together with the test that talks to it: a test file calls runInPrivateNetwork() first,
// which re-runs the file under `unshare -n` (loopback up) and exits with its status.

import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePort, listening } from './ports.ts';

export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const NETNS_ENV = 'BINOME_TEST_NETNS';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;

/** Why Orthanc cannot be used here, or false. */
function orthancMissing(): string | false {
  if (!has('Orthanc')) return 'Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)';
  if (!fs.existsSync(DICOMWEB_PLUGIN)) return `Orthanc's DICOMweb plugin is not installed (${DICOMWEB_PLUGIN}; apt-get install orthanc-dicomweb)`;
  return false;
}

/**
 * Re-runs this test file inside a private network namespace (and exits with its status) unless it
 * already runs in one; answers why it cannot (a skip message) or false inside the namespace.
 */
export function runInPrivateNetwork(): string | false {
  const missing = orthancMissing();
  if (missing) return missing;
  if (process.env[NETNS_ENV]) return false;
  const canUnshare = has('unshare', '--help') && has('ip', '-V') && spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!canUnshare) return 'Orthanc listens on every network interface, and no private network namespace can be made here (unshare -n needs root or user namespaces)';
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [NETNS_ENV]: '1' } });
  process.exit(r.status ?? 1);
}


export const ORTHANC_USER = 'binome';
export const ORTHANC_PASSWORD = 'pacs-secret';

/** An Orthanc with its DICOMweb plugin on loopback ports, its storage in `dir`, basic authentication on; stop and start it again at will. */
export class TestOrthanc {
  private child: ChildProcess | null = null;

  private constructor(readonly dir: string, readonly httpPort: number, readonly dicomPort: number) {}

  static async start(dir: string): Promise<TestOrthanc> {
    const o = new TestOrthanc(dir, await freePort(), await freePort());
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify({
      Name: 'BinomeTest', StorageDirectory: path.join(dir, 'storage'), IndexDirectory: path.join(dir, 'index'),
      DicomAet: 'ORTHANC', DicomPort: o.dicomPort, HttpPort: o.httpPort, RemoteAccessAllowed: false,
      AuthenticationEnabled: true, RegisteredUsers: { [ORTHANC_USER]: ORTHANC_PASSWORD },
      DicomCheckCalledAet: true, DicomAlwaysAllowStore: true, DicomAlwaysAllowFind: true, StorageCompression: false, Plugins: [DICOMWEB_PLUGIN],
      DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true, Ssl: false, StudiesMetadata: 'Full' },
    }));
    await o.resume();
    return o;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/dicom-web`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async resume(): Promise<void> {
    if (this.child) return;
    const log = fs.openSync(path.join(this.dir, 'orthanc.log'), 'a');
    this.child = spawn('Orthanc', [path.join(this.dir, 'orthanc.json')], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    await listening(this.httpPort);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => { child.once('close', () => resolve()); child.kill('SIGTERM'); });
  }

  /** Orthanc's own REST API (basic authentication as configured). */
  rest(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.httpPort}${pathAndQuery}`, {
      ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString('base64')}` },
    });
  }

  /** Stores a DICOM file in Orthanc through its REST API (POST /instances). */
  async upload(file: string): Promise<void> {
    const r = await this.rest('/instances', { method: 'POST', body: fs.readFileSync(file), headers: { 'content-type': 'application/dicom' } });
    if (!r.ok) throw new Error(`Orthanc refused an upload: HTTP ${r.status}`);
    await r.arrayBuffer();
  }

  /** The stored file of an instance, by SOP Instance UID, or null. */
  async fileOf(sopUid: string): Promise<Buffer | null> {
    const r = await this.rest('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: sopUid } }) });
    const ids = await r.json() as string[];
    if (!ids.length) return null;
    return Buffer.from(await (await this.rest(`/instances/${ids[0]}/file`)).arrayBuffer());
  }
}
