// The AI second reader's marks over one viewport: an SVG layer above the image (never in it), one
// shape per class with its score beside it, and the label that says whose marks they are (the
// model, and that it is not for diagnostic use where so). Positions come from the viewport's own
// transforms (StepRenderer.canvasPointOf) and are computed again after every render of the image,
// so that the marks follow zoom, pan, flips, the swap of the rendition for the stored image, and a
// change of size.

import { useCallback, useEffect, useId, useLayoutEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { Enums } from '@cornerstonejs/core';
import { INSCRIBED_SHARE, SHAPE_GLYPHS, markRadiusMax, nearMarkOfAnotherShape, placeGlassScore, placeScoreLabels, projectFinding, shapeOf, shapePath, marksOutside } from './mark-geometry.ts';
import type { Box, MarkFinding, Point, ProjectedMark } from './mark-geometry.ts';
import { formatScore, formatScoreAgainst, translateCount } from '../../common/i18n/messages.ts';
import type { ScoreRange } from '../../common/i18n/messages.ts';
import { useI18n } from '../i18n.tsx';

export interface MarksLabel {
  model: string;
  /** The model's version, the end of `model`: kept whole where a small viewport cuts the name short. */
  version?: string;
  warning: string | null;
  /** The warning in fewer words, said instead of it over a small viewport (styles.css: a cell under 340 × 240 px). */
  warningShort?: string;
  /** And in one short line, over a viewport about a hundred pixels high. */
  warningTiny?: string;
  /** Said over the image whether or not it has marks: the model did not read it (no mark is not "nothing found"). */
  notAnalysed?: string;
  /** Said over an image the model read and marked nothing on (at the reader's point): "nothing found", not "not shown". */
  noMark?: string;
  /** Said over an image whose marks are all of classes switched off: without a word it read as not analysed beside the others' "no mark" (a probe). */
  hiddenHere?: string;
  /** The same in fewer words, under the model's name and warning where the image shows other marks. */
  hiddenHereShort?: string;
}

export interface AiMarksLayerProps {
  findings: readonly MarkFinding[];
  label: MarksLabel;
  /** The station's model's marks, or a CAD report's (another algorithm's, drawn apart). */
  source: 'model' | 'cad';
  /**
   * The threshold the reader is shown (the model's exam operating point, or its marks'): a score
   * written beside it gets the decimals that keep it on its side (a mark of 0.1551 read "0.15" beside
   * a threshold of 0.1528, as if under it: a probe).
   */
  threshold?: number;
  /** Its model's score scale (output.scoreScale): a score is written with the decimals its scale uses. */
  scale?: ScoreRange;
  /**
   * Where its label goes: the image's column of labels (one above the other whatever their number
   * of lines: at a fixed step, a three-line label and another CAD's wrote over one another).
   */
  labelSlot: HTMLElement | null;
  /** Where a stored-image point lands on the viewport's canvas now (CSS pixels), or null. */
  toCanvas(point: Point): Point | null;
  /** The stored image's pixel spacing in mm (row, column), where known: a mark reaches MARK_REACH_MM around its finding. */
  spacingMm: readonly [number, number] | null;
  /** The element Cornerstone renders the image in (its IMAGE_RENDERED events), once it exists. */
  element(): HTMLElement | null | undefined;
  /** The magnifier's glass while held over the image, and where a stored-image point lands in it (StepRenderer.magnifierOf); null when none. */
  magnifier?(): { glass: Box; toGlass(point: Point): Point | null } | null;
}

/** Room kept for the score beside a mark before it goes to the mark's other side. */
const SCORE_ROOM_PX = 44;
/** The labels in an image's place that a score must not cover. */
const LABELS_OVER_THE_IMAGE = '[data-testid=ai-label], .view-label, .prior-label, .flags .flag';

/**
 * A score's width as the page draws it (.ai-mark text: 600 13px monospace, a 3 px stroke around):
 * measured, since a shape's glyph (△) comes from a wider font than the digits, and 8 px a character
 * let "△ 0,33" run 6 px past the seam. Kept per text.
 */
const measuredWidths = new Map<string, number>();
let measuring: CanvasRenderingContext2D | null | undefined;
/** The fonts of .ai-mark text and of its shape glyph (styles.css): the glyph larger, from a font that draws it whole. */
const SCORE_FONT = '600 13px ui-monospace, monospace';
const GLYPH_FONT = '14px "DejaVu Sans", system-ui, sans-serif';
const GLYPHS = new Set(Object.values(SHAPE_GLYPHS));
function scoreTextWidth(text: string): number {
  const known = measuredWidths.get(text);
  if (known !== undefined) return known;
  if (measuring === undefined) measuring = document.createElement('canvas').getContext('2d');
  const measure = (part: string, font: string) => { measuring!.font = font; return measuring!.measureText(part).width; };
  const glyph = GLYPHS.has(text[0] ?? '') ? text[0]! : '';
  const width = measuring ? Math.ceil((glyph ? measure(glyph, GLYPH_FONT) : 0) + measure(text.slice(glyph.length), SCORE_FONT)) + 4 : text.length * 8;
  if (measuredWidths.size < 1000) measuredWidths.set(text, width);
  return width;
}

export function AiMarksLayer({ findings, label, source, threshold, scale, labelSlot, toCanvas, spacingMm, element, magnifier }: AiMarksLayerProps) {
  const { locale } = useI18n();
  const [marks, setMarks] = useState<ProjectedMark[]>([]);
  const [width, setWidth] = useState(0);
  const [height, setHeight] = useState(0);
  // where the labels over the image lie (whose marks, the view, the prior's date): no score is written
  // over them. They move only with the place's size or their own text, so they are measured then, not
  // at each render (a pan or a zoom renders every frame).
  const [labelBoxes, setLabelBoxes] = useState<readonly Box[]>([]);
  const measureLabels = useCallback(() => {
    const target = element();
    const outer = target?.getBoundingClientRect();
    const boxes: Box[] = !target || !outer ? [] : [...(target.parentElement?.querySelectorAll(LABELS_OVER_THE_IMAGE) ?? [])].map((label) => {
      const r = label.getBoundingClientRect();
      return [r.left - outer.left, r.top - outer.top, r.right - outer.left, r.bottom - outer.top];
    });
    setLabelBoxes((old) => (old.length === boxes.length && old.every((b, i) => b.every((v, j) => Math.abs(v - boxes[i]![j]!) < 0.5)) ? old : boxes));
  }, [element]);
  const place = useCallback(() => {
    const [w, h] = [element()?.clientWidth ?? 0, element()?.clientHeight ?? 0];
    setMarks(findings.map((f) => projectFinding(f, toCanvas, markRadiusMax(w, h), spacingMm)).filter((m): m is ProjectedMark => m !== null));
    setWidth(w);
    setHeight(h);
  }, [findings, toCanvas, spacingMm, element]);

  useEffect(() => {
    place();
    const target = element();
    if (!target) return;
    target.addEventListener(Enums.Events.IMAGE_RENDERED, place);
    return () => target.removeEventListener(Enums.Events.IMAGE_RENDERED, place);
  }, [place, element]);

  // the labels' stack changes size by itself (a container query switches its form, a font arrives):
  // measured again then, or a score was placed by boxes the labels had left
  useEffect(() => {
    if (!labelSlot || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => measureLabels());
    observer.observe(labelSlot);
    return () => observer.disconnect();
  }, [labelSlot, measureLabels]);

  // the magnifier's glass held over the image: the marks under it are hidden there, and drawn again in
  // it where the glass shows their findings, larger (left as they were, they circled other tissue in
  // the glass, a probe). Cornerstone's tool makes the glass, sets its camera once its image is loaded,
  // moves it with each drag and removes it: while it is there its marks are placed again at every
  // frame (its own events came before its camera was set: a probe saw its marks far off, clipped away)
  const [glass, setGlass] = useState<{ box: Box; marks: ProjectedMark[] } | null>(null);
  const placeInGlass = useCallback(() => {
    const now = magnifier?.();
    setGlass((old) => {
      if (!now) return null;
      // as large as the glass shows the finding, up to the glass's own size
      const glassRadius = Math.min(now.glass[2] - now.glass[0], now.glass[3] - now.glass[1]) / 2;
      // (its points within most of the glass: a mark at its whole size drew the glass's own rim)
      const marks = findings.map((f) => projectFinding(f, now.toGlass, glassRadius * 0.8 * INSCRIBED_SHARE[shapeOf(f.class)], spacingMm)).filter((m): m is ProjectedMark => m !== null);
      const same = old && old.box.every((v, i) => Math.abs(v - now.glass[i]!) < 0.25) && old.marks.length === marks.length
        && old.marks.every((m, i) => Math.abs(m.x - marks[i]!.x) < 0.25 && Math.abs(m.y - marks[i]!.y) < 0.25 && Math.abs(m.radius - marks[i]!.radius) < 0.25);
      return same ? old : { box: now.glass, marks };
    });
  }, [findings, magnifier, spacingMm]);
  useEffect(() => {
    const target = element();
    const holder = target?.querySelector('.viewport-element') ?? target;
    if (!holder || !magnifier || typeof MutationObserver === 'undefined') return;
    let frame = 0;
    const follow = () => {
      placeInGlass();
      frame = holder.querySelector(':scope > .magnifyTool') ? requestAnimationFrame(follow) : 0;
    };
    const watch = () => { if (!frame) follow(); };
    const observer = new MutationObserver(watch);
    observer.observe(holder, { childList: true });
    watch();
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [element, magnifier, placeInGlass]);
  const ids = useId().replace(/[^\w-]/g, '');

  const hasMarks = marks.length > 0;
  // marks wholly outside the viewport (a finding beyond the breast the step frames, or zoomed away): counted
  // in the label, never nothing: a vendor's mark of 85 in the background flagged the exam, "right breast 85
  // (RCC)", and no image showed it (a probe)
  const outside = marksOutside(marks, width, height);
  useLayoutEffect(measureLabels, [measureLabels, hasMarks, outside, label.model, label.warning, label.notAnalysed, labelSlot, width, height]);
  // the score of a mark over or beside one of another shape (two findings on one lesion) starts with its shape: whose it is
  const nearOther = nearMarkOfAnotherShape(marks);
  const scoreOf = (score: number) => (threshold === undefined ? formatScore(locale, score, scale) : formatScoreAgainst(locale, score, threshold, scale));
  const texts = marks.map((m, i) => (m.finding.score === null ? '' : `${nearOther[i] ? `${SHAPE_GLYPHS[m.shape]}\u2009` : ''}${scoreOf(m.finding.score)}`));
  const labels = placeScoreLabels(marks.map((m, i) => ({ x: m.x, y: m.y, radius: m.radius, text: texts[i]!, shape: m.shape, score: m.finding.score ?? undefined })), width, SCORE_ROOM_PX, labelBoxes, height, scoreTextWidth);
  // the model's marks under the threshold the reader is shown (its exam operating point): drawn thinner, as
  // what would not flag the exam on its own; an exam flagged at 0,56 with seven marks at 0,15–0,19 beside it
  // showed nine marks alike (a radiologist's probe). Never hidden: they are marks at the reader's operating point.
  const weak = (m: (typeof marks)[number]) => source === 'model' && threshold !== undefined && m.finding.score !== null && m.finding.score < threshold;
  const markClass = (m: (typeof marks)[number]) => `ai-mark ai-${m.shape}${weak(m) ? ' weak' : ''}`;
  return (
    <>
      <svg className={`ai-marks ai-marks-${source}`} data-testid="ai-marks" data-source={source} aria-hidden="true">
        {glass && (
          <defs>
            <mask id={`${ids}-outside-glass`} maskUnits="userSpaceOnUse" x={0} y={0} width={width} height={height}>
              <rect x={0} y={0} width={width} height={height} fill="white" />
              <rect x={glass.box[0]} y={glass.box[1]} width={glass.box[2] - glass.box[0]} height={glass.box[3] - glass.box[1]} fill="black" />
            </mask>
            <clipPath id={`${ids}-glass`}>
              <rect x={glass.box[0]} y={glass.box[1]} width={glass.box[2] - glass.box[0]} height={glass.box[3] - glass.box[1]} />
            </clipPath>
          </defs>
        )}
        <g mask={glass ? `url(#${ids}-outside-glass)` : undefined}>
        {marks.map((m, i) => {
          const score = labels[i];
          const d = shapePath(m.shape, m.x, m.y, m.radius);
          return (
            <g key={i} className={markClass(m)} data-testid="ai-mark" data-class={m.finding.class} data-shape={m.shape} data-weak={weak(m) ? 'true' : undefined}
              data-score={m.finding.score === null ? '' : m.finding.score.toFixed(3)} data-instance-id={m.finding.instanceId}
              data-finding-x={m.finding.x.toFixed(2)} data-finding-y={m.finding.y.toFixed(2)} data-x={m.x.toFixed(2)} data-y={m.y.toFixed(2)}>
              <path className="halo" d={d} />
              <path className="outline" d={d} />
              {m.finding.score !== null && score?.leader && (
                <path className="leader" data-testid="ai-mark-leader" d={`M${score.leader.slice(0, 2).map((v) => v.toFixed(1)).join(' ')}L${score.leader.slice(2).map((v) => v.toFixed(1)).join(' ')}`} />
              )}
              {/* on a dark chip: the shape written before a score then reads as part of it, not as
                  another, smaller mark (a probe) */}
              {m.finding.score !== null && score && (
                // as high as a score's line (placeScoreLabels' 14 px, from 11 above the baseline to the comma's tail):
                // stacked scores' chips met, not overlapped (17 px high, they covered each other's edge)
                <rect className="score-chip" x={(score.anchor === 'end' ? score.x - scoreTextWidth(texts[i]!) : score.x) - 1} y={score.y - 11}
                  width={scoreTextWidth(texts[i]!) + 2} height={14} rx={3} />
              )}
              {m.finding.score !== null && score && (
                <text x={score.x} y={score.y} textAnchor={score.anchor}
                  data-testid="ai-mark-score">{GLYPHS.has(texts[i]![0] ?? '')
                    // at the digits' size the monospace font's ○ read as "©" (a probe)
                    ? <><tspan className="glyph">{texts[i]![0]}</tspan>{texts[i]!.slice(1)}</>
                    : texts[i]}</text>
              )}
            </g>
          );
        })}
        </g>
        {glass && (
          <g clipPath={`url(#${ids}-glass)`} data-testid="ai-marks-magnified">
            {glass.marks.map((m, i) => {
              const d = shapePath(m.shape, m.x, m.y, m.radius);
              // its score beside it, as outside the glass (hidden there under the glass), on the side the glass has room;
              // none for a mark whose finding lies outside the glass, its edge alone in it: the score
              // stood over tissue with no mark, and read as a finding there (a probe)
              const centred = m.x >= glass.box[0] && m.x <= glass.box[2] && m.y >= glass.box[1] && m.y <= glass.box[3];
              const text = m.finding.score === null || !centred ? '' : `${SHAPE_GLYPHS[m.shape]}\u2009${scoreOf(m.finding.score)}`;
              const textWidth = text ? scoreTextWidth(text) : 0;
              // (within the glass where the cell shows it: a glass hanging past the cell's edge had a score cut to "● 0," there, a re-probe)
              // two findings on one lesion: their scores one under the other, not over each other
              const place = placeGlassScore(m, textWidth, glass.box, width, height, glass.marks.slice(0, i).filter((o) => Math.hypot(o.x - m.x, o.y - m.y) < 24).length);
              const { x, y } = place;
              const right = place.anchor === 'start';
              return (
                <g key={i} className={markClass(m)} data-testid="ai-mark-magnified" data-class={m.finding.class} data-x={m.x.toFixed(2)} data-y={m.y.toFixed(2)}>
                  <path className="halo" d={d} />
                  <path className="outline" d={d} />
                  {text && <rect className="score-chip" x={(right ? x : x - textWidth) - 1} y={y - 7} width={textWidth + 2} height={14} rx={3} />}
                  {text && (
                    <text x={x} y={y + 4} textAnchor={right ? 'start' : 'end'} data-testid="ai-mark-magnified-score">
                      <tspan className="glyph">{text[0]}</tspan>{text.slice(1)}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
        )}
      </svg>
      {(marks.length > 0 || label.notAnalysed || label.noMark || label.hiddenHere) && labelSlot && createPortal(
        <div className={`ai-label ai-label-${source}`} data-testid="ai-label" data-source={source} data-not-analysed={label.notAnalysed ? 'true' : undefined}>
          {/* an image without marks that the model did not read says that alone, in one line: the model's
              name and warning (the strip's) in three lines covered the tissue of spot and magnification
              views, which fill their places (a probe) */}
          {marks.length === 0 && label.notAnalysed ? <em data-testid="ai-not-analysed">{label.notAnalysed}</em>
            : marks.length === 0 && label.noMark ? <em data-testid="ai-no-mark">{label.noMark}</em>
            : marks.length === 0 && label.hiddenHere ? <em className="ai-hidden-here" data-testid="ai-hidden-here">{label.hiddenHere}</em> : <>
          {/* the version apart, kept whole where the name is cut short (small cells); joined to the name by a
              no-break space, so that it never stands alone on a line where the label wraps (a probe) */}
          {label.version && /[ \u00a0]$/.test(label.model.slice(0, -label.version.length)) && label.model.endsWith(label.version)
            ? <span className="ai-label-name"><span className="ai-label-title">{label.model.slice(0, -label.version.length - 1)}</span><span className="ai-label-version">{`\u00a0${label.version}`}</span></span>
            : <span className="ai-label-name">{label.model}</span>}
          {label.notAnalysed && <em data-testid="ai-not-analysed">{label.notAnalysed}</em>}
          {outside > 0 && <em className="ai-marks-outside" data-testid="ai-marks-outside">{translateCount(locale, 'ai.marksOutside', outside)}</em>}
          {label.warning && <strong className={label.warningShort ? 'ai-label-long' : undefined}>{label.warning}</strong>}
          {label.warning && label.warningShort && <strong className="ai-label-short" data-testid="ai-label-short">{label.warningShort}</strong>}
          {label.warning && label.warningTiny && <strong className="ai-label-tiny" data-testid="ai-label-tiny">{label.warningTiny}</strong>}
          {/* after the model's name and warning, which belong together (between them, the warning read as the
              note's), and short: beside the marks shown, the note in full grew a prior's label to eight lines over its tissue (a probe) */}
          {label.hiddenHere && <em className="ai-hidden-here" data-testid="ai-hidden-here">{label.hiddenHereShort ?? label.hiddenHere}</em>}
          </>}
        </div>,
        labelSlot,
      )}
    </>
  );
}
