// The model contract: a model is a folder holding `model.onnx` and `manifest.json`, which says what
// the model is for and its limits, what it must be given (which images, which way the breast faces,
// which pixels, how large), what it gives back (heatmaps and/or boxes, in which pixels, of which
// classes; its scores and their scale), how its scores were calibrated, what it was trained and
// validated on, and the checksum of its file. A clinic drops in a vendor's or a research model by
// writing one; the station refuses a folder whose manifest, checksum or tensors disagree
// (main/ai/model-package.ts). The fields follow ../shared/notes/ai-anchors.md §2.5.

import { z } from 'zod';
import { rectifyConfusion } from 'unicode-confusables';
import { LOCALES } from '../domain.ts';
import type { Locale } from '../domain.ts';

/**
 * The contract's newest version. 1.1 added `input.padding` and `input.crop`: a manifest using them
 * says 1.1, so that a station of contract 1.0 (whose schema dropped keys it did not know) refuses it
 * rather than give the model an input it was not made for. 1.2 added `output.twoView` (its scores
 * weighed across the breast's two views by the station): a station of an older contract refuses such
 * a manifest rather than show scores its operating points were not calibrated on. 1.3 added
 * `calibration.examOperatingPoint` (the exam score at which the worklist flags an exam, apart from
 * where marks are drawn). 1.4 added `intendedUse.implants` (what the model does with images of a
 * breast with an implant: read them, read them with a caveat the strip says, or leave them to the
 * reader). 1.5 added `intendedUse.implants.translations` (that caveat in the station's other
 * languages). 1.6 added `datasetTranslations` to the operating points (what they were measured on,
 * in the station's other languages). Older manifests are read as before.
 */
export const MODEL_CONTRACT_VERSION = '1.6';
const CONTRACT_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', MODEL_CONTRACT_VERSION] as const;
const NEEDS_1_1 = "input.padding and input.crop are contract 1.1: contractVersion '1.1' (a station of contract 1.0 would read the model without them)";
const NEEDS_1_2 = "output.twoView is contract 1.2: contractVersion '1.2' (a station of an older contract would show scores not weighed across views)";
const NEEDS_1_3 = "calibration.examOperatingPoint is contract 1.3: contractVersion '1.3' (a station of an older contract would flag exams at the marks' operating point)";
const NEEDS_1_4 = "intendedUse.implants is contract 1.4: contractVersion '1.4' (a station of an older contract would read images with an implant as any other, without a word)";
const NEEDS_1_5 = "intendedUse.implants.translations is contract 1.5: contractVersion '1.5' (a station of an older contract would refuse the manifest)";
const NEEDS_1_6 = "datasetTranslations is contract 1.6: contractVersion '1.6' (a station of an older contract would refuse the manifest)";
const OFF_SCALE = 'a threshold on the score scale (output.scoreScale, from min to max)';
const EXAM_AT_MIN = 'above the score scale\'s minimum (output.scoreScale.min): there, every exam would be flagged';
const EXAM_UNDER_MARKS = 'at or above the lowest operating point\'s threshold: the exam score is its best mark\'s (no image score read, output.breastScore "max-over-findings"), and marks are kept from the lowest operating point up';
const PRESENTATION_ONLY = '["FOR PRESENTATION"]: the station analyses the images the reader sees, and shows the marks on them';
const SIGMOID_SCALE = 'from 0 to 1 (min 0, max 1): output.heatmap.activation "sigmoid" gives scores from 0 to 1';
const EACH_ONCE = 'each value once';
const eachOnce = (values: readonly unknown[]) => new Set(values).size === values.length;
const VERSION_LENGTH = 'at most 64 characters';
const ONE_OUTPUT_PER_CLASS = 'classes the heatmap does not mark: a class marked by both outputs would be marked twice on each lesion';
/** Whether a threshold lies on the score's scale. */
const onScale = (threshold: number, scale: { min: number; max: number }) => threshold >= scale.min && threshold <= scale.max;
/** A contract version's rank, to say "this version or a later one". */
const contractRank = (version: string) => CONTRACT_VERSIONS.indexOf(version as (typeof CONTRACT_VERSIONS)[number]);

/** What a finding is: the four classes of a screening reading (BI-RADS lexicon). */
export const FINDING_CLASSES = ['mass', 'calcification', 'architectural_distortion', 'asymmetry'] as const;
export type FindingClass = (typeof FINDING_CLASSES)[number];

/** Execution providers, in the order a platform would try them; 'cpu' is everywhere. */
export const EXECUTION_PROVIDERS = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/**
 * Whether an image's score is the model's own image score output (breastScore "max-over-views": the
 * breast's score its views' best image score), rather than its best finding's ("max-over-findings",
 * or no image score given). The analysis reads it so, and the contract's rules follow it.
 */
export function readsImageScore(output: { imageScore?: unknown; breastScore: 'max-over-findings' | 'max-over-views' }): boolean {
  return Boolean(output.imageScore) && output.breastScore === 'max-over-views';
}

/** A provider as an IT person names it ("cpu" read as a code in the models panel: a probe); another name as it is. */
export function providerLabel(provider: string): string {
  return ({ cuda: 'CUDA (NVIDIA)', dml: 'DirectML', coreml: 'Core ML', cpu: 'CPU' } as Record<string, string>)[provider] ?? provider;
}

