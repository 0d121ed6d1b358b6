import { z } from 'zod';

/**
 * Channel names. `user:<id>` reaches every device of a user, `room:<id>` is a call room,
 * `location:<patientId>` is one patient's location stream, `alerts:<patientId>` its safety alerts
 * and zone changes (caregivers only). Ids are 1-128 characters of
 * [A-Za-z0-9_.@-]; no colons, so a name splits unambiguously.
 */
export const ID_PATTERN = /^[A-Za-z0-9_.@-]{1,128}$/;
export const CHANNEL_KINDS = ['user', 'room', 'location', 'alerts'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const Id = z.string().regex(ID_PATTERN, 'ids are 1-128 characters of A-Z a-z 0-9 _ . @ -');

export const ChannelName = z
  .string()
  .max(140)
  .regex(/^(user|room|location|alerts):[A-Za-z0-9_.@-]{1,128}$/, 'channel must be user:<id>, room:<id>, location:<id> or alerts:<id>');
export type ChannelName = z.infer<typeof ChannelName>;

/** Where a signal may be addressed: a user (all devices) or a room. */
export const SignalTarget = z
  .string()
  .max(140)
  .regex(/^(user|room):[A-Za-z0-9_.@-]{1,128}$/, 'signal target must be user:<id> or room:<id>');

export interface ParsedChannel {
  kind: ChannelKind;
  id: string;
}

/** Splits a name already validated by `ChannelName`. */
export function parseChannel(name: string): ParsedChannel {
  const at = name.indexOf(':');
  return { kind: name.slice(0, at) as ChannelKind, id: name.slice(at + 1) };
}

export const userChannel = (id: string): string => `user:${id}`;
export const roomChannel = (id: string): string => `room:${id}`;
export const locationChannel = (id: string): string => `location:${id}`;
export const alertsChannel = (id: string): string => `alerts:${id}`;
