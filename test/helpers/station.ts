import { StationService } from '../../main/service/station.ts';
import { tempDir } from './paths.ts';

export function openTestStation(options: { libraryDir?: string; batchSize?: number } = {}): StationService {
  return new StationService({
    libraryDir: options.libraryDir ?? tempDir('library'),
    version: 'test',
    runtime: `node ${process.versions.node}`,
    import: { batchSize: options.batchSize },
  });
}
