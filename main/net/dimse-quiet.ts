// dcmjs-dimse and the copy of dcmjs it carries log to the console by themselves: every PDU at INFO
// (AE titles, commands), a stack at WARN for a command data set a caller cut short, and "Invalid vr
// type ox - using OW" for pixel data met in Implicit VR (an ambiguous VR it resolves itself). The
// station's DIMSE code reports its own outcomes in its own log, without patient data, so those are
// kept quiet, once for the process, wherever that copy of dcmjs can be reached (from node_modules:
// a bundle that inlines it keeps its default).

import { createRequire } from 'node:module';
import dimse from 'dcmjs-dimse';

interface Loglevel { setLevel(level: string): void; getLogger?(name: string): Loglevel }

let quieted = false;

export function quietDimseLogs(): void {
  if (quieted) return;
  quieted = true;
  dimse.log.setLevel('silent');
  try {
    const requireNearDimse = createRequire(createRequire(import.meta.url).resolve('dcmjs-dimse'));
    const dcmjsLog = (requireNearDimse('dcmjs') as { log?: Loglevel }).log;
    dcmjsLog?.setLevel('error');
    dcmjsLog?.getLogger?.('validation.dcmjs').setLevel('silent');
  } catch {
    // bundled: nothing to reach
  }
}
