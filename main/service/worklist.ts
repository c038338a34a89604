// The worklist's operations: what the reader lists, opens and marks.
import type { ApiHandlers, AppInfo } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';
import { LOCAL_READER } from './context.ts';
import type { StationContext } from './context.ts';

export type WorklistHandlers = Pick<ApiHandlers, 'appInfo' | 'worklistQuery' | 'examDetail' | 'setExamStatus'>;

const examNotFound = (examId: number) => new ApiError('not_found', `No exam ${examId}`, 'error.examNotFound');

export function worklistHandlers(ctx: StationContext): WorklistHandlers {
  return {
    appInfo: async (): Promise<AppInfo> => ({
      name: 'Binome',
      version: ctx.version,
      libraryDir: ctx.paths.root,
      transport: 'loopback-http', // each transport overrides this with what it is
      runtime: ctx.runtime,
      examCount: ctx.db.worklist.countExams(),
    }),
    worklistQuery: async (q) => ctx.db.worklist.query(q),
    examDetail: async ({ examId, purpose = 'open' }) => {
      const detail = ctx.db.worklist.examDetail(examId);
      if (!detail) throw examNotFound(examId);
      if (purpose !== 'prefetch') ctx.db.audit.record(LOCAL_READER, purpose === 'prior' ? 'open-as-prior' : 'open', examId);
      return detail;
    },
    setExamStatus: async ({ examId, status }) => {
      ctx.assertOpen();
      const exam = ctx.db.worklist.setExamStatus(examId, status, (id) => ctx.db.audit.record(LOCAL_READER, `status:${status}`, id));
      if (!exam) throw examNotFound(examId);
      ctx.events.emit('worklistChanged', { reason: 'status' });
      return exam;
    },
  };
}
