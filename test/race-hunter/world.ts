/**
 * The race hunter's cluster: three in-process nodes sharing one in-memory broker and store, each
 * node's Bus and Store wrapped by an Interceptor whose policy (driven by the run's seeded Random)
 * delays calls by a few loop turns or milliseconds and now and then fails one, at every named
 * point. It also watches what no client can see: the bus state at the moment a node acks a
 * subscribe or sends a welcome (neither may happen while that node's bus is down).
 *
 * To extend: a new kind of fault is a new branch in `policy`; a new server-side observation is a
 * hook on `HunterMetrics` or a message matched in `logLine`.
 */
import { pino } from 'pino';
import { BusError } from '../../src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../src/bus/memory.ts';
import { configWith } from '../../src/config.ts';
import { TetherNode } from '../../src/node.ts';
import { NodeMetrics } from '../../src/observability/metrics.ts';
import { MemoryStore, MemoryStoreData } from '../../src/store/memory.ts';
import { StoreError } from '../../src/store/store.ts';
import { TEST_ISSUER, TEST_SECRET } from '../support/cluster.ts';
import { Interceptor } from '../support/interceptor.ts';
import type { Random } from './random.ts';

/** Calls whose failure the real adapters can report; the others never fail in production either. */
const MAY_FAIL = new Set([
  'bus.publish:before',
  'bus.subscribe:before',
  'store.logDeliveries:before',
  'store.logDeliveries:after',
  'store.appendDirect:before',
  'store.openSession:before',
  'store.takeOver:before',
  'store.endSession:before',
  'store.joinRoom:before',
  'store.touchSessions:before',
  'store.pendingFor:before',
  'store.recordRequests:before',
  'store.registerAgain:before',
  'store.saveSubscriptions:before',
]);

export interface Chaos {
  /** chance a call waits at a point */
  delay: number;
  /** chance a call that may fail does */
  fail: number;
}

class HunterMetrics extends NodeMetrics {
  private readonly onAck: () => void;

  constructor(onAck: () => void) {
    super();
    this.onAck = onAck;
  }

  override subscribeAck(kind: string, seconds: number): void {
    this.onAck();
    super.subscribeAck(kind, seconds);
  }
}

export class World {
  readonly broker = new MemoryBroker();
  readonly data = new MemoryStoreData();
  readonly buses: MemoryBus[] = [];
  readonly stores: MemoryStore[] = [];
  readonly nodes: TetherNode[] = [];
  /** what a node did that it must not: recorded as it happens */
  readonly violations: string[] = [];
  /** `<sender session>/<request id>` of direct signals whose keeping failed (chaos or an outage): relayed live only, as with Redis down */
  readonly unkept = new Set<string>();
  /** sessions whose end failed (chaos or an outage): their presence and roster entries lapse instead */
  readonly unended = new Set<string>();
  /** sessions whose catch-up could not read the Store: what was owed arrives after newer messages */
  readonly caughtUpLate = new Set<string>();
  /** Store and Bus calls and their outcomes, in order: printed with a failing seed */
  readonly appends: string[] = [];
  /** the calls chaos failed, in order: `node-<i> <point>` */
  readonly failed: string[] = [];
  chaos: Chaos;
  private readonly random: Random;

  private constructor(random: Random, chaos: Chaos) {
    this.random = random;
    this.chaos = chaos;
  }

  static async start(random: Random, chaos: Chaos, nodes = 3): Promise<World> {
    const world = new World(random, chaos);
    for (let i = 0; i < nodes; i++) world.addNode(i);
    await Promise.all(world.nodes.map((n) => n.start()));
    return world;
  }

  url(node: number): string {
    return `ws://127.0.0.1:${this.nodes[node]!.port}/ws`;
  }

