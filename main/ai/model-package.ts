// A model folder checked against the model contract (common/ai/model-manifest.ts), in this order:
// its manifest is JSON (at most 1 MiB) that follows the contract; its model.onnx is a regular file
// whose SHA-256 is the manifest's, holding every tensor itself (no external data); the ONNX
// runtime opens those very bytes, read once (on the best provider here:
// execution-provider.ts); and its tensors are those the manifest names, with the same ranks and
// fixed sizes. A folder that fails any check is refused with a problem (common/ai/model-problems.ts)
// and the others are still found: a station keeps working without a broken model.
//
// Models are found in the folders given, each holding one folder per model: the application's
// bundled `models/` and the library's own `models/` (where a clinic drops one in).

import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { describeManifestIssue, manifestProblems, misplacedTopLevelKeys, modelManifestSchema, showableName, showableText } from '../../common/ai/model-manifest.ts';
import type { ExecutionProvider, ModelManifest } from '../../common/ai/model-manifest.ts';
import type { ModelProblem } from '../../common/ai/model-problems.ts';
import { NotRegularFileError, openRegularFile } from '../base/regular-file.ts';
import { NoProviderError, openSession } from './execution-provider.ts';
import type { OpenedSession } from './execution-provider.ts';
import { discoverModelFolders } from './model-discovery.ts';
import { defaultOpset, externalTensors } from './onnx-file.ts';
import { runtimeWords } from './runtime-words.ts';
import type { ReplacedModel } from './model-discovery.ts';
import { MAX_OUTPUT_VALUES, manifestOutputs, modelTensor, pipelineOptions, shapeValues } from './image-analysis.ts';
import { boxCandidates, boxScoreValues, boxTensors, classOutOfRange, placeBox } from './box-rows.ts';
import type { BoxTensor, OutputValues } from './box-rows.ts';
import { finishModelInput } from '../dicom/pixels/model-input.ts';
import { parse as parseJson } from '@humanwhocodes/momoa';
import type { AnyNode as MomoaNode } from '@humanwhocodes/momoa';

export type { ReplacedModel } from './model-discovery.ts';

export const MAX_MANIFEST_BYTES = 1 << 20;

export interface CheckedModel {
  folder: string;
  manifest: ModelManifest;
  /** manifest.json's SHA-256, its bytes as read: kept with each analysis (an edited manifest is another model). */
  manifestSha256: string;
  /** The session the check opened, on `provider`; the caller closes it (release()) or keeps it. */
  opened: OpenedSession;
}

export type ModelCheck = { ok: true; model: CheckedModel } | { ok: false; folder: string; problem: ModelProblem };

/**
 * The largest model.onnx taken: an ONNX file is one protocol buffer, under 2 GiB (a model with
 * external weight files is refused: model_external_data), and Node reads at most that much at once.
 * A larger file is refused before it is read: hashing 20 GB held every model back for over a minute
 * at each start.
 */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

export class FileTooLargeError extends Error {
  constructor(readonly bytes: number) { super(`the file has ${bytes} bytes`); }
}

/**
 * A regular file's bytes; a file over `maxBytes` is refused unread (FileTooLargeError). A model
 * folder's own files are never links (`followLinks: false`): a link there could make the station
 * read, and quote in a refusal, any file its user can read; a model kept elsewhere is linked as a
 * whole folder.
 */
