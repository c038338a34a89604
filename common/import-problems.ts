// Why a file was not imported, or was imported with a reservation: a code and its parameters,
// which travel through the API and the database as data and become a sentence in the reader's
// language only where they are shown (the renderer, the command line). Parameters never carry
// patient data, nor words of any language: at most tag numbers like "(0028,0010)", sizes, counts,
// UIDs of transfer syntaxes, value representations and names of compression formats (never the
// UIDs of a patient's exam: the quarantine row keeps those). Where a distinction matters to the
// reader, it is a code of its own.

import type { Locale } from './domain.ts';

export const IMPORT_PROBLEM_CODES = [
  // not DICOM at all: skipped, not quarantined
  'not_dicom',
  // damaged or unusable DICOM: quarantined
  'no_part10_header',
  'truncated',
  'malformed',
  'malformed_element',
  'pixel_data_vr',
  'unknown_photometric',
  'photometric_samples',
  'unclosed_sequence',
  'nested_too_deeply',
  'too_many_elements',
  'missing_attribute',
  'meta_instance_mismatch',
  'meta_class_mismatch',
  'invalid_attribute',
  'unknown_transfer_syntax',
  'deflate_failed',
  'no_pixel_data',
  'pixel_data_length',
  'encapsulated_in_native',
  'native_in_encapsulated',
  'fragment_count',
  'bad_offset_table',
  'too_many_fragments',
  'codestream_mismatch',
  'codestream_unknown',
  'codestream_dimensions',
  'codestream_truncated',
  'rle_segments',
  'absurd_dimensions',
  'too_large',
  'inspection_failed',
  // the file names an image, series or exam the library holds for another exam or another woman: quarantined
  'uid_conflict',
  'series_conflict',
  'study_conflict',
  // the file could not be read or stored
  'file_not_found',
  'path_too_long',
  'permission_denied',
  'read_error',
  'store_failed',
  'disk_full',
  'timeout',
  'referenced_missing',
  // not a file to read: never opened, skipped
  'not_regular_file',
  'link_to_folder',
  'link_out_of_dicomdir',
  'broken_link',
  // warnings: imported, with a reservation shown beside the image
  'tags_out_of_order',
  'trailing_bytes',
  'pixel_data_longer',
] as const;
export type ImportProblemCode = (typeof IMPORT_PROBLEM_CODES)[number];

export type ProblemParams = Record<string, string | number>;

/** A problem as data: what went wrong, and the few numbers or names that say where. */
export interface ProblemRef {
  code: ImportProblemCode;
  params?: ProblemParams;
}

