/**
 * Errors caused by the user's input (a bad file, flag or value), by kind, so a library user can catch
 * the one they care about. Each is a `UserError`: the CLI prints its message without a stack trace
 * and exits with `exitCode`; the server answers with `httpStatus`. Everything else is a bug and keeps
 * its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  /** The HTTP status the server answers with when a request causes this error. */
  readonly httpStatus: number = 400;
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A value out of range or of the wrong kind (δ outside (0, 1), a negative token count, ...). */
export class InvalidArgumentError extends UserError {
  override readonly name = 'InvalidArgumentError';
}

/** A file, row or store that is missing, malformed or damaged (GGUF, events, bundle, data set). */
export class DataFormatError extends UserError {
  override readonly name = 'DataFormatError';
  override readonly httpStatus = 422;
}

/** A bundle made for another model, other feature layers or another setup than the one at hand. */
export class BundleMismatchError extends UserError {
  override readonly name = 'BundleMismatchError';
  override readonly httpStatus = 409;
}

/** Something the engine cannot do (a hidden-state layer it does not expose, a missing feature). */
export class EngineCapabilityError extends UserError {
  override readonly name = 'EngineCapabilityError';
  override readonly httpStatus = 501;
}

/** Throws an InvalidArgumentError unless `ok`. */
export function ensure(ok: unknown, message: string | (() => string)): asserts ok {
  if (!ok) throw new InvalidArgumentError(typeof message === 'function' ? message() : message);
}

/** The same kind of error with `prefix` before its message (e.g. the file it came from). */
export function withContext(e: UserError, prefix: string): UserError {
  const Kind = e.constructor as new (message: string, exitCode?: number) => UserError;
  return new Kind(`${prefix}${e.message}`, e.exitCode);
}

/** A remote engine that cannot be reached, answers with an error, or answers in an unexpected shape. */
export class RemoteEngineError extends UserError {
  override readonly name: string = 'RemoteEngineError';
  override readonly httpStatus = 502;
}
