// The exam as a screening reader reads it: hung by the best-matching hanging protocol (or the one
// picked), walked step by step with one key, compared with a prior chosen for her (or another),
// with the next exam of the worklist one key away and already loaded. Everything a key does is also
// a button; the keymap is a setting (a reading keypad sends keys). The AI second reader's marks lie
// over the images of every step (the prior's too, when it was analysed), shown or hidden with one key
// and per class, and in second look only once the reader has recorded her first impression.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { cache } from '@cornerstonejs/core';
import type { AiResults, ExamDetail, ExamStatus, FirstImpressionValue, InstanceDetail } from '../../common/domain.ts';
import { AI_FINDING_CLASSES } from '../../common/domain.ts';
import { ageOn, formatDicomDate, formatPersonName, translateCount } from '../../common/i18n/messages.ts';
import type { MessageKey } from '../../common/i18n/messages.ts';
import { choosePriors, hang, stepShowing, stepsShowing } from '../../common/hanging/engine.ts';
import type { HangingPlan, HungStep } from '../../common/hanging/types.ts';
import { resultsAsker } from '../ai/results-asker.ts';
import { actionForKey, keyNameOf, mergeViewerSettings, VIEWER_ACTIONS } from '../../common/viewer-settings.ts';
import type { ViewerAction, ViewerSettings } from '../../common/viewer-settings.ts';
import { useApi } from '../api/context.ts';
import type { StationApi } from '../api/station-api.ts';
import { PacsPriorsLine, PacsSendButton } from '../pacs/PacsPanel.tsx';
import { useI18n } from '../i18n.tsx';
import { firstUnreadFromTop, neighbourExam, noteExamStatus, rememberOpenedExam } from '../worklist/reading-list.ts';
import { initCornerstone, setCacheSizeMb, setPrimaryTool, setToolsLocale } from './cornerstone.ts';
import type { PrimaryTool } from './cornerstone.ts';
import { StepView } from './StepView.tsx';
import type { MarkGroup, StepMarks } from './StepView.tsx';
import { AiPanel, aiCallsRecall, findingsAtFlag } from '../ai/AiPanel.tsx';
import { aiClassName, aiStateText, cadMarksLabel, marksLabel, unreadReason } from '../ai/ai-state.ts';
import { loadMarksChoice, saveMarksChoice } from '../ai/marks-choice.ts';
import type { SizeMode, StepOptions, StepRenderer } from './step-renderer.ts';
import { prefetchExam, prefetchedExam } from './prefetch.ts';
import { HelpOverlay } from './HelpOverlay.tsx';
import { ArrivedPriorOffer } from './ArrivedPrior.tsx';
import { ViewerSettingsDialog } from './ViewerSettingsDialog.tsx';
import { keyLabel } from './key-label.ts';
import { explainLoadFailure } from './load-failure.ts';
import type { FailureExplained } from './load-failure.ts';

export interface ViewerRoute {
  examId: number;
  /** Open at this step (its id), e.g. a link or the benchmark opening the 8-image comparison. */
  step?: string;
  protocol?: string;
  /** Diagnostics: `renditions=0` shows only stored images, `prefetch=0` does not load the next exam ahead. */
  renditions?: boolean;
  prefetch?: boolean;
}

interface Loaded {
  detail: ExamDetail;
  priors: ExamDetail[];
  plan: HangingPlan;
  instances: Map<number, InstanceDetail>;
}

/** An exam, its priors (the chosen one first, when the reader picked one), and the plan that hangs them. */
function hangExam(detail: ExamDetail, priorDetails: ExamDetail[], protocolId: string | undefined): Loaded {
  const plan = hang(detail, priorDetails, undefined, protocolId);
  const instances = new Map<number, InstanceDetail>();
  for (const d of [detail, ...priorDetails]) for (const s of d.series) for (const i of s.instances) instances.set(i.instanceId, i);
  return { detail, priors: priorDetails, plan, instances };
}

/** The exam opened by the reader, with its priors, hung. */
async function loadExam(api: StationApi, examId: number, chosenPriorId: number | null, protocolId: string | undefined): Promise<Loaded> {
  // opened by the reader: asked again (cheap, and the audit log records it) even when loaded ahead
  const [detail, ahead] = await Promise.all([api.examDetail({ examId }), prefetchedExam(examId)]);
  let priorIds = choosePriors(detail.exam, detail.priors);
  if (chosenPriorId !== null && priorIds.includes(chosenPriorId)) priorIds = [chosenPriorId, ...priorIds.filter((id) => id !== chosenPriorId)];
  const priors = await Promise.all(priorIds.slice(0, 1).map((id) => ahead?.priors.find((p) => p.exam.examId === id) ?? api.examDetail({ examId: id, purpose: 'prior' })));
  return hangExam(detail, priors, protocolId);
}

/** One step of one hung exam: what a StepView shows. Equal keys show the same picture. */
interface Stage {
  key: string;
  /** The display options it was painted with. */
  optionsKey: string;
  loaded: Loaded;
  step: HungStep;
}

function stageOf(loaded: Loaded, index: number, options: StepOptions): Stage | null {
  const step = loaded.plan.steps[index];
  if (!step) return null;
  const { plan } = loaded;
  const optionsKey = [options.sizeMode, options.monitorPixelPitchMm ?? '', options.renditions ? 'renditions' : 'stored'].join('|');
  // the breasts' boxes it was hung with: boxes made after it opened (displayReady) hang it again, fitted to the breasts
  const boxes = `boxes ${[...loaded.instances.values()].filter((i) => i.breastBox !== null).length}`;
  return { key: [loaded.detail.exam.examId, plan.protocolId, plan.priorExamIds.join(','), step.id, optionsKey, boxes].join('|'), optionsKey, loaded, step };
}

/** Steps kept painted out of sight, besides the one on screen and the ones prepared ahead: the last ones left. */
const KEPT_STEPS = 2;

/** How long after a step is painted the work out of sight (preparing the next one, loading ahead) starts. */
const SETTLE_MS = 250;
/** How long after an exam's first paint the keys that mark it read (r, Enter) wait: the time to see it at all. */
const READ_KEY_AFTER_MS = 1500;
/** How long a question put as she marks an exam read (ask) stays before a key or click answers it: the time to read it. */
const QUESTION_READ_MS = 1000;
/** How long that question, left on screen, stays one a key answers: after it, the key asks it again. */
const QUESTION_ARMED_MS = 60_000;
/** The class of marks each class's key shows or hides (the AI strip's switches, from the keyboard). */
const CLASS_OF_ACTION = { aiMarksMass: 'mass', aiMarksCalcification: 'calcification', aiMarksDistortion: 'architectural_distortion', aiMarksAsymmetry: 'asymmetry' } as const satisfies Partial<Record<ViewerAction, (typeof AI_FINDING_CLASSES)[number]>>;
/** The keys that are not repeated when held down: those that mark an exam read, or record her impression. */
const KEYS_NOT_REPEATED: ReadonlySet<ViewerAction> = new Set(['markRead', 'markReadAndNext', 'impressionNormal', 'impressionRecall']);

/** Step numbers as a reader writes them: "2, 4–10". */
function numberRanges(numbers: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    ranges.push(j > i + 1 ? `${numbers[i]}\u2013${numbers[j]}` : j === i + 1 ? `${numbers[i]}, ${numbers[j]}` : String(numbers[i]));
    i = j;
  }
  return ranges.join(', ');
}

/** Notices that say where the reader is, gone after a few seconds (they lie over the images). */
/** The exams whose reader was asked, marking one read, whether she read it normal against the AI (ViewerPage's markRead). */
const readDisagreeingAsked = new Set<number>();

const PASSING_NOTICES: ReadonlySet<MessageKey> = new Set(['viewer.lastExam', 'viewer.firstExam', 'viewer.noExamToRead', 'viewer.backToTop', 'viewer.trueSizeNeedsPitch', 'ai.locked', 'viewer.impressionNotAsked', 'viewer.impressionRecorded', 'viewer.impressionNotAskedRead', 'viewer.impressionTooSoon', 'viewer.readTooSoon']);

