// The API contract: one table of named operations and event streams, shared by both processes.
// (Their names, channels and routes are in api-names.ts.)
// Each operation has an input schema (validated by every transport before the handler runs) and
// a result type. From this table come the main-process handler map, the renderer's client, the
// preload bridge, the IPC channel names and the loopback HTTP routes: a new operation is one row
// here plus one handler in main/service.ts.

import { z } from 'zod';
import { EXAM_STATUSES, FIRST_IMPRESSIONS, LOCALES } from './domain.ts';
import { viewerSettingsInput } from './viewer-settings.ts';
import { receiverSettingsSchema } from './dicom-node.ts';
import { modelIdSchema } from './ai/model-manifest.ts';
import type { ReceiverStatus } from './dicom-node.ts';
import { pacsNodeInput, setPacsNodesInput } from './pacs.ts';
import type { PacsStatus, PacsTestResult, PriorRetrieval } from './pacs.ts';
import type { EventName, OperationName } from './api-names.ts';
import type { MessageKey, MessageParams } from './i18n/messages.ts';

export * from './api-names.ts';
import type {
  AiModelsStatus, AiResults, ExamDetail, ExamSummary, ImportProgress, ImportSummary, QuarantineEntry, Settings, UnfinishedImport,
} from './domain.ts';

const examId = z.number().int().positive();

export const WORKLIST_SORT_FIELDS = ['studyDate', 'patientName', 'patientId', 'status', 'imageCount', 'importedAt', 'aiScore'] as const;
export const WORKLIST_SCOPES = ['breast', 'all'] as const;

export const worklistQueryInput = z.strictObject({
  filter: z.strictObject({
    /** Matches the start of the patient's name or ID, or the accession number; when none does (whatever the other filters), a given name or a part of a name begun, three letters or more (main/db/worklist.ts). */
    text: z.string().max(128).optional(),
    status: z.array(z.enum(EXAM_STATUSES)).max(3).optional(),
    /** DICOM dates, YYYYMMDD, inclusive. */
    dateFrom: z.string().regex(/^\d{8}$/).optional(),
    dateTo: z.string().regex(/^\d{8}$/).optional(),
    /** Breast imaging only (MG, and breast US or MR: the reading station's default), or every exam. */
    scope: z.enum(WORKLIST_SCOPES).default('breast'),
  }).default({ scope: 'breast' }),
  sort: z.strictObject({
    field: z.enum(WORKLIST_SORT_FIELDS),
    direction: z.enum(['asc', 'desc']),
  }).default({ field: 'studyDate', direction: 'desc' }),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(500).default(50),
});

export interface WorklistPage {
  total: number;
  offset: number;
  rows: ExamSummary[];
}

export interface AppInfo {
  name: string;
  version: string;
  libraryDir: string;
  transport: 'electron-ipc' | 'loopback-http';
  runtime: string;
  examCount: number;
}

const uploadId = z.string().regex(/^[0-9a-f]{24}$/);

/** The result of checking stored files against what the library recorded (size, and on demand content). */
export interface StoreCheck {
  checked: number;
  damaged: { instanceId: number; examId: number; reason: 'missing' | 'size' | 'content' | 'codestream' }[];
}

type OperationKind = 'read' | 'write';

interface OperationDefinition<I extends z.ZodType, O> {
  kind: OperationKind;
  input: I;
  /** Phantom field carrying the result type; never read at run time. */
  output?: O;
}

/** `op<Result>()(kind, inputSchema)`: the result type is named, the input type is inferred. */
function op<O>() {
  return <I extends z.ZodType>(kind: OperationKind, input: I): OperationDefinition<I, O> => ({ kind, input });
}

