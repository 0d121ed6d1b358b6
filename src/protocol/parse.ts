import { z } from 'zod';
import { CLIENT_MESSAGE_TYPES, ClientMessage, RequestId } from './client-messages.ts';
import type { ErrorCode } from './error-codes.ts';

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; id: string | null; code: ErrorCode; message: string; details?: Record<string, unknown> };

const known = new Set<string>(CLIENT_MESSAGE_TYPES);

/**
 * Turns one text frame into a typed client message, or says precisely why not. The request id
 * is recovered whenever the frame carries a valid one, so even a rejected request is answered
 * under its own id.
 */
export function parseClientFrame(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, id: null, code: 'BAD_JSON', message: 'frame is not valid JSON text' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, id: null, code: 'BAD_FRAME', message: 'frame must be a JSON object' };
  }
  const fields = raw as Record<string, unknown>;
  const idCheck = RequestId.safeParse(fields.id);
  const id = idCheck.success ? idCheck.data : null;
  if ('from' in fields) {
    return { ok: false, id, code: 'FROM_NOT_ALLOWED', message: 'clients may not set "from"; the server stamps it' };
  }
  if (typeof fields.type !== 'string' || !known.has(fields.type)) {
    return {
      ok: false,
      id,
      code: 'UNKNOWN_TYPE',
      message: `unknown frame type; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`,
      details: { type: typeof fields.type === 'string' ? fields.type.slice(0, 64) : null },
    };
  }
  const parsed = ClientMessage.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      id,
      code: 'BAD_FRAME',
      message: `invalid ${fields.type} frame`,
      details: { issues: summarizeIssues(parsed.error) },
    };
  }
  return { ok: true, message: parsed.data };
}

/** At most a few issues, as `path: message`, so an error frame stays small. */
function summarizeIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`);
}
