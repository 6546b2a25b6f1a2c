/**
 * An error caused by the user's input (a bad file, flag or value). The CLI prints its message
 * without a stack trace and exits non-zero; everything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Throws a UserError unless `ok`. */
export function ensure(ok: unknown, message: string | (() => string)): asserts ok {
  if (!ok) throw new UserError(typeof message === 'function' ? message() : message);
}
