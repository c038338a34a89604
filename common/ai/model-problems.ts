// Why a model folder was refused, as a code and parameters (never patient data), said in the
// reader's language where it is shown. The station keeps working without a refused model.
import type { Locale } from '../domain.ts';

export const MODEL_PROBLEM_CODES = [
  'manifest_missing', 'manifest_not_file', 'manifest_too_large', 'manifest_unreadable', 'manifest_invalid', 'model_missing', 'model_too_large', 'checksum_mismatch', 'model_external_data', 'model_structure_unread', 'opset_mismatch', 'model_unloadable',
  'tensor_mismatch', 'input_unsupported', 'not_a_folder', 'loose_file', 'model_archive', 'models_folder_unusable', 'duplicate_id', 'duplicate_name', 'shipped_name', 'same_version_other_file', 'shipped_caveat', 'check_too_slow', 'ai_thread_failed', 'model_memory', 'check_stopped',
] as const;
export type ModelProblemCode = (typeof MODEL_PROBLEM_CODES)[number];

export interface ModelProblem {
  code: ModelProblemCode;
  params?: Record<string, string | number>;
}

type Template = string | ((params: Record<string, string | number>) => string);

const fill = (template: string, params: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? '…'));
/** The plural ending of a count: English for any count but one, French above one (0 classe, 2 classes). */
const plural = (count: string | number | undefined, ending: string) => (Number(count) === 1 ? '' : ending);
const pluriel = (count: string | number | undefined, ending: string) => (Number(count) > 1 ? ending : '');
const canaux = (count: string | number | undefined) => (Number(count) > 1 ? 'canaux' : 'canal');
const say = (template: Template, params: Record<string, string | number>) => (typeof template === 'string' ? fill(template, params) : template(params));

/** What a model.onnx that is not a regular file is (main/base/regular-file.ts NotRegularFileError's kinds). */
const NOT_FILE_EN: Record<string, string> = { 'symbolic link': 'a link', fifo: 'a pipe', directory: 'a folder', device: 'a device', socket: 'a socket' };
const NOT_FILE_FR: Record<string, string> = { 'symbolic link': 'un lien', fifo: 'un tube', directory: 'un dossier', device: 'un périphérique', socket: 'une socket' };

