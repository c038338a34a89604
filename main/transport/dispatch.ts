// The one place where a request from either transport meets the service: validate the operation
// name and input against the contract, run the handler, and wrap the outcome in an envelope.
// Errors become values here; nothing a renderer sends can throw past this function.

import type { ApiHandlers, Envelope, OperationName } from '../../common/api.ts';
import { ApiError, isOperationName, parseOperationInput } from '../../common/api.ts';
import { errorForLog, log } from '../base/log.ts';

const SLOW_MS = 200;

export async function dispatch(handlers: ApiHandlers, name: unknown, rawInput: unknown): Promise<Envelope<unknown>> {
  const started = performance.now();
  try {
    if (!isOperationName(name)) throw new ApiError('not_found', `Unknown operation: ${typeof name === 'string' ? name.slice(0, 64) : typeof name}`);
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
