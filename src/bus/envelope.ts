import { Position, SignalBody, UnnumberedDelivery } from '../protocol/index.ts';

/**
 * What travels between nodes: a delivery, and for a direct message the offset it is kept under
 * for its recipient's sessions (see src/store/direct-inbox.ts), by which a session drops a copy it
 * already has. The cluster envelope is kept apart from the client protocol: clients never see it.
 */
export interface BusMessage {
  delivery: UnnumberedDelivery;
  offset?: number;
}

/**
 * Bytes on the bus: one envelope `{"o": offset?, "d": delivery}`, or a JSON array of them, in
 * order, for several messages on one channel published in one turn (see amqp-session.ts).
 */
export function encodeEnvelope({ delivery, offset }: BusMessage): string {
  return JSON.stringify(offset === undefined ? { d: delivery } : { o: offset, d: delivery });
}

/** Several encoded envelopes for one channel as one body; one alone stays a plain envelope. */
export function joinEnvelopes(envelopes: readonly string[]): string {
  return envelopes.length === 1 ? envelopes[0]! : `[${envelopes.join(',')}]`;
}

export interface Decoded {
  messages: BusMessage[];
  /** envelopes in the body that failed the check and were left out */
  rejected: number;
}

/**
 * Parses a body from the bus for `channel` (its routing key) and checks each envelope's structure;
 * throws if the bytes are not JSON. The bus carries what Tether nodes encoded from messages they
 * validated at the client edge, so this is not a second schema validation: it keeps out what a
 * rogue or broken publisher could put there, so that nothing reaches a session that the core could
 * trip over or that a client's schema would refuse. An envelope passes when its delivery is for
 * `channel`, has exactly the fields of its type with the right types, and its signal body or
 * position passes the protocol's own schema; a call event or an alert passes the protocol's
 * schema of its delivery.
 */
export function decodeEnvelopes(text: string, channel: string): Decoded {
  const raw: unknown = JSON.parse(text);
  const list = Array.isArray(raw) ? raw : [raw];
  const messages: BusMessage[] = [];
  for (const item of list) {
    const message = checkEnvelope(item, channel);
    if (message) messages.push(message);
  }
  return { messages, rejected: list.length - messages.length };
}

function checkEnvelope(raw: unknown, channel: string): BusMessage | null {
  if (!isRecord(raw)) return null;
  const { o, d } = raw;
  if (!(o === undefined || (Number.isSafeInteger(o) && (o as number) > 0)) || fieldCount(raw) !== (o === undefined ? 1 : 2)) return null;
  const delivery = checkDelivery(d, channel);
  if (!delivery) return null;
  return o === undefined ? { delivery } : { delivery, offset: o as number };
}

function checkDelivery(d: unknown, channel: string): UnnumberedDelivery | null {
  if (!isRecord(d) || d.channel !== channel) return null;
  // the relayed types (every relayed message) are checked by hand: type, channel, from, ts and two
  // or one fields of their own; the rare ones (call events, alerts) by the protocol's schema
  if (d.type !== 'signal' && d.type !== 'location' && d.type !== 'presence') {
    const parsed = UnnumberedDelivery.safeParse(d);
    return parsed.success ? parsed.data : null;
  }
  const from = d.from;
  if (typeof d.ts !== 'number' || !Number.isFinite(d.ts)) return null;
  if (!isRecord(from) || typeof from.userId !== 'string' || typeof from.role !== 'string' || typeof from.sessionId !== 'string' || fieldCount(from) !== 3) {
    return null;
  }
  switch (d.type) {
    case 'signal':
      return typeof d.callId === 'string' && fieldCount(d) === 6 && SignalBody.safeParse(d.signal).success
        ? (d as UnnumberedDelivery)
        : null;
    case 'location':
      return fieldCount(d) === 5 && Position.safeParse(d.position).success ? (d as UnnumberedDelivery) : null;
    default:
      return (d.event === 'joined' || d.event === 'left') && fieldCount(d) === 5 ? (d as UnnumberedDelivery) : null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldCount(value: Record<string, unknown>): number {
  let n = 0;
  for (const key in value) if (Object.hasOwn(value, key)) n++;
  return n;
}
