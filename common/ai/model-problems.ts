// Why a model folder was refused, as a code and parameters (never patient data), said in the
// reader's language where it is shown. The station keeps working without a refused model.
import type { Locale } from '../domain.ts';

export const MODEL_PROBLEM_CODES = [
  'manifest_missing', 'manifest_unreadable', 'manifest_invalid', 'model_missing', 'checksum_mismatch', 'model_unloadable', 'tensor_mismatch', 'input_unsupported',
] as const;
export type ModelProblemCode = (typeof MODEL_PROBLEM_CODES)[number];

export interface ModelProblem {
  code: ModelProblemCode;
  params?: Record<string, string | number>;
}

const en: Record<ModelProblemCode, string> = {
  manifest_missing: 'the folder has no manifest.json',
  manifest_unreadable: 'manifest.json is not valid JSON ({what})',
  manifest_invalid: 'manifest.json does not follow the model contract: {problems}',
  model_missing: 'the folder has no model.onnx (or it is not a regular file)',
  checksum_mismatch: 'model.onnx is not the file its manifest describes (SHA-256 {actual}, the manifest says {expected}): changed or damaged',
  model_unloadable: 'model.onnx cannot be loaded by the ONNX runtime ({what})',
  tensor_mismatch: 'the model’s tensors do not match its manifest: {what}',
  input_unsupported: 'the model asks for an input this station does not give: {what}',
};

const fr: Record<ModelProblemCode, string> = {
  manifest_missing: 'le dossier n’a pas de manifest.json',
  manifest_unreadable: 'manifest.json n’est pas du JSON valide ({what})',
  manifest_invalid: 'manifest.json ne suit pas le contrat des modèles\u202f: {problems}',
  model_missing: 'le dossier n’a pas de model.onnx (ou ce n’est pas un fichier ordinaire)',
  checksum_mismatch: 'model.onnx n’est pas le fichier que décrit son manifeste (SHA-256 {actual}, le manifeste indique {expected})\u202f: modifié ou endommagé',
  model_unloadable: 'model.onnx ne peut pas être chargé par le moteur ONNX ({what})',
  tensor_mismatch: 'les tenseurs du modèle ne correspondent pas à son manifeste\u202f: {what}',
  input_unsupported: 'le modèle demande une entrée que cette station ne fournit pas\u202f: {what}',
};

export function describeModelProblem(locale: Locale, problem: ModelProblem): string {
  const template = (locale === 'fr' ? fr : en)[problem.code];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(problem.params?.[name] ?? '…'));
}
