import { StationService } from '../../main/service/station.ts';
import type { UploadLimits } from '../../main/import/uploads.ts';
import { tempDir } from './paths.ts';

export function openTestStation(options: { libraryDir?: string; batchSize?: number; uploadLimits?: UploadLimits; busyTimeoutMs?: number } = {}): StationService {
  return new StationService({
    libraryDir: options.libraryDir ?? tempDir('library'),
    version: 'test',
    runtime: `node ${process.versions.node}`,
    import: { batchSize: options.batchSize },
    uploadLimits: options.uploadLimits,
    busyTimeoutMs: options.busyTimeoutMs,
  });
}