const tensorName = z.string().min(1).max(128);
/**
 * Characters a manifest's text may not hold, and that a refusal writes as <U+…>: controls; the
 * bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E–F, U+202A–E, U+2066–9);
 * the line and paragraph separators (U+2028–9), which break a log's line; the invisible zero-width
 * ones and the byte order mark (U+200B–D, U+FEFF), which make two names that look alike differ (a
 * probe passed U+061C, U+2028, U+200B and U+FEFF); and every other format character or character
 * that shows as nothing (Unicode's Cf and Default_Ignorable_Code_Point: soft hyphen, word joiners,
 * Hangul fillers, tag characters, U+206A–F; probes named models U+3164 and U+E0041, and put U+206A
 * between sixty accents to pass the rule on accents).
 */
const UNSHOWABLE_CLASS = '\\p{Cc}\\p{Cf}\\p{Cs}\\p{Default_Ignorable_Code_Point}\\u2028\\u2029';

/**
 * Text the station shows (the model's name beside its marks, its limits, its data sets), and writes
 * into DICOM (the CAD SR's algorithm name): no control characters, which a terminal or a log would
 * obey, and no bidirectional formatting characters, which turn the text after them around (a name
 * ending in U+202E would show the version beside it backwards: 1.0.0 as 0.0.1).
 */
const shownText = (max: number) => z.string().min(1).max(max)
  .regex(new RegExp(`^[^${UNSHOWABLE_CLASS}]*$`, 'u'), 'no control, bidirectional formatting or invisible characters')
  // a name of spaces alone (no-break ones too) shows as nothing; sixty accents on one letter run over the lines around it
  .regex(/[\p{L}\p{N}]/u, 'a letter or a digit, not only spaces or marks')
  .regex(/^(?!.*\p{M}{5})/su, 'at most four accents or marks on one character');
/**
 * A name the reader tells models and operating points apart by, in plain letters of one script a
 * word (after Unicode's mixed-script detection, UTS #39, "highly restrictive", as browsers apply it
 * to domain names): a word with Latin letters holds no other script's but the Chinese, Japanese and
 * Korean ones written with them; none mixes Greek and Cyrillic; and no letter is a compatibility
 * form (mathematical, fullwidth, ligature: NFKC changes it). A model named
 * "Binome synth\u0435tic-exam detector" (a Cyrillic е) passed as the shipped one beside it, on its
 * marks and in its CAD SR (a probe); then an Armenian օ, a Coptic ⲟ, a Lisu ꓐ and a mathematical 𝖾 (a re-probe).
 */
const LATIN = /\p{Script=Latin}/u;
// (letters of no one script, Common or Inherited, go with any: UTS #39 counts them in every script; the
// ʻokina of "Hawaiʻi" was said to mix scripts, a re-probe)
const NOT_LATIN_COMPANION = /[^\P{L}\p{Script=Latin}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\p{Script=Common}\p{Script=Inherited}]/u;
const oneScriptPerWord = (text: string) => text.split(/[^\p{L}\p{M}]+/u).every((word) =>
  !(LATIN.test(word) && NOT_LATIN_COMPANION.test(word)) && !(/\p{Script=Greek}/u.test(word) && /\p{Script=Cyrillic}/u.test(word)));
const shownName = (max: number) => shownText(max)
  .refine(oneScriptPerWord, 'no word mixing the letters of several scripts (look-alike letters pass one name off as another)')
  .refine((text) => text.replace(/\s/gu, ' ').normalize('NFKC') === text.replace(/\s/gu, ' ').normalize('NFC'), 'plain letters and digits, not mathematical, fullwidth or ligature forms (they pass one name off as another)')
  // small capitals, IPA and phonetic letters: Latin letters of no language's spelling that NFKC
  // leaves as they are ("ᴅetector" passed as the shipped model's "detector", a vendor's probe). UTS #39
  // calls them Restricted; its Identifier_Status table is not at hand, these blocks are. (Modifier
  // letters are spelling: Hawaiʻi's ʻokina, a re-probe; comparableName passes over them.)
  .regex(/^[^\u0250-\u02AF\u1D00-\u1DBF\u2C60-\u2C7F\uA720-\uA7FF\uAB30-\uAB6F]*$/u, 'no small capitals or phonetic letters (they pass one name off as another)');
/** A dimension: a fixed size, or a name for one the station sets (a dynamic axis). */
const dimension = z.union([z.number().int().positive(), z.string().regex(/^[A-Za-z_][\w]*$/)]);
const findingClasses = z.array(z.enum(FINDING_CLASSES)).min(1).refine((c) => new Set(c).size === c.length, 'a class is named twice');

/**
 * A name as two names are compared, by what the eye reads: in any case; each character as the one it
 * is confusable with (Unicode's skeleton, UTS #39: "Віnоmе" in Cyrillic and "Binome" read alike, and
 * so do "rn" and "m", "ı" and "i"); its letters and digits only, without their accents (a hyphen, a
 * dash, a full stop, a run of spaces or an accent is a look the eye passes over). Two spaces passed a
 * model off as the shipped one, then a dotless ı, a U+2010 hyphen, an en dash and a final full stop (a vendor's probes).
 */