async function readModelFile(file: string, maxBytes: number, followLinks = false): Promise<Buffer> {
  const { handle, stat } = await openRegularFile(file, { followLinks });
  try {
    if (stat.size > maxBytes) throw new FileTooLargeError(stat.size);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The SHA-256 of a model.onnx (as the check computes it; the evaluation writes it into a manifest). */
export async function sha256OfFile(file: string): Promise<string> {
  return sha256(await readModelFile(file, MAX_MODEL_BYTES, true));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A manifest's text: UTF-8, or UTF-16 with its byte order mark (what Windows PowerShell 5's `>`
 * writes); a UTF-8 byte order mark (Notepad's) is read past when parsed. Bytes that are not UTF-8
 * without such a mark (Latin-1, Windows-1252: "Modèle" saved by an older editor) are refused, with
 * the first one's place: read as UTF-8 they became U+FFFD, shown in the panel and written into
 * every CAD SR's algorithm name as "Mod�le" (a probe).
 */
function manifestText(bytes: Buffer): string | { notUtf8At: number } {
  // UTF-16's decoders never throw: an odd byte left over is a character JSON refuses, said as such
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const text = bytes.toString('utf8');
  if (!bytes.equals(Buffer.from(text, 'utf8'))) {
    // what comes before the first replacement character was read as written: its length in bytes is where the rest went wrong
    return { notUtf8At: Buffer.byteLength(text.slice(0, text.indexOf('\uFFFD')), 'utf8') };
  }
  return text;
}

/** Checks one model folder; `providers` overrides the manifest's preference (the station's setting, a test). */
export async function checkModelFolder(folder: string, options: { providers?: readonly ExecutionProvider[] } = {}): Promise<ModelCheck> {
  // every text of a refusal made showable here, where it leaves the check (the API, `binome models
  // --json` and the panel take it as it is): the runtime's messages quote the model's file
  const refuse = (problem: ModelProblem): ModelCheck => ({ ok: false, folder, problem: showableProblem(problem) });
  let text: string;
  let manifestSha256: string;
  try {
    const { handle, stat } = await openRegularFile(path.join(folder, 'manifest.json'), { followLinks: false });
    try {
      if (stat.size > MAX_MANIFEST_BYTES) return refuse({ code: 'manifest_too_large', params: { bytes: stat.size, max: MAX_MANIFEST_BYTES } });
      const manifestBytes = await handle.readFile();
      manifestSha256 = sha256(manifestBytes);
      const read = manifestText(manifestBytes);
      if (typeof read !== 'string') return refuse({ code: 'manifest_unreadable', params: { at: '', empty: 0, notUtf8At: read.notUtf8At } });
      text = read;
    } finally {
      await handle.close();
    }
  } catch (error) {
    // there but not readable by the station's user: said so, not as missing (an IT person looked for a file that was there)
    if (error instanceof NotRegularFileError) return refuse({ code: 'manifest_not_file', params: deniedParams(error) });
    return refuse({ code: 'manifest_missing', params: deniedParams(error) ?? await nestedManifest(folder) });
  }
  // a byte order mark is not JSON, but Windows' Notepad and PowerShell 5 write one: read past it
  const jsonText = text.replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch (error) {
    // where it fails, not the parser's words: they quote the text, which may be any file the manifest links to
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    // a text cut short (a copy or a save that stopped) fails where it ends, and momoa places that at
    // the token still open, often line 1, column 1 (a probe): said as an end that comes too soon, with the end's place
    const endsEarly = /end of JSON input/.test((error as Error).message) || (at !== undefined && Number(at) >= jsonText.length);
    return refuse({ code: 'manifest_unreadable', params: { at: at ?? '', empty: text.trim() ? 0 : 1, ...(endsEarly ? { endsEarly: 1, ...endPlace(jsonText) } : jsonErrorPlace(jsonText)) } });
  }
  // a key twice in one object: JSON.parse keeps the last, a person reading the file sees the first (a
  // vendor's probe: "notForDiagnosticUse": false under a first true, a name under the shipped one's)
  const twice = duplicateKey(jsonText);
  if (twice === TOO_DEEP) return refuse({ code: 'manifest_unreadable', params: { at: '', empty: 0, tooDeep: 1 } });
  if (twice) return refuse({ code: 'manifest_unreadable', params: { at: '', empty: 0, duplicateKey: twice } });
  // a section's key put at the top level, where keys the contract does not know are let be: refused, not dropped unread
  // (five said at most; a key as written shown as printable text: it may hold a terminal's escapes)
  const misplaced = misplacedTopLevelKeys(json).slice(0, 5).map((m) => ({ ...m, written: showableName(m.written) }));
  if (misplaced.length) {
    return refuse({ code: 'manifest_invalid', params: {
      problems: misplaced.map(({ key, written, section }) => (section === null ? `${key}: not a key of the model contract`
        : `${JSON.stringify(written)}: ${written === key ? '' : `"${key}" misspelt? `}belongs in ${section} (${section}.${key}), where it is read; at the top level it is not`)).join('; '),
      problemsFr: misplaced.map(({ key, written, section }) => (section === null ? `${key}\u202f: pas une clé du contrat des modèles`
        : `«\u202f${written}\u202f»\u202f: ${written === key ? '' : `«\u202f${key}\u202f» mal orthographiée\u202f? `}sa place est dans ${section} (${section}.${key}), où elle est lue\u202f; au premier niveau, elle ne l’est pas`)).join('\u202f; '),
    } });
  }
  // with each issue's input: zod's French words for a wrong type name what was there ("undefined received" otherwise)
  const parsed = modelManifestSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    return refuse({ code: 'manifest_invalid', params: { problems: manifestProblems(parsed.error, 5, json).join('; '), problemsFr: manifestProblemsInFrench(parsed.error, 5, json).join('\u202f; ') } });
  }
  const manifest = parsed.data;
  // one image at a time goes to a model (its tensor has one channel): a model that needs the prior beside it cannot be served
  if (manifest.input.priors === 'required') return refuse({ code: 'input_unsupported', params: { kind: 'priors' } });

  // read once: the bytes whose checksum is compared are the bytes the runtime opens (opened by its
  // path, the file could change in between, unchecked)
  let bytes: Buffer;
  try {
    bytes = await readModelFile(path.join(folder, 'model.onnx'), MAX_MODEL_BYTES);
  } catch (error) {
    if (error instanceof FileTooLargeError) return refuse({ code: 'model_too_large', params: { bytes: error.bytes, max: MAX_MODEL_BYTES } });
    // a link said as one (a probe's linked model.onnx read "no model.onnx (or …)")
    return refuse({ code: 'model_missing', params: error instanceof NotRegularFileError ? { kind: error.kind } : deniedParams(error) });
  }
  // an empty file said as such (a copy that failed), not as another file than the manifest's nor in
  // the runtime's words for it (its source file and line, cut off)
  if (bytes.length === 0) return refuse({ code: 'model_unloadable', params: { empty: 1, what: '' } });
  const actual = sha256(bytes);
  if (actual !== manifest.sha256) return refuse({ code: 'checksum_mismatch', params: { expected: manifest.sha256.slice(0, 12) + '…', actual: actual.slice(0, 12) + '…' } });
  // weights kept in another file (ONNX external data) are not covered by the checksum: they could be
  // swapped or damaged unseen (opened by its path, such a model ran with whatever lay beside it)
  const external = externalTensors(bytes);
  if (external?.count) return refuse({ code: 'model_external_data', params: { count: external.count, names: quoted(external.names, external.count) } });
  // the manifest written for another export of the model (torch.onnx.export's opset_version changed,
  // the manifest not): what else in it describes another file is not known either
  const opset = defaultOpset(bytes);
  if (opset !== null && opset !== manifest.runtime.opset) return refuse({ code: 'opset_mismatch', params: { manifest: manifest.runtime.opset, file: opset } });

  let opened: OpenedSession;
  try {
    opened = await openSession(bytes, options.providers ?? manifest.runtime.providers);
  } catch (error) {
    const what = error instanceof NoProviderError ? (error.attempts.at(-1)?.reason ?? error.message) : String((error as Error)?.message ?? error);
    return refuse({ code: 'model_unloadable', params: { empty: 0, what: runtimeWords(what, 300) } });
  }
  // a file the station's walk could not read through (nested deeper than it follows) that the runtime loads: its
  // external data unknown, refused (it was left to the runtime, which loaded such a file: a vendor's probe)
  if (external === null) {
    await opened.session.release();
    return refuse({ code: 'model_structure_unread' });
  }
  const mismatch = tensorMismatch(opened.session, manifest) ?? await trialRunMismatch(opened.session, manifest);
  if (mismatch) {
    await opened.session.release();
    return refuse({ code: 'tensor_mismatch', params: mismatch });
  }
  return { ok: true, model: { folder, manifest, manifestSha256, opened } };
}

/** The contract's own rules (common/ai/model-manifest.ts) in French; zod says its built-in ones in French itself. */
const RULES_FR: Record<string, string> = {
  '"float32": the station gives a model 32-bit floats; a model made for float16 (or another type) takes them where its graph casts its input (a Cast node) or exported with a float32 input':
    '"float32"\u202f: la station donne au modèle des flottants de 32\u00a0bits\u202f; un modèle fait pour float16 (ou un autre type) les prend si son graphe convertit son entrée (un nœud Cast) ou s’il est exporté avec une entrée float32',
  "input.padding and input.crop are contract 1.1: contractVersion '1.1' (a station of contract 1.0 would read the model without them)":
    'input.padding et input.crop sont du contrat 1.1\u202f: contractVersion \'1.1\' (une station du contrat 1.0 lirait le modèle sans eux)',
  "output.twoView is contract 1.2: contractVersion '1.2' (a station of an older contract would show scores not weighed across views)":
    'output.twoView est du contrat 1.2\u202f: contractVersion \'1.2\' (une station d’un contrat plus ancien montrerait des scores non pesés entre les incidences)',
  "calibration.examOperatingPoint is contract 1.3: contractVersion '1.3' (a station of an older contract would flag exams at the marks' operating point)":
    'calibration.examOperatingPoint est du contrat 1.3\u202f: contractVersion \'1.3\' (une station d’un contrat plus ancien signalerait les examens au point de fonctionnement des marques)',
  'above the score scale\'s minimum (output.scoreScale.min): there, every exam would be flagged':
    'au-dessus du minimum de l’échelle des scores (output.scoreScale.min)\u202f: là, tout examen serait signalé',
  'at or above the lowest operating point\'s threshold: the exam score is its best mark\'s (no image score read, output.breastScore "max-over-findings"), and marks are kept from the lowest operating point up':
    'au niveau du seuil du point de fonctionnement le plus bas ou au-dessus\u202f: le score de l’examen est celui de sa meilleure marque (aucun score d’image lu, output.breastScore "max-over-findings"), et les marques sont gardées à partir du point le plus bas',
  '["FOR PRESENTATION"]: the station analyses the images the reader sees, and shows the marks on them':
    '["FOR PRESENTATION"]\u202f: la station analyse les images que voit le lecteur, et montre les marques sur elles',
  'from 0 to 1 (min 0, max 1): output.heatmap.activation "sigmoid" gives scores from 0 to 1':
    'de 0 à 1 (min 0, max 1)\u202f: output.heatmap.activation "sigmoid" donne des scores de 0 à 1',
  'classes the heatmap does not mark: a class marked by both outputs would be marked twice on each lesion':
    'des classes que la carte de chaleur ne marque pas\u202f: une classe marquée par les deux sorties le serait deux fois sur chaque lésion',
  'a threshold on the score scale (output.scoreScale, from min to max)':
    'un seuil sur l’échelle des scores (output.scoreScale, de min à max)',
  'output.twoView weighs findings: not with an image score, which would not follow them':
    'output.twoView pèse les signes trouvés\u202f: pas avec un score d’image, qui ne les suivrait pas',
  'true: the station always shows MONOCHROME1 images inverted, air dark, as the reader sees them':
    'true\u202f: la station montre toujours les images MONOCHROME1 inversées, l’air sombre, comme le lecteur les voit',
  "'float01': the station gives values from 0 (air) to 1 (the brightest), before normalisation":
    '\'float01\'\u202f: la station donne des valeurs de 0 (l’air) à 1 (le plus clair), avant normalisation',
  "from 0 to 1, the pipeline's scale (ultralytics' grey 114 is 114/255 = 0.447)":
    'de 0 à 1, l’échelle de la chaîne de traitement (le gris 114 d’ultralytics vaut 114/255 = 0,447)',
  'a model that takes any pixel size (spacingMm null) takes a fixed matrix (size.mode fixed): padded to a multiple, the input would have no size':
    'un modèle qui prend toute taille de pixel (spacingMm null) prend une matrice fixe (size.mode fixed)\u202f: complétée à un multiple, l’entrée n’aurait pas de taille',
  'no control, bidirectional formatting or invisible characters': 'aucun caractère de contrôle, de mise en forme bidirectionnelle ni invisible',
  "intendedUse.implants is contract 1.4: contractVersion '1.4' (a station of an older contract would read images with an implant as any other, without a word)":
    'intendedUse.implants est du contrat 1.4\u202f: contractVersion \'1.4\' (une station d’un contrat plus ancien lirait les images avec prothèse comme les autres, sans un mot)',
  'a caveat says what it is (note)': 'une mise en garde dit ce qu’elle est (note)',
  'translations of a note (note)': 'des traductions d’une note (note)',
  "intendedUse.implants.translations is contract 1.5: contractVersion '1.5' (a station of an older contract would refuse the manifest)":
    'intendedUse.implants.translations est du contrat 1.5\u202f: contractVersion \'1.5\' (une station d’un contrat plus ancien refuserait le manifeste)',
  "datasetTranslations is contract 1.6: contractVersion '1.6' (a station of an older contract would refuse the manifest)":
    'datasetTranslations est du contrat 1.6\u202f: contractVersion \'1.6\' (une station d’un contrat plus ancien refuserait le manifeste)',
  'a class is named twice': 'une classe est nommée deux fois',
  'a letter or a digit, not only spaces or marks': 'une lettre ou un chiffre, pas seulement des espaces ou des signes',
  'at most four accents or marks on one character': 'au plus quatre accents ou signes sur un caractère',
  'two operating points have the same name, or names that read alike': 'deux points de fonctionnement ont le même nom, ou des noms qui se lisent de même',
  'no small capitals or phonetic letters (they pass one name off as another)':
    'ni petites capitales, ni lettres phonétiques (elles font passer un nom pour un autre)',
  'no space at either end': 'pas d’espace au début ni à la fin',
  'no word mixing the letters of several scripts (look-alike letters pass one name off as another)':
    'aucun mot mêlant les lettres de plusieurs écritures (des lettres qui se ressemblent font passer un nom pour un autre)',
  'plain letters and digits, not mathematical, fullwidth or ligature forms (they pass one name off as another)':
    'des lettres et chiffres simples, pas de formes mathématiques, pleine chasse ni ligatures (elles font passer un nom pour un autre)',
  'lower-case letters, digits, dots, dashes and underscores': 'lettres minuscules, chiffres, points, tirets et tirets bas',
  'a version such as 1.2.0': 'une version telle que 1.2.0',
  'at most 64 characters': '64 caractères au plus',
  'each value once': 'chaque valeur une seule fois',
  'max is above min': 'max est au-dessus de min',
  'a probability says at which prevalence': 'une probabilité dit à quelle prévalence',
  'a model gives heatmaps, boxes, or both': 'un modèle donne des cartes de chaleur, des boîtes, ou les deux',
  'the default operating point is one of the operating points': 'le point de fonctionnement par défaut est l’un des points de fonctionnement',
  'one image at a time: the shape is N, C, H, W with N = 1 (or a name), or C, H, W': 'une image à la fois\u202f: la forme est N, C, H, W avec N = 1 (ou un nom), ou C, H, W',
  'one or three channels, before the height and width (N, C, H, W or C, H, W): 1, grey levels; 3, the same grey levels in each (as a network pretrained on colour photographs takes them)':
    'un ou trois canaux, avant la hauteur et la largeur (N, C, H, W ou C, H, W)\u202f: 1, des niveaux de gris\u202f; 3, les mêmes niveaux de gris dans chacun (comme les prend un réseau pré-entraîné sur des photographies en couleur)',
  'a mean and a standard deviation for each channel of input.tensor.shape (or one number for all)':
    'une moyenne et un écart type pour chaque canal de input.tensor.shape (ou un seul nombre pour tous)',
  'the height and width of the shape disagree with input.size (a fixed size: those numbers, or names; padded: names, the size varies with the image)':
    'la hauteur et la largeur de la forme contredisent input.size (une taille fixe\u202f: ces nombres, ou des noms\u202f; complétée\u202f: des noms, la taille varie avec l’image)',
  'a model trained on synthetic images is not for diagnostic use (intendedUse.notForDiagnosticUse must be true)':
    'un modèle entraîné sur des images de synthèse n’est pas pour le diagnostic (intendedUse.notForDiagnosticUse doit valoir true)',
};

/** Where a text ends, as an editor counts (its last line, and the column after its last character). */
function endPlace(text: string): { line: number; column: number } {
  const lines = text.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

/** The first key named twice in one object of a JSON text, as a path (input.faceDirection); null where none. */
/**
 * Where a text that is not JSON breaks, as an editor counts (line and column, from 1), and whether a
 * number JSON has not stands there: Python's json.dump writes NaN and Infinity unless told not to
 * (allow_nan=False), and a vendor's manifest with a NaN threshold was refused as "not valid JSON"
 * with no place at all (V8 names none for them). Nothing of the text is said but those two words.
 */
function jsonErrorPlace(text: string): { line?: number; column?: number; notNumber?: string } {
  try {
    parseJson(text);
  } catch (error) {
    const { line, column, offset } = error as { line?: unknown; column?: unknown; offset?: unknown };
    if (typeof line !== 'number' || typeof column !== 'number') return {};
    const word = typeof offset === 'number' ? /^(NaN|Infinity)\b/.exec(text.slice(offset, offset + 9))?.[1] : undefined;
    return { line, column, ...(word ? { notNumber: word } : {}) };
  }
  return {};
}

function duplicateKey(text: string): string | typeof TOO_DEEP | null {
  const walk = (node: MomoaNode, at: string): string | null => {
    if (node.type === 'Object') {
      const seen = new Set<string>();
      for (const member of node.members) {
        const name = member.name.type === 'String' ? member.name.value : member.name.name;
        const here = at ? `${at}.${name}` : name;
        if (seen.has(name)) return here;
        seen.add(name);
        const inside = walk(member.value, here);
        if (inside) return inside;
      }
    } else if (node.type === 'Array') {
      for (const [i, element] of node.elements.entries()) {
        const inside = walk(element.value, `${at}[${i}]`);
        if (inside) return inside;
      }
    }
    return null;
  };
  try {
    return walk(parseJson(text).body, '');
  } catch (error) {
    // nested deeper than a stack allows (JSON.parse read it; a key the contract does not name may hold
    // anything): not read through, so refused as such
    if (error instanceof RangeError) return TOO_DEEP;
    throw error;
  }
}

/** duplicateKey's answer for a manifest nested deeper than it can read through. */
const TOO_DEEP = Symbol('too deep');

/** What zod's English names as received where a number is not finite, in French. */
const NOT_FINITE_FR: Record<string, string> = { Infinity: 'l’infini', '-Infinity': 'moins l’infini', NaN: 'NaN' };

/**
 * zod's French puts its participles in the masculine whatever the noun (« chaîne de caractères reçu »),
 * its nouns without their article (« Trop petit : chaîne de caractères doit avoir ≥ 1 caractères », a
 * vendor's probe), and an ordinary space before its colons.
 */
function agreeInFrench(text: string): string {
  return text.replace(/(chaîne de caractères) (reçu|attendu)\b/g, '$1 $2e')
    .replace(/: (chaîne de caractères|valeur) doit\b/g, ': la $1 doit').replace(/: (tableau|nombre|ensemble|fichier) doit\b/g, ': le $1 doit')
    .replace(/([≥≤])\u00a0(\d+) (\S+?)(s?)(?=[\s,;.)]|$)/g, (_, op: string, n: string, unit: string, plural: string) => `${op === '≥' ? 'au moins' : 'au plus'} ${n} ${unit}${n === '1' ? '' : plural}`)
    .replace(/ :/g, '\u202f:');
}

/** zod's own French writes numbers and bounds as code does ("nombre doit être <=2", "0.025"): written as French does. */
function frenchNumbers(text: string): string {
  // not inside quotes: a value quoted is one to write as it stands (« 1.5 » among the contract's
  // versions read « 1,5 », which the contract refuses: a vendor's probe)
  return text.split(/(«[^»]*»|"[^"]*")/).map((part, i) => (i % 2 ? part
    : part.replace(/(\d)\.(\d)/g, '$1,$2').replace(/<=\s*/g, '≤\u00a0').replace(/>=\s*/g, '≥\u00a0').replace(/([<>])(?=\d)/g, '$1\u00a0'))).join('');
}

/** manifestProblems in French: the refusal is shown in the reader's language, its details too. */
function manifestProblemsInFrench(error: z.ZodError, max = 5, manifest?: unknown): string[] {
  const french = z.locales.fr().localeError;
  return error.issues.slice(0, max).map((issue) => {
    const built = french(issue as Parameters<typeof french>[0]);
    // a number JSON cannot hold as one (1e999 reads as Infinity): zod's French said "nombre attendu, nombre reçu" (a vendor's probe)
    const notFinite = /^Invalid input: expected number, received (-?Infinity|NaN)$/.exec(issue.message)?.[1];
    const zodSaid = notFinite ? `Entrée invalide : nombre fini attendu, ${NOT_FINITE_FR[notFinite]} reçu` : typeof built === 'string' ? built : built?.message;
    const said = describeManifestIssue(issue, agreeInFrench(RULES_FR[issue.message] ?? (zodSaid ? frenchNumbers(zodSaid) : issue.message)), manifest, 'fr');
    return `${issue.path.length ? issue.path.join('.') : '(manifest)'}\u202f: ${said}`;
  });
}

/** How a model's tensors differ from its manifest: a kind (common/ai/model-problems.ts says each in the reader's language) and its values. */
export type TensorMismatch = Record<string, string | number> & { kind: string };

/**
 * Names from the model's file (its tensors') as a refusal quotes them: the first three, each
 * showable (a name may hold an escape sequence a terminal would obey), the rest counted.
 */
const quoted = (names: readonly string[], count = names.length) =>
  names.slice(0, 3).map(quote).join(', ') + (count > 3 ? ` … (${count})` : '');
/** "name", showable, a quote or backslash in it escaped (French turns the quotes into « »: common/ai/model-problems.ts). */
const quote = (name: string) => `"${showableName(name).replace(/["\\]/g, '\\$&')}"`;

/** `{ denied: 1 }` where a file could not be opened for its permissions (EACCES, EPERM), else none. */
/** A folder inside `folder` that holds a manifest.json (a model unpacked one level too deep): its name, for the refusal. */
async function nestedManifest(folder: string): Promise<Record<string, string> | undefined> {
  const entries = await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && fs.existsSync(path.join(folder, entry.name, 'manifest.json'))) return { nested: entry.name };
  }
  return undefined;
}