// Placeholders: {name} (numbers are written with the locale's digit grouping) and {name:bytes}
// (a size: 64 MiB, 64 Mio).
const en: Record<ImportProblemCode, string> = {
  not_dicom: 'not a DICOM file',
  no_part10_header: 'DICOM data without the Part 10 file header (no "DICM" at byte 128); export it again as a DICOM file',
  truncated: 'the file is truncated: {tag} runs past its end',
  malformed: 'malformed DICOM: {what}',
  malformed_element: 'malformed DICOM: the element {tag} at byte {offset} cannot be read',
  pixel_data_vr: 'the pixel data has the value representation {vr}, not OB or OW: image readers refuse it',
  unknown_photometric: 'unknown photometric interpretation {value}: the image cannot be displayed',
  photometric_samples: 'the photometric interpretation {photometric} does not match {samples} sample(s) per pixel',
  unclosed_sequence: 'the sequence {tag} is never closed (its delimiter is missing)',
  nested_too_deeply: 'sequences nested more than {limit} levels deep',
  too_many_elements: 'more than {limit} attributes in one file',
  missing_attribute: 'a required attribute is missing: {names}',
  meta_instance_mismatch: 'its File Meta Information names another SOP instance ({meta}) than its data set ({dataset}): written by a broken sender, or its parts put together from two files',
  meta_class_mismatch: 'its File Meta Information names another SOP class ({meta}) than its data set ({dataset}): written by a broken sender, or its parts put together from two files',
  invalid_attribute: 'impossible value {value} for {tag}',
  unknown_transfer_syntax: 'unknown or unsupported transfer syntax {uid}: the image cannot be decoded',
  deflate_failed: 'the compressed (deflated) data set cannot be inflated',
  no_pixel_data: 'an image without pixel data',
  pixel_data_length: 'the pixel data holds {actual} bytes where {rows} × {columns} pixels × {frames} frame(s) × {samples} sample(s) of {bitsAllocated} bits need {expected}',
  encapsulated_in_native: 'the pixel data is compressed although the file declares it uncompressed ({uid})',
  native_in_encapsulated: 'the pixel data is uncompressed although the file declares a compressed syntax ({uid})',
  fragment_count: 'the compressed pixel data has {count} fragment(s) for {frames} frame(s)',
  bad_offset_table: 'the offset table of the compressed pixel data does not match its {frames} frame(s)',
  too_many_fragments: 'the compressed pixel data is split into more than {limit} fragments',
  codestream_mismatch: 'the compressed pixel data is {found}, not {expected} as the file declares ({uid})',
  codestream_unknown: 'the compressed pixel data is not {expected} as the file declares ({uid}), nor any known format',
  codestream_dimensions: 'the compressed image is {codedColumns} × {codedRows} pixels, {codedComponents} component(s) of {codedBits} bits; the file declares {columns} × {rows}, {samples} sample(s), {bitsStored} bits stored in {bitsAllocated}',
  codestream_truncated: 'the compressed image ({format}) of frame {frame} ends before its end marker: the file was cut short or damaged; ask for it to be sent again',
  rle_segments: 'the RLE data has {count} segment(s) where {samples} sample(s) of {bitsAllocated} bits need {expected}',
  absurd_dimensions: 'impossible image size: {rows} × {columns} pixels, {frames} frame(s)',
  too_large: 'too large: {size:bytes} of attributes besides pixel data (at most {limit:bytes})',
  inspection_failed: 'could not be checked (an error in Binome: please report it)',
  uid_conflict: 'an image with the same SOP Instance UID is already in the library, in another exam or for another patient: this file was not imported',
  series_conflict: 'a series with the same Series Instance UID belongs to another exam in the library: this file was not imported',
  study_conflict: 'an exam with the same Study Instance UID belongs to another patient in the library: this file was not imported',
  file_not_found: 'no such file or folder',
  path_too_long: 'the path is longer than this system allows: move the folder higher up and import it again',
  permission_denied: 'permission denied: this account may not read it',
  read_error: 'could not be read (system error {what})',
  store_failed: 'could not be stored in the library: {what}',
  disk_full: 'no space left on the library disk',
  timeout: 'took longer than {seconds} s to read and was stopped',
  referenced_missing: 'listed in the DICOMDIR but missing from the media',
  not_regular_file: 'not a regular file (a pipe, socket or device): not opened',
  link_to_folder: 'a symbolic link to a folder: not followed (import the folder itself)',
  link_out_of_dicomdir: 'listed in the DICOMDIR, but a symbolic link on its path leads out of the DICOMDIR’s folder: not followed (import that place itself)',
  broken_link: 'a symbolic link whose target is missing',
  tags_out_of_order: 'attributes are out of order ({tag}); the image was kept',
  trailing_bytes: '{count} unreadable bytes after the pixel data were ignored',
  pixel_data_longer: 'the pixel data holds {actual} bytes where {expected} are needed; the extra bytes were ignored',
};