export const operations = {
  appInfo: op<AppInfo>()('read', z.strictObject({})),
  worklistQuery: op<WorklistPage>()('read', worklistQueryInput),
  /**
   * An exam with its images. `purpose`: opened by the reader (the default), shown as another exam's
   * prior (the audit log says which), loaded ahead of being read (not audited until it is opened), or
   * asked again while it is open to see what arrived since (`refresh`: audited when it was opened).
   */
  examDetail: op<ExamDetail>()('read', z.strictObject({ examId, purpose: z.enum(['open', 'prior', 'prefetch', 'refresh']).optional() })),
  setExamStatus: op<ExamSummary>()('write', z.strictObject({ examId, status: z.enum(EXAM_STATUSES) })),
  importPaths: op<ImportSummary>()('write', z.strictObject({ paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) })),
  /**
   * Uploads (a browser, where the page cannot name paths): begin, send each file's bytes to the
   * transport's upload route, then finish, which imports them all as one job.
   */
  beginUpload: op<{ uploadId: string }>()('write', z.strictObject({})),
  finishUpload: op<ImportSummary>()('write', z.strictObject({ uploadId })),
  cancelUpload: op<Record<string, never>>()('write', z.strictObject({ uploadId })),
  /** Checks stored files: every file's size, and with `content` its bytes against their address (slow). */
  checkStore: op<StoreCheck>()('read', z.strictObject({ examId: examId.optional(), content: z.boolean().default(false) })),
  quarantineList: op<QuarantineEntry[]>()('read', z.strictObject({ limit: z.number().int().min(1).max(1000).default(100) })),
  /** Imports that ended early and hold exams back from the worklist. */
  unfinishedImports: op<UnfinishedImport[]>()('read', z.strictObject({})),
  /** Imports the paths of an unfinished import again, which completes its exams. */
  resumeImport: op<ImportSummary>()('write', z.strictObject({ jobId: z.number().int().positive() })),
  getSettings: op<Settings>()('read', z.strictObject({})),
  /** `receiver`: the storage SCP's settings, whole; a station running the SCP listens anew as they say. */
  setSettings: op<Settings>()('write', z.strictObject({ locale: z.enum(LOCALES).optional(), viewer: viewerSettingsInput.optional(),
    receiver: receiverSettingsSchema.optional() })),
  /** Generates synthetic exams (with priors, lesions and ground truth) into the library and imports them. */
  loadDemoExams: op<ImportSummary>()('write', z.strictObject({
    patients: z.number().int().min(1).max(100).default(6),
    priors: z.number().int().min(0).max(3).default(1),
    size: z.enum(['reduced', 'full']).default('reduced'),
    seed: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).optional(),
  })),
  /** The AI second reader's results for an exam: the analysis state, the findings, and what the model is (its limits, what it was trained on). */
  aiResults: op<AiResults>()('read', z.strictObject({ examId })),
  /**
   * Records the reader's first impression of an exam (normal / recall), once: in second look it
   * unlocks the AI's marks. Answers the exam's AI results with it. Audited.
   */
  setFirstImpression: op<AiResults>()('write', z.strictObject({ examId, impression: z.enum(FIRST_IMPRESSIONS) })),
  /**
   * Says that the AI's output for the exam (its marks, its score) was shown to the reader before her
   * first impression (concurrent mode): an impression recorded after it is recorded as made with the
   * marks, even where she switched to second look meanwhile (it is not an unaided read). Audited once.
   */
  noteAiShown: op<AiResults>()('write', z.strictObject({ examId })),
  /**
   * Says that the worklist showed these exams' AI scores (concurrent mode): for each exam analysed,
   * with a score and no first impression yet, as noteAiShown does. Exams no longer in the library,
   * or whose score was not shown (second look, no analysis), are passed over. Answers how many were
   * noted now (each exam is noted once).
   */
  noteAiScoresShown: op<{ noted: number }>()('write', z.strictObject({ examIds: z.array(examId).min(1).max(200) })),
  /** Cancels the exam's queued or running analysis (a running one stops, its result dropped). Audited. */
  cancelAiAnalysis: op<AiResults>()('write', z.strictObject({ examId })),
  /** Queues the exam for analysis again, first in line (after a cancel or a failure); 'unavailable' when no model is installed. Audited when it queued something (an exam analysed already is left as it is). */
  queueAiAnalysis: op<AiResults>()('write', z.strictObject({ examId })),
  /** The AI models: those running (with their analyses), those refused and why, and which one exams show. */
  aiModels: op<AiModelsStatus>()('read', z.strictObject({})),
  /**
   * Chooses the model whose scores and marks exams show (and the worklist's triage sorts by), or
   * null for the default (the last found: the library's over the application's). The model must be
   * running at this station. Audited.
   */
  chooseAiModel: op<AiModelsStatus>()('write', z.strictObject({ modelId: modelIdSchema.nullable() })),
  /** The storage SCP: listening or not, its associations and what they brought; null where this station runs none (the command line). */
  receiverStatus: op<{ status: ReceiverStatus | null }>()('read', z.strictObject({})),
  /** The PACS nodes (passwords never included), their outboxes and health, the items that failed for good. */
  pacsStatus: op<PacsStatus>()('read', z.strictObject({})),
  /** Sets the PACS nodes, whole (a node's absent password keeps the stored one); items waiting for a removed node are dropped. */
  setPacsNodes: op<PacsStatus>()('write', setPacsNodesInput),
  /** "Test connection": one QIDO-RS request to the node as given (saved or not). */
  testPacsNode: op<PacsTestResult>()('write', pacsNodeInput),
  /** Queues an exam's stored objects (or one object) for sending to every node that receives results (or to `nodeId`). */
  sendToPacs: op<{ queued: number; nodes: string[] }>()('write', z.strictObject({ examId: examId.optional(), instanceId: z.number().int().positive().optional(),
    nodeId: z.string().max(32).optional() }).refine((i) => (i.examId === undefined) !== (i.instanceId === undefined), 'give examId or instanceId')),
  /** "Retry now": the outbox's waiting items (of one node, or all) are due now and its failed ones queued again. */
  retryPacs: op<PacsStatus>()('write', z.strictObject({ nodeId: z.string().max(32).optional() })),
  /** The searches for the priors of an exam's woman on the PACS nodes. */
  pacsPriors: op<PriorRetrieval[]>()('read', z.strictObject({ examId })),
  /** Opens the desktop file dialog; only the Electron transport has one ('unavailable' elsewhere). */
  pickImportPaths: op<string[]>()('read', z.strictObject({ kind: z.enum(['folder', 'files']) })),
} as const satisfies Record<OperationName, OperationDefinition<z.ZodType, unknown>>;

