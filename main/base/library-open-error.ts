// A library that cannot be opened, for a reason the user can act on (its disk full or read-only,
// another computer using it): the error carries a message key and its parameters, so that the
// desktop app's dialog and the command line say it in the user's language.

import type { MessageKey, MessageParams } from '../../common/i18n/messages.ts';

export class LibraryOpenError extends Error {
  constructor(
    readonly code: string,
    readonly key: MessageKey,
    readonly params: MessageParams,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
