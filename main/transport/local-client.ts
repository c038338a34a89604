// The API as the command line calls it, in-process: through the same dispatch as the two
// transports (validation of every input against the contract, errors as envelopes), unwrapped
// back into results and ApiErrors.

import type { ApiHandlers, OperationInput, OperationName, OperationResult } from '../../common/api.ts';
import { ApiError, OPERATION_NAMES } from '../../common/api.ts';
import { dispatch } from './dispatch.ts';

export type LocalClient = { [K in OperationName]: (input: OperationInput<K>) => Promise<OperationResult<K>> };

export function localClient(handlers: ApiHandlers): LocalClient {
  const client: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of OPERATION_NAMES) {
    client[name] = async (input) => {
      const envelope = await dispatch(handlers, name, input);
      if (envelope.ok) return envelope.value;
      throw ApiError.fromBody(envelope.error);
    };
  }
  return client as LocalClient;
}
