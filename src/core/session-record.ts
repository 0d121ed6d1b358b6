import type { SessionRecord } from '../store/store.ts';
import type { Session } from './session.ts';

/** ms a record lives while attached: a bound in case no node ever ends it (a node that died long ago) */
const ATTACHED_TTL_MS = 24 * 3_600_000;

/** The Store record that keeps `session` resumable, as it stands now. */
export function resumeRecord(session: Session): SessionRecord {
  const { limits } = session.ctx;
  return {
    member: session.sender,
    secret: session.resumeSecret,
    subscriptions: [...session.subscriptions],
    attachedTtlMs: ATTACHED_TTL_MS,
    bounds: limits.resume,
  };
}