export function comparableName(name: string): string {
  // accents off first: the skeleton maps a plain I to l, and "Í", "Ï" or "İ" it leaves alone, so
  // "Bínome" read apart from "Binome" (a re-probe)
  const bare = (text: string) => text.normalize('NFKD').replace(/\p{M}+/gu, '');
  const skeleton = (text: string) => bare(rectifyConfusion(text));
  // the skeleton is of one case: upper case first ("Віnоmе" lower-cased has a в, whose prototype is a
  // small capital, not a b), then lower case ("rn" and "m" are confused in lower case only)
  return skeleton(skeleton(bare(bare(name.normalize('NFKC')).toUpperCase())).toLowerCase()).replace(/[^\p{L}\p{N}]+|\p{Lm}+/gu, '');
}

/**
 * `dataset` in the station's languages, by language code (`{ "fr": "…" }`), shown to a reader of that
 * language; `dataset` to the others (a French reader's settings said what the operating points were
 * measured on in English: a probe). Contract 1.6.
 */
const datasetTranslations = () => z.strictObject(Object.fromEntries(LOCALES.map((locale) => [locale, shownText(500).optional()])) as Record<Locale, z.ZodOptional<ReturnType<typeof shownText>>>).optional();

const operatingPoint = z.strictObject({
  name: shownName(64).regex(/^\S(?:.*\S)?$/su, 'no space at either end'),
  threshold: z.number(),
  /** What it achieved, and on what: at least one figure. */
  sensitivity: z.number().min(0).max(1).optional(),
  specificity: z.number().min(0).max(1).optional(),
  falseMarksPerImage: z.number().min(0).optional(),
  dataset: shownText(500),
  datasetTranslations: datasetTranslations(),
}).refine((p) => p.sensitivity !== undefined || p.specificity !== undefined || p.falseMarksPerImage !== undefined,
  'an operating point says what it achieved (sensitivity, specificity or false marks per image)');

/**
 * Where the worklist flags an exam (its exam score at or above `threshold`), chosen on an exam's
 * specificity rather than on false marks per image: marks drawn at 0.5 false marks per image put at
 * least one on most normal exams (four or five images each), so flagging exams there flagged most of
 * them (a probe: 5 of 6 normal exams). As a screening programme sets its recall rate, and as the
 * vendors set their case thresholds (ai-anchors.md §2.3): `specificity` is the share of normal exams
 * under it, `sensitivity` the share of exams with a lesion at or above it, on `dataset`.
 */
const examOperatingPoint = z.strictObject({
  threshold: z.number(),
  specificity: z.number().min(0).max(1),
  sensitivity: z.number().min(0).max(1),
  dataset: shownText(500),
  datasetTranslations: datasetTranslations(),
});

/** A model's identifier: reverse-domain or plain, stable across its versions. */
export const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, dots, dashes and underscores');

const ONE_IMAGE = 'one image at a time: the shape is N, C, H, W with N = 1 (or a name), or C, H, W';
const CHANNELS = 'one or three channels, before the height and width (N, C, H, W or C, H, W): 1, grey levels; 3, the same grey levels in each (as a network pretrained on colour photographs takes them)';
const PER_CHANNEL = 'a mean and a standard deviation for each channel of input.tensor.shape (or one number for all)';
const MONOCHROME1_INVERTED = 'true: the station always shows MONOCHROME1 images inverted, air dark, as the reader sees them';
const VALUES_01 = "'float01': the station gives values from 0 (air) to 1 (the brightest), before normalisation";
const PAD_VALUE = "from 0 to 1, the pipeline's scale (ultralytics' grey 114 is 114/255 = 0.447)";
const SIZE_UNKNOWN = 'a model that takes any pixel size (spacingMm null) takes a fixed matrix (size.mode fixed): padded to a multiple, the input would have no size';
const FLOAT32_ONLY = '"float32": the station gives a model 32-bit floats; a model made for float16 (or another type) takes them where its graph casts its input (a Cast node) or exported with a float32 input';
const SIZES_DISAGREE = 'the height and width of the shape disagree with input.size (a fixed size: those numbers, or names; padded: names, the size varies with the image)';

/**
 * An input tensor's shape: N, C, H, W with N = 1 or a name, or C, H, W (one image without the batch axis, as
 * torchvision's detectors take it); C is 1 (grey levels) or 3 (the same grey levels in each).
 */
const inputShape = z.array(dimension).min(3).max(4).superRefine((shape, context) => {
  const batched = shape.length === 4;
  // a name for the batch axis is fine (torch.onnx.export's dynamic_axes names it so): the station sends one image
  if (batched && shape[0] !== 1 && typeof shape[0] !== 'string') context.addIssue({ code: 'custom', message: ONE_IMAGE, path: [0] });
  const channels = shape[batched ? 1 : 0];
  if (channels !== 1 && channels !== 3) context.addIssue({ code: 'custom', message: CHANNELS, path: [batched ? 1 : 0] });
});

/** The axes of a valid input shape: with or without the batch axis, its channels, height and width. */
export function inputAxes(shape: readonly (number | string)[]): { batched: boolean; channels: 1 | 3; height: number | string; width: number | string } {
  const at = shape.length - 3;
  return { batched: at === 1, channels: shape[at] as 1 | 3, height: shape[at + 1]!, width: shape[at + 2]! };
}