/** How a model's tensors differ from its manifest (main/ai/model-package.ts tensorMismatch), by kind. */
const TENSOR_EN: Record<string, Template> = {
  input_names: 'its inputs are {inputs}; the manifest names one, {expected}',
  input_type: 'input "{name}" is {type}; the manifest says float32',
  input_rank: 'input "{name}" has {rank} dimensions; the manifest says {expected}',
  input_dim: 'dimension {dim} of input "{name}" is {size}; the manifest says {expected}',
  input_dim_fixed: 'dimension {dim} of input "{name}" is fixed at {size}; the manifest says it varies ({expected})',
  input_channels: (p) => `input "${p.name}" takes ${p.size} channel${plural(p.size, 's')}; the manifest says ${p.expected} (its tensor\u2019s shape: [1, 1, …] for grey levels, [1, 3, …] for the same grey levels in three channels)`,
  input_channels_last: 'input "{name}" is {shape}: its channels last (N, H, W, C, as Keras and TensorFlow export); the station gives them first (N, C, H, W): export the model channels first, or begin it with a Transpose',
  outputs_missing: 'the outputs {missing} the manifest names are not in the model (it has {outputs})',
  output_type: 'output "{name}" is {type}; the station reads float32 or float64 outputs',
  heatmap_rank: 'output "{name}" has {rank} dimensions; a heatmap has 4 (N, classes, H, W)',
  heatmap_batch: 'output "{name}" is {shape}: a heatmap is one image\u2019s, [1, classes, H, W] (the station gives one image at a time)',
  image_score_size: 'output "{name}" is {shape}: an image score is one number, [1] or [1, 1]',
  outputs_too_large: 'the outputs hold {values} values for one image: more than the station reads ({max}); a detector gives its boxes after suppression, a heatmap at the input\u2019s pixels or coarser',
  heatmap_channels: (p) => `output "${p.name}" has ${p.channels} channel${plural(p.channels, 's')}; the manifest names ${p.classes} class${plural(p.classes, 'es')}`,
  boxes_rank: 'output "{name}" has {rank} dimensions; boxes are [N, 6] or [1, N, 6]',
  boxes_row: 'output "{name}" has rows of {size}; boxes are x0, y0, x1, y1, score, class (6)',
  boxes_shape: (p) => `output "${p.name}" is ${p.shape}; boxes in the format ${p.format} with ${p.classes} class${plural(p.classes, 'es')} are ${p.expected}`,
  boxes_counts: 'outputs "{boxes}", "{scores}" and "{labels}" hold {b}, {s} and {l} rows for a test image; they hold one row each per box',
  trial_failed: 'a trial run on a test image of {width} × {height} failed ({error})',
  output_not_finite: 'output "{name}" holds values that are not numbers (NaN or infinite) for a test image of {width} × {height}',
  output_off_scale: 'output "{name}" gives the score {value} for a test image of {width} × {height}, outside the manifest\'s scale ({min} to {max})',
  boxes_class: (p) => `output "${p.name}" gives a box of class ${p.cls} (row ${p.row}) for a test image of ${p.width} × ${p.height}; the manifest names ${p.classes} class${plural(p.classes, 'es')} (0 to ${p.last})`,
  boxes_label: (p) => `output "${p.name}" gives a box the label ${p.label} (row ${p.row}) for a test image of ${p.width} × ${p.height}; the manifest names ${p.classes} class${plural(p.classes, 'es')} (labels ${p.first} to ${p.last})${Number(p.label) === 0 && Number(p.first) === 1 ? '; labels counted from 0 (no background label) are said with output.boxes.firstLabel 0' : ''}`,
  boxes_normalised: 'output "{name}" gives {count} box(es) for a test image of {width} × {height}, every one within its first pixel: coordinates as fractions of the image? The contract takes boxes in the input\'s pixels (multiply by its width and height in the model)',
  boxes_misplaced: (p) => `output "${p.name}" gives the box [${p.box}] (row ${p.row}) for a test image of ${p.width} × ${p.height}, ${{
    inside_out: 'turned inside out (x1 < x0 or y1 < y0)', far_beyond: 'reaching far beyond the input: are its coordinates the input\'s pixels?', outside: 'wholly outside the input: are its coordinates the input\'s pixels?',
  }[String(p.problem)] ?? String(p.problem)}`,
  heatmap_probabilities: 'output "{name}" holds values from 0 to 1 only for a test image of {width} × {height}, as scores already are: output.heatmap.activation "sigmoid" would apply a second sigmoid (say "none" where the model ends in its own sigmoid)',
  stride: 'output "{name}" is {gotWidth} × {gotHeight} for a {width} × {height} input; at the manifest\u2019s stride {stride} it would be {expectedWidth} × {expectedHeight}',
};

/** Problems a trial run shows (what the model gave for a test image), not its tensors' names, types or shapes. */
const TRIAL_KINDS = new Set(['trial_failed', 'output_not_finite', 'output_off_scale', 'boxes_class', 'boxes_label', 'heatmap_probabilities', 'boxes_normalised', 'boxes_misplaced']);

/** A problem's numbers with a decimal comma (a score of 1.8 said "le score 1.8"). */
function frenchDecimals(p: Record<string, string | number>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? String(v).replace('.', ',') : v]));
}

