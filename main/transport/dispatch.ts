// The one place where a request from either transport meets the service: validate the operation
// name and input against the contract, run the handler, and wrap the outcome in an envelope.
// Errors become values here; nothing a renderer sends can throw past this function.

import type { ApiHandlers, Envelope, OperationName } from '../../common/api.ts';
import { ApiError, isOperationName, parseOperationInput } from '../../common/api.ts';
import { errorForLog, log } from '../base/log.ts';
import { showableText } from '../../common/ai/model-manifest.ts';

const SLOW_MS = 200;

export async function dispatch(handlers: ApiHandlers, name: unknown, rawInput: unknown): Promise<Envelope<unknown>> {
  const started = performance.now();
  try {
    // keyed, so that the page says it in the reader's language (an older page beside a newer station, or
    // the reverse, named one the other does not have: English only, a probe); the name as the page can show it
    if (!isOperationName(name)) {
      const shown = typeof name === 'string' ? name.slice(0, 64) : typeof name;
      throw new ApiError('not_found', `Unknown operation: ${shown}`, 'error.unknownOperation', { operation: showableText(shown) });
    }
    const input = parseOperationInput(name, rawInput);
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    const value = await handler(input);
    const ms = performance.now() - started;
    if (ms > SLOW_MS) log.info(`slow operation ${name}: ${ms.toFixed(0)} ms`);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toBody() };
    log.error(`operation ${isOperationName(name) ? name : '?'} failed: ${errorForLog(error)}`);
    return { ok: false, error: { code: 'internal', message: 'Internal error; see the application log', key: 'error.internal' } };
  }
}

export type { OperationName };
