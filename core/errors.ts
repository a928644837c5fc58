/**
 * Errors that reach a user carry a stable code and a message that says what to
 * do (fastify's lib/errors.js). HTTP handlers turn them into a 4xx/5xx JSON body
 * `{ error: { code, message } }`, never a stack trace.
 */
export class LiveroomError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'LiveroomError';
  }
}

export const configError = (message: string) => new LiveroomError('LR_CONFIG_INVALID', message);
export const badRequest = (code: string, message: string) => new LiveroomError(code, message, 400);
export const notFound = (code: string, message: string) => new LiveroomError(code, message, 404);
export const unavailable = (code: string, message: string) => new LiveroomError(code, message, 503);

export function errorBody(err: LiveroomError) {
  return { error: { code: err.code, message: err.message } };
}
