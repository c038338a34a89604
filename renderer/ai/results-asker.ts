// Asks the station for the AI results of several exams and hands them over together: after another
// model is chosen, the exam on screen and its prior change at once, never one under each model. An
// answer older than one asked since for the same exam (rapid switches) is dropped, and an exam whose
// answer failed keeps what it had (no results is no marks: nothing rather than a wrong state).

export function resultsAsker<R>(fetch: (examId: number) => Promise<R>, apply: (fresh: [number, R][]) => void): (examIds: number[]) => Promise<void> {
  const latest = new Map<number, number>();
  let asked = 0;
  return async (examIds) => {
    if (examIds.length === 0) return;
    const n = ++asked;
    for (const id of examIds) latest.set(id, n);
    const answers = await Promise.all(examIds.map((id) => fetch(id).then((r) => ({ r }), () => null)));
    const fresh = examIds.flatMap((id, i): [number, R][] => (answers[i] && latest.get(id) === n ? [[id, answers[i].r]] : []));
    if (fresh.length) apply(fresh);
  };
}
