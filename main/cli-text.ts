// What the command line says, in English and in French: the language of the terminal (LC_ALL, then
// LC_MESSAGES, then LANG, as POSIX orders them; the system's where none is set, as on Windows), or the
// first of LANGUAGE's list that it speaks, as GNU gettext reads it (not under the C locale). A
// clinic's IT person in France reads its errors and reports in French (its option names, commands
// and codes stay as typed). The words shared with the screens (import summaries, import problems,
// model refusals, API errors) come from common/ in the same language.
import type { Locale } from '../common/domain.ts';

const localeOfTag = (tag: string): Locale | null => (/^fr([_.@-]|$)/i.test(tag) ? 'fr' : /^en([_.@-]|$)/i.test(tag) ? 'en' : null);

export function cliLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const tag = env.LC_ALL || env.LC_MESSAGES || env.LANG || Intl.DateTimeFormat().resolvedOptions().locale;
  // LANGUAGE ("de:fr:en") is a list of preferences over the locale's language; gettext ignores it
  // where the locale is C or POSIX (a script's "LC_ALL=C" asks for the untranslated texts)
  // (no locale set at all is the C locale there too, on POSIX systems)
  const unset = !env.LC_ALL && !env.LC_MESSAGES && !env.LANG && process.platform !== 'win32';
  const plain = unset || /^(C|POSIX)([_.@]|$)/i.test(tag);
  const preferred = plain ? null : (env.LANGUAGE ?? '').split(':').map((entry) => localeOfTag(entry.trim())).find((l) => l !== null);
  return preferred ?? localeOfTag(tag) ?? 'en';
}

/** A number with its decimals in the language's way (0.25, 0,25). */
export const formatDecimal = (locale: Locale, value: number, digits: number) => (locale === 'fr' ? value.toFixed(digits).replace('.', ',') : value.toFixed(digits));

export function formatBytes(locale: Locale, n: number): string {
  const [value, digits, unit] = n >= 1 << 30 ? [n / (1 << 30), 2, 'GiB'] : n >= 1 << 20 ? [n / (1 << 20), 1, 'MiB'] : [n / 1024, 0, 'KiB'];
  return `${formatDecimal(locale, value, digits)} ${locale === 'fr' ? unit.replace('B', 'o') : unit}`;
}

const NBSP = '\u202f'; // French: a narrow no-break space before : ; ! ?

const usageEn = (version: string, library: string): Record<string, string> => ({
  main: `Binome ${version} — offline mammography reading station

Usage: binome <command> [options]

Commands:
  import <path>...   import DICOM files, folders (recursively) or DICOMDIRs into the library
  list               list the exams of the worklist
  check              check the stored files against what the library recorded
  serve              serve the station on the loopback interface and print the URL to open
  receive            receive images from modalities and PACS over DICOM (C-STORE SCP) into the library
  demo               generate synthetic exams (DICOM and ground truth), optionally import them
  models             list the AI models (running, refused and why) and choose the one exams show

Options for every command:
  --library <dir>    the library folder (default: ${library})
  -h, --help         show help for a command

Run "binome <command> --help" for the options of a command. Messages are in French where the
terminal's language is (LANG=fr_FR.UTF-8), in English otherwise.`,
  import: `Usage: binome import <path>... [--library <dir>] [--read] [--quiet] [--durable] [--verbose]

Imports DICOM Part 10 files, folders (searched recursively; symbolic links to files are followed,
links to folders are not) and DICOMDIR files (their referenced files are imported). Duplicates
(same SOP Instance UID) are skipped and counted. Files that are not DICOM (notes, licences) are
skipped, and pipes, sockets and devices are never opened; damaged DICOM files, and files whose UIDs
the library holds for another exam or patient, are reported with the reason and kept in the
quarantine list, and their exams are marked incomplete; the rest imports.

  --read         mark the exams it brings in as read: earlier exams, read where they were made (a
                 woman's history from a CD or an old archive), to compare with, not to read again
  --quiet        no progress line
  --durable      flush every stored file to disk before its batch commits (slower; survives power loss)
  --verbose      list every duplicate and every rejected file (by default: the first 10)

Exit codes: 0 all imported (duplicates included), 3 some files were rejected, are missing from a DICOMDIR's media or are not files,
1 the import failed, 2 wrong usage, 130 stopped by Ctrl+C (SIGINT), 143 stopped by SIGTERM, 129 by SIGHUP: what it
stored is kept, its exams held back until the same import is run again (it says the command).`,
  list: `Usage: binome list [--library <dir>] [--search <text>] [--status new|in_progress|read] [--all] [--limit N] [--json]

Lists exams, newest first: patient, exam date, modalities, views present, image count, status.
By default only breast imaging (MG, and breast US or MR); --all lists every exam.`,
  check: `Usage: binome check [--library <dir>] [--content] [--exam ID]

Checks that every stored file of the library is there with the size recorded at import; with
--content, also re-reads each file and checks its bytes against their content address (slower).

Exit codes: 0 all files sound, 1 some files are missing or damaged, 2 wrong usage.`,
  demo: `Usage: binome demo --patients N [--priors K] [--seed S] [--size full|reduced]
                   [--transfer-syntax explicit|jpeg-ls|htj2k|j2k] [--plain] [--out <dir>] [--library <dir>]

Writes synthetic 4-view screening exams — DICOM Part 10 files (Digital Mammography X-Ray, For
Presentation) and a ground-truth.json per exam (lesions with class, size, clock position and their
boxes in each image's pixel coordinates) — deterministically for a given seed. With --library the
exams are imported into that library as well (into its demo/ folder when --out is not given).
Synthetic images: not patients, not for diagnosis.

  --patients N          number of women (default 4)
  --priors K            earlier exams per woman, 1–2 years apart (default 1)
  --seed S              the seed (default "binome")
  --size full|reduced   3328×2560 at 0.07 mm, or 832×640 at 0.28 mm (default reduced)
  --transfer-syntax T   explicit (default), jpeg-ls, htj2k or j2k: lossless compression
  --plain               no variants (by default the women cycle through: standard, MONOCHROME1 and
                        SIGMOID, stored flipped with FOR PROCESSING twins, additional views (XCCL,
                        spot, magnification) in JPEG-LS, implant with implant-displaced views in
                        JPEG 2000, priors from a second detector with another pixel spacing)
  --abnormal-rate R     share of women with a lesion in the current exam (default 0.6)
  --contrast LO,HI      lesion contrast range, 0.3 subtle … 1.5 obvious (default 0.6,1.3)`,
  models: `Usage: binome models [--library <dir>] [--show <model id>|auto] [--json]

Checks the AI models as the station does when it starts: those shipped with the application and
those in the library's models folder (where a clinic drops a model in: a folder holding model.onnx
and manifest.json). Lists the models that run (where each was installed, the provider it runs on,
its analyses in this library) and every refused folder with the reason, and says which model exams
show (score, marks, worklist triage). Analyses nothing. A running station finds a new model at its
next start.

  --show ID    exams show this model from now on (it must run here); "auto": the last found
               (the library's before the application's)
  --json       the list as JSON

Exit codes: 0 every model folder loads, 1 some folder was refused (or --show failed), 2 wrong usage.`,
  serve: `Usage: binome serve [--library <dir>] [--port N] [--no-dicom]

Serves the station (the same renderer and API as the desktop window) on http://127.0.0.1 only, with
a random token required on every request. Prints the URL to open; stop with Ctrl+C. The DICOM
receiver (C-STORE SCP) runs too, as the library's settings say (see binome receive --help).

  --port N       listen on this port (default: a free one)
  --no-dicom     no DICOM receiver in this run

Exit codes: 0 stopped, 1 could not start, or the library was taken over by Binome on another computer
(this one asleep past 3 minutes), 2 wrong usage.`,
  receive: `Usage: binome receive [--port N] [--aet TITLE] [--allow CALLING_AE ...] [--network] [--library <dir>]

Runs the station's DICOM receiver alone: a storage SCP (C-STORE, C-ECHO) for mammography, breast
tomosynthesis, Mammography CAD SR, secondary capture and dose reports, in native, JPEG lossless,
JPEG-LS, JPEG 2000 and HTJ2K transfer syntaxes. Each file is stored byte for byte as received and
flushed to disk before its C-STORE response says success, then imported (duplicates, quarantine);
an exam shows in the worklist once the association that brings it is released. Stop with Ctrl+C.

By default it uses the library's settings (those of the receiver panel: AE title BINOME, port 11112,
127.0.0.1 only, nobody allowed); the options below apply to this run only.

  --port N            listen on this port
  --aet TITLE         the station's AE title (callers must call it so)
  --allow CALLING_AE  a calling AE title allowed to send (repeat for several); anyone else is refused
  --network           listen on every network interface (default: 127.0.0.1 only)

Exit codes: 0 stopped, 1 could not listen (the port is taken: another Binome?) or the library was taken over
by Binome on another computer (this one asleep past 3 minutes), 2 wrong usage.`,
});

