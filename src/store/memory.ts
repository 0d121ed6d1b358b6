import type { Member } from '../protocol/index.ts';
import { type PositionFix, type Store, StoreError, type StoreState } from './store.ts';

/**
 * The data behind one or more `MemoryStore`s. Several nodes in one process (the test cluster)
 * share one, as separate nodes share one Redis.
 */
export class MemoryStoreData {
  readonly rooms = new Map<string, Map<string, Member>>();
  readonly positions = new Map<string, PositionFix>();
}

/**
 * Store kept in this process: the embedded default. Rosters are bounded by live sessions
 * (every leave is explicit); one position per patient, bounded by `maxPatients` (least
 * recently updated evicted).
 */
export class MemoryStore implements Store {
  state: StoreState = 'connecting';
  private readonly rooms: Map<string, Map<string, Member>>;
  private readonly positions: Map<string, PositionFix>;
  private readonly listeners: Array<(state: StoreState) => void> = [];
  private readonly maxPatients: number;

  constructor(options: { data?: MemoryStoreData; maxPatients?: number } = {}) {
    const data = options.data ?? new MemoryStoreData();
    this.rooms = data.rooms;
    this.positions = data.positions;
    this.maxPatients = options.maxPatients ?? 100_000;
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  async joinRoom(room: string, member: Member): Promise<Member[]> {
    this.assertUp();
    let roster = this.rooms.get(room);
    if (!roster) this.rooms.set(room, (roster = new Map()));
    roster.set(member.sessionId, { ...member });
    return [...roster.values()].map((m) => ({ ...m }));
  }

  async leaveRoom(room: string, sessionId: string): Promise<void> {
    this.assertUp();
    const roster = this.rooms.get(room);
    if (!roster) return;
    roster.delete(sessionId);
    if (roster.size === 0) this.rooms.delete(room);
  }

  async roomMembers(room: string): Promise<Member[]> {
    this.assertUp();
    return [...(this.rooms.get(room)?.values() ?? [])].map((m) => ({ ...m }));
  }

  async setLastPosition(patientId: string, fix: PositionFix): Promise<void> {
    this.assertUp();
    this.positions.delete(patientId);
    this.positions.set(patientId, structuredClone(fix));
    if (this.positions.size > this.maxPatients) {
      const oldest = this.positions.keys().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
  }

  async lastPosition(patientId: string): Promise<PositionFix | null> {
    this.assertUp();
    const fix = this.positions.get(patientId);
    return fix ? structuredClone(fix) : null;
  }

  onState(listener: (state: StoreState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.setState('closed');
  }

  private assertUp(): void {
    if (this.state !== 'up') throw new StoreError(`store is ${this.state}`);
  }

  private setState(state: StoreState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