/**
 * Whether the tensor's height and width say what input.size says: the station sends tensors of the
 * size input.size gives, so a shape fixed at another size (or fixed at all, where the size varies)
 * would load, then fail every image of every exam.
 */
function sizesAgree(size: { mode: 'fixed'; height: number; width: number } | { mode: 'pad-to-multiple' }, shape: readonly (number | string)[]): boolean {
  if (shape.length < 3) return true;
  const { height, width } = inputAxes(shape);
  if (size.mode === 'pad-to-multiple') return typeof height === 'string' && typeof width === 'string';
  return (typeof height === 'string' || height === size.height) && (typeof width === 'string' || width === size.width);
}

/** Whether a mean-std normalisation gives one number, or one per channel of the tensor. */
function perChannel(normalize: { type: string; mean?: number | number[]; std?: number | number[] }, channels: number): boolean {
  const fits = (v: number | number[] | undefined) => v === undefined || typeof v === 'number' || v.length === channels;
  return fits(normalize.mean) && fits(normalize.std);
}

/** The channels of a manifest's input tensor, and its mean-std normalisation (if any) for each of them. */
export function inputChannels(input: Pick<ModelManifest['input'], 'tensor' | 'normalize'>): { count: 1 | 3; meanStd: { mean: number; std: number }[] | null } {
  const count = inputAxes(input.tensor.shape).channels;
  const n = input.normalize;
  if (n.type !== 'mean-std') return { count, meanStd: null };
  const at = (v: number | number[], c: number) => (typeof v === 'number' ? v : v[c]!);
  return { count, meanStd: Array.from({ length: count }, (_, c) => ({ mean: at(n.mean, c), std: at(n.std, c) })) };
}

// Every object but the manifest itself is strict: a misspelt optional key (`pading` for `padding`)
// would otherwise be dropped without a word, and the model given an input it was not made for (its
// marks hundreds of pixels off: a probe). At the top level every key is required, so a misspelt one
// is refused as missing; other keys there (a `$schema`, a description) are let be, but not a key of one
// of its sections (misplacedTopLevelKeys, checked where a manifest is read: main/ai/model-package.ts).
/** semver.org's own pattern: major.minor.patch, an optional pre-release and build metadata. */
const SEMANTIC_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