  /** Stops injecting faults and ends every outage, so the system can settle. */
  calm(): void {
    this.chaos = { delay: 0, fail: 0 };
    for (const bus of this.buses) if (bus.state === 'down') bus.simulateOutage(false);
    for (const store of this.stores) if (store.state === 'down') store.simulateOutage(false);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.shutdown(0)));
  }

  private addNode(i: number): void {
    const interceptor = new Interceptor();
    interceptor.policy = (point, args) => this.policy(i, point, args);
    // a node cut off from its store keeps nothing (relayed live only) and ends nothing (lapses)
    interceptor.onRejected = (call, args) => {
      if (call === 'store.appendDirect') this.markUnkept(args);
      if (call === 'store.endSession') this.unended.add(args[0] as string);
      if (call === 'store.pendingFor') for (const { sessionId } of args[0] as Array<{ sessionId: string }>) this.caughtUpLate.add(sessionId);
      this.appends.push(`node-${i} REJECTED ${call} ${JSON.stringify(args).slice(0, 120)}`);
    };
    interceptor.onResolved = (call, args, result) => {
      const short = (id: unknown) => String(id).slice(0, 8);
      if (call === 'store.appendDirect') {
        const batch = args[0] as Array<{ senderSessionId: string; requestId: string; userId: string }>;
        batch.forEach((m, j) => this.appends.push(`node-${i} append ${m.requestId}@${short(m.senderSessionId)} -> ${m.userId}: ${JSON.stringify((result as unknown[])[j])}`));
      } else if (call === 'store.logDeliveries') {
        const batch = args[0] as Array<{ sessionId: string; epoch: number; frames: Array<{ seq: number; offset?: number }>; unlogged?: unknown }>;
        batch.forEach((e, j) => this.appends.push(`node-${i} log ${short(e.sessionId)}@${e.epoch % 100000} ${e.frames.map((f) => `${f.seq}/${f.offset ?? '-'}`).join(',')} unlogged=${JSON.stringify(e.unlogged)}: ${(result as unknown[])[j]}`));
      } else if (call === 'store.takeOver') {
        const r = result as { complete?: boolean; epoch?: number; missed?: Array<{ seq: number }>; pending?: Array<{ offset: number }> } | null;
        this.appends.push(`node-${i} takeOver ${short((args[0] as { sessionId: string }).sessionId)} lastSeq=${(args[0] as { lastSeq: number }).lastSeq}: ${r === null ? 'null' : `${r.complete} @${(r.epoch ?? 0) % 100000} missed=${r.missed?.map((f) => f.seq).join(',')} pending=${r.pending?.map((p) => p.offset).join(',')}`}`);
      } else if (call === 'bus.publish') {
        const [channel, message] = args as [string, { delivery: { type: string; callId?: string }; offset?: number }];
        if (message.delivery.type === 'signal') this.appends.push(`node-${i} publish ${channel} ${message.delivery.callId} o=${message.offset ?? '-'}: ok`);
      } else if (call === 'bus.subscribe' || call === 'bus.unsubscribe') {
        this.appends.push(`node-${i} ${call} ${String(args[0])} -> now bound here: ${this.buses[i]!.boundHere().includes(String(args[0]))}`);
      } else if (call === 'store.endSession' || call === 'store.voidDirect' || call === 'store.openSession' || call === 'store.registerAgain') {
        this.appends.push(`node-${i} ${call.slice(6)} ${JSON.stringify(args).slice(0, 160)}: ${JSON.stringify(result)}`);
      }
    };
    const bus = new MemoryBus(this.broker);
    const store = new MemoryStore({ data: this.data });
    this.buses.push(bus);
    this.stores.push(store);
    const logger = pino({ level: 'info' }, { write: (line: string) => this.logLine(i, line) });
    const node = new TetherNode(
      configWith({
        NODE_ENV: 'development',
        PORT: 0,
        HOST: '127.0.0.1',
        NODE_ID: `node-${i}`,
        JWT_SECRET: TEST_SECRET,
        JWT_ISSUER: TEST_ISSUER,
        PRESENCE_TTL_MS: 3_000,
        RESUME_DETACHED_PER_USER: 50,
      }),
      {
        bus: interceptor.wrap(bus, 'bus'),
        store: interceptor.wrap(store, 'store'),
        logger,
        metrics: new HunterMetrics(() => this.expectBusUp(i, 'acked a subscribe')),
      },
    );
    this.nodes.push(node);
  }

  private policy(node: number, point: string, args: unknown[]): Promise<void> | Error | undefined {
    const { random, chaos } = this;
    if (MAY_FAIL.has(point) && random.chance(chaos.fail)) {
      this.failed.push(`node-${node} ${point}`);
      if (point.startsWith('store.appendDirect')) this.markUnkept(args);
      if (point.startsWith('store.endSession')) this.unended.add(args[0] as string);
      if (point.startsWith('store.pendingFor')) for (const { sessionId } of args[0] as Array<{ sessionId: string }>) this.caughtUpLate.add(sessionId);
      return point.startsWith('bus.') ? new BusError('UNAVAILABLE', 'chaos') : new StoreError('chaos');
    }
    if (!random.chance(chaos.delay)) return undefined;
    const turns = 1 + random.int(3);
    const ms = random.chance(0.3) ? random.int(5) : -1;
    return new Promise((resolve) => {
      if (ms >= 0) setTimeout(resolve, ms);
      else {
        const step = (left: number): void => void (left === 0 ? resolve() : setImmediate(() => step(left - 1)));
        step(turns);
      }
    });
  }

  private markUnkept(args: unknown[]): void {
    for (const m of args[0] as Array<{ senderSessionId: string; requestId: string }>) this.unkept.add(`${m.senderSessionId}/${m.requestId}`);
  }

  private logLine(node: number, line: string): void {
    if (line.includes('"msg":"connected"')) this.expectBusUp(node, 'welcomed a connection');
  }

  private expectBusUp(node: number, what: string): void {
    const state = this.buses[node]!.state;
    if (state !== 'up') this.violations.push(`node-${node} ${what} while its bus was ${state}`);
  }
}
