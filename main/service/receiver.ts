// The storage SCP in the station (main/net/receiver.ts): its settings, stored in the library and
// overridden for one run by the command line (`binome receive --port ...`), its start in the stations
// that serve readers (the desktop app, `binome serve`, `binome receive`), its status for the panel
// (receiverStatus, and the receiverChanged event, at most every STATUS_EVERY_MS while images arrive).

import path from 'node:path';
import type { ApiHandlers } from '../../common/api.ts';
import { DEFAULT_RECEIVER_SETTINGS, receiverSettingsSchema } from '../../common/dicom-node.ts';
import type { ReceiverSettings, ReceiverStatus } from '../../common/dicom-node.ts';
import { DicomReceiver } from '../net/receiver.ts';
import { errorForLog, log } from '../base/log.ts';
import type { StationContext } from './context.ts';

const STATUS_EVERY_MS = 250;

/** The receiver's settings as the library stores them (the defaults where none or a damaged value is stored). */
export function storedReceiverSettings(ctx: Pick<StationContext, 'db'>): ReceiverSettings {
  const text = ctx.db.settings.get('receiver');
  if (!text) return { ...DEFAULT_RECEIVER_SETTINGS };
  try {
    const parsed = receiverSettingsSchema.safeParse({ ...DEFAULT_RECEIVER_SETTINGS, ...(JSON.parse(text) as object) });
    return parsed.success ? parsed.data : { ...DEFAULT_RECEIVER_SETTINGS };
  } catch {
    return { ...DEFAULT_RECEIVER_SETTINGS };
  }
}

export function storeReceiverSettings(ctx: Pick<StationContext, 'db'>, settings: ReceiverSettings): void {
  ctx.db.settings.set('receiver', JSON.stringify(settings));
}

export class ReceiverService {
  private readonly receiver: DicomReceiver;
  private timer: NodeJS.Timeout | null = null;
  private started: Promise<void> | null = null;
  /** Set once start() has taken over what stopped stations left: settings changed before then wait for it. */
  private running = false;

  /** `overrides`: settings for this run only (the command line's), over the stored ones. */
  constructor(private readonly ctx: StationContext, private readonly overrides: Partial<ReceiverSettings> = {}, options: { associateRqWithinMs?: number } = {}) {
    this.receiver = new DicomReceiver({
      importer: ctx.importer,
      incomingRoot: path.join(ctx.paths.root, 'incoming'),
      importOptions: () => ctx.backgroundImportOptions(),
      onChange: () => this.changed(),
      onImported: () => ctx.events.emit('worklistChanged', { reason: 'import' }),
      // a DIMSE PACS that sends priors here by C-MOVE calls with its own AE title
      movingCallers: () => ctx.db.pacs.movingCallers(),
      associateRqWithinMs: options.associateRqWithinMs,
    });
  }

  /** Takes over what stopped stations left received but not imported, then listens as the settings say. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.receiver.recover().catch((error: unknown) => log.error(`DICOM receiver: received files could not be taken over: ${errorForLog(error)}`));
      this.running = true;
      await this.apply();
    })();
    return this.started;
  }

  /** Listens anew as the stored settings (and this run's overrides) say (once started; start() applies them itself). */
  async apply(): Promise<void> {
    if (!this.running) return;
    await this.receiver.apply({ ...storedReceiverSettings(this.ctx), ...this.overrides });
  }

  status(): ReceiverStatus {
    return this.receiver.status();
  }

  get port(): number | null {
    return this.receiver.port;
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ctx.events.emit('receiverChanged', this.receiver.status());
    }, STATUS_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    await this.started;
    await this.receiver.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export function receiverHandlers(receiver: () => ReceiverService | null): Pick<ApiHandlers, 'receiverStatus'> {
  return {
    receiverStatus: async () => {
      const r = receiver();
      return { status: r ? r.status() : null };
    },
  };
}