const TENSOR_FR: Record<string, Template> = {
  input_names: 'ses entrées sont {inputs}\u202f; le manifeste en nomme une, {expected}',
  input_type: 'l’entrée «\u202f{name}\u202f» est en {type}\u202f; le manifeste indique float32',
  input_rank: 'l’entrée «\u202f{name}\u202f» a {rank} dimensions\u202f; le manifeste en indique {expected}',
  input_dim: 'la dimension {dim} de l’entrée «\u202f{name}\u202f» vaut {size}\u202f; le manifeste indique {expected}',
  input_dim_fixed: 'la dimension {dim} de l’entrée «\u202f{name}\u202f» est fixée à {size}\u202f; le manifeste la dit variable ({expected})',
  input_channels: (p) => `l’entrée «\u202f${p.name}\u202f» prend ${p.size} ${canaux(p.size)}\u202f; le manifeste en indique ${p.expected} (la forme de son tenseur\u202f: [1, 1, …] pour des niveaux de gris, [1, 3, …] pour les mêmes niveaux de gris dans trois canaux)`,
  input_channels_last: 'l’entrée «\u202f{name}\u202f» est {shape}\u202f: ses canaux en dernier (N, H, W, C, comme les exportent Keras et TensorFlow)\u202f; la station les donne en premier (N, C, H, W)\u202f: exportez le modèle canaux en premier, ou faites-le commencer par un Transpose',
  outputs_missing: 'les sorties {missing} que nomme le manifeste ne sont pas dans le modèle (il a {outputs})',
  output_type: 'la sortie «\u202f{name}\u202f» est en {type}\u202f; la station lit des sorties en float32 ou float64',
  heatmap_rank: 'la sortie «\u202f{name}\u202f» a {rank} dimensions\u202f; une carte de chaleur en a 4 (N, classes, H, W)',
  heatmap_batch: 'la sortie «\u202f{name}\u202f» est {shape}\u202f: une carte de chaleur est celle d’une image, [1, classes, H, W] (la station donne une image à la fois)',
  image_score_size: 'la sortie «\u202f{name}\u202f» est {shape}\u202f: un score d’image est un seul nombre, [1] ou [1, 1]',
  outputs_too_large: 'les sorties comptent {values} valeurs pour une image\u202f: plus que la station n’en lit ({max})\u202f; un détecteur donne ses boîtes après suppression, une carte de chaleur aux pixels de l’entrée ou plus grossière',
  heatmap_channels: (p) => `la sortie «\u202f${p.name}\u202f» a ${p.channels} ${canaux(p.channels)}\u202f; le manifeste nomme ${p.classes} classe${pluriel(p.classes, 's')}`,
  boxes_rank: 'la sortie «\u202f{name}\u202f» a {rank} dimensions\u202f; des boîtes sont [N, 6] ou [1, N, 6]',
  boxes_row: 'la sortie «\u202f{name}\u202f» a des lignes de {size}\u202f; une boîte est x0, y0, x1, y1, score, classe (6)',
  boxes_shape: (p) => `la sortie «\u202f${p.name}\u202f» est ${p.shape}\u202f; des boîtes au format ${p.format} avec ${p.classes} classe${pluriel(p.classes, 's')} sont ${p.expected}`,
  boxes_counts: 'les sorties «\u202f{boxes}\u202f», «\u202f{scores}\u202f» et «\u202f{labels}\u202f» ont {b}, {s} et {l} lignes pour une image de test\u202f; elles en ont une chacune par boîte',
  trial_failed: 'un essai sur une image de test de {width} × {height} a échoué ({error})',
  output_not_finite: 'la sortie «\u202f{name}\u202f» contient des valeurs qui ne sont pas des nombres (NaN ou infinies) pour une image de test de {width} × {height}',
  output_off_scale: 'la sortie «\u202f{name}\u202f» donne le score {value} pour une image de test de {width} × {height}, hors de l’échelle du manifeste ({min} à {max})',
  boxes_class: (p) => `la sortie «\u202f${p.name}\u202f» donne une boîte de classe ${p.cls} (ligne ${p.row}) pour une image de test de ${p.width} × ${p.height}\u202f; le manifeste nomme ${p.classes} classe${pluriel(p.classes, 's')} (de 0 à ${p.last})`,
  boxes_label: (p) => `la sortie «\u202f${p.name}\u202f» donne à une boîte l’étiquette ${p.label} (ligne ${p.row}) pour une image de test de ${p.width} × ${p.height}\u202f; le manifeste nomme ${p.classes} classe${pluriel(p.classes, 's')} (étiquettes de ${p.first} à ${p.last})${Number(p.label) === 0 && Number(p.first) === 1 ? '\u202f; des étiquettes comptées à partir de 0 (sans étiquette de fond) se disent avec output.boxes.firstLabel 0' : ''}`,
  boxes_normalised: 'la sortie «\u202f{name}\u202f» donne {count} boîte(s) pour une image de test de {width} × {height}, toutes dans son premier pixel\u202f: des coordonnées en fractions de l’image\u202f? Le contrat prend les boîtes en pixels de l’entrée (multipliez-les par sa largeur et sa hauteur dans le modèle)',
  boxes_misplaced: (p) => `la sortie «\u202f${p.name}\u202f» donne la boîte [${p.box}] (ligne ${p.row}) pour une image de test de ${p.width} × ${p.height}, ${{
    inside_out: 'retournée (x1 < x0 ou y1 < y0)', far_beyond: 'qui s’étend loin au-delà de l’entrée\u202f: ses coordonnées sont-elles en pixels de l’entrée\u202f?', outside: 'tout entière hors de l’entrée\u202f: ses coordonnées sont-elles en pixels de l’entrée\u202f?',
  }[String(p.problem)] ?? String(p.problem)}`,
  heatmap_probabilities: 'la sortie «\u202f{name}\u202f» ne contient que des valeurs de 0 à 1 pour une image de test de {width} × {height}, comme des scores\u202f: output.heatmap.activation "sigmoid" appliquerait une seconde sigmoïde (indiquez "none" si le modèle finit par sa propre sigmoïde)',
  stride: 'la sortie «\u202f{name}\u202f» fait {gotWidth} × {gotHeight} pour une entrée de {width} × {height}\u202f; au pas de {stride} du manifeste, elle ferait {expectedWidth} × {expectedHeight}',
};

