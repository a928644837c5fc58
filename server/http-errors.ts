import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { errorBody, LiveroomError } from '../core/errors';
import type { Logger } from '../core/logger';

export function sendError(res: Response, err: LiveroomError) {
  if (!res.headersSent) res.status(err.status).json(errorBody(err));
}

/** Wraps an async handler so a rejection becomes the error middleware's business. */
export const asyncRoute =
  (fn: (...a: Parameters<RequestHandler>) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, new LiveroomError('LR_NOT_FOUND', `nothing at ${req.method} ${req.path}`, 404));
};

/** Every error leaves as `{ error: { code, message } }`; never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof LiveroomError) return sendError(res, err);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error({ err: err?.message, path: req.path }, 'request failed');
    sendError(res, new LiveroomError(status === 500 ? 'LR_INTERNAL' : 'LR_BAD_REQUEST', status === 500 ? 'internal error; see the server log' : String(err?.message ?? 'bad request'), status));
  };
}
