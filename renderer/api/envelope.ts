import type { Envelope } from '../../common/api.ts';
import { ApiError } from '../../common/api.ts';

/** A reply's value, or its error thrown as an ApiError (with the message key the UI translates). */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw ApiError.fromBody(envelope.error);
}