export const modelManifestSchema = z.object({
  contractVersion: z.enum(CONTRACT_VERSIONS),
  id: modelIdSchema,
  name: shownName(200),
  // semantic versioning 2.0.0's grammar: its numbers have no leading zero, in the pre-release too (02.0.0
  // and 2.0.0 read as one version, and the later folder's was used, a probe; 1.0.0-rc.01 and -rc.1 too)
  // bounded: it goes out with every finding of the CAD SR and every AI result (a probe's 400,000-character version made each SR 2.8 MB)
  version: z.string().max(64, VERSION_LENGTH).regex(SEMANTIC_VERSION, 'a version such as 1.2.0'),
  /** SHA-256 of model.onnx, lower-case hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hexadecimal digits'),
  intendedUse: z.strictObject({
    purpose: z.enum(['research-demo', 'detection', 'diagnosis-aid', 'triage']),
    /** What it must not be used for, each said plainly. */
    // bounded: the limits go out with every exam's AI results (a probe's 1,800 limits made a 900 KB manifest)
    limits: z.array(shownText(500)).min(1).max(20),
    notForDiagnosticUse: z.boolean(),
    /**
     * Images of a breast with an implant (Breast Implant Present YES): 'analysed' as any other (the
     * default); 'caveat', analysed, and `note` said in the AI strip of every exam with an implant
     * (what its validation found there); 'not-analysed', left to the reader, but for the
     * implant-displaced (Eklund, ID) views, which show the tissue with the implant pushed back.
     */
    implants: z.strictObject({
      use: z.enum(['analysed', 'caveat', 'not-analysed']),
      note: shownText(300).optional(),
      /**
       * The note in the station's languages, by language code (`{ "fr": "…" }`), said to a reader of
       * that language; `note` to the others (a French reader was told the shipped model's caveat in
       * English, in an otherwise French strip: a probe). Contract 1.5.
       */
      translations: z.strictObject(Object.fromEntries(LOCALES.map((locale) => [locale, shownText(300).optional()])) as Record<Locale, z.ZodOptional<ReturnType<typeof shownText>>>).optional(),
    }).refine((i) => i.use !== 'caveat' || i.note !== undefined, { message: 'a caveat says what it is (note)', path: ['note'] })
      .refine((i) => i.translations === undefined || i.note !== undefined, { message: 'translations of a note (note)', path: ['translations'] }).optional(),
  }),
  training: z.strictObject({
    /** What the images were: synthetic (generated), real, or both. */
    data: z.enum(['synthetic', 'real', 'mixed']),
    trainedOn: shownText(1000),
    validatedOn: shownText(1000),
  }),
  input: z.strictObject({
    // the images the reader sees, and no other: a model reading FOR PROCESSING images scored and flagged
    // exams from images no viewer shows, its marks on none of hers (a probe)
    presentationIntent: z.array(z.enum(['FOR PRESENTATION', 'FOR PROCESSING'])).min(1).refine((intents) => !intents.includes('FOR PROCESSING'), PRESENTATION_ONLY)
      .refine(eachOnce, EACH_ONCE),
    // a list that names a value twice was written by hand or by a faulty tool: said, not let by
    views: z.array(z.enum(['CC', 'MLO', 'ML', 'LM', 'XCCL', 'XCCM'])).min(1).refine(eachOnce, EACH_ONCE),
    /** The station flips each image so that the breast points this way (its chest wall on the other side). */
    faceDirection: z.enum(['left', 'right']),
    pixels: z.strictObject({
      /**
       * 'dicom-default': the image's first window (with its VOI LUT function), as a reader first sees it.
       * 'none': the frame's own range after the Modality LUT, its smallest value 0 and its largest 1
       * (a stretch per image: not the stored values over 2^Bits Stored).
       */
      voi: z.enum(['dicom-default', 'none']),
      // what the station makes, said by the manifest so that a model made for something else is
      // refused rather than given it: MONOCHROME1 always inverted (air dark), values 0 to 1
      invertMonochrome1: z.literal(true, MONOCHROME1_INVERTED),
      range: z.literal('float01', VALUES_01),
    }),
    /**
     * Millimetres per model pixel (at the detector), or null where the model takes a fixed matrix
     * whatever the spacing. At least 0.025 mm (finer than any mammography detector: a finer grid only
     * enlarges the image, and at 0.001 mm one breast would be billions of pixels).
     */
    spacingMm: z.number().min(0.025).max(2).nullable(),
    /**
     * The coarsest pixel (in the breast plane, mm) of an image the model reads, where it was made and
     * validated for finer ones: a coarser image (a reduced copy, a detector of larger pixels) is not
     * analysed, and the viewer says why, rather than marks from pixels the model never saw (resampled
     * 0.28 mm images gave the shipped model four times its false marks). Absent: any.
     */
    maxSourceSpacingMm: z.number().min(0.025).max(2).optional(),
    /**
     * The tensor's height and width: fixed, or the image (after resampling) padded to a multiple.
     * Either way padded with air (0 before normalisation) on the nipple side and at the bottom,
     * unless `padding` says otherwise.
     */
    size: z.discriminatedUnion('mode', [
      // at most 8192 a side: a mammogram is about 3300 × 2600 at its detector's pixels (a 16384² input, 1 GiB of
      // float32, held a station's AI for seconds an image and gigabytes of memory)
      z.strictObject({ mode: z.literal('fixed'), height: z.number().int().positive().max(8192), width: z.number().int().positive().max(8192) }),
      z.strictObject({ mode: z.literal('pad-to-multiple'), multiple: z.number().int().positive().max(1024) }),
    ]),
    /**
     * Where the breast sits in the tensor and what fills the rest. Absent: against the chest-wall
     * side and the top, the rest air (0). 'centred' with value 114/255 (0.447), size 'fixed',
     * spacingMm null and crop 'none' is a YOLO letterbox as ultralytics makes it (the whole image
     * scaled to fit, centred, grey around it, rounded as it rounds). The value is the pipeline's
     * (0 air, 1 the brightest), before normalisation (a per-image z-score counts the padding in its
     * statistics); the image's own air inside the content stays air.
     */
    padding: z.strictObject({ placement: z.enum(['chest-wall-side', 'centred']), value: z.number().min(0, PAD_VALUE).max(1, PAD_VALUE) }).optional(),
    /** 'breast' (absent): cropped to the breast with 5 mm around it; 'none': the whole image, as a model trained on whole images (letterboxed, say) reads it. */
    crop: z.enum(['breast', 'none']).optional(),
    normalize: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('none') }),
      // per channel where the model has three (ImageNet's 0.485, 0.456, 0.406 and 0.229, 0.224, 0.225),
      // or one number for every channel
      z.strictObject({ type: z.literal('mean-std'), mean: z.union([z.number(), z.array(z.number()).min(1).max(3)]), std: z.union([z.number().positive(), z.array(z.number().positive()).min(1).max(3)]) }),
      z.strictObject({ type: z.literal('per-image-zscore') }),
    ]),
    priors: z.enum(['none', 'optional', 'required']),
    tensor: z.strictObject({
      name: tensorName,
      // (a float16 model read "expected "float32"" alone, and its maker did not learn what to change: a vendor's probe)
      dtype: z.literal('float32', { error: FLOAT32_ONLY }),
      shape: inputShape,
    }),
  }).refine((input) => sizesAgree(input.size, input.tensor.shape), { message: SIZES_DISAGREE, path: ['tensor', 'shape'] })
    .refine((input) => input.spacingMm !== null || input.size.mode === 'fixed', { message: SIZE_UNKNOWN, path: ['size'] })
    .refine((input) => input.tensor.shape.length < 3 || perChannel(input.normalize, inputAxes(input.tensor.shape).channels), { message: PER_CHANNEL, path: ['normalize'] }),
  output: z.strictObject({
    /** One channel per class, at 1/stride of the input, in the input's pixels (flipped as the input was). */
    heatmap: z.strictObject({ tensor: tensorName, classes: findingClasses, stride: z.number().int().positive().max(64), activation: z.enum(['sigmoid', 'none']) }).optional(),
    /**
     * Boxes in input pixels, edges (the input's top-left corner is (0, 0)): rows of x0, y0, x1, y1,
     * score, class index ([N, 6] or [1, N, 6]; 'xyxy-score-class'); a YOLO head's candidates before
     * suppression: [1, 4 + classes, N] of centre, size and class scores ('cxcywh-class-scores',
     * YOLOv8 to YOLO11) or [1, N, 5 + classes] with an objectness ('cxcywh-objectness-class-scores',
     * YOLOv5); or three tensors, x0, y0, x1, y1 [N, 4], scores [N] and integer labels [N], label
     * `firstLabel` (default 1: 0 is the background) the first class ('xyxy-scores-labels':
     * torchvision's detectors, Faster R-CNN, RetinaNet, FCOS, SSD). The station keeps, per class, no
     * box overlapping a better one by more than `nmsIou` (intersection over union, default 0.5).
     * main/ai/box-rows.ts reads them.
     */
    boxes: z.discriminatedUnion('format', [
      z.strictObject({
        tensor: tensorName,
        format: z.enum(['xyxy-score-class', 'cxcywh-class-scores', 'cxcywh-objectness-class-scores']),
        classes: findingClasses,
        nmsIou: z.number().gt(0).max(1).optional(),
      }),
      z.strictObject({
        tensor: tensorName,
        format: z.literal('xyxy-scores-labels'),
        scores: tensorName,
        labels: tensorName,
        firstLabel: z.number().int().min(0).max(1000).optional(),
        classes: findingClasses,
        nmsIou: z.number().gt(0).max(1).optional(),
      }),
    ]).optional(),
    imageScore: z.strictObject({ tensor: tensorName }).optional(),
    /**
     * Two-view correlation (main/ai/two-view.ts), done by the station on a heatmap's findings: a
     * finding without a partner of its class in the breast's other view, at about its distance from
     * the nipple, keeps `unsupportedWeight` of its score. The operating points are calibrated on the
     * weighed scores. Not with an image-score output (that score would not follow).
     */
    twoView: z.strictObject({
      toleranceMm: z.number().gt(0).max(50),
      unsupportedWeight: z.number().min(0).max(1),
      partnerFloor: z.number().min(0).max(1),
    }).optional(),
    breastScore: z.enum(['max-over-findings', 'max-over-views']),
    examScore: z.literal('max-over-breasts'),
    /** What a score means: never shown as a probability unless calibrated, at a stated prevalence. */
    scoreScale: z.strictObject({
      semantics: z.enum(['uncalibrated', 'probability', 'percentile', 'ordinal']),
      min: z.number(),
      max: z.number(),
      prevalence: z.number().gt(0).lt(1).optional(),
    }).refine((s) => s.max > s.min, 'max is above min').refine((s) => s.semantics !== 'probability' || s.prevalence !== undefined, 'a probability says at which prevalence'),
  }).refine((o) => o.heatmap || o.boxes, 'a model gives heatmaps, boxes, or both')
    // a sigmoid gives 0 to 1 whatever the manifest says: thresholds on another scale were never reached, and every exam read "nothing found" (a probe)
    .refine((o) => o.heatmap?.activation !== 'sigmoid' || (o.scoreScale.min === 0 && o.scoreScale.max === 1), { message: SIGMOID_SCALE, path: ['scoreScale'] })
    // both outputs marking one class marked each lesion twice, at one place (a probe)
    .refine((o) => !o.heatmap || !o.boxes || !o.heatmap.classes.some((c) => o.boxes!.classes.includes(c)), { message: ONE_OUTPUT_PER_CLASS, path: ['boxes', 'classes'] })
    .refine((o) => !o.twoView || !o.imageScore, { message: 'output.twoView weighs findings: not with an image score, which would not follow them', path: ['twoView'] }),
  calibration: z.strictObject({
    operatingPoints: z.array(operatingPoint).min(1).max(10)
      // the first of two of one name was used, whichever the default meant (a probe)
      // (compared as they read: "balanced" and "balanced ", or é composed and decomposed, were two)
      .refine((points) => new Set(points.map((p) => comparableName(p.name))).size === points.length, 'two operating points have the same name, or names that read alike'),
    defaultOperatingPoint: z.string().max(64),
    examOperatingPoint: examOperatingPoint.optional(),
  }).refine((c) => c.operatingPoints.some((p) => p.name === c.defaultOperatingPoint), 'the default operating point is one of the operating points'),
  runtime: z.strictObject({
    opset: z.number().int().min(7).max(30),
    providers: z.array(z.enum(EXECUTION_PROVIDERS)).min(1),
  }),
}).refine((m) => m.contractVersion !== '1.0' || (m.input.padding === undefined && m.input.crop === undefined), { message: NEEDS_1_1, path: ['contractVersion'] })
  .refine((m) => contractRank(m.contractVersion) >= contractRank('1.2') || m.output.twoView === undefined, { message: NEEDS_1_2, path: ['contractVersion'] })
  .refine((m) => contractRank(m.contractVersion) >= contractRank('1.3') || m.calibration.examOperatingPoint === undefined, { message: NEEDS_1_3, path: ['contractVersion'] })
  .refine((m) => contractRank(m.contractVersion) >= contractRank('1.4') || m.intendedUse.implants === undefined, { message: NEEDS_1_4, path: ['contractVersion'] })
  .refine((m) => contractRank(m.contractVersion) >= contractRank('1.5') || m.intendedUse.implants?.translations === undefined, { message: NEEDS_1_5, path: ['contractVersion'] })
  .refine((m) => contractRank(m.contractVersion) >= contractRank('1.6')
    || (m.calibration.operatingPoints.every((p) => p.datasetTranslations === undefined) && m.calibration.examOperatingPoint?.datasetTranslations === undefined), { message: NEEDS_1_6, path: ['contractVersion'] })
  // a threshold off the score's scale marks nothing, or everything (a 0–100 vendor's 30 on a 0–1 model)
  // each point off the scale named by its place (the refusal then says its threshold and the scale)
  .superRefine((m, context) => m.calibration.operatingPoints.forEach((p, i) => {
    if (!onScale(p.threshold, m.output.scoreScale)) context.addIssue({ code: 'custom', message: OFF_SCALE, path: ['calibration', 'operatingPoints', i, 'threshold'] });
  }))
  .refine((m) => !m.calibration.examOperatingPoint || onScale(m.calibration.examOperatingPoint.threshold, m.output.scoreScale),
    { message: OFF_SCALE, path: ['calibration', 'examOperatingPoint', 'threshold'] })
  // the exam score the best mark's (no image score read): marks are kept from the lowest operating point
  // up, so an exam point under it flagged only exams with marks there, whatever it claimed (a probe)
  .refine((m) => !m.calibration.examOperatingPoint || readsImageScore(m.output)
    || m.calibration.examOperatingPoint.threshold >= Math.min(...m.calibration.operatingPoints.map((p) => p.threshold)),
  { message: EXAM_UNDER_MARKS, path: ['calibration', 'examOperatingPoint', 'threshold'] })
  // at the scale's minimum every exam is flagged, whatever specificity the manifest claims (a probe)
  .refine((m) => !m.calibration.examOperatingPoint || m.calibration.examOperatingPoint.threshold > m.output.scoreScale.min,
    { message: EXAM_AT_MIN, path: ['calibration', 'examOperatingPoint', 'threshold'] })
  .refine((m) => m.training.data === 'real' || m.intendedUse.notForDiagnosticUse,
  { message: 'a model trained on synthetic images is not for diagnostic use (intendedUse.notForDiagnosticUse must be true)', path: ['intendedUse', 'notForDiagnosticUse'] });

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/**
 * Where each key of the contract's sections belongs (`examOperatingPoint` → calibration, `stride` →
 * output.heatmap), read from the schema, by its name folded (case, spaces, dashes and underscores
 * ignored): the top level lets keys it does not know be ($schema, a description), so a key put there
 * that belongs further down was dropped without a word (a vendor's probe: `examOperatingPoint`,
 * `twoView` and `notForDiagnosticUse` at the top level, the exams then flagged at the marks' point;
 * a re-probe: `ExamOperatingPoint`, `exam_operating_point`, `stride`). Names too common to say where
 * they belong (a vendor's `name` of its own, a `data` or `type`) are let be.
 */
