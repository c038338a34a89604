// Opening an ONNX model on the best execution provider this computer has. onnxruntime-node does
// not fall back by itself: a session asked for ['cuda', 'cpu'] where the CUDA provider's library is
// missing throws instead of running on the CPU (../shared/notes/stack-facts.md). So each provider
// is tried alone, in the model's order of preference, skipping those this platform never has; the
// first that opens the model is used, and the result records which it was and why the others failed.

import { runtimeWords } from './runtime-words.ts';
import type { InferenceSession as Session } from 'onnxruntime-node';
import { InferenceSession, env } from 'onnxruntime-node';
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import { keepOnnxRuntimeOffline } from './runtime-offline.ts';

// where a model is opened on the main thread (the evaluation, tests); the station's threads have it from InferenceRunner
keepOnnxRuntimeOffline();

// Failures reach the station as exceptions, recorded with each result; the runtime's own logger (one
// per process, made by the first session) would also print them to stderr at error level.
env.logLevel = 'fatal';

/** Where a provider can exist at all (onnxruntime-node 1.30 ships CUDA for Linux and Windows x64, DirectML for Windows, CoreML for macOS). */
export function providerExistsOn(provider: ExecutionProvider, platform: NodeJS.Platform = process.platform, arch: string = process.arch): boolean {
  switch (provider) {
    case 'cuda': return (platform === 'linux' || platform === 'win32') && arch === 'x64';
    case 'dml': return platform === 'win32';
    case 'coreml': return platform === 'darwin';
    case 'cpu': return true;
  }
}

export interface OpenedSession {
  session: Session;
  provider: ExecutionProvider;
  /** The providers tried before it, and why each failed (their messages, cut short). */
  fallbacks: { provider: ExecutionProvider; reason: string }[];
}

export class NoProviderError extends Error {
  constructor(readonly attempts: { provider: ExecutionProvider; reason: string }[]) {
    super(`no execution provider could open the model (${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ') || 'none tried'})`);
    this.name = 'NoProviderError';
  }
}

/**
 * Opens `model` (a path or the file's bytes) on the first provider of `preferred` that works here;
 * the CPU is always tried last, whether `preferred` names it or not.
 */
export async function openSession(model: string | Uint8Array, preferred: readonly ExecutionProvider[], options: { intraOpNumThreads?: number } = {}): Promise<OpenedSession> {
  const order = [...new Set<ExecutionProvider>([...preferred, 'cpu'])];
  const fallbacks: { provider: ExecutionProvider; reason: string }[] = [];
  for (const provider of order) {
    if (!providerExistsOn(provider)) { fallbacks.push({ provider, reason: `not available on ${process.platform}-${process.arch}` }); continue; }
    try {
      // a provider that fails to load is recorded here; the runtime's own log would print it again
      // to stderr, at error level, for every attempt: only fatal errors go there
      const sessionOptions: Session.SessionOptions = {
        executionProviders: [provider], graphOptimizationLevel: 'all', intraOpNumThreads: options.intraOpNumThreads ?? 0, logSeverityLevel: 4,
        // the runtime's threads otherwise spin on for a while after each run, holding the cores the
        // next image's preprocessing (on this thread and its helpers) is waiting for: on 2 cores,
        // about 45 ms of each 4-view exam's preprocessing, the model's own time unchanged
        // (`npm run bench -- ai`); they spin again during each run
        extra: { session: { force_spinning_stop: '1' } },
      };
      const session = typeof model === 'string' ? await InferenceSession.create(model, sessionOptions) : await InferenceSession.create(model, sessionOptions);
      return { session, provider, fallbacks };
    } catch (error) {
      // in the runtime's words as the station keeps them: cut before its source path was taken out, the
      // reason lost its end mid-word ("max suppor", a vendor's probe)
      fallbacks.push({ provider, reason: runtimeWords(String((error as Error)?.message ?? error).split('\n')[0]!, 300) });
    }
  }
  throw new NoProviderError(fallbacks);
}