function deniedParams(error: unknown): Record<string, number> | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' ? { denied: 1 } : undefined;
}

/** Why the session's tensors differ from the manifest's, or null when they agree. */
export function tensorMismatch(session: Pick<InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>, manifest: ModelManifest): TensorMismatch | null {
  const input = manifest.input.tensor;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== input.name) {
    return { kind: 'input_names', inputs: quoted(session.inputNames) || '—', expected: quote(input.name) };
  }
  const meta = session.inputMetadata[0];
  if (meta?.isTensor) {
    if (meta.type !== 'float32') return { kind: 'input_type', name: input.name, type: meta.type };
    const shape = meta.shape;
    if (shape.length !== input.shape.length) return { kind: 'input_rank', name: input.name, rank: shape.length, expected: input.shape.length };
    for (let i = 0; i < shape.length; i++) {
      const [model, said] = [shape[i], input.shape[i]];
      // channels last (N, H, W, C: a Keras or TensorFlow export), said as such rather than as "512 channels" (a vendor's probe)
      const last = shape.at(-1);
      // (its height and width fixed, or named as an export's dynamic axes are: [1, 'H', 'W', 3] was said to fix W at 3, a probe)
      const channelsAt = typeof model === 'number' ? model > 3 : typeof said === 'number';
      if (i === shape.length - 3 && channelsAt && (last === 1 || last === 3) && typeof input.shape.at(-1) !== 'number') return { kind: 'input_channels_last', name: input.name, shape: `[${shape.join(', ')}]` };
      if (typeof model === 'number' && model > 0 && typeof said === 'number' && model !== said) {
        return i === shape.length - 3 ? { kind: 'input_channels', name: input.name, size: model, expected: said } : { kind: 'input_dim', name: input.name, dim: i, size: model, expected: said };
      }
      // a name where the file fixes the number is fine when the station always sends that number (the batch of
      // one, a fixed size's height or width): an exporter's dynamic-axes list need not match the manifest's
      if (typeof model === 'number' && model > 0 && typeof said === 'string' && stationSends(manifest.input, shape.length, i) !== model) {
        return { kind: 'input_dim_fixed', name: input.name, dim: i, size: model, expected: said };
      }
    }
  }
  const boxTensorList = manifest.output.boxes ? boxTensors(manifest.output.boxes) : [];
  const outputs = manifestOutputs(manifest);
  const missing = outputs.filter((name) => !session.outputNames.includes(name));
  if (missing.length) return { kind: 'outputs_missing', missing: quoted(missing), outputs: quoted(session.outputNames) || '—' };
  for (const name of outputs) {
    // numbers the station reads as numbers: an integer or half-precision tensor came back as values no
    // score could be (a box's labels excepted: integers)
    const meta = session.outputMetadata[session.outputNames.indexOf(name)];
    if (meta?.isTensor && !outputTypeFits(name, meta.type, boxTensorList)) return { kind: 'output_type', name, type: meta.type };
  }
  // outputs the file declares larger than the station reads: refused before any run makes them (a vendor's
  // probe: [1, 40,000,000, 6] boxes, 960 MB, checked in 12 s at 2.2 GB, then 20 s and 2.9 GB an image)
  const declared = outputs.reduce((n, name) => {
    const meta = session.outputMetadata[session.outputNames.indexOf(name)];
    return n + ((meta?.isTensor ? shapeValues(meta.shape) : null) ?? 0);
  }, 0);
  if (declared > MAX_OUTPUT_VALUES) return { kind: 'outputs_too_large', values: declared, max: MAX_OUTPUT_VALUES };
  const heatmap = manifest.output.heatmap;
  if (heatmap) {
    const meta = session.outputMetadata[session.outputNames.indexOf(heatmap.tensor)];
    if (meta?.isTensor) {
      if (meta.shape.length !== 4) return { kind: 'heatmap_rank', name: heatmap.tensor, rank: meta.shape.length };
      // one image's heatmap: a batch of two passed, then failed every exam as an unexpected error (a probe)
      if (typeof meta.shape[0] === 'number' && meta.shape[0] > 0 && meta.shape[0] !== 1) return { kind: 'heatmap_batch', name: heatmap.tensor, shape: `[${meta.shape.join(', ')}]` };
      const channels = meta.shape[1];
      if (typeof channels === 'number' && channels > 0 && channels !== heatmap.classes.length) return { kind: 'heatmap_channels', name: heatmap.tensor, channels, classes: heatmap.classes.length };
    }
  }
  // one score an image: a model giving two was read by its first, the other never looked at (a probe)
  const imageScore = manifest.output.imageScore;
  if (imageScore) {
    const meta = session.outputMetadata[session.outputNames.indexOf(imageScore.tensor)];
    if (meta?.isTensor && meta.shape.some((d) => typeof d === 'number' && d > 1)) return { kind: 'image_score_size', name: imageScore.tensor, shape: `[${meta.shape.join(', ')}]` };
  }
  for (const tensor of boxTensorList) {
    const meta = session.outputMetadata[session.outputNames.indexOf(tensor.name)];
    if (meta?.isTensor) {
      const mismatch = boxesMismatch(manifest.output.boxes!, tensor, meta.shape);
      if (mismatch) return mismatch;
    }
  }
  return null;
}