const en: Record<ModelProblemCode, Template> = {
  manifest_missing: (p) => (p.denied ? 'manifest.json cannot be read: the station’s user has no permission to open it or its folder (check the permissions)'
    : p.nested ? `the folder has no manifest.json, but its folder “${p.nested}” has one (unpacked one level too deep): put that folder itself in the models folder` : 'the folder has no manifest.json'),
  manifest_not_file: 'manifest.json is not a regular file (a link, a pipe, a device, a folder: a model’s files lie in its own folder; link the whole folder instead)',
  manifest_too_large: 'manifest.json is too large ({bytes} bytes; a manifest is at most {max})',
  // where the JSON breaks, never the text there: a manifest may link to any file
  manifest_unreadable: (p) => (p.tooDeep ? 'manifest.json nests arrays or objects thousands of levels deep: no manifest does'
    : p.duplicateKey !== undefined ? `manifest.json names “${p.duplicateKey}” twice in one object (a person reading it sees the first, the station would read the last): keep one`
    : p.notUtf8At !== undefined ? `manifest.json is not UTF-8 text (byte ${p.notUtf8At} is not UTF-8: saved as Latin-1 or Windows-1252?); save it as UTF-8`
    : p.empty ? 'manifest.json is empty'
    : p.endsEarly ? `manifest.json is not valid JSON: the text ends (line ${p.line}, column ${p.column}) before its JSON does (cut short when it was copied or saved?)`
    : p.notNumber !== undefined ? `manifest.json is not valid JSON: ${p.notNumber} (line ${p.line}, column ${p.column}) is no JSON number (Python’s json.dump writes NaN and Infinity unless given allow_nan=False); write a number, or null where the contract allows it`
    : `manifest.json is not valid JSON${p.line !== undefined ? ` (line ${p.line}, column ${p.column})` : p.at ? ` (at character ${p.at})` : ''}`),
  manifest_invalid: 'manifest.json does not follow the model contract: {problems}',
  model_missing: (p) => (p.denied ? 'model.onnx cannot be read: the station’s user has no permission to open it (check the permissions)' : p.kind === undefined ? 'the folder has no model.onnx'
    : `model.onnx is not a regular file but ${NOT_FILE_EN[String(p.kind)] ?? 'something else'}: a model’s files lie in its own folder (link the whole folder instead)`),
  model_too_large: 'model.onnx is too large ({bytes} bytes; an ONNX file is at most {max}): refused without being read',
  check_too_slow: 'checking it (opening it and its trial runs) took more than {seconds} s: too slow for this computer; the other models are used',
  ai_thread_failed: 'the AI thread could not start ({what}): no model runs at this station; the reading station works on without its AI',
  model_memory: (p) => (p.together
    ? fill('its check (opening it and its trial run on an image as large as it will be given) held {mb} MB while other models were checked beside it, the checks together past {limitMb} MB, and was stopped: too much for this computer beside the reading station; the other models are used, and it is checked again at the next start (an IT person may raise the limit with BINOME_AI_MODEL_MEMORY_MB)', p)
    : fill('opening it and its trial run on an image as large as it will be given took more than {limitMb} MB of memory (at least {mb} MB) and were stopped: too much for this computer beside the reading station; the other models are used (an IT person may raise the limit with BINOME_AI_MODEL_MEMORY_MB)', p)),
  check_stopped: (p) => (p.how === 'start' ? fill('its check could not start ({what}); the other models are used, and it is checked again at the next start', p)
    : `its check stopped before it ended (${p.signal ? `signal ${p.signal}` : `exit code ${p.exitCode}`}${p.what ? `; its last words: ${p.what}` : ''}): the ONNX runtime crashed on this file, or the process was stopped from outside (the system short of memory, a person); the other models are used, and it is checked again at the next start`),
  checksum_mismatch: 'model.onnx is not the file its manifest describes (SHA-256 {actual}, the manifest says {expected}): changed or damaged',
  model_external_data: (p) => `model.onnx keeps ${p.count} tensor${plural(p.count, 's')} in other files (ONNX external data: ${p.names}), which its checksum does not cover: save the model as one file (onnx.save_model(model, "model.onnx", save_as_external_data=False)) and write its SHA-256 in the manifest`,
  model_structure_unread: 'model.onnx could not be read through by the station’s own checks (subgraphs or unknown fields nested more than 32 levels deep, deeper than an exporter writes), though the ONNX runtime loads it: whether it keeps weights in other files, which its checksum would not cover, cannot be told; export it again as one plain file',
  opset_mismatch: 'the manifest says ONNX opset {manifest} (runtime.opset), model.onnx imports opset {file}: the manifest was written for another export of the model; write the file’s opset in it (and check the rest)',
  model_unloadable: (p) => (p.empty ? 'model.onnx is empty (0 bytes)' : fill('model.onnx cannot be loaded by the ONNX runtime ({what})', p)),
  tensor_mismatch: (p) => `${TRIAL_KINDS.has(String(p.kind)) ? 'the model’s trial run does not give what its manifest says' : 'the model’s tensors do not match its manifest'}: ${say(TENSOR_EN[String(p.kind)] ?? '{what}', p)}`,
  input_unsupported: (p) => `the model asks for an input this station does not give: ${p.kind === 'priors' ? 'prior images (input.priors is "required"; the station gives a model one image at a time)' : fill('{what}', p)}`,
  not_a_folder: 'a link to something that is not a folder: each model is a folder holding model.onnx and manifest.json',
  loose_file: 'a model file lying loose in the models folder: each model is a folder of its own, holding model.onnx and manifest.json',
  model_archive: 'an archive: unpack it, so that its model is a folder of its own in the models folder, holding model.onnx and manifest.json',
  models_folder_unusable: (p) => `the models folder cannot be read: ${p.reason === 'not_a_folder' ? 'it is a file, not a folder' : p.reason === 'broken_link' ? 'it is a link to nothing' : p.reason === 'denied' ? 'the station’s user has no permission to open it' : 'it could not be opened'}; no model there runs`,
  duplicate_id: (p) => (p.version ? fill('the folder {folder} beside it holds the same model ({id}), version {version}, and is used instead', p) : fill('the folder {folder} beside it has the same model id ({id}) and is used instead', p)),
  duplicate_name: (p) => (p.otherVersion === undefined || p.otherVersion === p.version
    ? fill('another model ({id}, folder {folder}) has the same name and version (“{name}” {version}): the two could not be told apart on screen nor in their CAD reports; give this one ({ownId}) a name of its own', p)
    : fill('another model ({id} {otherVersion}, folder {folder}) has this name (“{name}”): under another id ({ownId}), this one’s {version} would read as a version of it on screen and in CAD reports; give this one a name of its own', p)),
  shipped_name: 'the model installed with the station ({id}, folder {folder}) has this name (“{name}”): under another id ({ownId}) it would read as a version of that model; give this one a name of its own',
  same_version_other_file: (p) => fill(`the folder {folder} found before it holds this model ({id}) in this version ({version}) with another ${p.sameFile ? 'manifest' : 'file'}: one version of a model is one file and one manifest, which its analyses and CAD reports name; give this one a version of its own, or remove it`, p),
  shipped_caveat: (p) => fill(`the model installed with the station under this id ({id}, folder {folder}) is trained on ${p.data === 'synthetic' ? 'synthetic' : p.data === 'mixed' ? 'synthetic and real' : 'real'} images${p.notForDiagnosticUse ? ' and not for diagnostic use' : ''}: a version of it here must say the same (training.data "{data}"${p.notForDiagnosticUse ? ', intendedUse.notForDiagnosticUse true' : ''}); a model of another kind takes an id of its own`, p),
};