const fold = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');
const TOO_COMMON_TO_PLACE = new Set(['name', 'type', 'value', 'mode', 'min', 'max', 'en', 'fr', 'data', 'note', 'use', 'height', 'width', 'shape', 'mean', 'std', 'dataset', 'format', 'labels', 'scores']);
const PLACE_OF_KEY: ReadonlyMap<string, { key: string; section: string }> = (() => {
  const places = new Map<string, { key: string; section: string }>();
  type Def = { type: string; shape?: Record<string, Schema>; innerType?: Schema; options?: Schema[]; element?: Schema };
  type Schema = { _zod: { def: Def } };
  const walk = (schema: Schema, path: string[]) => {
    const def = schema._zod.def;
    if (def.type === 'object') {
      for (const [key, inner] of Object.entries(def.shape!)) {
        if (path.length && !Object.hasOwn(modelManifestSchema.shape, key) && !TOO_COMMON_TO_PLACE.has(key) && !places.has(fold(key))) places.set(fold(key), { key, section: path.join('.') });
        walk(inner, [...path, key]);
      }
    } else if (def.type === 'optional' || def.type === 'nullable') walk(def.innerType!, path);
    else if (def.type === 'union') def.options!.forEach((o) => walk(o, path));
    else if (def.type === 'array') walk(def.element!, path);
  };
  walk(modelManifestSchema as unknown as Schema, []);
  return places;
})();

