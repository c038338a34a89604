// A model's manifest as a digest, the same in the main process and on the AI threads: what the main
// process found at start is what a thread must run. The model file's checksum does not cover the
// manifest: its classes reordered in place (the same file, id and version) swapped masses and
// calcifications in the findings and the CAD SR (a probe).
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';

const digests = new WeakMap<ModelManifest, string>();

/** SHA-256 of the manifest as parsed (its JSON, keys in the order read): one edit of any field changes it. */
export function manifestDigest(manifest: ModelManifest): string {
  let digest = digests.get(manifest);
  if (!digest) {
    digest = createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
    digests.set(manifest, digest);
  }
  return digest;
}
