// A worker thread of the demo generator: rebuilds the plan of the patients it is asked about and
// renders their images. Messages are typed by demo.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { planPatient } from './plan.ts';
import type { DemoOptions, PatientSpec } from './plan.ts';
import { produceImage } from './produce.ts';
import type { WorkerRequest, WorkerReply } from './demo.ts';

const { options, outDir } = workerData as { options: DemoOptions; outDir: string };
const plans = new Map<number, PatientSpec>();

parentPort!.on('message', (request: WorkerRequest) => {
  void (async () => {
    try {
      let patient = plans.get(request.patient);
      if (!patient) { patient = planPatient(options, request.patient); plans.set(request.patient, patient); }
      const exam = patient.exams[request.exam]!;
      const truth = await produceImage(patient, exam, exam.images[request.image]!, outDir);
      parentPort!.postMessage({ id: request.id, ok: true, truth } satisfies WorkerReply);
    } catch (error) {
      parentPort!.postMessage({ id: request.id, ok: false, error: (error as Error)?.stack ?? String(error) } satisfies WorkerReply);
    }
  })();
});
