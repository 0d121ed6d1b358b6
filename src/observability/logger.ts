import pino, { type Logger } from 'pino';

/**
 * JSON logs to stdout (Loki-friendly). Anything that could hold a credential is redacted; the
 * transport never logs URLs with query strings, where browsers put tokens.
 */
export function createLogger(options: { level: string; nodeId: string }): Logger {
  return pino({
    level: options.level,
    base: { node: options.nodeId },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
