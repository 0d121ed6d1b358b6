import { mapped } from '../core/bus-errors.ts';
import { TetherError } from '../core/errors.ts';
import type { Session } from '../core/session.ts';
import type { CallRequest, CallsResult } from '../protocol/index.ts';
import { RecordsError } from '../records/records.ts';
import type { CallHistoryCursor, CallHistoryEntry } from '../records/records.ts';
import type { CallContext } from './call-context.ts';

/** `calls`: this user's history, newest first, a page at a time (`next` is the cursor for the older page). */
export async function listCalls(ctx: CallContext, session: Session, message: Extract<CallRequest, { type: 'calls' }>): Promise<CallsResult> {
  const before = message.before === undefined ? null : decodeCursor(message.before);
  let entries: CallHistoryEntry[];
  try {
    // one more than asked: whether there is an older page
    entries = await mapped(ctx.records.calls.listCalls(session.identity.userId, { before, limit: message.limit + 1 }));
  } catch (error) {
    if (error instanceof RecordsError) throw new TetherError('RECORDS_UNAVAILABLE', `call history unavailable: ${error.message}`);
    throw error;
  }
  const page = entries.slice(0, message.limit);
  const last = page.at(-1);
  return {
    calls: page.map((e) => ({
      callId: e.callId,
      peer: e.peerId,
      direction: e.direction,
      media: e.media,
      kind: e.kind,
      startedAt: e.startedAt,
      answeredAt: e.answeredAt,
      endedAt: e.endedAt,
      durationMs: e.answeredAt === null ? 0 : e.endedAt - e.answeredAt,
      reason: e.reason,
      escalated: e.escalated,
    })),
    next: entries.length > message.limit && last ? encodeCursor({ startedAt: last.startedAt, callId: last.callId }) : null,
  };
}

/** Opaque to clients: base64url of `<startedAt>.<callId>`. */
function encodeCursor(cursor: CallHistoryCursor): string {
  return Buffer.from(`${cursor.startedAt}.${cursor.callId}`).toString('base64url');
}

function decodeCursor(text: string): CallHistoryCursor {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const dot = raw.indexOf('.');
  const startedAt = Number(raw.slice(0, dot));
  const callId = raw.slice(dot + 1);
  if (dot < 1 || !Number.isSafeInteger(startedAt) || callId === '') throw new TetherError('BAD_FRAME', '`before` must be the `next` of an earlier calls answer');
  return { startedAt, callId };
}
