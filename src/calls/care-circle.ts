import type { Identity } from '../core/identity.ts';

/**
 * Who a patient's circle call and SOS ring, in order: the first caregiver, then the next if the
 * first does not answer within the escalation step, and so on.
 */
export interface CareCircle {
  /** The users to ring for `caller`, in order, without duplicates or the caller; [] when none. */
  order(caller: Identity): Promise<string[]>;
}

/**
 * The default: the order of the caller's token `contacts` claim (for a patient, its caregivers,
 * first to ring first), so the issuer of the token decides. An operator whose care circles live
 * elsewhere (a database, its own service) implements CareCircle instead.
 */
export class TokenCareCircle implements CareCircle {
  async order(caller: Identity): Promise<string[]> {
    return [...new Set(caller.contacts)].filter((id) => id !== caller.userId);
  }
}
