// Every user-facing string of the renderer, in English and French. Keys are grouped by screen.
// French is written for French radiologists (the first users): terms as used in French reading rooms.

import type { Locale } from '../domain.ts';

export const en = {
  'app.title': 'Binome',
  'app.subtitle': 'Mammography reading station',
  'settings.language': 'Language',
  'settings.language.en': 'English',
  'settings.language.fr': 'Français',
  'worklist.title': 'Worklist',
  'worklist.search': 'Search patient name, ID or accession',
  'worklist.status.all': 'All statuses',
  'worklist.column.patient': 'Patient',
  'worklist.column.patientId': 'Patient ID',
  'worklist.column.examDate': 'Exam date',
  'worklist.column.views': 'Views',
  'worklist.column.images': 'Images',
  'worklist.column.status': 'Status',
  'worklist.empty': 'No exams yet. Import a folder of DICOM files, or drop files here.',
  'demo.load': 'Load demo exams',
  'demo.explain': 'Synthetic exams with priors and lesions, made on this computer: not patients, not for diagnosis.',
  'demo.generating': 'Generating demo exams: {done} of {total} images',
  'worklist.noMatch': 'No exam matches this search.',
  'worklist.count': '{shown} of {total} exams',
  'worklist.previous': 'Previous',
  'worklist.next': 'Next',
  'worklist.loading': 'Loading…',
  'status.new': 'New',
  'status.in_progress': 'In progress',
  'status.read': 'Read',
  'import.button': 'Import…',
  'import.files': 'Import files…',
  'import.pathPlaceholder': 'Folder or file path on this computer',
  'import.pathButton': 'Import path',
  'import.drop': 'Drop DICOM files or folders to import them',
  'import.progress': 'Importing: {done} of {total} files',
  'import.result': 'Imported {imported} image(s); {duplicates} duplicate(s) skipped; {rejected} file(s) rejected.',
  'import.rejected': 'Rejected: {file} — {reason}',
  'import.failed': 'Import failed: {message}',
  'import.dismiss': 'Dismiss',
  'import.unfinished': 'An import started {date} did not finish: {count} exam(s) are held back until it is completed.',
  'import.resume': 'Complete the import',
  'import.unfinishedUpload': 'Drop the same files again to complete it.',
  'exam.back': 'Worklist',
  'exam.loading': 'Opening exam…',
  'exam.notFound': 'This exam is not in the library.',
  'exam.noImages': 'This exam has no images to display.',
  'exam.forProcessingHidden': '{count} FOR PROCESSING image(s) stored but not displayed',
  'exam.otherObjects': '{count} non-image object(s) (e.g. dose reports) not displayed',
  'exam.priors': 'Other exams of this patient',
  'exam.noPriors': 'No other exam of this patient',
  'exam.markInProgress': 'Mark in progress',
  'exam.markRead': 'Mark read',
  'exam.markNew': 'Mark new',
  'exam.unknownView': 'Unknown view',
  'exam.imageError': 'This image could not be displayed: {message}',
  'exam.tools': 'Left drag: window/level · Middle drag: pan · Right drag or wheel: zoom',
  'error.generic': 'Something went wrong: {message}',
} as const;

export type MessageKey = keyof typeof en;

