import { z } from 'zod';
import { ID_PATTERN } from '../protocol/index.ts';
import type { Identity } from '../core/identity.ts';

const UserId = z.string().regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . @ -');
const RoomPattern = z.string().regex(/^([A-Za-z0-9_.@-]{1,128}\*?|\*)$/, 'a room id, `prefix*` or `*`');

/**
 * The JWT claims Tether reads (documented in docs/auth.md). Unknown claims are ignored.
 * `sub` is the user id; `role` defaults to `user`.
 */
export const TetherClaims = z.object({
  sub: UserId,
  role: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).default('user'),
  patients: z.array(UserId).max(1000).default([]),
  contacts: z.array(UserId).max(1000).default([]),
  rooms: z.array(RoomPattern).max(1000).default([]),
  exp: z.number().optional(),
});

/** shared by every identity whose token grants none of a kind (memory per idle connection) */
const NONE: readonly string[] = Object.freeze([]);

export function identityFromClaims(claims: unknown): Identity {
  const c = TetherClaims.parse(claims);
  return {
    userId: c.sub,
    role: c.role,
    patients: c.patients.length > 0 ? c.patients : NONE,
    contacts: c.contacts.length > 0 ? c.contacts : NONE,
    rooms: c.rooms.length > 0 ? c.rooms : NONE,
    expiresAt: c.exp === undefined ? null : c.exp * 1000,
  };
}
