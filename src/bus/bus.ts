import type { BusMessage } from './envelope.ts';

export type { BusMessage } from './envelope.ts';

/**
 * The Bus relays messages between the nodes of a cluster.
 *
 * Contract (every implementation passes test/contract/bus-contract.ts):
 * - `subscribe(channel)` resolves only once a message published to `channel` by any node,
 *   after the promise resolves, reaches this node's `onMessage` handler. Callers reference-count:
 *   the Bus sees one subscribe per channel per node, then one unsubscribe.
 * - `unsubscribe(channel)` resolves once this node no longer needs to receive `channel`.
 * - `publish` resolves when the bus has accepted the message (for RabbitMQ: publisher confirm)
 *   and rejects with a `BusError`:
 *   `UNROUTABLE` when `mandatory` is set and no node is subscribed to the channel;
 *   `UNAVAILABLE` at once when the bus is down (never buffered without bound).
 * - Ordering: messages published by one node to one channel arrive in `publish` call order.
 *   Delivery is at most once.
 * - `subscribe` rejects with `UNAVAILABLE` when the bus is not up; the channel is then not
 *   subscribed.
 * - `onMessage` only ever receives messages that passed validation; others are dropped and counted.
 * - After a connection loss the Bus restores every subscription it holds before reporting
 *   `up` again. While another node is still re-binding after its own reconnect, a mandatory
 *   publish to a channel only it receives can briefly be UNROUTABLE.
 * - In a fanout topology every node receives everything, so a mandatory publish is UNROUTABLE only
 *   when no node at all is connected; whether a user has a session comes from the Store.
 * - A handler that throws is logged; it never stops delivery to the others or the node.
 */
export interface Bus {
  readonly state: BusState;
  start(): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  publish(channel: string, message: BusMessage, options: PublishOptions): Promise<void>;
  /** Sets the one handler for incoming messages; messages are already parsed and validated. */
  onMessage(handler: (channel: string, message: BusMessage) => void): void;
  /** Called with each state change, for readiness, metrics and the core's catch-up after `down`. */
  onState(listener: (state: BusState) => void): void;
  close(): Promise<void>;
}

/** `up`: usable. `blocked`: the broker refuses publishes for now (resource alarm). */
export type BusState = 'connecting' | 'up' | 'blocked' | 'down' | 'closed';

export interface PublishOptions {
  /** fail with UNROUTABLE when no node subscribes to the channel */
  mandatory: boolean;
  /** drop the message if it waits longer than this in the bus, ms */
  ttlMs?: number;
}

export type BusErrorCode = 'UNROUTABLE' | 'UNAVAILABLE';

export class BusError extends Error {
  readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
  }
}