/**
 * The length the station always gives an input axis, or null where it varies with the image: the batch
 * axis 1; a fixed size's height and width (the channels are a number in every valid manifest).
 */
function stationSends(input: ModelManifest['input'], rank: number, axis: number): number | null {
  const fromEnd = rank - axis;
  if (fromEnd === 4) return 1;
  if (input.size.mode !== 'fixed') return null;
  return fromEnd === 2 ? input.size.height : fromEnd === 1 ? input.size.width : null;
}

/** Whether an output of this type can be read: numbers in float32 or float64; a box's labels also in integers. */
function outputTypeFits(name: string, type: string, boxTensorList: readonly BoxTensor[]): boolean {
  if (type === 'float32' || type === 'float64') return true;
  return boxTensorList.some((t) => t.name === name && t.role === 'labels') && (type === 'int64' || type === 'int32');
}

/** Why one of a boxes output's tensors has a shape (as the file declares it, or as a run gave it) that is not its format's, or null. */
function boxesMismatch(boxes: NonNullable<ModelManifest['output']['boxes']>, tensor: BoxTensor, shape: readonly (number | string)[]): TensorMismatch | null {
  if (tensor.fits(shape)) return null;
  const { format } = boxes;
  const name = tensor.name;
  // rows of x0, y0, x1, y1, score, class said as before; any other shape whole, with what it should be
  if (format === 'xyxy-score-class' && shape.length !== 2 && shape.length !== 3) return { kind: 'boxes_rank', name, rank: shape.length };
  const last = shape.at(-1);
  if (format === 'xyxy-score-class' && typeof last === 'number' && last > 0 && last !== 6) return { kind: 'boxes_row', name, size: last };
  return { kind: 'boxes_shape', name, shape: `[${shape.join(', ')}]`, format, classes: boxes.classes.length, expected: tensor.expected };
}

