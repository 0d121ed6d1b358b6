/**
 * One app of the counted-traffic tests: a real SDK client (client-sdk/src, with `ws`), pinned to
 * one node first and reconnecting to the others in turn, with a record of what happened to its
 * connection: every welcome (node, session, resumed or not), every drop (close code, reason) and
 * every socket it opened (so a test can cut one, as a lost network would).
 *
 * The SDK is used as an app uses it: resume, resend with the same id and resync on a seq gap are
 * the production ones. To record more per client (e.g. raw frames), tap the socket class below.
 */
import WebSocket from 'ws';
import { DEV_ISSUER, DEV_SECRET, type DevTokenRequest, mintToken } from '../../../src/auth/dev-tokens.ts';
import { type TetherClient, type Welcome, connect, fullJitterBackoff } from '../../../client-sdk/src/index.ts';

export interface WelcomeRecord {
  /** ms on the scenario's clock */
  at: number;
  nodeId: string;
  sessionId: string;
  resumed: Welcome['resumed'];
}

export interface DropRecord {
  at: number;
  closeCode: number | undefined;
  reason: string;
}

export class Party {
  readonly name: string;
  readonly userId: string;
  /** index of the node it connects to first */
  readonly home: number;
  readonly client: TetherClient;
  readonly welcomes: WelcomeRecord[] = [];
  readonly drops: DropRecord[] = [];
  /** the SDK dropped its link on a seq gap to resume from the last frame it delivered */
  readonly gaps: string[] = [];
  /** the SDK gave up for good (a close code it must not reconnect after), unless the test closed it */
  closedForGood: DropRecord | null = null;
  private closing = false;
  private readonly sockets: WebSocket[] = [];
  private readonly clock: () => number;
  private readonly listeners = new Set<() => void>();
  /** the next `getToken()` waits for this: see `hold` */
  private gate: Promise<void> = Promise.resolve();

  /**
   * `urls`: every node's ws URL; the party tries `home` first, then the others in `order`.
   * `clock`: ms on the scenario's clock, for the records.
   */
  constructor(name: string, who: DevTokenRequest, urls: readonly string[], home: number, order: readonly number[], clock: () => number) {
    this.name = name;
    this.clock = clock;
    this.userId = who.sub;
    this.home = home;
    const sockets = this.sockets;
    class Tapped extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    this.client = connect({
      url: [home, ...order].map((i) => urls[i]!),
      WebSocket: Tapped,
      getToken: async () => {
        await this.gate;
        return mintToken(who, { secret: DEV_SECRET, issuer: DEV_ISSUER });
      },
      reconnect: fullJitterBackoff({ baseMs: 200, capMs: 2_000 }),
    });
    this.client.on('welcome', (w) => {
      this.welcomes.push({ at: this.now(), nodeId: w.nodeId, sessionId: w.sessionId, resumed: w.resumed });
      this.changed();
    });
    this.client.on('state', (s) => {
      if (s.previous !== 'open' || s.state === 'open' || this.closing) return;
      const reason = s.reason ?? '';
      const drop = { at: this.now(), closeCode: s.closeCode, reason };
      this.drops.push(drop);
      if (s.state === 'closed') this.closedForGood = drop;
      if (reason.includes('frames missing')) this.gaps.push(reason);
      this.changed();
    });
  }

  now(): number {
    return this.clock();
  }

  get open(): boolean {
    return this.client.state === 'open';
  }

  /** Connections it was welcomed on so far. */
  get connections(): number {
    return this.welcomes.length;
  }

  /** Calls `listener` on every welcome and drop; returns a function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cuts the current socket with no close frame, as a lost network does (the client sees 1006). */
  cut(): void {
    this.sockets.at(-1)?.terminate();
  }

  /**
   * Keeps the party from reconnecting (its next `getToken()` waits) until the returned function
   * is called: a phone whose network stays away for a while.
   */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return release;
  }

  /** Closes with 1000: the session ends on the server. */
  close(): void {
    this.closing = true;
    this.client.close();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