export function ViewerPage({ route }: { route: ViewerRoute }) {
  const api = useApi();
  const i18n = useI18n();
  const { t, locale, errorText, problem } = i18n;
  const { examId } = route;
  useEffect(() => rememberOpenedExam(examId), [examId]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  /** Asked again by the reader (a prior arrived from the PACS): the exam is loaded and hung again. */
  const [reloads, setReloads] = useState(0);
  /** The next exam of the worklist, hung while this one is read (its first step is painted out of sight). */
  const [ahead, setAhead] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  // a notice of the station's own words is kept as its key: said again in the language she switches to
  // `gate`: the notice asks before the exam is closed (marked read): set apart from the others, which say what was done
  // `count` and `dicomDate` are its parameters, kept raw so that the switched language says them its own way too
  // `where`: the views of the marks she is asked to look at, by the step that first shows them (null: none does)
  // `steps`: the steps of the exam she has seen, of how many, and those not seen (their numbers)
  const [notice, setNotice] = useState<({ key: MessageKey; count?: number; dicomDate?: string; where?: { step: number | null; views: string }[]; flagged?: number; steps?: { seen: number; total: number; unseen: string } } | { text: string }) & { gate?: boolean } | null>(null);
  /** The reader's step, protocol and prior, for the exam they were chosen on (a new exam starts afresh). */
  const [position, setPosition] = useState<{ examId: number; index: number } | null>(null);
  const [choice, setChoice] = useState<{ examId: number; protocolId?: string; priorId: number | null } | null>(null);
  const [settings, setSettings] = useState<ViewerSettings>(() => mergeViewerSettings(null));
  // the settings dialog opens on the stored settings only: opened on the defaults before they arrived,
  // its Save wrote the defaults over the reader's keys, pitch and marks mode, and the late answer then
  // put the old ones back on the page (a review)
  const [settingsKnown, setSettingsKnown] = useState(false);
  const [sizeMode, setSizeMode] = useState<SizeMode>('same-size');
  const [tool, setTool] = useState<PrimaryTool>('windowLevel');
  const [help, setHelp] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [ready, setReady] = useState(false);
  const [painted, setPainted] = useState<ReadonlySet<string>>(() => new Set());
  /** When each painted stage's images were drawn (StepView's onRendered `at`). */
  const paintedAt = useRef(new Map<string, number>());
  /** The step on screen once the reader has it in front of them: work out of sight may start. */
  const [settledKey, setSettledKey] = useState<string | null>(null);
  const [prefetchState, setPrefetchState] = useState<{ examId: number; state: 'done' | 'failed' } | null>(null);
  /** The AI's results for the exam on screen and its priors, by exam id, kept live by aiChanged. */
  const [aiResults, setAiResults] = useState<ReadonlyMap<number, AiResults>>(() => new Map());
  /** The reader's choices, kept from exam to exam and through a reload (marks-choice.ts): marks on or off, classes hidden. */
  const [marksOn, setMarksOn] = useState(() => loadMarksChoice().marksOn);
  const [hiddenClasses, setHiddenClasses] = useState<ReadonlySet<string>>(() => loadMarksChoice().hiddenClasses);
  const toggleClass = useCallback((c: string) => setHiddenClasses((hidden) => { const next = new Set(hidden); if (!next.delete(c)) next.add(c); return next; }), []);
  /** CAD reports' "Presentation Optional" marks: hidden until the reader asks for them. */
  const [optionalCadMarks, setOptionalCadMarks] = useState(() => loadMarksChoice().optionalCadMarks);
  useEffect(() => saveMarksChoice({ marksOn, hiddenClasses, optionalCadMarks }), [marksOn, hiddenClasses, optionalCadMarks]);
  const [aiBusy, setAiBusy] = useState(false);
  const renderer = useRef<StepRenderer | null>(null);
  const root = useRef<HTMLElement>(null);
  const kept = useRef<Stage[]>([]);
  const lastShown = useRef<Stage | null>(null);

  const protocolId = choice?.examId === examId ? choice.protocolId : route.protocol;
  const chosenPrior = choice?.examId === examId ? choice.priorId : null;
  const prepare = route.prefetch !== false;
  // the diagnostic switches follow the reader from exam to exam
  const diagnostics = [route.renditions === false ? 'renditions=0' : '', route.prefetch === false ? 'prefetch=0' : ''].filter(Boolean).join('&').replace(/^(.)/, '?$1');

  useEffect(() => {
    void initCornerstone().then(() => setReady(true));
    api.getSettings({}).then((s) => { setSettings(s.viewer); setCacheSizeMb(s.viewer.prefetchCacheMb); setSettingsKnown(true); }).catch(() => undefined);
  }, [api]);

  // the words of an error follow the language; asking again for the exam (and auditing it again) does not
  const noticeForNextExam = useRef<{ key: MessageKey } | null>(null);
  const words = useRef({ t, errorText });
  words.current = { t, errorText };
  useEffect(() => {
    let cancelled = false;
    setError(null);
    // a notice for the exam just opened (back to the top of the list) is said over it; others are cleared
    setNotice(noticeForNextExam.current);
    noticeForNextExam.current = null;
    loadExam(api, examId, chosenPrior, protocolId)
      .then((l) => { if (!cancelled) setLoaded(l); })
      .catch((e: unknown) => { if (!cancelled) setError((e as { code?: string }).code === 'not_found' ? words.current.t('exam.notFound') : words.current.errorText(e)); });
    return () => { cancelled = true; };
  }, [api, examId, chosenPrior, protocolId, reloads]);

  // images opened before their display aids were made (an exam read as it arrives): hung again once
  // they are, fitted to the breasts (each image was fitted to the whole detector, or to its box where
  // it came first: a probe saw the views of one step at 0.46 and 0.54 mm a screen pixel). Listened
  // to from before the exam is asked for: a small exam's boxes are made before its details arrive.
  useEffect(() => api.on('displayReady', (event) => { if (event.examId === examId) setReloads((n) => n + 1); }), [api, examId]);

  // the exam's status recorded in another window (marked read there): the bar says it, and a question asked
  // here before marking it read goes (a probe's second tab read the exam; this one kept "Mark read" and the question)
  useEffect(() => api.on('worklistChanged', (change) => {
    if (change.reason !== 'status' || change.examId !== examId) return;
    api.examDetail({ examId, purpose: 'refresh' }).then(({ exam }) => {
      setLoaded((l) => (l && l.detail.exam.examId === exam.examId && l.detail.exam.status !== exam.status ? { ...l, detail: { ...l.detail, exam: { ...l.detail.exam, status: exam.status } } } : l));
      if (exam.status === 'read') setNotice((n) => (n?.gate ? null : n));
    }, () => undefined);
  }), [api, examId]);

  // the exam on screen: as loaded for the reader, or (for the instant after the next-exam key) as hung ahead
  const shownExam = loaded?.detail.exam.examId === examId ? loaded
    : ahead?.detail.exam.examId === examId && !chosenPrior && !protocolId && !route.step ? ahead : null;
  // a class switched off is for the woman on screen (her priors too): the next woman's marks all show. A
  // distortion unticked on one woman hid the next one's, scored 0.97 and true, said by a note over her
  // images and a line in the strip (a radiologist's probe). A reload keeps it (the same woman). The woman
  // on screen, not the one loaded: the next one, hung ahead, showed with the last one's classes hidden
  // until her own details arrived (a review).
  const womanShown = shownExamWoman(shownExam?.detail.exam);
  const lastWoman = useRef<string | null>(null);
  useEffect(() => {
    if (womanShown === null) return;
    if (lastWoman.current !== null && lastWoman.current !== womanShown) setHiddenClasses((hidden) => (hidden.size ? new Set() : hidden));
    lastWoman.current = womanShown;
  }, [womanShown]);
  const startIndex = (l: Loaded) => Math.max(0, route.step ? l.plan.steps.findIndex((s) => s.id === route.step) : 0);
  const stepIndex = shownExam ? Math.min(position?.examId === examId ? position.index : startIndex(shownExam), shownExam.plan.steps.length - 1) : 0;
  const options: StepOptions = useMemo(() => ({ renditions: route.renditions ?? true, sizeMode, monitorPixelPitchMm: settings.monitorPixelPitchMm }),
    [route.renditions, sizeMode, settings.monitorPixelPitchMm]);
  const shownStage = shownExam ? stageOf(shownExam, stepIndex, options) : null;
  const step = shownStage?.step;
  const shownPainted = Boolean(shownStage && painted.has(shownStage.key));
  const settled = shownPainted && settledKey === shownStage?.key;
  // When the exam on screen was first painted: the keys that mark it read wait READ_KEY_AFTER_MS after
  // it. A row of the worklist opens at one click, and an Enter typed out of a workstation's habit
  // (click to select, Enter to open) marked the exam read 0.6 s later, unseen, and opened the next (a probe).
  // Timed from when its images were drawn (StepView's `at`), or, for a step drawn out of sight ahead of
  // time (the next exam's first), from when the exam came on screen: timed when this page next rendered,
  // a machine busy analysing refused a key pressed 1.6 s after the images showed (a radiologist's probe).
  const firstPainted = useRef<{ examId: number; at: number } | null>(null);
  // the steps of each exam she has seen (painted on screen), by their ids: marking it read with some unseen asks
  const seenSteps = useRef(new Map<number, Set<string>>());
  if (shownPainted && shownExam?.detail.exam.examId === examId && step) {
    const seen = seenSteps.current.get(examId) ?? new Set<string>();
    seen.add(step.id);
    seenSteps.current.set(examId, seen);
  }
  const shownSince = useRef<{ examId: number; at: number } | null>(null);
  if (shownSince.current?.examId !== examId) shownSince.current = { examId, at: performance.now() };
  if (shownPainted && shownExam?.detail.exam.examId === examId && firstPainted.current?.examId !== examId) {
    firstPainted.current = { examId, at: Math.max(paintedAt.current.get(shownStage!.key) ?? performance.now(), shownSince.current.at) };
  }
  // The exam being left (PageDown, "mark read and next": the next one is asked for, then opened): its
  // decision keys are no longer taken. A "1" typed 20 ms after PageDown, meant for the next woman,
  // recorded "normal" for the one being left, seen long enough (a re-probe).
  const leaving = useRef<number | null>(null);
  useEffect(() => { leaving.current = null; }, [examId]);
  /** Counts the moves to another exam asked for: only the newest one's answer is followed. */
  const examMoves = useRef(0);
  /**
   * Whether the exam on screen had been painted READ_KEY_AFTER_MS before `pressedAt`: the keys that
   * decide on it are taken. A key is timed when it was pressed (its event's timeStamp, on the clock of
   * performance.now()), not when it is handled: a page busy opening the exam handled a "1" typed 0.5 s
   * after it opened 2 s later, and recorded "normal" for an exam the reader had not seen (a probe).
   */
  const seenLongEnough = (pressedAt = performance.now()) => leaving.current !== examId && firstPainted.current?.examId === examId && pressedAt - firstPainted.current.at >= READ_KEY_AFTER_MS;
  // what the AI strip says of the exam's images (a breast of one view, an implant): once per exam, not at every paint
  const shownDetail = shownExam?.detail;
  const imageFacts = useMemo(() => {
    const images = shownDetail ? shownDetail.series.flatMap((s) => s.instances).filter((i) => i.isImage && !i.forProcessing) : [];
    return { viewLabels: images.flatMap((i) => (i.viewLabel ? [i.viewLabel] : [])), implant: images.some((i) => i.breastImplantPresent === true) };
  }, [shownDetail]);

  // the AI's results for the exam on screen and its priors, asked again whenever one's analysis changes
  const aiExamKey = shownExam ? [shownExam.detail.exam.examId, ...shownExam.priors.map((p) => p.exam.examId)].join(',') : '';
  // and the next exam's (the one prepared out of sight), so that its strip is there the moment it
  // opens: asked only then, the strip went while its results came and came back, and the images
  // were placed three times in a second (a probe: the grid 30 px lower a second after PageDown)
  const aheadExamId = ahead && ahead.detail.exam.examId !== examId ? ahead.detail.exam.examId : null;
  const aiAskKey = aiExamKey && aheadExamId !== null ? `${aiExamKey},${aheadExamId}` : aiExamKey;
  useEffect(() => {
    if (!aiAskKey) return;
    const ids = aiAskKey.split(',').map(Number);
    let live = true;
    setAiResults((m) => new Map([...m].filter(([id]) => ids.includes(id))));
    const ask = resultsAsker((id) => api.aiResults({ examId: id }), (fresh) => {
      if (live) setAiResults((m) => new Map([...m, ...fresh]));
    });
    void ask(ids);
    const off = api.on('aiChanged', ({ examId: changed }) => void ask(changed === null ? ids : ids.filter((id) => id === changed)));
    return () => { live = false; off(); };
  }, [api, aiAskKey]);
  const currentAi = aiResults.get(examId) ?? null;
  // second look: locked until this reader's first impression of the exam on screen (the priors' marks too)
  // (an exam read is not: its reading is done, without an impression too, as the priors imported read
  // are; a read prior asked for a screening impression of a 2024 exam, its score "after your impression" for ever: a probe)
  const shownRead = shownExam?.detail.exam.status === 'read';
  // an exam read whose woman has a later exam still to read without her first impression stays locked,
  // as the worklist holds its score back: its marks on the same lesion tell her read of that exam (a
  // probe opened a read prior from the worklist and saw its mark and "flagged" before the current's
  // impression), whatever the state of that exam's analysis (it waited for that exam's score held
  // back, and a read prior opened while her current exam was queued showed its marks: a probe). (A
  // read exam beside an earlier one still to read shows its own marks: that prior's stay locked on
  // the comparison steps, priorHeld.)
  const laterToRead = shownRead && settings.aiMarksMode === 'second-look'
    ? shownExam?.detail.priors.find((p) => !p.isPrior && p.status !== 'read' && (p.firstImpressionDue || p.ai?.scoreWithheld)) ?? null
    : null;
  const heldForLater = laterToRead ? formatDicomDate(locale, laterToRead.studyDate) || '?' : null;
  const laterToReadDate = laterToRead?.studyDate ?? '';
  // (held for her later exam even where she gave this one an impression when she read it, as the
  // worklist holds its score: it showed its marks and score, the worklist "after her exam to read": a probe)
  const lockedFor = useCallback((ai: AiResults | null) => settings.aiMarksMode === 'second-look' && (heldForLater !== null || (!shownRead && !ai?.firstImpression)), [settings.aiMarksMode, shownRead, heldForLater]);
  const aiLocked = lockedFor(currentAi);
  // a prior still to read keeps its marks locked where the exam on screen is unlocked only for being read
  // (no impression of it): her own impression of that prior is still to come (its marks showed on the
  // comparison of a later exam marked read: a re-probe)
  const priorHeld = useCallback((id: number) => {
    if (id === examId || settings.aiMarksMode !== 'second-look' || currentAi?.firstImpression) return false;
    const prior = shownExam?.priors.find((p) => p.exam.examId === id)?.exam;
    return Boolean(prior && prior.status !== 'read' && !aiResults.get(id)?.firstImpression);
  }, [examId, settings.aiMarksMode, currentAi, shownExam, aiResults]);
  // what only says where she is (the last exam, back to the top) goes by itself; errors and what asks her to act stay until clicked
  useEffect(() => {
    if (!notice || !('key' in notice) || !PASSING_NOTICES.has(notice.key)) return;
    const timer = setTimeout(() => setNotice((n) => (n === notice ? null : n)), 8000);
    return () => clearTimeout(timer);
  }, [notice]);
  // the notice that the marks are locked goes once they are not (her first impression is recorded)
  useEffect(() => { if (!aiLocked) setNotice((n) => (n && 'key' in n && (n.key === 'ai.locked' || n.key === 'viewer.readBeforeImpression' || n.key === 'viewer.readBeforeImpressionLocked') ? null : n)); }, [aiLocked]);
  // what the AI says of the exam on screen (its marks, its score, another CAD's marks) shown before her
  // first impression, in concurrent mode: told to the station, which records an impression made
  // after it as made with the marks, even once she has switched to second look (a probe recorded
  // "normal" as an unaided read that way, the marks seen a minute before)
  const notedAiShown = useRef(new Set<number>());
  useEffect(() => {
    if (aiLocked || !currentAi || currentAi.firstImpression || notedAiShown.current.has(examId)) return;
    if (currentAi.state?.status !== 'done' && currentAi.cadReports.length === 0) return;
    notedAiShown.current.add(examId);
    // its answer says so (second look then warns that her impression will be recorded as made with them)
    api.noteAiShown({ examId }).then((results) => setAiResults((m) => new Map(m).set(examId, results)), () => notedAiShown.current.delete(examId));
  }, [aiLocked, currentAi, examId, api]);
  // The class switches: the classes the models can mark (a model of masses alone gets one switch),
  // and those other systems' CAD marks carry; the lexicon's four first, in its order.
  const aiClasses = useMemo(() => {
    const present = new Set([...aiResults.values()].flatMap((r) => [
      ...(r.model?.classes ?? []), ...r.findings.map((f) => f.class), ...r.cadReports.flatMap((c) => c.marks.map((m) => m.class)),
    ]));
    const lexicon: readonly string[] = AI_FINDING_CLASSES;
    return [...lexicon.filter((c) => present.has(c)), ...[...present].filter((c) => !lexicon.includes(c))];
  }, [aiResults]);
  const stepMarks = useMemo<StepMarks | null>(() => {
    if (!marksOn || aiLocked || !aiExamKey) return null;
    const byInstance = new Map<number, (MarkGroup & { findings: MarkGroup['findings'][number][] })[]>();
    const add = (instanceId: number, group: Omit<MarkGroup, 'findings'>, finding: MarkGroup['findings'][number]) => {
      const groups = byInstance.get(instanceId) ?? [];
      let entry = groups.find((g) => g.source === group.source && g.label.model === group.label.model);
      if (!entry) groups.push(entry = { ...group, findings: [] });
      entry.findings.push(finding);
      byInstance.set(instanceId, groups);
    };
    for (const id of aiExamKey.split(',').map(Number)) {
      const results = aiResults.get(id);
      if (!results || priorHeld(id)) continue;
      // marks always carry their model's name and limits: without the model's description, none are drawn
      if (results.model) {
        const label = marksLabel(t, results.model);
        // a mark's score is written so as to keep its side of the threshold the reader is shown: the
        // exam point where the worklist and the strip flag exams at it (the marks' own point is said
        // nowhere then, and written to its decimals it read "0,1544" among "0,16"s, a probe), else the marks'
        const threshold = results.model.examOperatingPoint?.threshold ?? results.model.operatingPoint.threshold;
        for (const finding of results.findings) if (!hiddenClasses.has(finding.class)) add(finding.instanceId, { label, source: 'model', threshold, scale: results.model.scoreScale }, finding);
        // an image the model does not read (a spot or magnification view) says so: no mark there is not "nothing found"
        // (of an analysis done: an exam that failed for its pixels says so once, in the AI strip)
        for (const { instanceId, reason, failure } of results.state?.status === 'done' ? results.notAnalysed : []) {
          const groups = byInstance.get(instanceId) ?? [];
          const said = reason === 'unreadable' ? t('ai.notAnalysedUnreadable', { reason: unreadReason(t, failure) })
            : t(reason === 'pixel-size' ? 'ai.notAnalysedPixels' : reason === 'implant' ? 'ai.notAnalysedImplant' : 'ai.notAnalysed');
          groups.push({ label: { ...label, notAnalysed: said }, source: 'model', findings: [] });
          byInstance.set(instanceId, groups);
        }
        // an image it read and marked nothing on says so, in a word: a view without a label read as
        // "not shown" as well as "nothing found", a prior's beside the current exam's marks (a radiologist's probe)
        if (results.state?.status === 'done') {
          const exam = id === examId ? shownExam?.detail : shownExam?.priors.find((p) => p.exam.examId === id);
          const notRead = new Set(results.notAnalysed.map((n) => n.instanceId));
          const marked = new Set(results.findings.map((f) => f.instanceId));
          for (const instance of (exam?.series ?? []).flatMap((s) => s.instances)) {
            if (!instance.isImage || instance.forProcessing || instance.viewLabel === null || notRead.has(instance.instanceId) || marked.has(instance.instanceId)) continue;
            byInstance.set(instance.instanceId, [...byInstance.get(instance.instanceId) ?? [], { label: { ...label, noMark: t('ai.noMark') }, source: 'model', findings: [] }]);
          }
        }
        // an image with marks of classes switched off says so, how many and which classes: without a word
        // it read as not analysed beside the others' "no mark", the switch set on another woman, and an
        // image showing one of its marks hid the other with nothing said there (probes)
        const hiddenHere = new Map<number, { count: number; classes: Set<string> }>();
        for (const f of results.findings) {
          if (!hiddenClasses.has(f.class)) continue;
          const here = hiddenHere.get(f.instanceId) ?? { count: 0, classes: new Set<string>() };
          here.count++;
          here.classes.add(f.class);
          hiddenHere.set(f.instanceId, here);
        }
        for (const [instanceId, { count, classes }] of hiddenHere) {
          const names = aiClasses.filter((c) => classes.has(c)).map((c) => aiClassName(t, c)).join(', ');
          const said = translateCount(locale, 'ai.marksHiddenHere', count, { classes: translateCount(locale, 'ai.classesOff', classes.size, { names }) });
          const groups = byInstance.get(instanceId) ?? [];
          const shown = groups.find((g) => g.source === 'model' && g.findings.length > 0);
          if (shown) shown.label = { ...shown.label, hiddenHere: said, hiddenHereShort: translateCount(locale, 'ai.marksHiddenHereShort', count, { names }) };
          else if (!groups.some((g) => g.source === 'model' && g.label.notAnalysed)) byInstance.set(instanceId, [...groups, { label: { ...label, hiddenHere: said }, source: 'model', findings: [] }]);
        }
        // a prior whose analysis is not done (queued, running, failed) says so on its images: a prior
        // without marks beside the current exam's read as "nothing found" while it waited (a probe)
        const prior = id !== examId ? shownExam?.priors.find((p) => p.exam.examId === id) : undefined;
        if (prior && results.state?.status !== 'done' && !results.findings.length) {
          const said = results.state ? t('ai.priorPending', { state: aiStateText(t, results, { showScore: false, locale }) }) : t('ai.priorNotQueued');
          for (const instance of prior.series.flatMap((s) => s.instances)) {
            const groups = byInstance.get(instance.instanceId) ?? [];
            groups.push({ label: { ...label, notAnalysed: said }, source: 'model', findings: [] });
            byInstance.set(instance.instanceId, groups);
          }
        }
      }
      // another CAD's marks, under its own name: "Presentation Required" ones, and the optional ones when asked for
      for (const report of results.cadReports) {
        const label = cadMarksLabel(t, report);
        for (const mark of report.marks) {
          if (hiddenClasses.has(mark.class) || (mark.intent === 'optional' && !optionalCadMarks)) continue;
          add(mark.instanceId, { label, source: 'cad' }, { instanceId: mark.instanceId, class: mark.class, score: mark.certainty, x: mark.x, y: mark.y, box: mark.box });
        }
      }
    }
    return byInstance;
  }, [marksOn, aiLocked, aiExamKey, aiResults, hiddenClasses, optionalCadMarks, t, locale, examId, shownExam, priorHeld, aiClasses]);

  // the images of the step on screen
  const stepImages = step ? step.viewports.flatMap((v) => (v.image ? [v.image.instanceId] : [])).join(',') : '';
  // a prior's marks drawn on a comparison step (once the exam on screen is unlocked, or in concurrent
  // mode) are shown for that prior too: an impression recorded later on the prior itself is made with
  // them (a probe saw a prior's marks in step 2, then opened the prior and recorded "normal" as unaided)
  useEffect(() => {
    if (!stepMarks || !shownExam || !stepImages) return;
    const onStep = new Set(stepImages.split(',').map(Number));
    for (const prior of shownExam.priors) {
      const id = prior.exam.examId;
      const results = aiResults.get(id);
      if (!results || results.firstImpression || results.shownBeforeFirstImpression || notedAiShown.current.has(id)) continue;
      const marks = [...(results.model ? results.findings : []), ...results.cadReports.flatMap((r) => r.marks)];
      if (!marks.some((m) => onStep.has(m.instanceId) && (stepMarks.get(m.instanceId)?.some((g) => g.findings.length > 0) ?? false))) continue;
      notedAiShown.current.add(id);
      api.noteAiShown({ examId: id }).then((fresh) => setAiResults((m) => new Map(m).set(id, fresh)), () => notedAiShown.current.delete(id));
    }
  }, [stepMarks, shownExam, stepImages, aiResults, api]);

  // the marks on the step's images (the current exam's and its priors') the reader does not see now:
  // said in the AI strip, so that hidden marks are not taken for marks not found (a prior's too)
  const hiddenMarks = useMemo(() => {
    if (aiLocked || !aiExamKey || !stepImages) return { byKey: 0, byClass: 0, classesOff: 0 };
    const onStep = new Set(stepImages.split(',').map(Number));
    const drawable = aiExamKey.split(',').map(Number).flatMap((id) => {
      const results = aiResults.get(id);
      if (!results || priorHeld(id)) return [];
      return [...(results.model ? results.findings : []), ...results.cadReports.flatMap((r) => r.marks.filter((m) => m.intent === 'required' || optionalCadMarks))];
    }).filter((m) => onStep.has(m.instanceId));
    if (!marksOn) return { byKey: drawable.length, byClass: 0, classesOff: 0 };
    const byClass = drawable.filter((m) => hiddenClasses.has(m.class));
    return { byKey: 0, byClass: byClass.length, classesOff: new Set(byClass.map((m) => m.class)).size };
  }, [aiLocked, aiExamKey, aiResults, marksOn, hiddenClasses, optionalCadMarks, stepImages, priorHeld]);

  // the dotted marks (AiMarksLayer's weak ones: a model's, under the threshold it is drawn against) on the
  // step's images, the current exam's or a prior's: the strip's legend says what they are
  const weakOf = useCallback((instanceIds: Iterable<number>) => {
    for (const id of instanceIds) {
      for (const g of stepMarks?.get(id) ?? []) {
        const threshold = g.threshold;
        if (g.source === 'model' && threshold !== undefined && g.findings.some((f) => f.score !== null && f.score < threshold)) return { threshold, scale: g.scale };
      }
    }
    return null;
  }, [stepMarks]);
  const weakOnStep = useMemo(() => (stepImages ? weakOf(stepImages.split(',').map(Number)) : null), [weakOf, stepImages]);
  // (any step's: the exam's images and its priors', all in stepMarks)
  const weakInExam = useMemo(() => weakOf(stepMarks?.keys() ?? []), [weakOf, stepMarks]);

  // the marks switches show where a mark can be (an analysis done, a CAD report: the exam's or a prior's)
  const marksPossible = useMemo(() => aiExamKey.split(',').filter(Boolean).map(Number)
    .some((id) => { const r = aiResults.get(id); return !!r && (r.state?.status === 'done' || r.cadReports.length > 0); }), [aiExamKey, aiResults]);

  // The steps painted: the one on screen; prepared out of sight once it is painted, the next step and
  // the next exam's first step; and the last ones left (going back shows them without drawing again).
  if (shownStage && lastShown.current && lastShown.current.key !== shownStage.key && prepare) {
    kept.current = [lastShown.current, ...kept.current.filter((k) => k.key !== lastShown.current!.key && k.key !== shownStage.key)].slice(0, KEPT_STEPS);
  }
  if (shownStage) lastShown.current = shownStage;
  const nextStage = shownExam && settled && prepare ? stageOf(shownExam, stepIndex + 1, options) : null;
  // the next-exam key opens an exam at its first step, hung by its best protocol
  const aheadStage = ahead && settled && prepare && ahead.detail.exam.examId !== examId ? stageOf(ahead, 0, options) : null;
  const stages: Stage[] = [];
  for (const stage of [shownStage, nextStage, aheadStage, ...kept.current]) {
    if (stage && stage.optionsKey === shownStage?.optionsKey && !stages.some((s) => s.key === stage.key)) stages.push(stage);
  }

  const onStagePainted = useCallback((key: string, isPainted: boolean, at?: number) => {
    // (kept outside the state's updater, which React may call twice)
    if (isPainted && at !== undefined) paintedAt.current.set(key, at); else if (!isPainted) paintedAt.current.delete(key);
    setPainted((p) => {
      if (p.has(key) === isPainted) return p;
      const next = new Set(p);
      if (isPainted) next.add(key); else next.delete(key);
      return next;
    });
  }, []);

  const explainFailure = useCallback(async (instance: InstanceDetail, failure: unknown): Promise<FailureExplained> => {
    let say: FailureExplained['say'] = (tr) => explainLoadFailure(failure, instance, tr);
    try {
      const examOf = [loaded, ahead].find((l) => l?.instances.has(instance.instanceId))?.detail.exam.examId ?? examId;
      const check = await api.checkStore({ examId: examOf });
      const damaged = check.damaged.find((d) => d.instanceId === instance.instanceId);
      if (damaged) say = (tr) => tr(damaged.reason === 'missing' ? 'exam.storeMissing' : damaged.reason === 'codestream' ? 'exam.storeCut' : 'exam.storeDamaged');
    } catch { /* the check itself failed: say what the decoder said */ }
    return { text: say(t), say };
  }, [api, loaded, ahead, examId, t]);

  /**
   * `unread`: the next exam not read yet (after "mark read"), passing over those read. `from`: where
   * she was when she asked (the page's hash): moved since (back to the worklist, another exam, or a
   * newer step asked), the answer is dropped. Applied late, it opened another woman's exam over the
   * worklist she had gone back to (a review: "mark read and next", then Backspace before the answers).
   */
  const goToExam = useCallback(async (direction: 1 | -1, unread = false, from = location.hash) => {
    const asked = ++examMoves.current;
    leaving.current = examId;
    const stale = () => asked !== examMoves.current || location.hash !== from;
    let next = await neighbourExam(api, examId, direction, { unread }).catch(() => null);
    if (stale()) return;
    // none left below: the exams passed over higher in the list, from the top, said so
    const wrapped = next === null && unread && direction > 0 ? await firstUnreadFromTop(api, examId).catch(() => null) : null;
    if (stale()) return;
    if (wrapped !== null) {
      next = wrapped;
      noticeForNextExam.current = { key: 'viewer.backToTop' };
    }
    // none to go to: she stays, and the exam's keys are hers again
    if (next === null || next === examId) leaving.current = null;
    if (next === null) setNotice({ key: unread ? 'viewer.noExamToRead' : direction > 0 ? 'viewer.lastExam' : 'viewer.firstExam' });
    else location.hash = `#/exam/${next}${diagnostics}`;
  }, [api, examId, t, diagnostics]);

  const goToStep = useCallback((index: number) => setPosition({ examId, index }), [examId]);

  /** False when the station refused or did not answer: said, and the exam stays where it was. */
  const setStatus = useCallback(async (status: ExamStatus): Promise<boolean> => {
    try {
      const exam = await api.setExamStatus({ examId, status });
      noteExamStatus(exam.examId, exam.status);
      setLoaded((l) => (l && l.detail.exam.examId === exam.examId ? { ...l, detail: { ...l.detail, exam } } : l));
      // a question asked before marking it read is answered: left on screen once the exam was read, it
      // read as if the exam still needed marking (a radiologist's probe)
      setNotice((n) => (n?.gate ? null : n));
      return true;
    } catch (e) {
      setNotice({ text: errorText(e) });
      return false;
    }
  }, [api, examId, errorText]);

  // Second look, the AI's output ready and her first impression not recorded: marking the exam read
  // (r, Enter, the button) asks once before it closes the exam without the AI's second look (a probe
  // read an exam with a distortion, pressed r, and the marks were never seen). Asked again, it is read.
  const readWithoutAiAsked = useRef<number | null>(null);
  /** The exam whose reader was asked, marking it read, whether she meant to with steps of it unseen. */
  const readStepsUnseenAsked = useRef<number | null>(null);
  // when the last such question was put, and on which exam: a key (or click) within QUESTION_READ_MS
  // of it does not answer it (a probe pressed Enter twice out of habit, 150 ms apart: the question was
  // on screen 0.2 s and the exam closed normal, the AI's 0,60 marks on a cluster unread)
  const questionAsked = useRef<{ examId: number; at: number } | null>(null);
  const ask = useCallback((question: Parameters<typeof setNotice>[0]) => {
    questionAsked.current = { examId, at: performance.now() };
    setNotice(question);
  }, [examId]);
  // gone from the screen (answered, closed, replaced), it holds back no key
  useEffect(() => { if (!notice?.gate) questionAsked.current = null; }, [notice]);
  // the unseen-steps question is answered by going to look: gone at her next step (left on screen, it
  // still counted the steps seen as when it was asked, four steps later: a radiologist's probe); marking
  // the exam read asks again with the steps left, if any
  useEffect(() => { setNotice((n) => (n && 'key' in n && n.key === 'viewer.readStepsUnseen' ? null : n)); }, [stepIndex, examId]);
  // one mark-read at a time: a second while the first awaits the exam's results passed its question
  const markingRead = useRef(false);
  // Her first impression normal, the AI calling the exam (marks, or its score over the exam point):
  // marking it read asks once too. A probe read a distortion scored 0.99 as normal, pressed Enter at
  // once, and the exam was read and the next one open, the strip's "look at them" never read.
  // (once per exam in this window, not per opening: asked again after the exam was closed and opened again, a probe)
  const markReadAsking = useCallback(async (): Promise<boolean> => {
    // read already (Enter to go on from an exam read before): nothing to ask, nothing to record (it asked
    // again about the steps she had not seen, before going on: a radiologist's probe)
    if (loaded?.detail.exam.examId === examId && loaded.detail.exam.status === 'read') return true;
    // steps of the exam not seen (a radiologist's probe closed an exam at its second step of ten with one
    // key, nothing said; SecurView asks): asked first, once while the question is fresh (as below)
    const plan = loaded?.detail.exam.examId === examId ? loaded.plan : null;
    const seen = seenSteps.current.get(examId);
    const unseen = plan ? plan.steps.flatMap((s, i) => (seen?.has(s.id) ? [] : [i + 1])) : [];
    const stepsQuestion = questionAsked.current;
    const answeringSteps = readStepsUnseenAsked.current === examId && stepsQuestion?.examId === examId && performance.now() - stepsQuestion.at < QUESTION_ARMED_MS;
    if (settings.askUnseenSteps && plan && unseen.length > 0 && !answeringSteps) {
      readStepsUnseenAsked.current = examId;
      ask({ key: 'viewer.readStepsUnseen', steps: { seen: plan.steps.length - unseen.length, total: plan.steps.length, unseen: numberRanges(unseen) }, gate: true });
      return false;
    }
    // the exam's AI results not fetched yet (Enter pressed within a second of opening it): asked now,
    // not taken as "nothing to see" (a probe read an analysed exam unasked, its marks never shown)
    const ai = currentAi ?? (lockedFor(null) ? await api.aiResults({ examId }).catch(() => null) : null);
    const aiToSee = ai && (ai.state?.status === 'done' || ai.cadReports.length > 0);
    // asked once, in words that fit: the AI's output never shown to her, or seen before (in concurrent
    // mode, its worklist score) and locked here ("never shown" said where she had seen it: a probe; not
    // asked at all, a flagged exam scored 0.96 was closed with one key, unseen and no impression: a re-probe)
    // the analysis still under way (queued, running, paused for an opened exam; not a model on hold): asked
    // once too, its second look on its way (a probe's Enter closed an exam 3.5 s after it opened, "analysing…",
    // its score came after: a reader of Transpara expects "the AI has not finished")
    const aiComing = ai?.state && ['queued', 'running'].includes(ai.state.status) && !ai.state.held;
    // answered only while the question is on screen and fresh: closed, put minutes ago (she walked all
    // eleven steps meanwhile), or left for another exam, a later key asks it again (it stayed armed for
    // good: a radiologist's probe)
    const onScreen = questionAsked.current;
    const answering = readWithoutAiAsked.current === examId && onScreen?.examId === examId && performance.now() - onScreen.at < QUESTION_ARMED_MS;
    if (lockedFor(ai) && heldForLater === null && (aiToSee || aiComing) && !answering) {
      readWithoutAiAsked.current = examId;
      ask({ key: !aiToSee ? 'viewer.readBeforeAiDone' : ai!.shownBeforeFirstImpression ? 'viewer.readBeforeImpressionLocked' : 'viewer.readBeforeImpression', gate: true });
      return false;
    }
    readWithoutAiAsked.current = null;
    if (ai?.firstImpression?.impression === 'normal' && ai.state?.status === 'done' && aiCallsRecall(ai) && !readDisagreeingAsked.has(examId)) {
      readDisagreeingAsked.add(examId);
      if (ai.findings.length === 0) {
        ask({ key: 'viewer.readDisagreeingFlagged', gate: true });
        return false;
      }
      // the marks she is asked to look at are on screen: their step (where the one on screen has none),
      // the marks on, their classes shown; and their views named with their steps. A radiologist probe
      // was asked on a step without them (the one mark on an extra view, eleventh step) and closed the
      // exam unseen. Those at or above the exam's flag first: the marks under it are no call of the AI's
      // (a re-probe's "9 marks" were 8 faint ones and one on the nipple).
      const flagged = findingsAtFlag(ai);
      const asked = flagged.length ? flagged : ai.findings;
      const marked = asked.map((f) => f.instanceId);
      const plan = loaded?.detail.exam.examId === examId ? loaded.plan : null;
      const to = plan ? stepShowing(plan, marked, stepIndex) : null;
      if (to !== null && to !== stepIndex) goToStep(to);
      setMarksOn(true);
      setHiddenClasses((hidden) => (ai.findings.some((f) => hidden.has(f.class)) ? new Set([...hidden].filter((c) => !ai.findings.some((f) => f.class === c))) : hidden));
      const viewOf = (id: number) => loaded?.instances.get(id)?.viewLabel ?? '?';
      // (said in the language she reads in at each moment: the steps' words too)
      const where = (plan ? stepsShowing(plan, marked, to ?? stepIndex) : [{ step: null, labels: [], instanceIds: marked }])
        .map(({ step, labels, instanceIds }) => ({ step, views: [...new Set(step === null ? instanceIds.map(viewOf) : labels)].join(', ') }));
      // (some of them and not all: two marks at least, said in the plural alone)
      ask(flagged.length && flagged.length < ai.findings.length
        ? { key: 'viewer.readDisagreeingSome', count: ai.findings.length, flagged: flagged.length, where, gate: true }
        : { key: 'viewer.readDisagreeing', count: ai.findings.length, where, gate: true });
      return false;
    }
    // not recorded (the station refused, or did not answer): she stays on the exam, the error said
    // (mark read then next went on, the error cleared by the next exam, the exam left unread: a probe)
    return setStatus('read');
  }, [api, lockedFor, heldForLater, currentAi, examId, setStatus, loaded, stepIndex, goToStep, ask, settings.askUnseenSteps]);
  /** Marks the exam read, asking first where it must; `pressedAt`: when the key was pressed (a click: now). */
  const markRead = useCallback(async (pressedAt = performance.now()): Promise<boolean> => {
    const asked = questionAsked.current;
    if (markingRead.current || (asked?.examId === examId && pressedAt - asked.at < QUESTION_READ_MS)) return false;
    markingRead.current = true;
    try {
      return await markReadAsking();
    } finally {
      markingRead.current = false;
    }
  }, [examId, markReadAsking]);

  /** An AI operation on the exam on screen; its answer replaces the exam's results, its error is said in the reader's language. */
  const aiAction = useCallback(async (call: () => Promise<AiResults>) => {
    setAiBusy(true);
    try {
      const results = await call();
      setAiResults((m) => new Map(m).set(examId, results));
    } catch (e) {
      setNotice({ text: errorText(e) });
      // the page may be behind the library (another window or station recorded her impression, or
      // cancelled the analysis, meanwhile): shown as it is now, not as it was
      api.aiResults({ examId }).then((results) => setAiResults((m) => new Map(m).set(examId, results)), () => undefined);
    } finally {
      setAiBusy(false);
    }
  }, [api, examId, errorText]);
  // the exam whose first impression is on its way to the station: a second key pressed meanwhile is
  // told it is recorded, not refused by the station as "recorded in another window or station" (a probe)
  const impressionSending = useRef<number | null>(null);
  const recordFirstImpression = useCallback((impression: FirstImpressionValue) => void aiAction(async () => {
    impressionSending.current = examId;
    const results = await api.setFirstImpression({ examId, impression }).finally(() => { impressionSending.current = null; });
    // the station made a 'new' exam 'in progress' with it (service/ai.ts): the bar says so too
    setLoaded((l) => (l && l.detail.exam.examId === examId && l.detail.exam.status === 'new' ? { ...l, detail: { ...l.detail, exam: { ...l.detail.exam, status: 'in_progress' } } } : l));
    return results;
  }), [aiAction, api, examId]);

  const chooseTool = useCallback((next: PrimaryTool) => { setTool(next); setPrimaryTool(next); }, []);
  // the measurements' numbers as her language writes them
  useEffect(() => setToolsLocale(locale), [locale]);
  // a prior that arrived, shown at the reader's word: once hung, its first step that shows it (it went
  // to the first step, the current exam's views alone, the prior three steps on: a probe)
  const showArrivedPrior = useRef<number | null>(null);
  useEffect(() => {
    const priorId = showArrivedPrior.current;
    if (priorId === null || !loaded || loaded.detail.exam.examId !== examId || loaded.plan.priorExamIds[0] !== priorId) return;
    showArrivedPrior.current = null;
    goToStep(Math.max(0, loaded.plan.steps.findIndex((step) => step.viewports.some((v) => v.image?.slot.exam === 'prior'))));
  }, [loaded, examId, goToStep]);

  /** `pressedAt`: when the key that asks it was pressed (performance.now()'s clock); a button's click, now. */
  const run = useCallback((action: ViewerAction, pressedAt?: number) => {
    const steps = shownExam?.plan.steps.length ?? 1;
    // what a key that would unlock the marks or answer the impression says on a read exam held for a later one: why, and where her impression goes
    const heldForLaterNotice = heldForLater !== null ? { key: 'ai.lockedForLater' as const, dicomDate: laterToReadDate } : null;
    switch (action) {
      case 'nextStep': goToStep(Math.min(stepIndex + 1, steps - 1)); break;
      case 'previousStep': goToStep(Math.max(stepIndex - 1, 0)); break;
      case 'nextExam': void goToExam(1); break;
      case 'previousExam': void goToExam(-1); break;
      case 'markRead': case 'markReadAndNext': {
        if (!seenLongEnough(pressedAt)) { setNotice({ key: 'viewer.readTooSoon' }); break; }
        if (action === 'markRead') void markRead(pressedAt);
        else {
          // where she was as she pressed it: gone elsewhere while the status was saved, she stays there
          const from = location.hash;
          void markRead(pressedAt).then((read) => { if (read && location.hash === from) void goToExam(1, true, from); });
        }
        break;
      }
      case 'invert': renderer.current?.invert(); break;
      case 'reset': renderer.current?.reset(); break;
      case 'windowLevel': case 'pan': case 'zoom': case 'magnifier': case 'measure': chooseTool(action); break;
      case 'trueSize':
        if (!settings.monitorPixelPitchMm) setNotice({ key: 'viewer.trueSizeNeedsPitch' });
        else setSizeMode((m) => (m === 'same-size' ? 'true-size' : 'same-size'));
        break;
      case 'aiMarks':
        if (aiLocked) setNotice(heldForLaterNotice ?? { key: 'ai.locked' });
        else setMarksOn((on) => !on);
        break;
      case 'aiMarksMass': case 'aiMarksCalcification': case 'aiMarksDistortion': case 'aiMarksAsymmetry':
        if (aiLocked) setNotice(heldForLaterNotice ?? { key: 'ai.locked' });
        else toggleClass(CLASS_OF_ACTION[action]);
        break;
      case 'impressionNormal': case 'impressionRecall': {
        // asked where the AI strip asks it (second look, locked; or concurrent, before one is given); it
        // cannot be changed once given, so a key pressed as the exam opens is not taken for it either
        const asked = Boolean(currentAi) && !currentAi?.firstImpression && heldForLater === null && (aiLocked || settings.aiMarksMode === 'concurrent');
        // why not, said as it is (one line said "recorded already, or the AI has nothing": a probe)
        // (the exam's AI results not come yet, as it opens: "just opened", not "the AI has nothing here", a re-probe)
        if (impressionSending.current === examId) setNotice({ key: 'viewer.impressionRecorded' });
        // seen long enough, and its results still on their way (a busy station): said so, not "just opened" (a probe waited 3 s and read "after 1.5 s")
        else if (!currentAi) setNotice({ key: seenLongEnough(pressedAt) ? 'viewer.impressionAiNotYet' : 'viewer.impressionTooSoon' });
        // (a read exam held for a later one: why its AI is held, and where her impression goes, a re-probe)
        else if (!asked) setNotice((!currentAi.firstImpression && heldForLaterNotice) || { key: currentAi.firstImpression ? 'viewer.impressionRecorded' : shownRead ? 'viewer.impressionNotAskedRead' : 'viewer.impressionNotAsked' });
        else if (!seenLongEnough(pressedAt)) setNotice({ key: 'viewer.impressionTooSoon' });
        else {
          // "just opened" goes once the key is taken (it stayed over the recorded impression: a probe)
          setNotice((n) => (n && 'key' in n && n.key === 'viewer.impressionTooSoon' ? null : n));
          recordFirstImpression(action === 'impressionNormal' ? 'normal' : 'recall');
        }
        break;
      }
      case 'worklist': location.hash = '#/'; break;
      case 'help': setHelp((h) => !h); break;
    }
  }, [shownExam, stepIndex, goToStep, goToExam, markRead, chooseTool, settings.monitorPixelPitchMm, settings.aiMarksMode, t, aiLocked, heldForLater, laterToReadDate, shownRead, examId, currentAi, recordFirstImpression, toggleClass]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (settingsOpen) return;
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
      if (help && event.key === 'Escape') { setHelp(false); event.preventDefault(); return; }
      // a panel of the top bar (receiver, PACS, AI models) is open over the viewer: its keys are the panel's
      if (!help && document.querySelector('[role=dialog][aria-modal=true]')) return;
      // Escape closes a notice first, as it closes the help: pressed to dismiss one, it reset the zoom,
      // pan and window of every image (its default action: a radiologist's probe)
      if (notice && event.key === 'Escape') { setNotice(null); event.preventDefault(); return; }
      const action = actionForKey(settings.keymap, keyNameOf(event));
      if (!action) return;
      event.preventDefault();
      // a key held down (or stuck, or a hand resting on it) repeats: never taken as marking exams read
      // or as her impression, only the press itself (a probe held Enter 4 s: five exams marked read one
      // after another, each question answered by the next repeat, no first impression, three flagged)
      if (event.repeat && KEYS_NOT_REPEATED.has(action)) return;
      run(action, event.timeStamp);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [settings.keymap, run, help, settingsOpen, notice]);

  // with the step painted, the next exam of the worklist is loaded ahead (details, then images within
  // the cache's size) and hung, its first step painted out of sight
  useEffect(() => {
    if (!settled || !prepare) return;
    let cancelled = false;
    void (async () => {
      const next = await neighbourExam(api, examId, 1);
      if (next === null || next === examId) return;
      const prefetched = prefetchExam(api, next, options.renditions);
      const { detail, priors } = await prefetched.details;
      if (cancelled) return;
      setAhead((a) => (a?.detail === detail ? a : hangExam(detail, priors, undefined)));
      await prefetched.images;
    })().then(() => { if (!cancelled) setPrefetchState({ examId, state: 'done' }); })
      .catch(() => { if (!cancelled) setPrefetchState({ examId, state: 'failed' }); });
    return () => { cancelled = true; };
  }, [api, examId, settled, prepare, options.renditions]);

  // work out of sight waits until the frame with the step is on screen (a step swapped in shows at once)
  const shownKey = shownStage?.key;
  useEffect(() => {
    if (!shownPainted || !shownKey) return;
    const timer = setTimeout(() => setSettledKey(shownKey), SETTLE_MS);
    return () => clearTimeout(timer);
  }, [shownPainted, shownKey]);

  // for tests and support: the plan on screen and where an image point lands
  useEffect(() => {
    (window as unknown as { __binomeViewer?: unknown }).__binomeViewer = {
      plan: shownExam?.plan, stepIndex,
      stages: stages.map((stage) => `${stage.key}${painted.has(stage.key) ? ' painted' : ''}`),
      cacheBytes: () => cache.getCacheSize(),
      canvasPointOf: (place: string, point: [number, number]) => renderer.current?.canvasPointOf(place, point) ?? null,
      // when the exam on screen was first painted (performance.now()'s clock): the decision keys wait after it
      firstPainted: () => firstPainted.current,
    };
  }, [shownExam, stepIndex, stages, painted]);

  const noticeText = (shown: NonNullable<typeof notice>): string => {
    if ('text' in shown) return shown.text;
    if (shown.steps) return t(shown.key, shown.steps);
    if (shown.count !== undefined) {
      const views = shown.where?.map(({ step, views: named }) => (step === null ? named : t('viewer.marksOnStep', { views: named, step: step + 1 }))).join(t('viewer.marksOnStepsJoin'));
      return translateCount(locale, shown.key, shown.count, { ...(views !== undefined ? { views } : {}), ...(shown.flagged !== undefined ? { flagged: shown.flagged } : {}) });
    }
    return t(shown.key, shown.dicomDate !== undefined ? { date: formatDicomDate(locale, shown.dicomDate) || '?' } : undefined);
  };

  if (error) return <main className="exam"><p className="notice error" role="alert">{error}</p><a href="#/">← {t('exam.back')}</a></main>;
  if (!shownExam || !ready || !step) return <main className="exam"><p className="muted">{t('exam.loading')}</p></main>;
  const { detail, plan } = shownExam;
  const { exam } = detail;
  const age = ageOn(exam.patientBirthDate, exam.studyDate);
  const nextPainted = !nextStage || painted.has(nextStage.key);
  const aheadPainted = !aheadStage || painted.has(aheadStage.key);
  const priorChoices = detail.priors.filter((p) => choosePriors(exam, detail.priors).includes(p.examId));
  const stepNumbers = { n: plan.steps.indexOf(step) + 1, total: plan.steps.length };
  const stepTitle = t('viewer.step', { ...stepNumbers, name: t(step.name) });
  return (
    <main className="exam viewer" data-testid="exam-page" data-exam-id={examId} ref={root} data-step-rendered={shownPainted ? 'true' : undefined}
      data-next-step={settled && nextPainted ? 'prepared' : undefined}
      data-prefetch={settled && prefetchState?.examId === examId && aheadPainted ? prefetchState.state : undefined}>
      <div className="exam-bar">
        <a href="#/" className="back" title={t('exam.back')} aria-label={t('exam.back')}>← <span className="back-text">{t('exam.back')}</span></a>
        <strong data-testid="exam-patient" title={formatPersonName(exam.patientName)}>{formatPersonName(exam.patientName)}</strong>
        <span className="patient-id" data-testid="exam-patient-id" title={exam.patientId}>{exam.patientId}</span>
        {/* her age on the exam's date: two women of one name told apart, and the age a reading weighs (a probe found it nowhere) */}
        {age !== null && <span data-testid="exam-age" title={t('exam.born', { date: formatDicomDate(locale, exam.patientBirthDate), n: age })}>{t('exam.age', { n: age })}</span>}
        <span>{formatDicomDate(locale, exam.studyDate)}</span>
        <span className={`status status-${exam.status}`} data-testid="exam-status">{t(`status.${exam.status}`)}</span>
        {/* the room left on the line, whatever the name's length (the buttons after it stay in place) */}
        <span className="step-name" data-testid="step-name" title={stepTitle}>
          <span className="step-count">{t('viewer.stepCount', stepNumbers)}</span> <span className="step-label">{t(step.name)}</span>
        </span>
        {/* under 1500 px the bar takes two rows all the same: the first ends here, so that the step's name has the
            rest of it (the protocol's select beside it cut "Étape 1/10 : Quatre inci…" at 1280 px, a radiologist's
            probe), and the choices, tools and actions make the second, at every step and for every woman */}
        <span className="bar-break" aria-hidden="true" />
        {/* a choice made, the select lets go of the keyboard: kept, it took the viewer's keys ("a" for the
            marks did nothing, an arrow for the next step chose another prior: a probe) */}
        {/* the protocol and the prior wrap together, the prior's date named as such: wrapped alone to
            the start of the tools' row, a bare date read as one of the tools (a probe, French at 1366 px) */}
        <span className="exam-choices">
          <select aria-label={t('viewer.protocol')} title={t('viewer.protocol')} value={plan.protocolId} data-testid="protocol"
            onChange={(e) => { setChoice({ examId, protocolId: e.target.value, priorId: chosenPrior }); goToStep(0); e.currentTarget.blur(); }}>
            {plan.candidates.map((c) => <option key={c.protocolId} value={c.protocolId}>{t(c.name)}</option>)}
          </select>
          <label className="prior-choice muted">{priorChoices.length > 0 && t('viewer.priorChoice')}
            <select aria-label={t('viewer.priorChoice')} title={t('viewer.priorChoice')} value={plan.priorExamIds[0] ?? ''} data-testid="prior-choice"
              disabled={!priorChoices.length} onChange={(e) => { setChoice({ examId, protocolId, priorId: Number(e.target.value) }); e.currentTarget.blur(); }}>
              {!priorChoices.length && <option value="">{t('viewer.noPrior')}</option>}
              {priorChoices.map((p) => <option key={p.examId} value={p.examId}>{formatDicomDate(locale, p.studyDate)}</option>)}
            </select>
          </label>
        </span>
        <PacsPriorsLine examId={examId} />
        <ArrivedPriorOffer examId={examId} knownPriorIds={detail.priors.map((p) => p.examId)}
          shownPriorDate={detail.priors.find((p) => p.examId === plan.priorExamIds[0])?.studyDate ?? null}
          onShow={(priorId) => { showArrivedPrior.current = priorId; setChoice({ examId, protocolId: choice?.examId === examId ? choice.protocolId : undefined, priorId }); }} />
        {/* one per exam: a send's late answer was said beside the next woman's name, "sent" (a review) */}
        <PacsSendButton key={examId} examId={examId} />
        <div className="tools" role="toolbar">
          {(['windowLevel', 'pan', 'zoom', 'magnifier', 'measure'] as const).map((name) => (
            <button key={name} type="button" className={tool === name ? 'active' : ''} aria-pressed={tool === name} data-testid={`tool-${name}`}
              title={t(`viewer.action.${name}` as MessageKey)} onClick={() => chooseTool(name)}>{t(`viewer.action.${name}` as MessageKey).split(' (')[0]}</button>
          ))}
          <button type="button" onClick={() => run('invert')} data-testid="invert">{t('viewer.action.invert')}</button>
          <button type="button" onClick={() => run('reset')} data-testid="reset">⟲</button>
          <button type="button" onClick={() => run('trueSize')} aria-pressed={sizeMode === 'true-size'} data-testid="size-mode">{t(sizeMode === 'same-size' ? 'viewer.sameSize' : 'viewer.trueSize')}</button>
        </div>
        {/* together: the settings button never alone on a line of its own (1000 px, in French) */}
        <span className="exam-actions">
          {exam.status !== 'read'
            ? <button type="button" className="primary" onClick={() => void markRead()} data-testid="mark-read">{t('exam.markRead')}</button>
            : <button type="button" onClick={() => void setStatus('new')}>{t('exam.markNew')}</button>}
          <button type="button" onClick={() => setHelp(true)} aria-label={t('viewer.action.help')} data-testid="help-button">?</button>
          <button type="button" onClick={() => setSettingsOpen(true)} disabled={!settingsKnown} aria-label={t('viewer.settings')} data-testid="settings-button">⚙</button>
        </span>
      </div>
      <AiPanel results={currentAi} examRead={exam.status === 'read'} mode={settings.aiMarksMode} locked={aiLocked} heldForLater={heldForLater} marksOn={marksOn} classes={aiClasses} hiddenClasses={hiddenClasses} marksPossible={marksPossible}
        toggleKeys={settings.keymap.aiMarks.map((k) => keyLabel(k, locale)).join(' / ') || '—'} busy={aiBusy}
        onToggleMarks={() => setMarksOn((on) => !on)}
        onToggleClass={toggleClass}
        optionalCadMarks={optionalCadMarks} onToggleOptionalCadMarks={() => setOptionalCadMarks((on) => !on)} hiddenMarks={hiddenMarks} weakOnStep={weakOnStep} weakInExam={weakInExam}
        onFirstImpression={recordFirstImpression}
        onCancel={() => void aiAction(() => api.cancelAiAnalysis({ examId }))}
        onRequeue={() => void aiAction(() => api.queueAiAnalysis({ examId }))}
        viewOf={(instanceId) => shownExam.instances.get(instanceId)?.viewLabel ?? null}
        viewLabels={imageFacts.viewLabels} implant={imageFacts.implant} />
      {detail.identity.otherPatientsWithSameId > 0 && <p className="notice warning" data-testid="identity-warning">{t('exam.sharedId', { count: detail.identity.otherPatientsWithSameId })}</p>}
      {detail.identity.differsFromPatient && <p className="notice warning" data-testid="identity-differs">{t('exam.identityDiffers')}</p>}
      {detail.rejected.length > 0 && (
        <div className="notice warning" data-testid="exam-incomplete">
          <p>{t('exam.incomplete', { count: detail.rejected.length })}</p>
          {detail.rejected.slice(0, 5).map((r) => <p key={r.id} className="problem">{t('import.rejected', { file: r.file, reason: problem(r) })}</p>)}
        </div>
      )}
      <div className="stages">
        {stages.map((stage) => (
          <StepView key={stage.key} stageKey={stage.key} shown={stage.key === shownStage!.key} step={stage.step} instances={stage.loaded.instances}
            priors={stage.loaded.priors.map((p) => p.exam)} current={stage.loaded.detail.exam} options={options}
            onRendered={onStagePainted} onRenderer={(r) => { renderer.current = r; }} explainFailure={explainFailure}
            marks={stage.key === shownStage!.key ? stepMarks : null} />
        ))}
      </div>
      <footer className="exam-footer">
        {/* over the footer's hints, not the images: above them a notice pushed every image down and
            back, and over their top it hid the view labels of a row of four and the MLOs' axillae (probes) */}
        {notice && <p className={`notice floating${notice.gate ? ' gate' : ''}`} role="status" data-testid="viewer-notice" data-gate={notice.gate ? 'true' : undefined} onClick={() => setNotice(null)}>{noticeText(notice)}</p>}
        <span className="muted small">{t('viewer.mouse')}</span>
        {tool === 'measure' && <span className="muted small" data-testid="measure-note">{t('viewer.measureNote')}</span>}
        <span className="muted small">{VIEWER_ACTIONS.slice(0, 2).map((a) => t('common.labelled', { label: t(`viewer.action.${a}` as MessageKey), text: settings.keymap[a].map((k) => keyLabel(k, locale)).join(' / ') })).join(' · ')}</span>
        {/* the step's whole name where there is room for it: in the exam bar, in French at 1920 px, only its count was (a probe) */}
        <span className="footer-step small" data-testid="footer-step">{stepTitle}</span>
      </footer>
      {help && <HelpOverlay keymap={settings.keymap} onClose={() => setHelp(false)} />}
      {settingsOpen && <ViewerSettingsDialog settings={settings} aiModel={currentAi?.model ?? null} onClose={() => setSettingsOpen(false)}
        onSaved={(s) => { setSettings(s); setCacheSizeMb(s.prefetchCacheMb); setSettingsOpen(false); }} />}
    </main>
  );
}


/** Who an exam is of, as the viewer tells one woman from the next (her ID and name: two women may share either). */
function shownExamWoman(exam: { patientId: string; patientName: string } | undefined): string | null {
  return exam ? `${exam.patientId}\u0000${exam.patientName}` : null;
}
