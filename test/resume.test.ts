import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';

const ice = (n: number) => ({ kind: 'ice' as const, candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${5000 + n} typ host`, sdpMid: '0' } });
const carolId = { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['care-*'] };
const patId = { sub: 'pat', role: 'patient', contacts: ['carol'], rooms: ['care-*'] };

describe('session resume across nodes', () => {
  let cluster: Cluster;
  beforeEach(async () => (cluster = await startCluster(3)));
  afterEach(() => cluster.stop());

  it('replays what a dropped client missed, in order, on another node, then live traffic, with no gap or duplicate', async () => {
    const carol = await cluster.connect(0, carolId);
    let pat = await cluster.connect(1, patId);
    expect(pat.welcome.resume).toMatchObject({ token: expect.stringContaining(pat.welcome.sessionId), windowMs: 120_000 });
    await pat.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    await pat.next('presence');
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'offer', sdp: 'v=0' } });
    await pat.next('signal');

    await cluster.drop(pat);
    // while pat is away: direct messages are kept for its resumable session
    for (const n of [1, 2, 3]) {
      expect(await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(n) })).toEqual({ queued: true });
    }
    const resumed = await cluster.resume(2, patId, pat);
    expect(resumed.welcome).toMatchObject({ sessionId: pat.welcome.sessionId, resumed: { ok: true, replayed: 3 } });
    expect(resumed.welcome.subscriptions.sort()).toEqual(['room:care-1', 'user:pat']);
    const replayed = [await resumed.next('signal'), await resumed.next('signal'), await resumed.next('signal')];
    expect(replayed.map((s) => s.signal)).toEqual([ice(1), ice(2), ice(3)]);
    expect(replayed.map((s) => s.seq)).toEqual([pat.lastSeq + 1, pat.lastSeq + 2, pat.lastSeq + 3]);

    // live again, on the new node: direct and room traffic
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'hangup' } });
    expect((await resumed.next('signal')).signal.kind).toBe('hangup');
    await carol.ok({ type: 'signal', to: 'room:care-1', callId: 'r', signal: { kind: 'ringing' } });
    expect(await resumed.next('signal')).toMatchObject({ channel: 'room:care-1', seq: pat.lastSeq + 5 });
    pat = resumed;
    await pat.ok({ type: 'ping' });
    expect(pat.gaps).toEqual([]);
    expect(pat.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });

  it('resends frames delivered after the last seq the client reports, with their original numbers', async () => {
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    for (const n of [1, 2, 3, 4]) await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(n) });
    for (const n of [1, 2, 3, 4]) expect((await pat.next('signal')).signal).toEqual(ice(n));
    await cluster.drop(pat);
    // the client says it processed only up to seq 2 (3 and 4 were lost with the old socket)
    const resumed = await cluster.connect(0, patId, { token: pat.welcome.resume!.token, lastSeq: 2 });
    expect(resumed.welcome.resumed).toEqual({ ok: true, replayed: 2 });
    expect((await resumed.next('signal')).seq).toBe(3);
    expect((await resumed.next('signal')).seq).toBe(4);
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(5) });
    expect(await resumed.next('signal')).toMatchObject({ seq: 5, signal: ice(5) });
  });

  it('starts a new session, saying why, when the token is unknown, the client closed cleanly, or frames were lost', async () => {
    const unknown = await cluster.connect(0, patId, { token: 'no-such-session.secret', lastSeq: 0 });
    expect(unknown.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });

    const pat = await cluster.connect(0, patId);
    const ended = cluster.serverEnded(pat);
    await pat.close();
    await ended;
    const afterClean = await cluster.resume(1, patId, pat);
    expect(afterClean.welcome).toMatchObject({ resumed: { ok: false, reason: 'UNKNOWN' } });
    expect(afterClean.welcome.sessionId).not.toBe(pat.welcome.sessionId);

    const eve = await cluster.connect(1, { sub: 'eve' });
    const stolen = await cluster.connect(2, { sub: 'eve' }, { token: afterClean.welcome.resume!.token, lastSeq: 0 });
    expect(stolen.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });
    await eve.ok({ type: 'ping' });
  });

  it('answers a malformed resume request UNKNOWN rather than ignoring it', async () => {
    const client = await cluster.connect(0, patId, { token: 'no-dot-here', lastSeq: 0 });
    expect(client.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });
  });

  it('says INCOMPLETE when the resume log no longer reaches back to the client, and forgets the old session', async () => {
    await cluster.stop();
    cluster = await startCluster(2, { config: { RESUME_MAX_FRAMES: 2 } });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    for (const n of [1, 2, 3, 4]) await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(n) });
    await pat.next('signal', (s) => s.seq === 4);
    await cluster.drop(pat);
    const resumed = await cluster.connect(0, patId, { token: pat.welcome.resume!.token, lastSeq: 1 });
    expect(resumed.welcome.resumed).toEqual({ ok: false, reason: 'INCOMPLETE' });
    await cluster.drop(resumed);
    // only the new session is kept for pat now: one queued copy, delivered to whoever resumes it
    expect(await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(9) })).toEqual({ queued: true });
    const again = await cluster.connect(1, patId, { token: pat.welcome.resume!.token, lastSeq: 4 });
    expect(again.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });
  });

  it('answers PEER_UNAVAILABLE once the resume window has passed', async () => {
    await cluster.stop();
    cluster = await startCluster(2, { config: { RESUME_WINDOW_MS: 0 } });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    await cluster.drop(pat);
    const answer = await carol.request({ type: 'signal', to: 'user:pat', callId: 'c', signal: ice(1) });
    expect(answer).toMatchObject({ type: 'error', code: 'PEER_UNAVAILABLE' });
  });
});
