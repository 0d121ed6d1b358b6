import type { Member, Position, Sender } from '../protocol/index.ts';

/**
 * The Store holds the cluster's shared soft state. Nodes keep only live sockets in memory;
 * anything that must be seen cluster-wide or survive a node lives here.
 *
 * Contract (every implementation passes test/contract/store-contract.ts):
 * - Operations are atomic per key; `joinRoom` returns the roster including the joiner.
 * - A roster lists each session once; `leaveRoom` of an absent session is a no-op.
 * - When the backend is unreachable, every operation rejects promptly with
 *   `StoreError('UNAVAILABLE')`; none waits on an offline queue.
 * - Everything stored is bounded in time or size.
 */
export interface Store {
  readonly state: StoreState;
  start(): Promise<void>;
  /** Adds `member` to the room and returns everyone in it now, the joiner included. */
  joinRoom(room: string, member: Member): Promise<Member[]>;
  leaveRoom(room: string, sessionId: string): Promise<void>;
  roomMembers(room: string): Promise<Member[]>;
  setLastPosition(patientId: string, fix: PositionFix): Promise<void>;
  lastPosition(patientId: string): Promise<PositionFix | null>;
  onState(listener: (state: StoreState) => void): void;
  close(): Promise<void>;
}

export type StoreState = 'connecting' | 'up' | 'down' | 'closed';

/** A position as the server accepted it: who sent it and when (server time, ms). */
export interface PositionFix {
  position: Position;
  from: Sender;
  ts: number;
}

export class StoreError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}
