import { ERROR_CATALOG, type ErrorCode, type ErrorParams } from './error-catalog';

export type { ErrorCode } from './error-catalog';

/**
 * Errors that reach a user carry a stable code and a message that says what to
 * do (fastify's lib/errors.js). Codes, statuses and messages live in one table,
 * ./error-catalog.ts; raise them with `fail(code, params)`. HTTP handlers turn
 * them into a 4xx/5xx JSON body `{ error: { code, message } }` (the shape of
 * the chat protocol's ChatError), never a stack trace.
 */
export class LiveroomError extends Error {
  readonly status: number;
  /** Seconds for a Retry-After header, from the catalog (429s). */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Only for LR_BAD_REQUEST passing on the body parser's 4xx; everything else takes the catalog's. */
    status?: number,
  ) {
    super(message);
    this.name = 'LiveroomError';
    this.status = status ?? ERROR_CATALOG[code].status;
    const spec = ERROR_CATALOG[code] as { retryAfterSeconds?: number };
    this.retryAfterSeconds = spec.retryAfterSeconds;
  }
}

/** The catalog's error for `code`, its message filled from `params`: `throw fail('LR_HLS_TIMEOUT', { what })`. */
export function fail<C extends ErrorCode>(code: C, ...params: ErrorParams<C>): LiveroomError {
  const message = (ERROR_CATALOG[code].message as (...p: ErrorParams<C>) => string)(...params);
  return new LiveroomError(code, message);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(err: LiveroomError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}
