// A worker thread of the synthetic exam generator: rebuilds the plan of the patients it is asked
// about (cached per set of options) and renders their images.
import { serveTasks } from '../workers/serve.ts';
import { planPatient } from './plan.ts';
import type { PatientSpec } from './plan.ts';
import { produceImage } from './produce.ts';
import type { SynthTasks } from './synth-tasks.ts';

const plans = new Map<string, PatientSpec>();

serveTasks<SynthTasks>({
  renderImage: async ({ options, outDir, patient: index, exam, image }) => {
    const key = `${JSON.stringify(options)}#${index}`;
    let patient = plans.get(key);
    if (!patient) { patient = planPatient(options, index); plans.set(key, patient); }
    const spec = patient.exams[exam]!;
    return produceImage(patient, spec, spec.images[image]!, outDir);
  },
});
