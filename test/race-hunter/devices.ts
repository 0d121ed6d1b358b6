/**
 * The race hunter's clients: a Device is one app install of a user, connecting to any node with
 * a real ws client, closing in any way, and resuming its session when it can. Everything it sent
 * and received is kept, per session chain (the connections of one session, linked by successful
 * resumes), for the invariants in invariants.ts. Order of events is a logical clock (`Clock`):
 * "welcomed before sent" means the welcome reached this process before the request left it.
 *
 * To extend: a new request is a new method beside `signal` that goes through `request`, so its
 * answer is recorded; a new way of closing is a branch in `close`.
 */
import type { DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import { mintToken } from '../../src/auth/dev-tokens.ts';
import type { ClientMessageInput, ServerMessage } from '../../src/protocol/index.ts';
import { TestClient } from '../support/client.ts';
import { TEST_ISSUER, TEST_SECRET } from '../support/cluster.ts';
import type { World } from './world.ts';

export class Clock {
  private now = 0;
  tick(): number {
    return ++this.now;
  }
}

/** One session as a device saw it. */
export interface Chain {
  device: Device;
  index: number;
  sessionId: string;
  welcomedAt: number;
  /** 'clean': the device closed it with 1000; 'dropped': a resume of it failed; null: still the device's session */
  ended: 'clean' | 'dropped' | null;
  conns: TestClient[];
  resumeToken: string | null;
}

/** A request a device sent, and what became of it. */
export interface Sent {
  id: string;
  kind: 'direct' | 'room' | 'location';
  to: string;
  chain: Chain;
  /** the sender's counter: per-sender order is checked with it */
  n: number;
  sentAt: number;
  /** undefined until answered; 'none' when its connection closed first */
  answer?: 'ack' | 'queued' | 'none' | string;
  /** sent again after a resume, its first answer lost: if the first attempt failed, the retry is a new publish, ordered after what was sent meanwhile */
  resent?: boolean;
}

export class Device {
  readonly name: string;
  readonly identity: DevTokenRequest;
  readonly chains: Chain[] = [];
  conn: TestClient | null = null;
  /** connect and close take turns; requests do not wait for each other */
  private turn: Promise<void> = Promise.resolve();
  private sentCount = 0;
  private readonly world: World;
  private readonly clock: Clock;
  readonly sent: Sent[] = [];

  constructor(name: string, identity: DevTokenRequest, world: World, clock: Clock) {
    this.name = name;
    this.identity = identity;
    this.world = world;
    this.clock = clock;
  }

  get chain(): Chain | undefined {
    const last = this.chains.at(-1);
    return last && last.ended === null ? last : undefined;
  }

  /** Connects to `node`, resuming its session if it has one. */
  connect(node: number): Promise<void> {
    return this.inTurn(async () => {
      if (this.conn) return;
      const chain = this.chain;
      const previous = chain?.conns.at(-1);
      const resume = chain?.resumeToken && previous ? { token: chain.resumeToken, lastSeq: previous.lastSeq } : undefined;
      const token = await mintToken(this.identity, { secret: TEST_SECRET, issuer: TEST_ISSUER });
      let client: TestClient;
      try {
        client = await TestClient.connect(this.world.url(node), token, {}, resume);
      } catch {
        return; // refused or closed before welcome (1013): the session, if any, is still there
      }
      const at = this.clock.tick();
      if (chain && client.welcome.resumed?.ok === true) {
        chain.conns.push(client);
        chain.resumeToken = client.welcome.resume?.token ?? chain.resumeToken;
      } else {
        if (chain) chain.ended = 'dropped';
        this.chains.push({
          device: this,
          index: this.chains.length,
          sessionId: client.welcome.sessionId,
          welcomedAt: at,
          ended: null,
          conns: [client],
          resumeToken: client.welcome.resume?.token ?? null,
        });
      }
      this.conn = client;
      await this.resendUnanswered(client);
    });
  }

  /** Closes the connection: cleanly (1000), going away (1001), a reset, or the server cutting it as a slow consumer (4001). */
  close(how: 1000 | 1001 | 'reset' | 4001): Promise<void> {
    return this.inTurn(async () => {
      const client = this.conn;
      if (!client) return;
      this.conn = null;
      if (how === 1000) {
        this.chain!.ended = 'clean';
        await client.close();
      } else if (how === 1001) {
        client.ws.close(1001);
        await client.closed;
      } else if (how === 'reset') {
        await client.drop();
      } else {
        for (const node of this.world.nodes) {
          for (const c of node.gateway.connections) if (c.session.id === client.welcome.sessionId && !c.session.ended) c.close(4001, 'chaos: slow consumer');
        }
        client.ws.close(1001);
        await client.closed;
      }
    });
  }

  /** A signal to `to` carrying this device's next counter in its callId. */
  signal(to: string): Promise<void> {
    const kind = to.startsWith('user:') ? 'direct' : 'room';
    const n = ++this.sentCount;
    const callId = `${this.name}.${n}`;
    return this.request(kind, to, n, { type: 'signal', to, callId, signal: { kind: 'ice', candidate: null } });
  }

  location(): Promise<void> {
    const n = ++this.sentCount;
    const position = { lat: 48, lng: 11, accuracy: n, timestamp: Date.now() };
    return this.request('location', `location:${this.identity.sub}`, n, { type: 'location', position });
  }

  /** Subscribes or unsubscribes; the answer is not part of any invariant but the bus-state one (world.ts). */
  async toggle(channel: string, on: boolean): Promise<void> {
    const client = this.conn;
    if (!client) return;
    await Promise.race([client.request({ type: on ? 'subscribe' : 'unsubscribe', channel }), client.closed]);
  }

  /** Numbered frames this chain received, over all its connections, in order. */
  static frames(chain: Chain): Array<Extract<ServerMessage, { seq: number }>> {
    return chain.conns.flatMap((c) => c.received.filter((f): f is Extract<ServerMessage, { seq: number }> => 'seq' in f));
  }

  private async request(kind: Sent['kind'], to: string, n: number, message: Record<string, unknown>): Promise<void> {
    const client = this.conn;
    const chain = this.chain;
    if (!client || !chain) return;
    // unique across the session's connections, as an SDK's are: a resumed session remembers its requests' ids
    const id = `${this.name}-${n}`;
    const sent: Sent = { id, kind, to, chain, n, sentAt: this.clock.tick() };
    this.sent.push(sent);
    await this.await(client, sent, { ...message, id } as ClientMessageInput);
  }

  private async await(client: TestClient, sent: Sent, message: ClientMessageInput): Promise<void> {
    client.send(message);
    const answer = await Promise.race([client.answer(sent.id), client.closed.then(() => null)]);
    if (!answer) {
      sent.answer ??= 'none';
      return;
    }
    if (answer.type === 'error') sent.answer = answer.code;
    else sent.answer = answer.result && 'queued' in answer.result ? 'queued' : 'ack';
  }

  /** As an SDK does after a resume: direct signals whose answer the old connection never got go again, same id. */
  private async resendUnanswered(client: TestClient): Promise<void> {
    const chain = this.chain!;
    if (chain.conns.length < 2) return;
    const waiting = this.sent.filter((s) => s.chain === chain && s.kind === 'direct' && s.answer === 'none');
    await Promise.all(
      waiting.map((s) => {
        s.answer = undefined;
        s.resent = true;
        return this.await(client, s, { type: 'signal', to: s.to, callId: `${this.name}.${s.n}`, signal: { kind: 'ice', candidate: null }, id: s.id });
      }),
    );
  }

  private inTurn(step: () => Promise<void>): Promise<void> {
    const run = this.turn.then(step, step);
    this.turn = run.catch(() => {});
    return run;
  }
}
