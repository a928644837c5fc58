import type http from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { errorBody, fail, LiveroomError } from '../core/errors';
import type { Logger } from '../core/logger';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The error's JSON body with its status, on any response (an Express one or the HLS handler's plain one),
 * after whatever headers were set before it; nothing once headers are out. A HEAD gets the headers alone.
 */
export function sendError(res: http.ServerResponse, err: LiveroomError) {
  if (res.headersSent) return;
  // An error is never cached: a CDN keeping a 503 or a 404 would serve it after the cause is gone.
  res.setHeader('Cache-Control', 'no-store');
  if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
  const body = Buffer.from(JSON.stringify(errorBody(err)));
  res.statusCode = err.status;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', body.length);
  if (res.req?.method === 'HEAD') res.end();
  else res.end(body);
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

/** Any error as its response: a LiveroomError as it is, another 4xx as LR_BAD_REQUEST with its status, the rest a logged 500. */
export function answerError(log: Logger, res: http.ServerResponse, err: unknown, path: string): void {
  if (err instanceof LiveroomError) return sendError(res, err);
  const e = err as { status?: unknown; message?: string } | undefined;
  const status = typeof e?.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
  if (status === 500) {
    log.error({ err: e?.message, path }, 'request failed');
    return sendError(res, fail('LR_INTERNAL'));
  }
  const bad = fail('LR_BAD_REQUEST', { problem: String(e?.message ?? 'bad request') });
  // The body parser's own 4xx (413 too large, 400 bad JSON) keeps its status.
  sendError(res, new LiveroomError(bad.code, bad.message, status));
}

/** Every error leaves as `{ error: { code, message } }`; never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => answerError(log, res, err, req.path);
}