// French as written in French reading rooms; a narrow no-break space (U+202F) before ":", ";", "!", "?".
const fr: Record<ImportProblemCode, string> = {
  not_dicom: 'pas un fichier DICOM',
  no_part10_header: 'données DICOM sans l’en-tête de fichier Part 10 (pas de «\u202fDICM\u202f» à l’octet 128)\u202f: exportez-le à nouveau en fichier DICOM',
  truncated: 'le fichier est tronqué\u202f: {tag} dépasse sa fin',
  malformed: 'DICOM mal formé\u202f: {what}',
  malformed_element: 'DICOM mal formé\u202f: l’élément {tag} à l’octet {offset} est illisible',
  pixel_data_vr: 'les données de pixels ont la représentation de valeur {vr}, pas OB ni OW\u202f: les lecteurs d’images les refusent',
  unknown_photometric: 'interprétation photométrique inconnue {value}\u202f: l’image ne peut pas être affichée',
  photometric_samples: 'l’interprétation photométrique {photometric} ne correspond pas à {samples} échantillon(s) par pixel',
  unclosed_sequence: 'la séquence {tag} n’est jamais fermée (son délimiteur manque)',
  nested_too_deeply: 'séquences imbriquées sur plus de {limit} niveaux',
  too_many_elements: 'plus de {limit} attributs dans un seul fichier',
  missing_attribute: 'un attribut obligatoire manque\u202f: {names}',
  meta_instance_mismatch: 'son en-tête (File Meta Information) nomme une autre instance SOP ({meta}) que ses données ({dataset})\u202f: écrit par un émetteur défaillant, ou assemblé à partir de deux fichiers',
  meta_class_mismatch: 'son en-tête (File Meta Information) nomme une autre classe SOP ({meta}) que ses données ({dataset})\u202f: écrit par un émetteur défaillant, ou assemblé à partir de deux fichiers',
  invalid_attribute: 'valeur impossible {value} pour {tag}',
  unknown_transfer_syntax: 'syntaxe de transfert inconnue ou non prise en charge {uid}\u202f: l’image ne peut pas être décodée',
  deflate_failed: 'le jeu de données compressé (deflate) ne peut pas être décompressé',
  no_pixel_data: 'une image sans données de pixels',
  pixel_data_length: 'les données de pixels font {actual} octets alors que {rows} × {columns} pixels × {frames} trame(s) × {samples} échantillon(s) de {bitsAllocated} bits en demandent {expected}',
  encapsulated_in_native: 'les pixels sont compressés alors que le fichier les déclare non compressés ({uid})',
  native_in_encapsulated: 'les pixels ne sont pas compressés alors que le fichier déclare une syntaxe compressée ({uid})',
  fragment_count: 'les pixels compressés comptent {count} fragment(s) pour {frames} trame(s)',
  bad_offset_table: 'la table des positions des pixels compressés ne correspond pas à leurs {frames} trame(s)',
  too_many_fragments: 'les pixels compressés sont découpés en plus de {limit} fragments',
  codestream_mismatch: 'les pixels compressés sont du {found}, pas du {expected} comme le déclare le fichier ({uid})',
  codestream_unknown: 'les pixels compressés ne sont ni du {expected} comme le déclare le fichier ({uid}), ni d’aucun format connu',
  codestream_dimensions: 'l’image compressée fait {codedColumns} × {codedRows} pixels, {codedComponents} composante(s) de {codedBits} bits\u202f; le fichier déclare {columns} × {rows}, {samples} échantillon(s), {bitsStored} bits utiles sur {bitsAllocated}',
  codestream_truncated: 'l’image compressée ({format}) de la trame {frame} s’arrête avant son marqueur de fin\u202f: le fichier a été tronqué ou endommagé\u202f; demandez qu’il soit envoyé à nouveau',
  rle_segments: 'les données RLE ont {count} segment(s) alors que {samples} échantillon(s) de {bitsAllocated} bits en demandent {expected}',
  absurd_dimensions: 'taille d’image impossible\u202f: {rows} × {columns} pixels, {frames} trame(s)',
  too_large: 'trop volumineux\u202f: {size:bytes} d’attributs hors pixels (au plus {limit:bytes})',
  inspection_failed: 'n’a pas pu être vérifié (erreur de Binome\u202f: merci de la signaler)',
  uid_conflict: 'une image de même SOP Instance UID est déjà dans la bibliothèque, dans un autre examen ou pour une autre patiente\u202f: ce fichier n’a pas été importé',
  series_conflict: 'une série de même Series Instance UID appartient à un autre examen de la bibliothèque\u202f: ce fichier n’a pas été importé',
  study_conflict: 'un examen de même Study Instance UID appartient à une autre patiente de la bibliothèque\u202f: ce fichier n’a pas été importé',
  file_not_found: 'fichier ou dossier introuvable',
  path_too_long: 'le chemin est plus long que ce que le système permet\u202f: déplacez le dossier plus haut et importez-le à nouveau',
  permission_denied: 'accès refusé\u202f: ce compte ne peut pas le lire',
  read_error: 'lecture impossible (erreur système {what})',
  store_failed: 'enregistrement dans la bibliothèque impossible\u202f: {what}',
  disk_full: 'plus d’espace sur le disque de la bibliothèque',
  timeout: 'la lecture a pris plus de {seconds} s et a été interrompue',
  referenced_missing: 'listé dans le DICOMDIR mais absent du support',
  not_regular_file: 'pas un fichier ordinaire (tube, socket ou périphérique)\u202f: non ouvert',
  link_to_folder: 'lien symbolique vers un dossier\u202f: non suivi (importez le dossier lui-même)',
  link_out_of_dicomdir: 'listé dans le DICOMDIR, mais un lien symbolique de son chemin mène hors du dossier du DICOMDIR\u202f: non suivi (importez cet endroit lui-même)',
  broken_link: 'lien symbolique dont la cible est absente',
  tags_out_of_order: 'attributs dans le désordre ({tag})\u202f; l’image a été conservée',
  trailing_bytes: '{count} octets illisibles après les pixels ont été ignorés',
  pixel_data_longer: 'les données de pixels font {actual} octets pour {expected} nécessaires\u202f; le surplus a été ignoré',
};

