// A station that analyses its library's exams and is killed (SIGKILL, by the test) while it stores
// an analysis's CAD SR: its import of the SR is held until then, and it says "storing" when there.
import { StationService } from '../../main/service/station.ts';

const [libraryDir, modelRoot] = process.argv.slice(2);
const station = new StationService({ libraryDir: libraryDir!, version: 'test', runtime: 'node', renditions: false, ai: { modelRoots: [modelRoot!] } });
const importer = (station as unknown as { importer: { importStaged: (...args: unknown[]) => Promise<unknown> } }).importer;
const importStaged = importer.importStaged.bind(importer);
importer.importStaged = async (...args: unknown[]) => {
  const entries = args[0] as { label: string }[];
  if (entries.some((e) => e.label.startsWith('CAD SR'))) {
    process.stdout.write('storing\n');
    await new Promise(() => undefined); // held until killed
  }
  return importStaged(...args);
};
process.stdout.write('ready\n');