const usageFr = (version: string, library: string): Record<string, string> => ({
  main: `Binome ${version} — station de lecture de mammographies hors ligne

Usage${NBSP}: binome <commande> [options]

Commandes${NBSP}:
  import <chemin>...   importe dans la bibliothèque des fichiers DICOM, des dossiers (récursivement) ou des DICOMDIR
  list                 liste les examens de la liste de travail
  check                vérifie les fichiers stockés au regard de ce que la bibliothèque a enregistré
  serve                sert la station sur l’interface locale (loopback) et affiche l’URL à ouvrir
  receive              reçoit dans la bibliothèque les images des modalités et des PACS par DICOM (SCP C-STORE)
  demo                 génère des examens de synthèse (DICOM et vérité terrain), et les importe au besoin
  models               liste les modèles d’IA (en service, refusés et pourquoi) et choisit celui que montrent les examens

Options de toutes les commandes${NBSP}:
  --library <dossier>  le dossier de la bibliothèque (par défaut${NBSP}: ${library})
  -h, --help           l’aide d’une commande

«${NBSP}binome <commande> --help${NBSP}» donne les options d’une commande. Les messages sont en français quand la
langue du terminal l’est (LANG=fr_FR.UTF-8), en anglais sinon.`,
  import: `Usage${NBSP}: binome import <chemin>... [--library <dossier>] [--read] [--quiet] [--durable] [--verbose]

Importe des fichiers DICOM Part 10, des dossiers (parcourus récursivement${NBSP}; les liens symboliques vers des
fichiers sont suivis, ceux vers des dossiers ne le sont pas) et des fichiers DICOMDIR (les fichiers qu’ils
référencent sont importés). Les doublons (même SOP Instance UID) sont ignorés et comptés. Les fichiers qui ne
sont pas du DICOM (notes, licences) sont ignorés, et les tubes, sockets et périphériques ne sont jamais ouverts${NBSP};
les fichiers DICOM endommagés, et ceux dont la bibliothèque a les UID pour un autre examen ou une autre patiente,
sont signalés avec la raison et gardés dans la liste de quarantaine, et leurs examens marqués incomplets${NBSP}; le
reste est importé.

  --read         marque lus les examens qu’il apporte${NBSP}: des examens antérieurs, lus là où ils ont été faits (l’historique
                 d’une patiente sur un CD ou une ancienne archive), à comparer, non à relire
  --quiet        pas de ligne de progression
  --durable      chaque fichier stocké écrit sur le disque avant que son lot soit validé (plus lent${NBSP}; résiste à une coupure de courant)
  --verbose      liste chaque doublon et chaque fichier refusé (par défaut${NBSP}: les 10 premiers)

Codes de sortie${NBSP}: 0 tout importé (doublons compris), 3 des fichiers ont été refusés, manquent au support d’un
DICOMDIR ou ne sont pas des fichiers, 1 l’import a échoué, 2 mauvais usage, 130 arrêté par Ctrl+C (SIGINT), 143 arrêté
par SIGTERM, 129 par SIGHUP${NBSP}: ce qu’il a enregistré est gardé, ses examens retenus jusqu’à ce que le même import soit
relancé (il en donne la commande).`,
  list: `Usage${NBSP}: binome list [--library <dossier>] [--search <texte>] [--status new|in_progress|read] [--all] [--limit N] [--json]

Liste les examens, les plus récents d’abord${NBSP}: patiente, date d’examen, modalités, incidences présentes, nombre
d’images, statut. Par défaut l’imagerie du sein seule (MG, et échographie ou IRM du sein)${NBSP}; --all liste tous les examens.`,
  check: `Usage${NBSP}: binome check [--library <dossier>] [--content] [--exam ID]

Vérifie que chaque fichier stocké de la bibliothèque est là, à la taille enregistrée à l’import${NBSP}; avec --content,
relit aussi chaque fichier et compare ses octets à leur adresse de contenu (plus lent).

Codes de sortie${NBSP}: 0 tous les fichiers sont sains, 1 des fichiers manquent ou sont endommagés, 2 mauvais usage.`,
  demo: `Usage${NBSP}: binome demo --patients N [--priors K] [--seed S] [--size full|reduced]
                   [--transfer-syntax explicit|jpeg-ls|htj2k|j2k] [--plain] [--out <dossier>] [--library <dossier>]

Écrit des examens de dépistage de synthèse en 4 incidences — des fichiers DICOM Part 10 (Digital Mammography
X-Ray, For Presentation) et un ground-truth.json par examen (les lésions avec leur classe, leur taille, leur
position horaire et leurs boîtes en pixels de chaque image) — les mêmes pour une même graine. Avec --library,
les examens sont aussi importés dans cette bibliothèque (dans son dossier demo/ sans --out).
Images de synthèse${NBSP}: pas des patientes, pas pour le diagnostic.

  --patients N          nombre de femmes (4 par défaut)
  --priors K            examens antérieurs par femme, à 1–2 ans d’écart (1 par défaut)
  --seed S              la graine («${NBSP}binome${NBSP}» par défaut)
  --size full|reduced   3328×2560 à 0,07 mm, ou 832×640 à 0,28 mm (reduced par défaut)
  --transfer-syntax T   explicit (par défaut), jpeg-ls, htj2k ou j2k${NBSP}: compression sans perte
  --plain               sans variantes (par défaut les femmes passent par${NBSP}: standard, MONOCHROME1 et
                        SIGMOID, stockée retournée avec des jumelles FOR PROCESSING, incidences complémentaires
                        (XCCL, localisée, agrandie) en JPEG-LS, prothèse avec incidences d’Eklund en
                        JPEG 2000, antériorités d’un second détecteur à un autre pas de pixel)
  --abnormal-rate R     part des femmes avec une lésion dans l’examen courant (0,6 par défaut${NBSP}; 0.6 s’écrit avec un point)
  --contrast LO,HI      contraste des lésions, 0.3 subtil … 1.5 évident (0.6,1.3 par défaut)`,
  models: `Usage${NBSP}: binome models [--library <dossier>] [--show <id du modèle>|auto] [--json]

Vérifie les modèles d’IA comme la station le fait à son démarrage${NBSP}: ceux livrés avec l’application et ceux du
dossier des modèles de la bibliothèque (où une clinique dépose un modèle${NBSP}: un dossier contenant model.onnx et
manifest.json). Liste les modèles en service (où chacun a été installé, le fournisseur d’exécution sur lequel il
tourne, ses analyses dans cette bibliothèque) et chaque dossier refusé avec la raison, et dit quel modèle
montrent les examens (score, marques, tri de la liste de travail). N’analyse rien. Une station en marche trouve
un nouveau modèle à son prochain démarrage.

  --show ID    les examens montrent ce modèle désormais (il doit tourner ici)${NBSP}; «${NBSP}auto${NBSP}»${NBSP}: le dernier trouvé
               (celui de la bibliothèque avant celui de l’application)
  --json       la liste en JSON

Codes de sortie${NBSP}: 0 chaque dossier de modèle se charge, 1 un dossier a été refusé (ou --show a échoué), 2 mauvais usage.`,
  serve: `Usage${NBSP}: binome serve [--library <dossier>] [--port N] [--no-dicom]

Sert la station (la même interface et la même API que la fenêtre de l’application) sur http://127.0.0.1
seulement, un jeton aléatoire étant exigé à chaque requête. Affiche l’URL à ouvrir${NBSP}; arrêt par Ctrl+C. Le
récepteur DICOM (SCP C-STORE) tourne aussi, comme le disent les réglages de la bibliothèque (voir binome receive --help).

  --port N       écoute sur ce port (par défaut${NBSP}: un port libre)
  --no-dicom     pas de récepteur DICOM pour cette fois

Codes de sortie${NBSP}: 0 arrêté, 1 démarrage impossible, ou bibliothèque reprise par Binome sur un autre ordinateur
(celui-ci en veille plus de 3 minutes), 2 mauvais usage.`,
  receive: `Usage${NBSP}: binome receive [--port N] [--aet TITRE] [--allow AE_APPELANT ...] [--network] [--library <dossier>]

Fait tourner le récepteur DICOM de la station seul${NBSP}: un SCP de stockage (C-STORE, C-ECHO) pour la mammographie,
la tomosynthèse du sein, les SR CAD de mammographie, les captures secondaires et les rapports de dose, en syntaxes
de transfert natives, JPEG sans perte, JPEG-LS, JPEG 2000 et HTJ2K. Chaque fichier est stocké octet pour octet
tel que reçu et écrit sur le disque avant que sa réponse C-STORE dise succès, puis importé (doublons,
quarantaine)${NBSP}; un examen apparaît dans la liste de travail une fois libérée l’association qui l’apporte. Arrêt par Ctrl+C.

Par défaut il suit les réglages de la bibliothèque (ceux du panneau du récepteur${NBSP}: titre AE BINOME, port 11112,
127.0.0.1 seulement, personne d’autorisé)${NBSP}; les options ci-dessous ne valent que pour cette fois.

  --port N             écoute sur ce port
  --aet TITRE          le titre AE de la station (les appelants doivent l’appeler ainsi)
  --allow AE_APPELANT  un titre AE appelant autorisé à envoyer (à répéter pour plusieurs)${NBSP}; tout autre est refusé
  --network            écoute sur toutes les interfaces réseau (par défaut${NBSP}: 127.0.0.1 seulement)

Codes de sortie${NBSP}: 0 arrêté, 1 écoute impossible (le port est pris${NBSP}: un autre Binome${NBSP}?) ou bibliothèque reprise
par Binome sur un autre ordinateur (celui-ci en veille plus de 3 minutes), 2 mauvais usage.`,
});

