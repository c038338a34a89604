// A model's manifest as a digest, the same in the main process and on the AI threads: what the main
// process found at start is what a thread must run. The model file's checksum does not cover the
// manifest: its classes reordered in place (the same file, id and version) swapped masses and
// calcifications in the findings and the CAD SR (a probe).
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';

const digests = new WeakMap<ModelManifest, string>();

/** JSON with every object's keys in one order: the same content written in any order is one text. */
const canonicalJson = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));

/**
 * SHA-256 of the manifest as parsed: one edit of any field changes it; how its file is written does
 * not (spaces, line ends, a byte order mark, the order of its keys). It is what an analysis records
 * as its manifest's checksum: the raw file's, a manifest saved again by an IT person's editor queued
 * the whole library again at the next start, every exam's triage hidden until it ran (a vendor's probe).
 */
export function manifestDigest(manifest: ModelManifest): string {
  let digest = digests.get(manifest);
  if (!digest) {
    digest = createHash('sha256').update(canonicalJson(manifest)).digest('hex');
    digests.set(manifest, digest);
  }
  return digest;
}

const resultsDigests = new WeakMap<ModelManifest, string>();

/**
 * SHA-256 of what in a manifest makes an analysis's results: the model file, its identity and name
 * (the CAD SR names it), how images are given to it and its outputs read, its operating points'
 * thresholds and the default's (findings are kept from the lowest; the SR says where each shows),
 * which images it reads (implants), and what its SR says of it (synthetic, not for diagnostic use).
 * Not its texts (limits, its data sets in words, notes), its operating points' names and figures,
 * its exam operating point, its runtime, nor its version. A new version of one model with the same digest gives the same results: an
 * earlier version's analyses are kept for it (AiTables.carryOver) rather than made again. The
 * shipped model's 0.5.6 changed texts alone, and analysed every exam of a library again, one more
 * CAD SR series each sent to the PACS (an IT person's probe).
 */
export function resultsDigest(manifest: ModelManifest): string {
  let digest = resultsDigests.get(manifest);
  if (!digest) {
    const { calibration, intendedUse } = manifest;
    const results = {
      id: manifest.id, name: manifest.name, sha256: manifest.sha256, input: manifest.input, output: manifest.output,
      // findings are kept from the lowest operating point up (analysis.ts), and the CAD SR says of each the
      // points it shows at and whether the default shows it (a recalibrated default kept an SR whose marks
      // a PACS showed where the station no longer did: an IT person's probe); the points' names are not written
      thresholds: calibration.operatingPoints.map((p) => p.threshold).sort((a, b) => a - b),
      shownAt: calibration.operatingPoints.find((p) => p.name === calibration.defaultOperatingPoint)?.threshold ?? null,
      implants: intendedUse.implants?.use ?? 'analysed', notForDiagnosticUse: intendedUse.notForDiagnosticUse, trainedOn: manifest.training.data,
    };
    digest = createHash('sha256').update(canonicalJson(results)).digest('hex');
    resultsDigests.set(manifest, digest);
  }
  return digest;
}
