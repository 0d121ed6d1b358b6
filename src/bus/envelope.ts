import { z } from 'zod';
import { UnnumberedDelivery } from '../protocol/index.ts';

/**
 * What travels between nodes: a delivery, and for a direct message the offset it is kept under
 * for its recipient's sessions (see src/store/direct-inbox.ts), by which a session drops a copy it
 * already has. The cluster envelope is kept apart from the client protocol: clients never see it.
 */
export interface BusMessage {
  delivery: UnnumberedDelivery;
  offset?: number;
}

const Envelope = z.object({ d: UnnumberedDelivery, o: z.number().int().positive().optional() });

export function encodeBusMessage({ delivery, offset }: BusMessage): string {
  return JSON.stringify(offset === undefined ? { d: delivery } : { o: offset, d: delivery });
}

/** Parses and validates bytes from the bus; throws on anything that is not a valid envelope. */
export function decodeBusMessage(text: string): BusMessage {
  const { d, o } = Envelope.parse(JSON.parse(text));
  return o === undefined ? { delivery: d } : { delivery: d, offset: o };
}
