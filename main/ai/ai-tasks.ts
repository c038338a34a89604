// The AI worker's task table (main/workers/protocol.ts): what the main process asks of the threads
// that run models. onnxruntime-node's session.run blocks the thread it runs on, so models run only
// there (inference.worker.ts), never on the main event loop.
import type { ExecutionProvider } from '../../common/ai/model-manifest.ts';
import type { ModelManifest } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import type { ImageAnalysis } from './image-analysis.ts';
import type { ReplacedModel } from './model-package.ts';

/** A float32 tensor as it crosses the thread boundary. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

export interface InferInput {
  /** The model's folder (model.onnx and manifest.json): checked by the worker before its first run (model-package.ts). */
  modelFolder: string;
  /** The station's choice of providers (a setting), or the manifest's when absent. */
  providers?: ExecutionProvider[];
  input: TensorData;
}

export interface InferResult {
  outputs: Record<string, TensorData>;
  /** The provider that ran, and those tried before it with why they failed. */
  provider: ExecutionProvider;
  fallbacks: { provider: ExecutionProvider; reason: string }[];
  /** Milliseconds: checking and opening the model (0 when the thread had it open already), and session.run. */
  loadMs: number;
  runMs: number;
}

/** The model a run is for, as the main process found it at start: a folder whose files changed since holds another. */
export interface ExpectedModel {
  id: string;
  version: string;
  /** manifest-digest.ts: the manifest found at start, whole (its checksum of model.onnx too). */
  manifestDigest: string;
  /** manifest-digest.ts resultsDigest: a manifest of this id and version edited since in its words alone gives the same results, and runs. */
  resultsDigest?: string;
}

export interface AnalyzeImageInput {
  /** The stored file. */
  file: string;
  modelFolder: string;
  /** Refused (model_changed) where the folder now holds another model: its findings would be recorded under this one's name. */
  expected?: ExpectedModel;
  providers?: ExecutionProvider[];
  /** Findings scoring below this are dropped (the lowest operating point's threshold). */
  floor: number;
}

export type AnalyzeImageResult = ImageAnalysis & Pick<InferResult, 'provider' | 'fallbacks' | 'loadMs'>;

/** Every model folder under the roots, checked (inference.ts discover): the models usable here, and those refused with why. */
export interface DiscoveredModels {
  models: { folder: string; manifest: ModelManifest; manifestSha256: string; provider: ExecutionProvider; fallbacks?: { provider: ExecutionProvider; reason: string }[] }[];
  refused: { folder: string; problem: ModelProblem }[];
  replaced: ReplacedModel[];
  /** Folders whose check was still running (set aside: it runs long); `complete` has them too. */
  checking: string[];
  complete: Promise<Omit<DiscoveredModels, 'checking' | 'complete'>>;
}

export type AiTasks = {
  analyzeImage: { input: AnalyzeImageInput; result: AnalyzeImageResult };
  infer: { input: InferInput; result: InferResult };
};

/** One model folder checked (the contract, its checksum, a trial run: model-check.process.ts): its manifest and provider, or why it is refused. */
export interface ModelCheckResult {
  folder: string; problem: ModelProblem | null; provider: ExecutionProvider | null; manifest: ModelManifest | null; manifestSha256: string | null;
  /** The providers tried before `provider`, and why each failed (CUDA's libraries missing): said where the model is listed. */
  fallbacks?: { provider: ExecutionProvider; reason: string }[];
}