export const fr: Record<MessageKey, string> = {
  'app.title': 'Binome',
  'app.subtitle': 'Station de lecture de mammographie',
  'settings.language': 'Langue',
  'settings.language.en': 'English',
  'settings.language.fr': 'Français',
  'worklist.title': 'Liste de travail',
  'worklist.search': 'Rechercher nom, IPP ou n° d’accession',
  'worklist.status.all': 'Tous les statuts',
  'worklist.column.patient': 'Patiente',
  'worklist.column.patientId': 'IPP',
  'worklist.column.examDate': 'Date d’examen',
  'worklist.column.views': 'Incidences',
  'worklist.column.images': 'Images',
  'worklist.column.status': 'Statut',
  'worklist.empty': 'Aucun examen. Importez un dossier de fichiers DICOM ou déposez des fichiers ici.',
  'demo.load': 'Charger des examens de démonstration',
  'demo.explain': 'Examens synthétiques avec antériorités et lésions, créés sur cet ordinateur : pas de patientes, pas de diagnostic.',
  'demo.generating': 'Création des examens de démonstration : {done} images sur {total}',
  'worklist.noMatch': 'Aucun examen ne correspond à cette recherche.',
  'worklist.count': '{shown} examens sur {total}',
  'worklist.previous': 'Précédent',
  'worklist.next': 'Suivant',
  'worklist.loading': 'Chargement…',
  'status.new': 'Nouveau',
  'status.in_progress': 'En cours',
  'status.read': 'Lu',
  'import.button': 'Importer…',
  'import.files': 'Importer des fichiers…',
  'import.pathPlaceholder': 'Chemin d’un dossier ou d’un fichier sur cet ordinateur',
  'import.pathButton': 'Importer le chemin',
  'import.drop': 'Déposez des fichiers ou dossiers DICOM pour les importer',
  'import.progress': 'Import : {done} fichiers sur {total}',
  'import.result': '{imported} image(s) importée(s) ; {duplicates} doublon(s) ignoré(s) ; {rejected} fichier(s) refusé(s).',
  'import.rejected': 'Refusé : {file} — {reason}',
  'import.failed': 'Échec de l’import : {message}',
  'import.dismiss': 'Fermer',
  'import.unfinished': 'Un import commencé le {date} n’a pas abouti : {count} examen(s) restent en attente jusqu’à ce qu’il soit terminé.',
  'import.resume': 'Terminer l’import',
  'import.unfinishedUpload': 'Déposez à nouveau les mêmes fichiers pour le terminer.',
  'exam.back': 'Liste de travail',
  'exam.loading': 'Ouverture de l’examen…',
  'exam.notFound': 'Cet examen n’est pas dans la bibliothèque.',
  'exam.noImages': 'Cet examen ne contient aucune image à afficher.',
  'exam.forProcessingHidden': '{count} image(s) FOR PROCESSING conservée(s) mais non affichée(s)',
  'exam.otherObjects': '{count} objet(s) non image (rapports de dose, etc.) non affiché(s)',
  'exam.priors': 'Autres examens de la patiente',
  'exam.noPriors': 'Aucun autre examen de la patiente',
  'exam.markInProgress': 'Marquer en cours',
  'exam.markRead': 'Marquer lu',
  'exam.markNew': 'Marquer nouveau',
  'exam.unknownView': 'Incidence inconnue',
  'exam.imageError': 'Cette image n’a pas pu être affichée : {message}',
  'exam.tools': 'Glisser gauche : fenêtrage · Glisser milieu : déplacer · Glisser droit ou molette : zoom',
  'error.generic': 'Une erreur est survenue : {message}',
};

const catalogs: Record<Locale, Record<MessageKey, string>> = { en, fr };

export type MessageParams = Record<string, string | number>;

export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = catalogs[locale][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Dates as each locale writes them (DICOM YYYYMMDD in, display text out). */
export function formatDicomDate(locale: Locale, date: string | null): string {
  if (!date || !/^\d{8}$/.test(date)) return '—';
  const [y, m, d] = [date.slice(0, 4), date.slice(4, 6), date.slice(6, 8)];
  return locale === 'fr' ? `${d}/${m}/${y}` : `${y}-${m}-${d}`;
}

/** DICOM Person Name (Family^Given^Middle^Prefix^Suffix) as a reader expects it: FAMILY Given. */
export function formatPersonName(name: string): string {
  const [family = '', given = '', middle = ''] = name.split('=')[0]!.split('^');
  return [family.toUpperCase(), given, middle].filter(Boolean).join(' ').trim() || '—';
}