const fr: Record<ModelProblemCode, Template> = {
  manifest_missing: (p) => (p.denied ? 'manifest.json ne peut pas être lu\u202f: l’utilisateur de la station n’a pas le droit de l’ouvrir, ou son dossier (vérifiez les permissions)'
    : p.nested ? `le dossier n’a pas de manifest.json, mais son dossier «\u202f${p.nested}\u202f» en a un (décompressé un niveau trop bas)\u202f: placez ce dossier lui-même dans le dossier des modèles` : 'le dossier n’a pas de manifest.json'),
  manifest_not_file: 'manifest.json n’est pas un fichier ordinaire (un lien, un tube, un périphérique, un dossier)\u202f: les fichiers d’un modèle sont dans son propre dossier, liez plutôt le dossier entier',
  manifest_too_large: 'manifest.json est trop gros ({bytes} octets\u202f; un manifeste fait au plus {max} octets)',
  manifest_unreadable: (p) => (p.tooDeep ? 'manifest.json imbrique des tableaux ou des objets sur des milliers de niveaux\u202f: aucun manifeste ne le fait'
    : p.duplicateKey !== undefined ? `manifest.json nomme «\u202f${p.duplicateKey}\u202f» deux fois dans un même objet (qui le lit voit la première, la station lirait la dernière)\u202f: n’en gardez qu’une`
    : p.notUtf8At !== undefined ? `manifest.json n’est pas un texte UTF-8 (l’octet ${p.notUtf8At} n’est pas de l’UTF-8\u202f: enregistré en Latin-1 ou Windows-1252\u202f?)\u202f; enregistrez-le en UTF-8`
    : p.empty ? 'manifest.json est vide'
    : p.endsEarly ? `manifest.json n’est pas du JSON valide\u202f: le texte s’arrête (ligne ${p.line}, colonne ${p.column}) avant la fin de son JSON (tronqué lors d’une copie ou d’un enregistrement\u202f?)`
    : p.notNumber !== undefined ? `manifest.json n’est pas du JSON valide\u202f: ${p.notNumber} (ligne ${p.line}, colonne ${p.column}) n’est pas un nombre JSON (le json.dump de Python écrit NaN et Infinity sauf avec allow_nan=False)\u202f; écrivez un nombre, ou null là où le contrat le permet`
    : `manifest.json n’est pas du JSON valide${p.line !== undefined ? ` (ligne ${p.line}, colonne ${p.column})` : p.at ? ` (au caractère ${p.at})` : ''}`),
  manifest_invalid: (p) => `manifest.json ne suit pas le contrat des modèles\u202f: ${String(p.problemsFr ?? p.problems ?? '…')}`,
  model_missing: (p) => (p.denied ? 'model.onnx ne peut pas être lu\u202f: l’utilisateur de la station n’a pas le droit de l’ouvrir (vérifiez les permissions)' : p.kind === undefined ? 'le dossier n’a pas de model.onnx'
    : `model.onnx n’est pas un fichier ordinaire mais ${NOT_FILE_FR[String(p.kind)] ?? 'autre chose'}\u202f: les fichiers d’un modèle sont dans son propre dossier (liez plutôt le dossier entier)`),
  model_too_large: 'model.onnx est trop gros ({bytes} octets\u202f; un fichier ONNX fait au plus {max} octets)\u202f: refusé sans être lu',
  check_too_slow: 'sa vérification (l’ouvrir et ses essais) a pris plus de {seconds}\u202fs\u202f: trop lent pour cet ordinateur\u202f; les autres modèles sont utilisés',
  ai_thread_failed: 'le fil d’exécution de l’IA n’a pas pu démarrer ({what})\u202f: aucun modèle ne tourne sur ce poste\u202f; la station de lecture fonctionne sans son IA',
  model_memory: (p) => (p.together
    ? fill('sa vérification (l’ouvrir et son essai sur une image aussi grande que celles qu’il recevra) occupait {mb}\u202fMo pendant que d’autres modèles étaient vérifiés à côté, les vérifications ensemble au-delà de {limitMb}\u202fMo, et a été arrêtée\u202f: trop pour cet ordinateur à côté de la station de lecture\u202f; les autres modèles sont utilisés, et il sera vérifié de nouveau au prochain démarrage (un informaticien peut relever la limite avec BINOME_AI_MODEL_MEMORY_MB)', p)
    : fill('l’ouvrir et son essai sur une image aussi grande que celles qu’il recevra ont pris plus de {limitMb}\u202fMo de mémoire (au moins {mb}\u202fMo) et ont été arrêtés\u202f: trop pour cet ordinateur à côté de la station de lecture\u202f; les autres modèles sont utilisés (un informaticien peut relever la limite avec BINOME_AI_MODEL_MEMORY_MB)', p)),
  check_stopped: (p) => (p.how === 'start' ? fill('sa vérification n’a pas pu démarrer ({what})\u202f; les autres modèles sont utilisés, et il sera vérifié de nouveau au prochain démarrage', p)
    : `sa vérification s’est arrêtée avant la fin (${p.signal ? `signal ${p.signal}` : `code de sortie ${p.exitCode}`}${p.what ? `\u202f; ses derniers mots\u202f: ${p.what}` : ''})\u202f: le moteur ONNX a planté sur ce fichier, ou le processus a été arrêté de l’extérieur (le système à court de mémoire, une personne)\u202f; les autres modèles sont utilisés, et il sera vérifié de nouveau au prochain démarrage`),
  checksum_mismatch: 'model.onnx n’est pas le fichier que décrit son manifeste (SHA-256 {actual}, le manifeste indique {expected})\u202f: modifié ou endommagé',
  model_external_data: (p) => `model.onnx garde ${p.count} tenseur${pluriel(p.count, 's')} dans d’autres fichiers (données externes ONNX\u202f: ${p.names}), que sa somme de contrôle ne couvre pas\u202f: enregistrez le modèle en un seul fichier (onnx.save_model(model, "model.onnx", save_as_external_data=False)) et écrivez son SHA-256 dans le manifeste`,
  opset_mismatch: 'le manifeste indique l’opset ONNX {manifest} (runtime.opset), model.onnx importe l’opset {file}\u202f: le manifeste a été écrit pour un autre export du modèle\u202f; écrivez-y l’opset du fichier (et vérifiez le reste)',
  model_structure_unread: 'model.onnx n’a pas pu être lu jusqu’au bout par les contrôles de la station (sous-graphes ou champs inconnus imbriqués sur plus de 32 niveaux, plus qu’un exportateur n’en écrit), bien que le moteur ONNX le charge\u202f: on ne peut pas savoir s’il garde des poids dans d’autres fichiers, que sa somme de contrôle ne couvrirait pas\u202f; exportez-le à nouveau en un seul fichier ordinaire',
  model_unloadable: (p) => (p.empty ? 'model.onnx est vide (0 octet)' : fill('model.onnx ne peut pas être chargé par le moteur ONNX ({what})', p)),
  tensor_mismatch: (p) => `${TRIAL_KINDS.has(String(p.kind)) ? 'l’essai du modèle ne donne pas ce que dit son manifeste' : 'les tenseurs du modèle ne correspondent pas à son manifeste'}\u202f: ${say(TENSOR_FR[String(p.kind)] ?? '{what}', frenchDecimals(p))}`,
  input_unsupported: (p) => `le modèle demande une entrée que cette station ne fournit pas\u202f: ${p.kind === 'priors' ? 'les images antérieures (input.priors vaut "required"\u202f; la station donne au modèle une image à la fois)' : fill('{what}', p)}`,
  not_a_folder: 'un lien vers autre chose qu’un dossier\u202f: chaque modèle est un dossier contenant model.onnx et manifest.json',
  loose_file: 'un fichier de modèle posé seul dans le dossier des modèles\u202f: chaque modèle est un dossier à lui, contenant model.onnx et manifest.json',
  model_archive: 'une archive\u202f: décompressez-la, pour que son modèle soit un dossier à lui dans le dossier des modèles, contenant model.onnx et manifest.json',
  models_folder_unusable: (p) => `le dossier des modèles ne peut pas être lu\u202f: ${p.reason === 'not_a_folder' ? 'c’est un fichier, pas un dossier' : p.reason === 'broken_link' ? 'c’est un lien vers rien' : p.reason === 'denied' ? 'l’utilisateur de la station n’a pas le droit de l’ouvrir' : 'il n’a pas pu être ouvert'}\u202f; aucun modèle n’y tourne`,
  duplicate_id: (p) => (p.version ? fill('le dossier {folder} à côté contient le même modèle ({id}), en version {version}, et est utilisé à sa place', p) : fill('le dossier {folder} à côté a le même identifiant de modèle ({id}) et est utilisé à sa place', p)),
  duplicate_name: (p) => (p.otherVersion === undefined || p.otherVersion === p.version
    ? fill('un autre modèle ({id}, dossier {folder}) a le même nom et la même version («\u202f{name}\u202f» {version})\u202f: on ne pourrait les distinguer ni à l’écran ni dans leurs rapports CAD\u202f; donnez à celui-ci ({ownId}) un nom à lui', p)
    : fill('un autre modèle ({id} {otherVersion}, dossier {folder}) porte ce nom («\u202f{name}\u202f»)\u202f: sous un autre identifiant ({ownId}), la version {version} de celui-ci passerait pour une version de l’autre à l’écran et dans les rapports CAD\u202f; donnez-lui un nom à lui', p)),
  shipped_name: 'le modèle installé avec la station ({id}, dossier {folder}) porte ce nom («\u202f{name}\u202f»)\u202f: sous un autre identifiant ({ownId}), celui-ci passerait pour une version de ce modèle\u202f; donnez-lui un nom à lui',
  same_version_other_file: (p) => fill(`le dossier {folder} trouvé avant lui contient ce modèle ({id}) dans cette version ({version}) avec ${p.sameFile ? 'un autre manifeste' : 'un autre fichier'}\u202f: une version d’un modèle est un fichier et un manifeste, que nomment ses analyses et ses rapports CAD\u202f; donnez-lui une version à lui, ou retirez-le`, p),
  shipped_caveat: (p) => fill(`le modèle installé avec la station sous cet identifiant ({id}, dossier {folder}) est entraîné sur des images ${p.data === 'synthetic' ? 'de synthèse' : p.data === 'mixed' ? 'de synthèse et réelles' : 'réelles'}${p.notForDiagnosticUse ? ' et n’est pas pour le diagnostic' : ''}\u202f: une version de lui ici doit dire de même (training.data «\u202f{data}\u202f»${p.notForDiagnosticUse ? ', intendedUse.notForDiagnosticUse true' : ''})\u202f; un modèle d’une autre sorte prend un identifiant à lui`, p),
};

