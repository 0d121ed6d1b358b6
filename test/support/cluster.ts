/**
 * Starts Tether nodes on port 0 for tests. `startCluster(n)` runs n nodes in this process that
 * share one in-memory broker, store, call store and records, as n machines share RabbitMQ, Redis
 * and PostgreSQL; pass `makeBus` / `makeStore` / `makeCalls` / `makeRecords` to run the same
 * nodes on real backends. `token()` mints tokens
 * the nodes accept. Call `stop()` in afterEach.
 */
import { once } from 'node:events';
import { mintToken, type DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import type { Bus } from '../../src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../src/bus/memory.ts';
import { type Config, configWith } from '../../src/config.ts';
import { TetherNode } from '../../src/node.ts';
import type { CallStore } from '../../src/calls/call-store.ts';
import { MemoryCallData, MemoryCallStore } from '../../src/calls/memory-call-store.ts';
import { MemoryRecords, MemoryRecordsData } from '../../src/records/memory.ts';
import type { Records } from '../../src/records/records.ts';
import { MemoryStore, MemoryStoreData } from '../../src/store/memory.ts';
import type { Store } from '../../src/store/store.ts';
import { TestClient } from './client.ts';
import type { Interceptor } from './interceptor.ts';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';
export const TEST_ISSUER = 'tether-test';

export interface ClusterOptions {
  config?: Partial<Record<keyof Config, string | number>>;
  makeBus?: (index: number) => Bus;
  makeStore?: (index: number) => Store;
  makeCalls?: (index: number) => CallStore;
  makeRecords?: (index: number) => Records;
  /** wraps node `index`'s bus and store (named `bus` and `store`) so a test can hold or fail their calls */
  intercept?: (index: number) => Interceptor | undefined;
}

export class Cluster {
  readonly nodes: TetherNode[];
  /** the in-memory broker and store data the nodes share, unless the test gave its own backends */
  readonly broker: MemoryBroker;
  readonly data: MemoryStoreData;
  private readonly clients: TestClient[] = [];

  constructor(nodes: TetherNode[], broker: MemoryBroker, data: MemoryStoreData) {
    this.nodes = nodes;
    this.broker = broker;
    this.data = data;
  }

  url(index = 0): string {
    return `ws://127.0.0.1:${this.nodes[index]!.port}/ws`;
  }

  http(index = 0): string {
    return `http://127.0.0.1:${this.nodes[index]!.port}`;
  }

  token(request: DevTokenRequest): Promise<string> {
    return mintToken(request, { secret: TEST_SECRET, issuer: TEST_ISSUER });
  }

  /** Connects a client for `request`'s identity to node `index`; closed by `stop()`. */
  async connect(index: number, request: DevTokenRequest, resume?: { token: string; lastSeq: number }): Promise<TestClient> {
    const client = await TestClient.connect(this.url(index), await this.token(request), {}, resume);
    this.clients.push(client);
    return client;
  }

  /** Reconnects `client`'s identity to node `index`, resuming its session from what it received. */
  async resume(index: number, request: DevTokenRequest, client: TestClient): Promise<TestClient> {
    const token = client.welcome.resume?.token;
    if (!token) throw new Error('the session is not resumable');
    return this.connect(index, request, { token, lastSeq: client.lastSeq });
  }

  /** Resolves once the node serving `client` has seen it go and cleaned its session up. */
  serverEnded(client: TestClient): Promise<void> {
    for (const node of this.nodes) {
      for (const connection of node.gateway.connections) {
        if (connection.session.id === client.welcome.sessionId) return connection.ended;
      }
    }
    return Promise.resolve();
  }

  /** Resolves once the node serving `client` has seen its socket close (its cleanup may still run). */
  serverClosed(client: TestClient): Promise<void> {
    for (const node of this.nodes) {
      for (const connection of node.gateway.connections) {
        if (connection.session.id === client.welcome.sessionId) return once(connection.ws, 'close').then(() => {});
      }
    }
    return Promise.resolve();
  }

  /** Drops `client`'s connection as a lost network does, and waits until its node has noticed. */
  async drop(client: TestClient): Promise<void> {
    const ended = this.serverEnded(client);
    await client.drop();
    await ended;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.close()));
    await Promise.allSettled(this.nodes.map((n) => n.shutdown(0)));
  }
}

function intercepted(interceptor: Interceptor | undefined, deps: { bus: Bus; store: Store }): { bus: Bus; store: Store } {
  if (!interceptor) return deps;
  return { bus: interceptor.wrap(deps.bus, 'bus'), store: interceptor.wrap(deps.store, 'store') };
}

export async function startCluster(count: number, options: ClusterOptions = {}): Promise<Cluster> {
  const broker = new MemoryBroker();
  const data = new MemoryStoreData();
  const callData = new MemoryCallData();
  const recordsData = new MemoryRecordsData();
  const nodes = Array.from(
    { length: count },
    (_, i) =>
      new TetherNode(
        configWith({
          NODE_ENV: 'development',
          PORT: 0,
          HOST: '127.0.0.1',
          NODE_ID: `node-${i}`,
          LOG_LEVEL: 'silent',
          JWT_SECRET: TEST_SECRET,
          JWT_ISSUER: TEST_ISSUER,
          // channels unbind as soon as they are left, so tests can see bindings come and go
          UNBIND_DELAY_MS: 0,
          ...options.config,
        }),
        {
          ...intercepted(options.intercept?.(i), {
            bus: options.makeBus?.(i) ?? new MemoryBus(broker),
            store: options.makeStore?.(i) ?? new MemoryStore({ data }),
          }),
          calls: options.makeCalls?.(i) ?? new MemoryCallStore(callData),
          records: options.makeRecords?.(i) ?? new MemoryRecords({ data: recordsData }),
        },
      ),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return new Cluster(nodes, broker, data);
}