// Every name in api-names.ts has a row above (satisfies), and every row has a name:
type ExtraOperations = Exclude<keyof typeof operations, OperationName>;
const noExtraOperations: [ExtraOperations] extends [never] ? true : never = true;
void noExtraOperations;

/** What the caller passes (defaults may be omitted). */
export type OperationInput<K extends OperationName> = z.input<(typeof operations)[K]['input']>;
/** What the handler receives once the schema has parsed it (defaults filled in). */
export type OperationParsedInput<K extends OperationName> = z.output<(typeof operations)[K]['input']>;
export type OperationResult<K extends OperationName> = NonNullable<(typeof operations)[K]['output']>;

/** The event streams and their payloads: one map, so an event cannot carry the wrong payload. */
export interface ApiEvents {
  importProgress: ImportProgress;
  /** The worklist changed; a status event names the exam whose status changed (a viewer showing another exam has nothing to ask again). */
  worklistChanged: { reason: 'import' | 'settings' } | { reason: 'status'; examId: number };
  /** An exam's AI analysis started, ended or failed; examId null: every exam's may have changed (another model is shown). */
  aiChanged: { examId: number | null };
  /** The storage SCP's status changed (at most a few times a second while images arrive). */
  receiverChanged: ReceiverStatus;
  /** The PACS outbox or nodes changed (examId null), or the search for an exam's priors moved on. */
  pacsChanged: { examId: number | null };
  /**
   * An exam being opened has every display aid of its images now (a reduced rendition, the breast's
   * box), made after it was opened: a viewer showing it hangs it again (it was fitted to the whole
   * detector, each image as its box came or not).
   */
  displayReady: { examId: number };
}
type MissingEvents = Exclude<EventName, keyof ApiEvents> | Exclude<keyof ApiEvents, EventName>;
const eventsMatch: [MissingEvents] extends [never] ? true : never = true;
void eventsMatch;

/** The main process implements this once; both transports call it. */
export type ApiHandlers = {
  [K in OperationName]: (input: OperationParsedInput<K>) => Promise<OperationResult<K>>;
};

/** The renderer calls this; each transport provides one. */
export type ApiClient = {
  [K in OperationName]: (input: OperationInput<K>) => Promise<OperationResult<K>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** The Cornerstone image id under which an instance's DICOM file (or its display rendition) is loaded. */
  imageIdFor(instanceId: number, rendition?: 'display'): string;
};

export const ERROR_CODES = ['bad_request', 'not_found', 'unauthorized', 'forbidden', 'too_large', 'unsupported_media_type', 'unavailable', 'busy', 'disk_full', 'damaged', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as it crosses a transport: a code for programs, an English message, and a message key and
 * parameters (common/i18n/messages.ts) so that the renderer can say it in the reader's language. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  key?: MessageKey;
  params?: MessageParams;
}

/** Every reply crosses a transport as this envelope: errors are values, never thrown across. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export class ApiError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly key?: MessageKey, readonly params?: MessageParams) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.key ? { key: this.key } : {}), ...(this.params ? { params: this.params } : {}) };
  }

  static fromBody(body: ErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.key, body.params);
  }
}

/** Validates an operation's input; throws ApiError('bad_request') naming the offending fields. */
export function parseOperationInput<K extends OperationName>(name: K, raw: unknown): OperationParsedInput<K> {
  const definition = operations[name] as OperationDefinition<z.ZodType, unknown>;
  const result = definition.input.safeParse(raw === undefined ? {} : raw);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
      .join('; ');
    // keyed, so that the page says it in the reader's language (it had English only); zod's detail follows, as written
    throw new ApiError('bad_request', `Invalid input for ${name}: ${detail}`, 'error.invalidInput', { operation: name, detail });
  }
  return result.data as OperationParsedInput<K>;
}


/**
 * What the Electron preload exposes on `window.binome`: one function per operation (each returns
 * an envelope), a subscription per event stream, and the path of a dropped file.
 */
export interface PreloadBridge {
  api: { [K in OperationName]: (input: unknown) => Promise<Envelope<OperationResult<K>>> };
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  /**
   * Grants main read access to Files the user dropped or picked: the preload reads their paths
   * (webUtils.getPathForFile; Files built in JavaScript have none) and main records them for this
   * window. Resolves to the absolute paths granted, to pass to `api.importPaths`.
   */
  grantFiles(files: readonly unknown[]): Promise<string[]>;
}