/** A problem whose texts are showable (showableText). */
export function showableProblem(problem: ModelProblem): ModelProblem {
  if (!problem.params) return problem;
  return { ...problem, params: Object.fromEntries(Object.entries(problem.params).map(([k, v]) => [k, typeof v === 'string' ? showableText(v) : v])) };
}

/**
 * A trial run's image, as the pipeline makes values (0 air, 1 the brightest), normalised as the manifest
 * asks. 'ramp': from air to the brightest value, pixel after pixel (as many values as pixels). Not a
 * blank one: a model that gives NaN only where the image is bright (a division by a pixel's darkness)
 * passed a blank trial. 'breast': what a mammogram is to a model, a half-ellipse of tissue against the
 * chest wall (the side away from the way the manifest says the breast faces), its grey levels low and
 * varying, air around it: a model that gave NaN only where the image's mean is low passed the ramps
 * (mean 0.5), became the model shown and failed every exam (a vendor's probe); a first such image,
 * tissue over 60 % of it at a mean of 0.28, passed one failing under 0.2 (a re-probe: real inputs are
 * 0.16–0.30 cropped to the breast, 0.03–0.11 in a fixed matrix at a pixel size). Cropped to the breast
 * (a padded input, or one scaled to fit), the breast fills the input; in a fixed matrix at a pixel
 * size, it is a breast's size (12 cm deep, 20 cm tall) at the top, as the pipeline places it: mean
 * about 0.17 filling, about 0.06 in a 25 × 31 cm field.
 */