type N = number;
const sFr = (count: N, ending = 's') => (count > 1 ? ending : '');

const en = {
  usage: usageEn,
  unknownCommand: (command: string) => `unknown command "${command}"`,
  runHelp: (command: string) => `Run "binome ${command}--help" for usage.`,
  importNeedsPath: 'binome import needs at least one path',
  importMarkedRead: (n: N) => (n === 1 ? '  1 exam marked read (--read)' : `  ${n} exams marked read (--read)`),
  importing: (p: { done: N; total: N; imported: N; duplicates: N; rejected: N; skipped: N; bytes: string }) =>
    `importing: ${p.done}/${p.total} files, ${p.imported} imported, ${p.duplicates} duplicates, ${p.rejected} rejected, ${p.skipped} skipped, ${p.bytes}`,
  importedInto: (exams: N, seconds: string, rate: string, bytes: string) => `  into ${exams} exam(s) in ${seconds} s (${rate} ${rate === '1' ? 'file' : 'files'}/s, ${bytes})`,
  duplicateFile: (file: string) => `  duplicate (already in the library): ${file}`,
  duplicatesHint: '  duplicates have the same SOP Instance UID as an image already in the library (--verbose lists them)',
  rejectedFile: (file: string, why: string) => `  rejected: ${file}: ${why}`,
  moreRejected: (n: N) => `  … and ${n} more rejected file(s) (--verbose lists them all)`,
  skippedFile: (file: string) => `  skipped, not DICOM: ${file}`,
  skippedHint: '  files that are not DICOM (notes, licences) were skipped (--verbose lists them)',
  incompleteExams: (n: N) => `  ${n} exam(s) lack files that were rejected: they are marked incomplete in the worklist`,
  noBreastExam: (others: N) => `No breast imaging exam here; ${others} other exam(s): binome list --all`,
  emptyWorklist: 'The worklist is empty. Import exams with: binome import <folder>',
  columns: ['ID', 'Patient', 'Patient ID', 'Exam date', 'Mod.', 'Views', 'Images', 'Status'],
  status: { new: 'new', in_progress: 'in progress', read: 'read' } as Record<string, string>,
  // rejected, missing from a DICOMDIR's media, or behind a link leading out of it: each lacks the exam
  incompleteNote: (n: N) => `incomplete: ${n} file(s) not imported`,
  sharedIdNote: 'Patient ID shared with another patient',
  moreRows: (shown: N, total: N) => `(${shown} of ${total} exams shown; use --limit or --search)`,
  unfinished: (started: string, held: N, whose: string) => `Note: an import started ${started} did not finish and holds ${held} exam(s) back${whose}; `,
  completeWith: (command: string) => `complete it with: ${command}`,
  receivedFrom: (sender: string) => `it came over the network from ${sender}: have that sender send the exam(s) again.`,
  fetchedFrom: (node: string) => `it was fetched from the PACS ${node}: it is fetched again the next time one of her exams is opened (her priors are searched at most every 5 minutes).`,
  importAgain: 'import the same files again to complete it.',
  examMustBeId: '--exam must be an exam ID (a whole number, as binome list shows it)',
  noSuchExam: (id: N) => `no exam ${id} in this library (binome list shows the exams and their IDs)`,
  unknownOption: (option: string) => `unknown option ${option}`,
  optionValue: (option: string) => `${option} needs a value (${option} VALUE)`,
  unexpectedArgument: (arg: string) => `unexpected argument ${arg} (this command takes options only)`,
  portInUse: (port: N) => `port ${port} is taken (another Binome, or another program): choose another with --port, or leave it out for a free one`,
  libraryTaken: (host: string) => `Binome on another computer or container (${host}) opened this library while this computer was not answering (asleep?): this one stops using it and ends. Use a library from one computer at a time`,
  rendererMissing: (file: string) => `the reading screens are not built (${file} is missing): run "npm run build" first`,
  statusValues: '--status must be new, in_progress or read (repeat it for several)',
  noLibrary: (folder: string) => `no library at ${folder} (binome import or binome serve makes a library where it is told)`,
  notModelId: (value: string) => `--show must be a model id (lower-case letters, digits, dots, dashes and underscores, at most 100, as binome models lists them) or auto: not "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`,
  damagedWhy: { missing: 'missing from the store', size: 'size differs from the one recorded at import', content: 'content differs from its address', codestream: 'a compressed frame ends before its end marker (cut short before it was imported)' },
  damaged: (instance: N, exam: N, why: string) => `  damaged: image ${instance} of exam ${exam}: ${why}`,
  checked: (n: N, content: boolean, damaged: N) => `Checked ${n} stored file(s)${content ? ' (size and content)' : ' (size)'}: ${damaged ? `${damaged} damaged` : 'all sound'}.`,
  modelsWhere: { application: 'the application', library: 'this library' },
  modelsHeader: (library: string, folder: string) => `AI models of the library ${library} (a model dropped into ${folder} is found at the station's next start)`,
  noModel: '  No model runs at this station.',
  shownMark: 'shown ',
  modelLine: (m: { id: string; version: string; name: string; where: string; folder: string; provider: string; done: N; waiting: N; failed: N; cancelled: N; caveat: string }) =>
    `${m.id} ${m.version} "${m.name}", in ${m.where} (${m.folder}), on ${m.provider}: ${m.done} analysed, ${m.waiting} waiting, ${m.failed} failed${m.cancelled ? `, ${m.cancelled} cancelled by a reader` : ''}${m.caveat ? ` — ${m.caveat.toLowerCase()}` : ''}`,
  modelFailures: (count: N, code: string, reason: string, detail: string | undefined) => `${count} failed: ${reason} [${code}]${detail ? ` (the last: ${detail})` : ''}`,
  providerFellBack: (provider: string, reason: string) => `${provider} could not be used here: ${reason}`,
  memorySettingIgnored: (value: string, mb: N, min: N) => `BINOME_AI_MODEL_MEMORY_MB is not a number of megabytes from ${min} (${JSON.stringify(value)}): a model's check may use ${mb} MB, the default`,
  checkRunWaiting: (seconds: N) => `a model's check is still inside a run that cannot be interrupted: waiting up to ${seconds} s for it to end (Ctrl+C ends the command now)`,
  checkRunLeft: (seconds: N) => `the model's run did not end within ${seconds} s: the command ends without it (exit status 143)`,
  modelHeld: (held: 'overran' | 'changed'): string => (held === 'overran'
    ? 'on hold: it ran past its time limit on an image; its analyses wait until that exam is analysed again and the station is started again'
    : 'on hold: its files changed while the station ran; its analyses wait until the station is started again'),
  olderAnalysed: (version: string, exams: number) => `${exams} exam(s) analysed by version ${version} of this model: analysed again under this version once the station runs, their earlier scores shown meanwhile`,
  newerAnalysed: (version: string) => `older than version ${version}, which analysed exams of this library: exams show this version's analyses, made again where it has none (the newer one's are kept, and show once it is installed again)`,
  modelField: (width: N, height: N, small: boolean) => `reads at most ${width} mm of breast from chest wall to nipple and ${height} mm from top to bottom (its fixed input): a larger one is not analysed${small ? ' (a 24 × 30 cm detector\'s field is 240 × 300 mm)' : ''}`,
  // (the folder named as a folder, with its version: "la version up de cette bibliothèque" read a folder's name as a version, a probe)
  notUsed: (id: string, version: string, folder: string, where: string, by: string, byVersion: string, byOlder: string | null) => `  not used ${id} ${version} (${folder}, in ${where}): this library's folder "${by}" (version ${byVersion}) has the same model id`
    + (byOlder ? `, and is an OLDER version (${byOlder}): remove it from the library's models folder to use ${version}` : ''),
  refusedModel: (folder: string, where: string, why: string) => `  refused ${folder} (in ${where}): ${why}`,
  showsChosen: (elsewhere: string | null) => `Exams show the chosen model${elsewhere ? ` (${elsewhere}: it does not run here, so the last found meanwhile)` : ''}.`,
  showsLast: 'Exams show the last model found (automatic; binome models --show ID chooses one).',
  showsKept: (shown: string, last: string) => `Exams show ${shown}, the model the library shows now (automatic: ${last}, found last, is shown from a station's next start; binome models --show ID chooses one).`,
  showsLastRunning: 'A station running now keeps the model it has shown since its start, until it starts again.',
  showsChosenRunning: 'A station running now shows the chosen model if it runs it: one started before the model was put in its folder shows it from its next start.',
  wholeNumber: (option: string, min: N, max: N) => `--${option} must be a whole number from ${min} to ${max}`,
  seedChars: '--seed may hold letters, digits, ".", "_" and "-" (at most 64)',
  sizeValues: '--size must be full or reduced',
  transferSyntaxValues: (names: string) => `--transfer-syntax must be one of ${names}`,
  abnormalRate: '--abnormal-rate must be between 0 and 1',
  contrast: '--contrast must be LO,HI with 0 < LO ≤ HI ≤ 3',
  demoNeedsOut: 'binome demo needs --out <dir>, --library <dir>, or both',
  generating: (done: N, total: N) => `generating: ${done}/${total} images`,
  generated: (g: { images: N; exams: N; patients: N; outDir: string; seconds: string; perExam: string; size: string; bytes: string }) =>
    `Generated ${g.images} image(s) in ${g.exams} exam(s) of ${g.patients} synthetic women into ${g.outDir} in ${g.seconds} s (${g.perExam} s per exam, ${g.size} size, ${g.bytes}).`,
  groundTruth: 'Ground truth: ground-truth.json in each exam folder; index in demo.json. Synthetic images: not patients, not for diagnosis.',
  importedIntoLibrary: (exams: N, root: string, already: N) => `  into ${exams} exam(s) of ${root}${already ? `; ${already} already there` : ''}`,
  reducedNotAnalysed: 'Reduced size: the shipped AI model does not analyse these exams (it reads pixels of 0.1 mm or finer); --size full makes exams it reads.',
  groundTruthStays: (dir: string) => `The ground truth stays in ${dir}.`,
  demoDiskFull: (dir: string) => `the disk holding ${dir} is full: the demo exams could not all be made, and what was made of those unfinished was removed; free some space and start again`,
  receiverOff: 'DICOM receiver: off (enable it in the receiver panel, or run binome receive)',
  portTaken: 'the port is taken (another Binome, or another program)',
  portDenied: 'the system does not allow this port',
  anError: 'an error',
  cannotListen: (port: N, why: string) => `DICOM receiver: could not listen on port ${port}: ${why}`,
  accepts: (callers: string) => `accepts calling AE ${callers}`,
  refusesAll: 'refuses every caller until one is allowed',
  listening: (ae: string, host: string, port: N, network: boolean, callers: string) => `DICOM receiver: AE ${ae} on ${host}:${port} (${network ? 'open to the network' : 'this computer only'}); ${callers}`,
  association: (id: N, caller: string, address: string) => `association ${id} from "${caller}" (${address})`,
  refusedBecause: { calling_ae: 'calling AE title not allowed', called_ae: (called: string) => `called AE title "${called}" is not this station's`, busy: 'too busy' },
  associationRefused: (who: string, why: string) => `${who} refused: ${why}`,
  associationEnded: (who: string, a: { state: string; received: N; bytes: string; imported: N; duplicates: N; rejected: N; failed: N }) =>
    `${who} ${a.state}: ${a.received} received (${a.bytes}), ${a.imported} imported, ${a.duplicates} duplicate(s), ${a.rejected} rejected, ${a.failed} refused C-STORE(s)` +
    (a.state === 'aborted' ? '; its exams are held back until sent again' : ''),
  portRange: (min: N) => `--port must be a number from ${min} to 65535`,
  aeTitle: (option: string) => `${option} must be an AE title: 1 to 16 printable ASCII characters, no backslash`,
  receiving: (root: string) => `Receiving into library ${root}. Press Ctrl+C to stop.`,
  serving: (root: string, url: string) => `Binome is serving library ${root}\nOpen this URL in Chromium or Chrome (it carries this run's access token):\n  ${url}\nPress Ctrl+C to stop.`,
  stopped: 'Stopped.',
  importStopped: (signal: string, files: N) => `The import was stopped (${signal}): ${files === 1 ? 'the file it stored is' : `the ${files} files it stored are`} kept in the library, nothing is lost.`,
  importStoppedEarly: (signal: string) => `The import was stopped (${signal}) before it stored anything; `,
};

