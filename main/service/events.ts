// The station's event streams (common/api.ts ApiEvents), typed by one map so that an event cannot
// carry the wrong payload. Transports subscribe and forward; every subscription returns its disposer.

import { EventEmitter } from 'node:events';
import type { ApiEvents, EventName } from '../../common/api.ts';

export class StationEvents {
  private readonly emitter = new EventEmitter();

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.emitter.emit(event, payload);
  }

  clear(): void {
    this.emitter.removeAllListeners();
  }
}