function trialImage(manifest: ModelManifest, width: number, height: number, kind: 'ramp' | 'breast' = 'ramp'): Tensor {
  const pixels = new Float32Array(width * height);
  if (kind === 'ramp') {
    for (let i = 0; i < pixels.length; i++) pixels[i] = i / Math.max(1, pixels.length - 1);
  } else {
    const { size, spacingMm, faceDirection } = manifest.input;
    const wallX = faceDirection === 'right' ? 0 : width - 1;
    const atSize = size.mode === 'fixed' && spacingMm !== null;
    const rx = atSize ? Math.min(0.95 * width, TRIAL_BREAST_IN_FIELD_MM.depth / spacingMm) : 0.95 * width;
    const ry = atSize ? Math.min(height / 2, TRIAL_BREAST_IN_FIELD_MM.height / 2 / spacingMm) : height / 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const u = (x - wallX) / rx, v = (y - ry) / ry;
        // tissue denser towards the chest wall, with a texture of a few pixels' scale
        if (u * u + v * v <= 1) pixels[y * width + x] = 0.12 + 0.22 * (1 - Math.abs(u)) + 0.05 * Math.sin(x * 0.7) * Math.cos(y * 0.45);
      }
    }
  }
  // as analyzeImage does: the pipeline's mean-std (one channel), then modelTensor (a per-image
  // z-score, the channels); copied out of modelTensor's arrays, which the next image reuses
  finishModelInput(pixels, pipelineOptions(manifest));
  const tensor = modelTensor(pixels, width, height, manifest);
  try {
    return new Tensor('float32', tensor.data.slice(), tensor.dims);
  } finally {
    tensor.done();
  }
}