export type CliText = typeof en;

const fr: CliText = {
  usage: usageFr,
  unknownCommand: (command) => `commande inconnue «${NBSP}${command}${NBSP}»`,
  runHelp: (command) => `«${NBSP}binome ${command}--help${NBSP}» en donne l’usage.`,
  importNeedsPath: `binome import demande au moins un chemin`,
  importMarkedRead: (n) => `  ${n} examen${sFr(n)} marqué${sFr(n)} lu${sFr(n)} (--read)`,
  importing: (p) => `import${NBSP}: ${p.done}/${p.total} fichiers, ${p.imported} importé${sFr(p.imported)}, ${p.duplicates} doublon${sFr(p.duplicates)}, ${p.rejected} refusé${sFr(p.rejected)}, ${p.skipped} ignoré${sFr(p.skipped)}, ${p.bytes}`,
  // (French counts a number under two as one: 1 fichier/s, 1,5 fichier/s)
  importedInto: (exams, seconds, rate, bytes) => `  dans ${exams} examen${sFr(exams)} en ${seconds}${NBSP}s (${rate} fichier${Number(rate.replace(',', '.')) < 2 ? '' : 's'}/s, ${bytes})`,
  duplicateFile: (file) => `  doublon (déjà dans la bibliothèque)${NBSP}: ${file}`,
  duplicatesHint: `  les doublons ont le même SOP Instance UID qu’une image déjà dans la bibliothèque (--verbose les liste)`,
  rejectedFile: (file, why) => `  refusé${NBSP}: ${file}${NBSP}: ${why}`,
  moreRejected: (n) => `  … et ${n} autre${sFr(n)} fichier${sFr(n)} refusé${sFr(n)} (--verbose les liste tous)`,
  skippedFile: (file) => `  ignoré, pas du DICOM${NBSP}: ${file}`,
  skippedHint: `  les fichiers qui ne sont pas du DICOM (notes, licences) ont été ignorés (--verbose les liste)`,
  incompleteExams: (n) => `  ${n} examen${sFr(n)} ${n > 1 ? 'manquent' : 'manque'} de fichiers refusés${NBSP}: ${n > 1 ? 'ils sont marqués incomplets' : 'il est marqué incomplet'} dans la liste de travail`,
  noBreastExam: (others) => `Aucun examen d’imagerie du sein ici${NBSP}; ${others} autre${sFr(others)} examen${sFr(others)}${NBSP}: binome list --all`,
  emptyWorklist: `La liste de travail est vide. Importez des examens avec${NBSP}: binome import <dossier>`,
  columns: ['ID', 'Patiente', 'ID patiente', 'Date', 'Mod.', 'Incidences', 'Images', 'Statut'],
  status: { new: 'nouveau', in_progress: 'en cours', read: 'lu' },
  incompleteNote: (n) => `incomplet${NBSP}: ${n} fichier${sFr(n)} non importé${sFr(n)}`,
  sharedIdNote: 'ID patiente partagé avec une autre patiente',
  moreRows: (shown, total) => `(${shown} examens montrés sur ${total}${NBSP}; utilisez --limit ou --search)`,
  unfinished: (started, held, whose) => `Note${NBSP}: un import commencé le ${started} ne s’est pas terminé et retient ${held} examen${sFr(held)}${whose}${NBSP}; `,
  completeWith: (command) => `terminez-le avec${NBSP}: ${command}`,
  receivedFrom: (sender) => `il est arrivé par le réseau de ${sender}${NBSP}: faites renvoyer le ou les examens par cet expéditeur.`,
  fetchedFrom: (node) => `il a été récupéré du PACS ${node}${NBSP}: il est récupéré de nouveau à la prochaine ouverture d’un de ses examens (ses antériorités sont cherchées au plus toutes les 5 minutes).`,
  importAgain: 'importez de nouveau les mêmes fichiers pour le terminer.',
  examMustBeId: `--exam doit être l’ID d’un examen (un nombre entier, tel que binome list l’affiche)`,
  noSuchExam: (id) => `aucun examen ${id} dans cette bibliothèque (binome list montre les examens et leurs ID)`,
  unknownOption: (option) => `option inconnue ${option}`,
  optionValue: (option) => `${option} demande une valeur (${option} VALEUR)`,
  unexpectedArgument: (arg) => `argument inattendu ${arg} (cette commande ne prend que des options)`,
  portInUse: (port) => `le port ${port} est pris (un autre Binome, ou un autre programme)${NBSP}: choisissez-en un autre avec --port, ou omettez-le pour un port libre`,
  libraryTaken: (host) => `Binome a ouvert cette bibliothèque sur un autre ordinateur ou conteneur (${host}) pendant que celui-ci ne répondait pas (en veille${NBSP}?)${NBSP}: celui-ci cesse de l’utiliser et s’arrête. N’utilisez une bibliothèque que depuis un ordinateur à la fois`,
  rendererMissing: (file) => `les écrans de lecture ne sont pas construits (${file} manque)${NBSP}: lancez d’abord «${NBSP}npm run build${NBSP}»`,
  statusValues: `--status vaut new, in_progress ou read (à répéter pour plusieurs)`,
  noLibrary: (folder) => `aucune bibliothèque dans ${folder} (binome import ou binome serve crée une bibliothèque là où on le lui dit)`,
  notModelId: (value) => `--show doit être l’identifiant d’un modèle (lettres minuscules, chiffres, points, tirets et tirets bas, 100 au plus, tel que binome models les liste) ou auto${NBSP}: pas «${NBSP}${value.length > 40 ? `${value.slice(0, 40)}…` : value}${NBSP}»`,
  damagedWhy: { missing: 'absent du stockage', size: 'sa taille diffère de celle enregistrée à l’import', content: 'son contenu diffère de son adresse', codestream: 'une image compressée s’arrête avant son marqueur de fin (coupée avant son import)' },
  damaged: (instance, exam, why) => `  endommagé${NBSP}: image ${instance} de l’examen ${exam}${NBSP}: ${why}`,
  checked: (n, content, damaged) => `${n} fichier${sFr(n)} stocké${sFr(n)} vérifié${sFr(n)}${content ? ' (taille et contenu)' : ' (taille)'}${NBSP}: ${damaged ? `${damaged} endommagé${sFr(damaged)}` : 'tous sains'}.`,
  modelsWhere: { application: 'l’application', library: 'cette bibliothèque' },
  modelsHeader: (library, folder) => `Modèles d’IA de la bibliothèque ${library} (un modèle déposé dans ${folder} est trouvé au prochain démarrage de la station)`,
  noModel: '  Aucun modèle ne tourne sur cette station.',
  shownMark: 'affiché', // the AI models panel's word for it
  modelLine: (m) => `${m.id} ${m.version} «${NBSP}${m.name}${NBSP}», dans ${m.where} (${m.folder}), sur ${m.provider}${NBSP}: ${m.done} analysé${sFr(m.done)}, ${m.waiting} en attente, ${m.failed} en échec${m.cancelled ? `, ${m.cancelled} annulé${sFr(m.cancelled)} par un lecteur` : ''}${m.caveat ? ` — ${m.caveat}` : ''}`,
  modelFailures: (count, code, reason, detail) => `${count} en échec${NBSP}: ${reason} [${code}]${detail ? ` (le dernier${NBSP}: ${detail})` : ''}`,
  providerFellBack: (provider, reason) => `${provider} n’a pas pu servir ici${NBSP}: ${reason}`,
  memorySettingIgnored: (value, mb, min) => `BINOME_AI_MODEL_MEMORY_MB n’est pas un nombre de mégaoctets à partir de ${min} (${JSON.stringify(value)})${NBSP}: la vérification d’un modèle peut prendre ${mb}${NBSP}Mo, la valeur par défaut`,
  checkRunWaiting: (seconds) => `la vérification d’un modèle est encore dans un calcul qui ne peut être interrompu${NBSP}: attente de sa fin, ${seconds}${NBSP}s au plus (Ctrl+C termine la commande tout de suite)`,
  checkRunLeft: (seconds) => `le calcul du modèle ne s’est pas terminé en ${seconds}${NBSP}s${NBSP}: la commande se termine sans lui (code de sortie 143)`,
  modelHeld: (held) => (held === 'overran'
    ? `suspendu${NBSP}: il a dépassé son temps limite sur une image${NBSP}; ses analyses attendent que cet examen soit analysé à nouveau et que la station redémarre`
    : `suspendu${NBSP}: ses fichiers ont changé pendant que la station tournait${NBSP}; ses analyses attendent que la station redémarre`),
  olderAnalysed: (version, exams) => `${exams}${NBSP}examen(s) analysé(s) par la version ${version} de ce modèle${NBSP}: analysés à nouveau par cette version quand la station tourne, leurs scores d’avant affichés entre-temps`,
  newerAnalysed: (version) => `plus ancien que la version ${version}, qui a analysé des examens de cette bibliothèque${NBSP}: les examens montrent les analyses de cette version-ci, refaites là où elle n’en a pas (celles de la plus récente sont gardées, et s’affichent si elle est réinstallée)`,
  modelField: (width, height, small) => `lit au plus ${width}${NBSP}mm de sein de la paroi thoracique au mamelon et ${height}${NBSP}mm de haut en bas (son entrée fixe)${NBSP}: un sein plus grand n’est pas analysé${small ? ` (le champ d’un détecteur 24${NBSP}×${NBSP}30${NBSP}cm est de 240${NBSP}×${NBSP}300${NBSP}mm)` : ''}`,
  notUsed: (id, version, folder, where, by, byVersion, byOlder) => `  non utilisé ${id} ${version} (${folder}, dans ${where})${NBSP}: le dossier «${NBSP}${by}${NBSP}» (version ${byVersion}) de cette bibliothèque a le même identifiant de modèle`
    + (byOlder ? `, et c’est une version PLUS ANCIENNE (${byOlder})${NBSP}: retirez-la du dossier des modèles de la bibliothèque pour utiliser la ${version}` : ''),
  refusedModel: (folder, where, why) => `  refusé ${folder} (dans ${where})${NBSP}: ${why}`,
  showsChosen: (elsewhere) => `Les examens montrent le modèle choisi${elsewhere ? ` (${elsewhere}${NBSP}: il ne tourne pas ici, donc entre-temps le dernier trouvé)` : ''}.`,
  showsLast: `Les examens montrent le dernier modèle trouvé (automatique${NBSP}; binome models --show ID en choisit un).`,
  showsKept: (shown, last) => `Les examens montrent ${shown}, le modèle que la bibliothèque montre maintenant (automatique${NBSP}: ${last}, trouvé en dernier, est montré à partir du prochain démarrage d’un poste${NBSP}; binome models --show ID en choisit un).`,
  showsLastRunning: 'Un poste déjà démarré garde le modèle qu’il montre depuis son démarrage, jusqu’à son prochain démarrage.',
  showsChosenRunning: 'Un poste déjà démarré montre le modèle choisi s’il le fait tourner\u202f: démarré avant que le modèle soit mis dans son dossier, il le montre à partir de son prochain démarrage.',
  wholeNumber: (option, min, max) => `--${option} doit être un nombre entier de ${min} à ${max}`,
  seedChars: `--seed peut contenir des lettres, des chiffres, «${NBSP}.${NBSP}», «${NBSP}_${NBSP}» et «${NBSP}-${NBSP}» (64 au plus)`,
  sizeValues: '--size vaut full ou reduced',
  transferSyntaxValues: (names) => `--transfer-syntax vaut l’un de ${names}`,
  abnormalRate: `--abnormal-rate doit être entre 0 et 1 (écrit avec un point${NBSP}: 0.5)`,
  contrast: `--contrast s’écrit LO,HI avec 0 < LO ≤ HI ≤ 3 (décimales avec un point${NBSP}: 0.6,1.3)`,
  demoNeedsOut: `binome demo demande --out <dossier>, --library <dossier>, ou les deux`,
  generating: (done, total) => `génération${NBSP}: ${done}/${total} images`,
  generated: (g) => `${g.images} image${sFr(g.images)} générée${sFr(g.images)} en ${g.exams} examen${sFr(g.exams)} de ${g.patients} femme${sFr(g.patients)} de synthèse dans ${g.outDir} en ${g.seconds}${NBSP}s (${g.perExam}${NBSP}s par examen, taille ${g.size === 'full' ? 'complète' : 'réduite'}, ${g.bytes}).`,
  groundTruth: `Vérité terrain${NBSP}: ground-truth.json dans le dossier de chaque examen${NBSP}; index dans demo.json. Images de synthèse${NBSP}: pas des patientes, pas pour le diagnostic.`,
  importedIntoLibrary: (exams, root, already) => `  dans ${exams} examen${sFr(exams)} de ${root}${already ? `${NBSP}; ${already} déjà là` : ''}`,
  reducedNotAnalysed: `Taille réduite${NBSP}: le modèle d’IA livré n’analyse pas ces examens (il lit des pixels de 0,1 mm ou plus fins)${NBSP}; --size full fait des examens qu’il lit.`,
  groundTruthStays: (dir) => `La vérité terrain reste dans ${dir}.`,
  demoDiskFull: (dir) => `le disque qui porte ${dir} est plein${NBSP}: les examens de démonstration n’ont pas tous pu être faits, et ce qui avait été fait des examens inachevés a été retiré${NBSP}; libérez de la place et relancez`,
  receiverOff: `Récepteur DICOM${NBSP}: arrêté (activez-le dans le panneau du récepteur, ou lancez binome receive)`,
  portTaken: 'le port est pris (un autre Binome, ou un autre programme)',
  portDenied: 'le système n’autorise pas ce port',
  anError: 'une erreur',
  cannotListen: (port, why) => `Récepteur DICOM${NBSP}: écoute impossible sur le port ${port}${NBSP}: ${why}`,
  accepts: (callers) => `accepte l’AE appelant ${callers}`,
  refusesAll: 'refuse tout appelant tant qu’aucun n’est autorisé',
  listening: (ae, host, port, network, callers) => `Récepteur DICOM${NBSP}: AE ${ae} sur ${host}:${port} (${network ? 'ouvert au réseau' : 'cet ordinateur seulement'})${NBSP}; ${callers}`,
  association: (id, caller, address) => `association ${id} de «${NBSP}${caller}${NBSP}» (${address})`,
  refusedBecause: { calling_ae: 'titre AE appelant non autorisé', called_ae: (called) => `le titre AE appelé «${NBSP}${called}${NBSP}» n’est pas celui de la station`, busy: 'trop occupée' },
  associationRefused: (who, why) => `${who} refusée${NBSP}: ${why}`,
  associationEnded: (who, a) => `${who} ${a.state === 'aborted' ? 'interrompue' : a.state === 'released' ? 'libérée' : a.state}${NBSP}: ${a.received} reçu${sFr(a.received)} (${a.bytes}), ${a.imported} importé${sFr(a.imported)}, ${a.duplicates} doublon${sFr(a.duplicates)}, ${a.rejected} refusé${sFr(a.rejected)}, ${a.failed} C-STORE refusé${sFr(a.failed)}` +
    (a.state === 'aborted' ? `${NBSP}; ses examens sont retenus jusqu’à un nouvel envoi` : ''),
  portRange: (min) => `--port doit être un nombre de ${min} à 65535`,
  aeTitle: (option) => `${option} doit être un titre AE${NBSP}: 1 à 16 caractères ASCII imprimables, sans barre oblique inverse`,
  receiving: (root) => `Réception dans la bibliothèque ${root}. Ctrl+C pour arrêter.`,
  serving: (root, url) => `Binome sert la bibliothèque ${root}\nOuvrez cette URL dans Chromium ou Chrome (elle porte le jeton d’accès de cette exécution)${NBSP}:\n  ${url}\nCtrl+C pour arrêter.`,
  stopped: 'Arrêté.',
  importStopped: (signal, files) => `L’import a été arrêté (${signal})${NBSP}: ${files === 1 ? 'le fichier qu’il a enregistré est gardé' : `les ${files} fichiers qu’il a enregistrés sont gardés`} dans la bibliothèque, rien n’est perdu.`,
  importStoppedEarly: (signal) => `L’import a été arrêté (${signal}) avant d’avoir rien enregistré${NBSP}; `,
};

export const CLI_TEXT: Record<Locale, CliText> = { en, fr };
