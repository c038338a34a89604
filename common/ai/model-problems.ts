// Why a model folder was refused, as a code and parameters (never patient data), said in the
// reader's language where it is shown. The station keeps working without a refused model.
import type { Locale } from '../domain.ts';

export const MODEL_PROBLEM_CODES = [
  'manifest_missing', 'manifest_not_file', 'manifest_too_large', 'manifest_unreadable', 'manifest_invalid', 'model_missing', 'model_too_large', 'checksum_mismatch', 'model_unloadable',
  'tensor_mismatch', 'input_unsupported', 'not_a_folder', 'loose_file', 'duplicate_id',
] as const;
export type ModelProblemCode = (typeof MODEL_PROBLEM_CODES)[number];

export interface ModelProblem {
  code: ModelProblemCode;
  params?: Record<string, string | number>;
}

type Template = string | ((params: Record<string, string | number>) => string);

const en: Record<ModelProblemCode, Template> = {
  manifest_missing: 'the folder has no manifest.json',
  manifest_not_file: 'manifest.json is not a regular file (a pipe, a device, a folder, or a link to one)',
  manifest_too_large: 'manifest.json is too large ({bytes} bytes; a manifest is at most {max})',
  // where the JSON breaks, never the text there: a manifest may link to any file
  manifest_unreadable: (p) => (p.empty ? 'manifest.json is empty' : `manifest.json is not valid JSON${p.at ? ` (at character ${p.at})` : ''}`),
  manifest_invalid: 'manifest.json does not follow the model contract: {problems}',
  model_missing: 'the folder has no model.onnx (or it is not a regular file)',
  model_too_large: 'model.onnx is too large ({bytes} bytes; an ONNX file is at most {max}): refused without being read',
  checksum_mismatch: 'model.onnx is not the file its manifest describes (SHA-256 {actual}, the manifest says {expected}): changed or damaged',
  model_unloadable: 'model.onnx cannot be loaded by the ONNX runtime ({what})',
  tensor_mismatch: 'the model’s tensors do not match its manifest: {what}',
  input_unsupported: 'the model asks for an input this station does not give: {what}',
  not_a_folder: 'a link to something that is not a folder: each model is a folder holding model.onnx and manifest.json',
  loose_file: 'a model file lying loose in the models folder: each model is a folder of its own, holding model.onnx and manifest.json',
  duplicate_id: 'the folder {folder} beside it has the same model id ({id}) and is used instead',
};

const fr: Record<ModelProblemCode, Template> = {
  manifest_missing: 'le dossier n’a pas de manifest.json',
  manifest_not_file: 'manifest.json n’est pas un fichier ordinaire (un tube, un périphérique, un dossier, ou un lien vers l’un d’eux)',
  manifest_too_large: 'manifest.json est trop gros ({bytes} octets\u202f; un manifeste fait au plus {max} octets)',
  manifest_unreadable: (p) => (p.empty ? 'manifest.json est vide' : `manifest.json n’est pas du JSON valide${p.at ? ` (au caractère ${p.at})` : ''}`),
  manifest_invalid: 'manifest.json ne suit pas le contrat des modèles\u202f: {problems}',
  model_missing: 'le dossier n’a pas de model.onnx (ou ce n’est pas un fichier ordinaire)',
  model_too_large: 'model.onnx est trop gros ({bytes} octets\u202f; un fichier ONNX fait au plus {max} octets)\u202f: refusé sans être lu',
  checksum_mismatch: 'model.onnx n’est pas le fichier que décrit son manifeste (SHA-256 {actual}, le manifeste indique {expected})\u202f: modifié ou endommagé',
  model_unloadable: 'model.onnx ne peut pas être chargé par le moteur ONNX ({what})',
  tensor_mismatch: 'les tenseurs du modèle ne correspondent pas à son manifeste\u202f: {what}',
  input_unsupported: 'le modèle demande une entrée que cette station ne fournit pas\u202f: {what}',
  not_a_folder: 'un lien vers autre chose qu’un dossier\u202f: chaque modèle est un dossier contenant model.onnx et manifest.json',
  loose_file: 'un fichier de modèle posé seul dans le dossier des modèles\u202f: chaque modèle est un dossier à lui, contenant model.onnx et manifest.json',
  duplicate_id: 'le dossier {folder} à côté a le même identifiant de modèle ({id}) et est utilisé à sa place',
};

export function describeModelProblem(locale: Locale, problem: ModelProblem): string {
  const template = (locale === 'fr' ? fr : en)[problem.code];
  if (typeof template === 'function') return template(problem.params ?? {});
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(problem.params?.[name] ?? '…'));
}