const catalogs: Record<Locale, Record<ImportProblemCode, string>> = { en, fr };

/** Problems that are not errors: the file was imported and the reservation is shown with it. */
export const WARNING_CODES: ReadonlySet<ImportProblemCode> = new Set(['tags_out_of_order', 'trailing_bytes', 'pixel_data_longer']);

const NUMBER_LOCALES: Record<Locale, string> = { en: 'en-GB', fr: 'fr-FR' };
const numberFormats = new Map<string, Intl.NumberFormat>();

function formatNumber(locale: Locale, n: number, digits = 0): string {
  if (Number.isInteger(n) && Math.abs(n) < 10_000) return String(n); // 3328 × 2560, not 3,328 × 2,560
  const key = `${locale}/${digits}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(NUMBER_LOCALES[locale] ?? 'en-GB', { maximumFractionDigits: digits })));
  return f.format(n);
}

/** A size in binary units, as each language writes them: 1.5 GiB, 1,5 Gio. */
export function formatBytes(locale: Locale, bytes: number): string {
  const units = locale === 'fr' ? ['octets', 'Kio', 'Mio', 'Gio', 'Tio'] : ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${formatNumber(locale, value, unit === 0 ? 0 : 1)}\u00a0${units[unit]}`;
}

export function describeProblem(locale: Locale, problem: ProblemRef): string {
  const template = catalogs[locale]?.[problem.code] ?? en[problem.code] ?? problem.code;
  const params = problem.params ?? {};
  return template.replace(/\{(\w+)(?::(\w+))?\}/g, (_, name: string, format: string | undefined) => {
    if (!(name in params)) return '…';
    const value = params[name];
    if (typeof value !== 'number') return String(value);
    return format === 'bytes' ? formatBytes(locale, value) : formatNumber(locale, value);
  });
}

export function isImportProblemCode(value: unknown): value is ImportProblemCode {
  return typeof value === 'string' && (IMPORT_PROBLEM_CODES as readonly string[]).includes(value);
}
