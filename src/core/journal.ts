import type { Session } from './session.ts';

/**
 * Records in the Store that the session's request `requestId` took effect, so that a retry of it
 * after a resume, on any node, is answered without acting twice (see request-ledger.ts). Best
 * effort and batched node-wide; resolves at once, before the write. Direct signals are recorded
 * when they are kept (DirectInbox.appendDirect), not here.
 */
export function journal(session: Session, requestId: string): undefined {
  if (session.epoch === null) return undefined;
  session.ctx.journal.add({ sessionId: session.id, requestId }).catch((error: unknown) => {
    session.ctx.logger.debug({ err: error, sessionId: session.id }, 'request not journaled');
  });
  return undefined;
}
