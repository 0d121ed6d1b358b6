import { ERROR_CODES, type ErrorCode, type ErrorFrame } from '../protocol/index.ts';

/** An error the core answers a request with; it becomes an `error` frame. */
export class TetherError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string = ERROR_CODES[code].message, details?: Record<string, unknown>) {
    super(message);
    this.name = 'TetherError';
    this.code = code;
    this.details = details;
  }
}

export function errorFrame(
  id: string | null,
  code: ErrorCode,
  message: string = ERROR_CODES[code].message,
  details?: Record<string, unknown>,
): ErrorFrame {
  const frame: ErrorFrame = { type: 'error', id, code, message, retryable: ERROR_CODES[code].retryable };
  if (details) frame.details = details;
  return frame;
}
