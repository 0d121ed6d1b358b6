/**
 * Session resume against real Tether nodes (three in one process, test/support/cluster.ts): the
 * SDK's socket is lost on one node, signals are sent while it is away, and it resumes on
 * another node and gets everything once, in order. `getToken` is held while the test sends, so
 * the reconnect happens exactly when the test says, without sleeps.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import { type Cluster, startCluster } from '../../test/support/cluster.ts';
import { RequestError, type SignalDelivery, type TetherClient } from '../src/index.ts';
import { nextEvent } from './support/events.ts';
import { closeAll, testClient } from './support/sdk.ts';

const ice = (n: number) => ({ kind: 'ice' as const, candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${5000 + n} typ host`, sdpMid: '0' } });
const iceNumber = (s: SignalDelivery) => (s.signal.kind === 'ice' ? Number(s.signal.candidate?.candidate.split(/[: ]/)[1]) : s.signal.kind);

describe('the SDK resuming its session on another node', () => {
  let cluster: Cluster;
  let run: string;
  beforeEach(async () => {
    cluster = await startCluster(3);
    run = Math.random().toString(36).slice(2, 8);
  });
  afterEach(async () => {
    closeAll();
    await cluster.stop();
  });

  /** Resolves once the node serving `sessionId` has cleaned its connection up (kept it resumable or not). */
  function sessionEnded(sessionId: string): Promise<void> {
    for (const node of cluster.nodes) {
      for (const connection of node.gateway.connections) if (connection.session.id === sessionId) return connection.ended;
    }
    return Promise.resolve();
  }

  /**
   * A patient client that tries nodes 0, 1, 2 in turn. `hold()` makes the next `getToken()` wait
   * until the returned function is called; `sockets` are the WebSockets it opened.
   */
  function patient(who: DevTokenRequest) {
    const sockets: WebSocket[] = [];
    class Tapped extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    let gate: Promise<void> = Promise.resolve();
    const client = testClient({
      url: [0, 1, 2].map((i) => cluster.url(i)),
      WebSocket: Tapped,
      getToken: async () => {
        await gate;
        return cluster.token(who);
      },
    });
    const hold = (): (() => void) => {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    };
    return { client, sockets, hold };
  }

  const received = (client: TetherClient): SignalDelivery[] => {
    const all: SignalDelivery[] = [];
    client.on('signal', (s) => all.push(s));
    return all;
  };

  it('gets what was sent while its socket was gone, once and in order, keeps its rooms, and subscribes what was added meanwhile', async () => {
    const [patId, carolId] = [`pat-${run}`, `carol-${run}`];
    const rooms = [`room:care-${run}`, `room:extra-${run}`] as const;
    const grant = { rooms: [`care-${run}`, `extra-${run}`] };
    const carol = testClient({ url: cluster.url(2), getToken: () => cluster.token({ sub: carolId, role: 'caregiver', patients: [patId], ...grant }) });
    const pat = patient({ sub: patId, role: 'patient', contacts: [carolId], ...grant });
    const got = received(pat.client);
    const resubscribed: string[] = [];
    pat.client.on('subscribed', (e) => e.resubscribed && resubscribed.push(e.channel));
    expect((await pat.client.ready()).nodeId).toBe('node-0');
    await Promise.all([pat.client.subscribe(rooms[0]), carol.subscribe(rooms[0]), carol.subscribe(rooms[1])]);
    const toPat = (n: number) => carol.signal(`user:${patId}`, 'c', ice(n));

    const third = nextEvent(pat.client, 'signal', (s) => iceNumber(s) === 3);
    for (const n of [1, 2, 3]) await toPat(n);
    await third;

    const release = pat.hold();
    const { sessionId } = pat.client.welcome!;
    const ended = sessionEnded(sessionId);
    pat.sockets.at(-1)!.terminate(); // the network goes, no close frame
    await ended;
    for (const n of [4, 5, 6]) expect(await toPat(n)).toEqual({ queued: true });
    const joinedExtra = pat.client.subscribe(rooms[1]); // the app joins a room while away

    const reopened = nextEvent(pat.client, 'welcome');
    const sixth = nextEvent(pat.client, 'signal', (s) => iceNumber(s) === 6);
    release();
    expect(await reopened).toMatchObject({ nodeId: 'node-1', sessionId, resumed: { ok: true, replayed: 3 } });
    await sixth;
    expect((await joinedExtra).channel).toBe(rooms[1]);

    // live again on node 1: direct, the kept room and the added room
    const last = nextEvent(pat.client, 'signal', (s) => s.callId === 'extra');
    await toPat(7);
    await carol.signal(rooms[0], 'room', { kind: 'ringing' });
    await carol.signal(rooms[1], 'extra', { kind: 'ringing' });
    await last;
    expect(got.map(iceNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 'ringing', 'ringing']);
    const seqs = got.map((s) => s.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // no gap, no repeat
    expect(resubscribed).toEqual([]);
  });

  it('resumes after its node drains (1012) and gets the signals sent while it reconnected', async () => {
    const [patId, carolId] = [`pat-${run}`, `carol-${run}`];
    const carol = testClient({ url: cluster.url(2), getToken: () => cluster.token({ sub: carolId, role: 'caregiver', patients: [patId] }) });
    const pat = patient({ sub: patId, role: 'patient', contacts: [carolId] });
    const got = received(pat.client);
    await Promise.all([carol.ready(), pat.client.ready()]);
    const first = nextEvent(pat.client, 'signal');
    await carol.signal(`user:${patId}`, 'c', ice(1));
    await first;

    const release = pat.hold();
    const ended = sessionEnded(pat.client.welcome!.sessionId);
    const down = nextEvent(pat.client, 'state', (s) => s.state === 'reconnecting');
    await cluster.nodes[0]!.shutdown(0);
    expect(await down).toMatchObject({ closeCode: 1012 });
    await ended;
    for (const n of [2, 3]) expect(await carol.signal(`user:${patId}`, 'c', ice(n))).toEqual({ queued: true });
    const reopened = nextEvent(pat.client, 'welcome');
    const third = nextEvent(pat.client, 'signal', (s) => iceNumber(s) === 3);
    release();
    expect(await reopened).toMatchObject({ nodeId: 'node-1', resumed: { ok: true, replayed: 2 } });
    await third;
    expect(got.map(iceNumber)).toEqual([1, 2, 3]);
  });

  it('brings a location watch up to the newest position published while it was away', async () => {
    const patId = `pat-${run}`;
    const fix = (timestamp: number) => ({ lat: 52.5, lng: 13.4, accuracy: 5, timestamp });
    const publisher = testClient({ url: cluster.url(2), getToken: () => cluster.token({ sub: patId, role: 'patient' }) });
    const carol = patient({ sub: `carol-${run}`, role: 'caregiver', patients: [patId] });
    const fixes: string[] = [];
    let caughtUp!: () => void;
    const newest = new Promise<void>((resolve) => (caughtUp = resolve));
    await carol.client.watchLocation(patId, (f) => {
      fixes.push(`${f.position.timestamp}${f.live ? ' live' : ''}`);
      if (f.position.timestamp === 3_000) caughtUp();
    });
    const firstLive = nextEvent(carol.client, 'location');
    await publisher.publishLocation(fix(1_000));
    await firstLive;

    const release = carol.hold();
    const ended = sessionEnded(carol.client.welcome!.sessionId);
    carol.sockets.at(-1)!.terminate();
    await ended;
    // location updates are not kept for an absent session: the watch reads the newest instead
    for (const t of [2_000, 3_000]) await publisher.publishLocation(fix(t));
    const reopened = nextEvent(carol.client, 'welcome');
    release();
    expect((await reopened).resumed).toEqual({ ok: true, replayed: 0 });
    await newest;
    expect(fixes).toEqual(['1000 live', '3000']);
  });

  it('ends its session on close(): signals to it are then refused, not queued', async () => {
    const [patId, carolId] = [`pat-${run}`, `carol-${run}`];
    const carol = testClient({ url: cluster.url(2), getToken: () => cluster.token({ sub: carolId, role: 'caregiver', patients: [patId] }) });
    const pat = patient({ sub: patId, role: 'patient', contacts: [carolId] });
    await Promise.all([carol.ready(), pat.client.ready()]);
    const ended = sessionEnded(pat.client.welcome!.sessionId);
    pat.client.close();
    await ended;
    const refused = await carol.signal(`user:${patId}`, 'c', ice(1)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RequestError);
    expect(refused).toMatchObject({ code: 'PEER_UNAVAILABLE' });
  });
});
