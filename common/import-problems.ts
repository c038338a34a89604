// Why a file was not imported, or was imported with a reservation: a code and its parameters,
// which travel through the API and the database as data and become a sentence in the reader's
// language only where they are shown (the renderer, the command line). Parameters never carry
// patient data: at most tag numbers, sizes, counts and UIDs of syntaxes.

import type { Locale } from './domain.ts';

export const IMPORT_PROBLEM_CODES = [
  // not DICOM at all: skipped, not quarantined
  'not_dicom',
  // damaged or unusable DICOM: quarantined
  'no_part10_header',
  'truncated',
  'malformed',
  'missing_attribute',
  'unknown_transfer_syntax',
  'no_pixel_data',
  'pixel_data_length',
  'encapsulated_in_native',
  'native_in_encapsulated',
  'codestream_mismatch',
  'codestream_dimensions',
  'too_many_fragments',
  'absurd_dimensions',
  'too_large',
  'nested_too_deeply',
  // the file could not be read or stored
  'read_error',
  'store_failed',
  'disk_full',
  'timeout',
  'referenced_missing',
  // warnings: imported, with a reservation shown beside the image
  'tags_out_of_order',
  'trailing_bytes',
] as const;
export type ImportProblemCode = (typeof IMPORT_PROBLEM_CODES)[number];

export type ProblemParams = Record<string, string | number>;

/** A problem as data: what went wrong, and the few numbers or names that say where. */
export interface ProblemRef {
  code: ImportProblemCode;
  params?: ProblemParams;
}

const en: Record<ImportProblemCode, string> = {
  not_dicom: 'not a DICOM file',
  no_part10_header: 'DICOM data without the Part 10 file header (no "DICM" at byte 128); export it again as a DICOM file',
  truncated: 'the file is cut short: {what}',
  malformed: 'malformed DICOM: {what}',
  missing_attribute: 'a required attribute is missing: {names}',
  unknown_transfer_syntax: 'unknown transfer syntax {uid}: the pixel data cannot be decoded',
  no_pixel_data: 'an image without pixel data',
  pixel_data_length: 'the pixel data holds {actual} bytes where {rows} × {columns} pixels need {expected}',
  encapsulated_in_native: 'the pixel data is compressed although the file declares it uncompressed ({uid})',
  native_in_encapsulated: 'the pixel data is uncompressed although the file declares a compressed syntax ({uid})',
  codestream_mismatch: 'the compressed pixel data is not {expected}, as the file declares ({uid})',
  codestream_dimensions: 'the compressed image is {actual}, the file declares {expected}',
  too_many_fragments: 'the compressed pixel data is split into {count} fragments (at most {limit})',
  absurd_dimensions: 'impossible image size: {rows} × {columns} pixels, {frames} frame(s)',
  too_large: 'too large for a {what}: {size} (at most {limit})',
  nested_too_deeply: 'sequences nested too deeply to be read',
  read_error: 'could not be read: {what}',
  store_failed: 'could not be stored in the library: {what}',
  disk_full: 'no space left on the library disk',
  timeout: 'took longer than {seconds} s to read and was stopped',
  referenced_missing: 'listed in the DICOMDIR but missing from the media',
  tags_out_of_order: 'attributes are out of order ({tag}); the image was kept',
  trailing_bytes: '{count} unreadable bytes after the pixel data were ignored',
};

// French as written in French reading rooms; a narrow no-break space (U+202F) before ":".
const fr: Record<ImportProblemCode, string> = {
  not_dicom: 'pas un fichier DICOM',
  no_part10_header: 'données DICOM sans l’en-tête de fichier Part 10 (pas de «\u202fDICM\u202f» à l’octet 128)\u202f: exportez-le à nouveau en fichier DICOM',
  truncated: 'le fichier est tronqué\u202f: {what}',
  malformed: 'DICOM mal formé\u202f: {what}',
  missing_attribute: 'un attribut obligatoire manque\u202f: {names}',
  unknown_transfer_syntax: 'syntaxe de transfert inconnue {uid}\u202f: les pixels ne peuvent pas être décodés',
  no_pixel_data: 'une image sans données de pixels',
  pixel_data_length: 'les données de pixels font {actual} octets alors que {rows} × {columns} pixels en demandent {expected}',
  encapsulated_in_native: 'les pixels sont compressés alors que le fichier les déclare non compressés ({uid})',
  native_in_encapsulated: 'les pixels ne sont pas compressés alors que le fichier déclare une syntaxe compressée ({uid})',
  codestream_mismatch: 'les pixels compressés ne sont pas du {expected} comme le déclare le fichier ({uid})',
  codestream_dimensions: 'l’image compressée fait {actual}, le fichier déclare {expected}',
  too_many_fragments: 'les pixels compressés sont découpés en {count} fragments (au plus {limit})',
  absurd_dimensions: 'taille d’image impossible\u202f: {rows} × {columns} pixels, {frames} trame(s)',
  too_large: 'trop volumineux pour {what}\u202f: {size} (au plus {limit})',
  nested_too_deeply: 'séquences imbriquées trop profondément pour être lues',
  read_error: 'lecture impossible\u202f: {what}',
  store_failed: 'enregistrement dans la bibliothèque impossible\u202f: {what}',
  disk_full: 'plus d’espace sur le disque de la bibliothèque',
  timeout: 'la lecture a pris plus de {seconds} s et a été interrompue',
  referenced_missing: 'listé dans le DICOMDIR mais absent du support',
  tags_out_of_order: 'attributs dans le désordre ({tag})\u202f; l’image a été conservée',
  trailing_bytes: '{count} octets illisibles après les pixels ont été ignorés',
};

const catalogs: Record<Locale, Record<ImportProblemCode, string>> = { en, fr };

/** Problems that are not errors: the file was imported and the reservation is shown with it. */
export const WARNING_CODES: ReadonlySet<ImportProblemCode> = new Set(['tags_out_of_order', 'trailing_bytes']);

export function describeProblem(locale: Locale, problem: ProblemRef): string {
  const template = catalogs[locale][problem.code] ?? en[problem.code] ?? problem.code;
  const params = problem.params ?? {};
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : '?'));
}

export function isImportProblemCode(value: unknown): value is ImportProblemCode {
  return typeof value === 'string' && (IMPORT_PROBLEM_CODES as readonly string[]).includes(value);
}