/**
 * The keys at a manifest's top level that belong in one of its sections (`key` as the contract spells
 * it, `section` its place; `misspelt` where written otherwise), or that are a prototype's name (section null).
 */
export function misplacedTopLevelKeys(json: unknown): { key: string; written: string; section: string | null }[] {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return [];
  return Object.keys(json).flatMap((written): { key: string; written: string; section: string | null }[] => {
    if (Object.hasOwn(modelManifestSchema.shape, written)) return [];
    if (written === '__proto__' || written === 'constructor' || written === 'prototype') return [{ key: written, written, section: null }];
    const place = PLACE_OF_KEY.get(fold(written));
    return place ? [{ key: place.key, written, section: place.section }] : [];
  });
}

/** Characters a quoted key is not shown with: control characters (a terminal obeys them) and bidirectional formatting ones. */
const UNSHOWABLE = new RegExp(`[${UNSHOWABLE_CLASS}]`, 'gu');

/**
 * A name from a model's files (a manifest's key, a tensor's name) as a refusal shows it: cut to 64
 * characters, what must not be shown written as <U+…>.
 */
export function showableName(name: string): string {
  return showableText(name.slice(0, 64)) + (name.length > 64 ? '…' : '');
}

/**
 * Any text a refusal shows that the station did not write (the ONNX runtime's message, which quotes
 * what the model's file says: a weights file's location, a tensor's name), its control and
 * bidirectional formatting characters written as <U+…>: a terminal would obey them, and a
 * right-to-left override shows a name backwards.
 */