/**
 * What the model file leaves dynamic can only be seen by running it: test images (trialImage) of the sizes the
 * station would send (a fixed size; or a few multiples of the padding, then a large breast), and every output the manifest
 * names must come out as it says. The heatmap 1/stride of the input: a stride that the manifest gets
 * wrong would put every mark at the wrong place on the image. Boxes in rows of six, of the manifest's
 * classes, finite numbers in every output: otherwise the model loaded and then failed every image of
 * every exam.
 */
async function trialRunMismatch(session: InferenceSession, manifest: ModelManifest): Promise<TensorMismatch | null> {
  const { size, spacingMm } = manifest.input;
  const stride = manifest.output.heatmap?.stride ?? 1;
  const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;
  // fixed: that size (the manifest's shape agrees with it); padded: a few multiples, taller than wide
  // (a transposed heatmap shows), at least a few heatmap pixels, then breasts' sizes at the model's
  // pixel spacing (a model giving NaN only on inputs of 512 rows or more passed the small trial,
  // became the model shown and failed every exam, a probe; then one giving NaN only on inputs
  // wider than 0.7 of their height, or wider than 1,536 pixels, passed the tall breast, a re-probe)
  // (where its boxes lie is judged at the sizes the station gives: a box of a small test image's
  // size over may be a breast's)
  if (size.mode === 'fixed') {
    return await trialMismatchAt(session, manifest, size.width, size.height, true) ?? trialMismatchAt(session, manifest, size.width, size.height, true, 'breast');
  }
  const small = await trialMismatchAt(session, manifest, roundUp(Math.max(size.multiple, 4 * stride), size.multiple), roundUp(Math.max(2 * size.multiple, 8 * stride), size.multiple), spacingMm === null);
  if (small || spacingMm === null) return small;
  // the tall breast a ramp (bright and dark values alike), the deep one a breast's image (air mostly)
  for (const [i, breast] of TRIAL_BREASTS_MM.entries()) {
    const mismatch = await trialMismatchAt(session, manifest, roundUp(breast.width / spacingMm, size.multiple), roundUp(breast.height / spacingMm, size.multiple), true, i === 0 ? 'ramp' : 'breast');
    if (mismatch) return mismatch;
  }
  return null;
}

/**
 * Large breasts cropped as the pipeline crops them (chest wall to nipple across, along the chest wall
 * down): an MLO view, taller than wide, and a deep CC view, wider than tall. A model can still fail
 * on a size or shape no trial has; the analysis then fails its exams saying why (model_output_invalid).
 */
const TRIAL_BREASTS_MM = [{ width: 150, height: 250 }, { width: 180, height: 140 }] as const;
/** The breast of a breast-like trial image in a fixed matrix at a pixel size (trialImage). */
const TRIAL_BREAST_IN_FIELD_MM = { depth: 120, height: 200 } as const;

