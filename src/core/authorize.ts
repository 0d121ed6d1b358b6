import { type ParsedChannel } from '../protocol/index.ts';
import type { Identity } from './identity.ts';

/**
 * The rights rules, as pure functions of the verified identity. Anything not granted here is
 * refused with FORBIDDEN.
 */

export function maySubscribe(identity: Identity, channel: ParsedChannel): boolean {
  switch (channel.kind) {
    case 'user':
      return channel.id === identity.userId;
    case 'room':
      return mayJoinRoom(identity, channel.id);
    case 'location':
      return channel.id === identity.userId || identity.patients.includes(channel.id);
    case 'alerts':
      return mayWatchSafety(identity, channel.id);
  }
}

/**
 * Caregiving rights over a patient's safety: its alerts channel, acknowledging its alerts, its
 * zones. Only the token's `patients` grant them; a patient does not watch its own alerts.
 */
export function mayWatchSafety(identity: Identity, patientId: string): boolean {
  return identity.patients.includes(patientId);
}

export function mayJoinRoom(identity: Identity, room: string): boolean {
  return identity.rooms.some((pattern) =>
    pattern.endsWith('*') ? room.startsWith(pattern.slice(0, -1)) : pattern === room,
  );
}

/**
 * True when the token itself links the sender to `userId`: the user is itself (another of its
 * devices), one of its patients or one of its contacts. Sharing a room is checked separately
 * because it needs the cluster-wide roster.
 */
export function linkedByToken(identity: Identity, userId: string): boolean {
  return userId === identity.userId || identity.patients.includes(userId) || identity.contacts.includes(userId);
}

export function mayPublishLocation(identity: Identity): boolean {
  return identity.role === 'patient';
}
