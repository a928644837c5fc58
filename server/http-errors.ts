import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { errorBody, fail, LiveroomError } from '../core/errors';
import type { Logger } from '../core/logger';

export function sendError(res: Response, err: LiveroomError) {
  if (res.headersSent) return;
  // An error is never cached: a CDN keeping a 503 or a 404 would serve it after the cause is gone.
  res.set('Cache-Control', 'no-store');
  if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
  res.status(err.status).json(errorBody(err));
}

/** Wraps an async handler so a rejection becomes the error middleware's business. */
export const asyncRoute =
  (fn: (...a: Parameters<RequestHandler>) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, fail('LR_NOT_FOUND', { method: req.method, path: req.path }));
};

/** Every error leaves as `{ error: { code, message } }`; never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof LiveroomError) return sendError(res, err);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) {
      log.error({ err: err?.message, path: req.path }, 'request failed');
      return sendError(res, fail('LR_INTERNAL'));
    }
    const bad = fail('LR_BAD_REQUEST', { problem: String(err?.message ?? 'bad request') });
    // The body parser's own 4xx (413 too large, 400 bad JSON) keeps its status.
    sendError(res, new LiveroomError(bad.code, bad.message, status));
  };
}
