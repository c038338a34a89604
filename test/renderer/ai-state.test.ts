// What the AI strip says of an analysis done, from its breast scores: each breast's score beside the
// exam's where both were read, "one breast only" where the exam images one breast, and neither score
// while second look holds the AI's opinion back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aiStateText } from '../../renderer/ai/ai-state.ts';
import { translate } from '../../common/i18n/messages.ts';
import type { AiResults } from '../../common/domain.ts';
import type { NotRead } from '../../common/ai/not-read.ts';

function done(breastScores: Partial<Record<'R' | 'L', number>>, notRead: NotRead[] = []): AiResults {
  return {
    state: { status: 'done', examScore: Math.max(0, ...Object.values(breastScores)), breastScores, provider: 'cpu', failure: null, finishedAt: null, paused: false, notRead },
    model: null, findings: [], notAnalysed: [], cadReports: [], firstImpression: null, shownBeforeFirstImpression: false,
  };
}
const said = (results: AiResults, locale: 'en' | 'fr' = 'en', showScore = true) =>
  aiStateText((key, params) => translate(locale, key, params), results, { showScore, locale });

test('both breasts read: each one\'s score beside the exam\'s, in the reader\'s language; held back with the exam score in second look', () => {
  assert.equal(said(done({ R: 0.12, L: 0.93 })), 'analysed · exam score 0.93 · right breast 0.12 · left breast 0.93');
  assert.equal(said(done({ R: 0.12, L: 0.93 }), 'fr'), 'analysé · score d’examen 0,93 · sein droit 0,12 · sein gauche 0,93');
  assert.equal(said(done({ R: 0.12, L: 0.93 }), 'en', false), 'analysed');
});

test('an exam of one breast says so (whether or not the score shows); a breast imaged and not read is said as such, not as absent', () => {
  assert.equal(said(done({ R: 0.4 })), 'analysed · exam score 0.40 · right breast only (no left breast image)');
  assert.equal(said(done({ L: 0.4 }), 'fr', false), 'analysé · sein gauche seul (aucune image du sein droit)');
  assert.equal(said(done({ R: 0.4 }, ['L'])), 'analysed · exam score 0.40 · left breast not read by the model');
});