export function describeModelProblem(locale: Locale, problem: ModelProblem): string {
  const template = (locale === 'fr' ? fr : en)[problem.code];
  // large counts grouped in threes, as each language writes them ("120000000 valeurs", a probe)
  const grouped = (v: string | number) => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 10_000 ? groupDigits(locale, v) : v);
  const params = Object.fromEntries(Object.entries(problem.params ?? {}).map(([k, v]) => [k, locale === 'fr' && typeof v === 'string' ? frenchQuotes(v) : grouped(v)]));
  if (typeof template === 'function') return template(params);
  return fill(template, params);
}

/** A whole number's digits in groups of three: 120,000,000 in English, 120 000 000 (narrow no-break spaces) in French. */
function groupDigits(locale: Locale, value: number): string {
  return String(Math.abs(value)).replace(/\B(?=(\d{3})+$)/g, locale === 'fr' ? '\u202f' : ',').replace(/^/, value < 0 ? '-' : '');
}

/**
 * Names from a model's file come quoted as "name" (a quote or backslash inside escaped with a
 * backslash: main/ai/model-package.ts); French quotes them « name », as its own texts do.
 */
export function frenchQuotes(text: string): string {
  return text.replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => `«\u202f${inner.replace(/\\(.)/g, '$1')}\u202f»`);
}