async function trialMismatchAt(session: InferenceSession, manifest: ModelManifest, width: number, height: number, placesBoxes: boolean,
  image: 'ramp' | 'breast' = 'ramp'): Promise<TensorMismatch | null> {
  const { heatmap, boxes, imageScore } = manifest.output;
  const { tensor } = manifest.input;
  const stride = heatmap?.stride ?? 1;
  const boxTensorList = boxes ? boxTensors(boxes) : [];
  const names = manifestOutputs(manifest);
  let outputs: InferenceSession.OnnxValueMapType;
  try {
    outputs = await session.run({ [tensor.name]: trialImage(manifest, width, height, image) }, names);
  } catch (error) {
    return { kind: 'trial_failed', width, height, error: runtimeWords(String((error as Error)?.message ?? error), 200) };
  }
  // made by this run already, larger than the station reads (shapes the file leaves open)
  const values = names.reduce((n, name) => n + ((outputs[name] as Tensor | undefined)?.data.length ?? 0), 0);
  if (values > MAX_OUTPUT_VALUES) return { kind: 'outputs_too_large', values, max: MAX_OUTPUT_VALUES };
  for (const name of names) {
    const type = (outputs[name] as Tensor | undefined)?.type;
    if (!outputTypeFits(name, String(type), boxTensorList)) return { kind: 'output_type', name, type: String(type) };
    // NaN or infinite for a plain image: it would fail every exam (model_output_invalid) while
    // shown in place of the model before it (labels are integers: nothing to check)
    if (type === 'int64' || type === 'int32') continue;
    const values = (outputs[name] as Tensor).data as Float32Array | Float64Array;
    if (!values.every(Number.isFinite)) return { kind: 'output_not_finite', name, width, height };
  }
  for (const t of boxTensorList) {
    const mismatch = boxesMismatch(boxes!, t, (outputs[t.name] as Tensor).dims);
    if (mismatch) return mismatch;
  }
  if (imageScore && (outputs[imageScore.tensor] as Tensor).data.length !== 1) {
    return { kind: 'image_score_size', name: imageScore.tensor, shape: `[${(outputs[imageScore.tensor] as Tensor).dims.join(', ')}]` };
  }
  if (heatmap && (outputs[heatmap.tensor] as Tensor).dims[0] !== 1) {
    return { kind: 'heatmap_batch', name: heatmap.tensor, shape: `[${(outputs[heatmap.tensor] as Tensor).dims.join(', ')}]` };
  }
  // scores off the manifest's scale for a plain image: it would fail every exam (model_output_invalid,
  // as the analysis checks each run) while shown in place of the model before it (a probe: an image
  // score of 2 on a 0–1 scale passed the check, became the model shown, and failed every exam)
  const { min, max } = manifest.output.scoreScale;
  const scores: { name: string; isScore: (index: number) => boolean }[] = [];
  if (imageScore) scores.push({ name: imageScore.tensor, isScore: () => true });
  if (heatmap && heatmap.activation === 'none') scores.push({ name: heatmap.tensor, isScore: () => true });
  if (boxes && boxTensorList.every((t) => outputs[t.name])) scores.push(...boxScoreValues(boxes, (name) => outputs[name] as unknown as OutputValues));
  for (const { name, isScore } of scores) {
    const values = (outputs[name] as Tensor).data as Float32Array | Float64Array;
    for (let i = 0; i < values.length; i++) {
      if (isScore(i) && (values[i]! < min || values[i]! > max)) return { kind: 'output_off_scale', name, value: Number(values[i]!.toPrecision(4)), min, max, width, height };
    }
  }
  if (boxes?.format === 'xyxy-scores-labels') {
    // as many scores and labels as boxes
    const [b, s, l] = boxTensorList.map((t) => (outputs[t.name] as Tensor).dims[0] ?? 0);
    if (b !== s || s !== l) return { kind: 'boxes_counts', boxes: boxes.tensor, scores: boxes.scores, labels: boxes.labels, b: b!, s: s!, l: l! };
  }
  if (boxes) {
    // a box of a class the manifest does not name (7 of 3) failed every exam (model_output_invalid)
    // once loaded: the rows the analysis would read (at its floor, the lowest operating point's
    // threshold; a model pads its list under it, with any class) are read here as it reads them.
    // A trial giving no such row (nothing found on a test image) says nothing against the model.
    const floor = Math.min(...manifest.calibration.operatingPoints.map((p) => p.threshold));
    const output = (name: string) => outputs[name] as unknown as OutputValues;
    const candidates = boxCandidates(boxes, output, floor);
    // every box within the input's first pixel: coordinates as fractions of the image (a TensorFlow
    // detector's), which the contract takes in input pixels; its boxes fell in the margin, unseen, and
    // every exam was "done" without a mark (a vendor's probe)
    if (candidates.length > 0 && width > 2 && height > 2 && candidates.every(({ box }) => box.every((v) => Math.abs(v) <= 1))) {
      return { kind: 'boxes_normalised', name: boxes.tensor, count: candidates.length, width, height };
    }
    for (const { cls, row, box } of candidates) {
      // a box that is no finding of this input (wholly outside it, far beyond it, inside out) failed every
      // exam once loaded, as the class check's boxes did (a vendor's probe: every box 2,000 px left of a 640 × 640 input)
      const placed = placesBoxes ? placeBox(box, width, height) : null;
      if (placed && 'problem' in placed) return { kind: 'boxes_misplaced', name: boxes.tensor, row, box: box.map((v) => Number(v.toPrecision(6))).join(', '), problem: placed.problem, width, height };
      const outOfRange = classOutOfRange(boxes, cls);
      if (!outOfRange) continue;
      const classes = boxes.classes.length;
      return boxes.format === 'xyxy-scores-labels'
        ? { kind: 'boxes_label', name: boxes.labels, row, label: outOfRange.label, classes, first: outOfRange.first, last: outOfRange.first + classes - 1, width, height }
        : { kind: 'boxes_class', name: boxes.tensor, row, cls: outOfRange.label, classes, last: classes - 1, width, height };
    }
  }
  if (!heatmap) return null;
  // 'sigmoid' asks the station to turn logits into scores: a heatmap already between 0 and 1 everywhere (an
  // export ending in its own sigmoid) would be squeezed into 0.5–0.73, every pixel over the thresholds,
  // one mark the size of the breast per image (a probe); logits that all lie there would mark every pixel too
  if (heatmap.activation === 'sigmoid') {
    const values = (outputs[heatmap.tensor] as Tensor).data as Float32Array | Float64Array;
    if (values.length > 0 && values.every((v) => v >= 0 && v <= 1)) return { kind: 'heatmap_probabilities', name: heatmap.tensor, width, height };
  }
  const dims = (outputs[heatmap.tensor] as Tensor).dims;
  const fits = (got: number | undefined, side: number) => got === Math.floor(side / stride) || got === Math.ceil(side / stride);
  if (fits(dims[2], height) && fits(dims[3], width)) return null;
  return {
    kind: 'stride', name: heatmap.tensor, gotWidth: dims[3] ?? 0, gotHeight: dims[2] ?? 0, width, height, stride,
    expectedWidth: Math.ceil(width / stride), expectedHeight: Math.ceil(height / stride),
  };
}

/**
 * Every model folder under `roots`, checked here (the evaluation, the command line): the folder
 * rules are model-discovery.ts's; each model keeps the session its check opened.
 */
export async function discoverModels(roots: readonly string[], options: { providers?: readonly ExecutionProvider[]; knownIds?: ReadonlySet<string> } = {}):
Promise<{ models: CheckedModel[]; refused: { folder: string; problem: ModelProblem }[]; replaced: ReplacedModel[] }> {
  // checked one after another here: none is set aside, so what is found is complete
  const { models, refused, replaced } = await discoverModelFolders(roots, async (folder) => {
    const checked = await checkModelFolder(folder, options);
    return checked.ok ? { ok: true, model: checked.model, release: () => checked.model.opened.session.release() } : checked;
  }, { knownIds: options.knownIds });
  return { models, refused, replaced };
}
