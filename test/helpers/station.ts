import { StationService } from '../../main/service/station.ts';
import { parseOperationInput } from '../../common/api.ts';
import type { OperationInput, OperationName, OperationResult } from '../../common/api.ts';
import type { UploadLimits } from '../../main/import/uploads.ts';
import { tempDir } from './paths.ts';

/** A station on a temporary library; display renditions only when asked (they load the machine in the background). */
export function openTestStation(options: { libraryDir?: string; batchSize?: number; uploadLimits?: UploadLimits; busyTimeoutMs?: number; renditions?: boolean; modelRoots?: string[]; analyse?: boolean; aiRunTimeoutMs?: number; aiCheckTimeoutMs?: number; walCheckMs?: number; presenceHeartbeatMs?: number; otherImportsEveryMs?: number } = {}): StationService {
  return new StationService({
    libraryDir: options.libraryDir ?? tempDir('library'),
    version: 'test',
    runtime: `node ${process.versions.node}`,
    import: { batchSize: options.batchSize },
    uploadLimits: options.uploadLimits,
    busyTimeoutMs: options.busyTimeoutMs,
    renditions: options.renditions ?? false,
    ai: options.modelRoots ? { modelRoots: options.modelRoots, analyse: options.analyse, runTimeoutMs: options.aiRunTimeoutMs, checkTimeoutMs: options.aiCheckTimeoutMs } : undefined,
    walCheckMs: options.walCheckMs,
    presenceHeartbeatMs: options.presenceHeartbeatMs,
    otherImportsEveryMs: options.otherImportsEveryMs,
  });
}

/** An operation as a transport calls it: the input parsed by its schema first. */
export function op<K extends OperationName>(station: StationService, name: K, input: OperationInput<K>): Promise<OperationResult<K>> {
  return (station.handlers[name] as (i: unknown) => Promise<OperationResult<K>>)(parseOperationInput(name, input));
}
