import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.ts';
import type { CallRequest, ErrorCode } from '../protocol/index.ts';
import type { JournalRecord, ResumeBounds, Store } from '../store/store.ts';
import type { Batcher } from './batcher.ts';
import type { DeliveryLog } from './delivery-log.ts';
import type { DirectWriter } from './direct-writer.ts';
import type { EndRetries } from './end-retries.ts';
import type { Relay } from './relay.ts';
import type { Pending } from './requests.ts';
import type { Session } from './session.ts';

/** What the core reports; implemented with prom-client in src/observability. */
export interface CoreMetrics {
  error(code: ErrorCode): void;
  /** seconds from receiving a subscribe to sending its ack */
  subscribeAck(channelKind: string, seconds: number): void;
  /** seconds from the sending node accepting a message to this node handing it to the socket */
  relayLatency(type: string, seconds: number): void;
}

/** Per-session limits and timings, from config. */
export interface SessionLimits {
  maxSubscriptions: number;
  /** how many recent write requests' answers are remembered for retries */
  requestCacheSize: number;
  /** ms a signaling message may wait in the bus before it is dropped as stale */
  signalTtlMs: number;
  /** ms a session stays live in presence without a heartbeat from its node */
  presenceTtlMs: number;
  /** ms a disconnected session can be resumed */
  resumeWindowMs: number;
  /** what the Store keeps per session and per user for resume */
  resume: ResumeBounds;
  /** ms without a position before location watchers get `stale` */
  staleAfterMs: number;
}

/**
 * Requests answered outside the core (invite, accept, ..., calls, turn: src/calls), taking their
 * turn in the session's queue like any other. Wired by src/node.ts.
 */
export interface CallRequests {
  handle(session: Session, message: CallRequest): Promise<Pending>;
}

/**
 * Told when a session has gone live on this node: fresh or resumed, right after its `welcome`
 * and any replayed frames were sent. It may deliver to the session at once (a call ringing for
 * the user, src/calls). Must not throw; the session may end at any await after.
 */
export type SessionLiveHook = (session: Session) => void;

/** Everything the core needs from one node, assembled by the composition root (src/node.ts). */
export interface CoreContext {
  nodeId: string;
  bus: Bus;
  store: Store;
  relay: Relay;
  /** node-wide, batched: logs frames before they are sent */
  deliveryLog: DeliveryLog;
  /** node-wide: direct messages kept before they are published, and withdrawn when that fails */
  directs: DirectWriter;
  /** node-wide, batched `Store.recordRequests` */
  journal: Batcher<JournalRecord, undefined>;
  /** session ends the Store could not take, retried when it is back */
  ends: EndRetries;
  /**
   * The Store has no trace of a session this node holds (it lost its data): registers every
   * live session again, as after an outage. Cheap to call often: passes do not overlap.
   */
  storeLost(): void;
  limits: SessionLimits;
  calls: CallRequests;
  /** see SessionLiveHook */
  sessionLive: SessionLiveHook[];
  metrics: CoreMetrics;
  logger: Logger;
  now: () => number;
}