export function showableText(text: string): string {
  const written = (c: string) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
  // and past four accents or marks on one character, the rest written too: forty stacked accents drew
  // over the lines around them (a re-probe, an operating point's name sent to the API)
  return text.replace(UNSHOWABLE, written).replace(/(?<=\p{M}{4})\p{M}/gu, written);
}

/**
 * Keys of the manifest as a refusal quotes them (any text its author wrote): at most three, each
 * showable, the rest counted (a probe's 5,000 stray keys, some with an escape sequence or a
 * right-to-left override, made a 69 KB refusal).
 */
function quotedKeys(keys: string[], locale: 'en' | 'fr', quote: (key: string) => string): string {
  const shown = keys.slice(0, 3).map((key) => quote(showableName(key)));
  const more = keys.length - shown.length;
  return shown.join(', ') + (more > 0 ? (locale === 'fr' ? ` et ${more} autres` : ` and ${more} more`) : '');
}

/**
 * One issue of a manifest in the reader's language (`said`: zod's or the contract's words for it).
 * A key the contract does not know is most often a misspelt one: inside the manifest's parts such a
 * key is refused itself, quoted here (not by zod, which quotes every key whole); at its top level
 * (let be there) it is named beside a required key found missing (`calibraton` beside
 * `calibration`). `manifest`: as read.
 */
export function describeManifestIssue(issue: z.core.$ZodIssue, said: string, manifest: unknown, locale: 'en' | 'fr'): string {
  const fr = locale === 'fr';
  if (issue.message === OFF_SCALE || issue.message === EXAM_AT_MIN) {
    // the threshold and the scale it was held against ("a threshold on the score scale" alone named neither: a probe)
    const at = (path: readonly PropertyKey[]) => path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), manifest);
    const value = at(issue.path), min = at(['output', 'scoreScale', 'min']), max = at(['output', 'scoreScale', 'max']);
    const number = (v: unknown) => (fr ? String(v).replace('.', ',') : String(v));
    if (typeof value === 'number' && typeof min === 'number' && typeof max === 'number') {
      return fr ? `${said} : ${number(value)}, l’échelle allant de ${number(min)} à ${number(max)}` : `${said}: ${value}, on a scale from ${min} to ${max}`;
    }
  }
  if (issue.code === 'unrecognized_keys') {
    const s = issue.keys.length > 1 ? 's' : '';
    const keys = quotedKeys(issue.keys, locale, (key) => `"${key}"`);
    return fr ? `Clé${s} non reconnue${s}\u202f: ${keys} (pas une clé du contrat des modèles\u202f: mal orthographiée\u202f?)`
      : `Unrecognized key${s}: ${keys} (not a key of the model contract: misspelt?)`;
  }
  // a key left out said so: "Invalid option: expected one of "left"|"right"" alone read as a wrong value (a probe)
  const absent = 'input' in issue && issue.input === undefined && ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code);
  if (absent) said = fr ? `absent (${said})` : `missing (${said})`;
  const missing = absent && issue.path.length === 1;
  if (!missing || typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return said;
  const strays = Object.keys(manifest).filter((key) => !(key in modelManifestSchema.shape) && !key.startsWith('$'));
  if (!strays.length) return said;
  return fr ? `${said} (le manifeste a ${quotedKeys(strays, locale, (key) => `«\u202f${key}\u202f»`)}, que le contrat ne connaît pas\u202f: une clé mal orthographiée\u202f?)`
    : `${said} (the manifest has ${quotedKeys(strays, locale, (key) => `"${key}"`)}, which the contract does not know: misspelt?)`;
}

/** zod's bounds as code writes them ("expected string to have <=500 characters") in words ("at most 500 characters"; "at least 1 character"). */
export function boundsInWords(text: string): string {
  return text.replace(/(>=|<=)\s*(-?\d+(?:\.\d+)?)(?: (\w+?)(s?)\b)?/g, (_, op: string, n: string, unit: string | undefined, plural: string | undefined) =>
    `${op === '>=' ? 'at least' : 'at most'} ${n}${unit ? ` ${unit}${n === '1' ? '' : plural}` : ''}`);
}

/** The first few problems of a manifest that does not validate, one line each ("input.faceDirection: …"); `manifest`, as read, names keys that may be misspelt. */
export function manifestProblems(error: z.ZodError, max = 5, manifest?: unknown): string[] {
  return error.issues.slice(0, max).map((issue) => `${issue.path.length ? issue.path.join('.') : '(manifest)'}: ${describeManifestIssue(issue, boundsInWords(issue.message), manifest, 'en')}`);
}

/** The classes a model looks for (its heatmap's and its boxes'), in the contract's order. */
export function modelClasses(manifest: Pick<ModelManifest, 'output'>): FindingClass[] {
  return FINDING_CLASSES.filter((c) => manifest.output.heatmap?.classes.includes(c) || manifest.output.boxes?.classes.includes(c));
}
