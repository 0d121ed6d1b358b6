/**
 * Calls through real node processes (scripts/local-cluster.ts) on the suite's RabbitMQ, Redis and
 * PostgreSQL, with a node SIGKILLed while a call rings: nothing may be left ringing. The node that
 * made a call holds its ring timer; when it dies, another node's sweep ends the call.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../scripts/local-cluster.ts';
import { DEV_ISSUER, DEV_SECRET, type DevTokenRequest, mintToken } from '../src/auth/dev-tokens.ts';
import type { CallDelivery, CallResult, CallsResult } from '../src/protocol/index.ts';
import { TestClient } from './support/client.ts';
import { startSuiteCluster } from './support/suite-cluster.ts';

const RING_MS = 1_500;
const SWEEP_MS = 200;

describe('a node killed while a call rings', () => {
  let cluster: LocalCluster;
  const clients: TestClient[] = [];
  const run = Math.random().toString(36).slice(2, 8);
  const carolId: DevTokenRequest = { sub: `carol-${run}`, role: 'caregiver', patients: [`pat-${run}`] };
  const patId: DevTokenRequest = { sub: `pat-${run}`, role: 'patient', contacts: [`carol-${run}`] };
  const connect = async (node: number, who: DevTokenRequest) => {
    const client = await TestClient.connect(cluster.nodeUrls[node]!, await mintToken(who, { secret: DEV_SECRET, issuer: DEV_ISSUER }));
    clients.push(client);
    return client;
  };
  const event = (client: TestClient, callId: string, name: CallDelivery['event']) =>
    client.next('call', (f) => f.callId === callId && f.event === name) as Promise<CallDelivery>;

  beforeEach(async () => {
    cluster = await startSuiteCluster({ CALL_RING_TIMEOUT_MS: String(RING_MS), CALL_SWEEP_MS: String(SWEEP_MS), PRESENCE_TTL_MS: '1500' });
  }, 60_000);
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await cluster?.stop();
  });

  it("ends the call as missed on another node when the caller's node dies mid-ring, and records it", async () => {
    const carol = await connect(0, carolId);
    const pat = await connect(1, patId);
    const { callId, ringUntil } = (await carol.ok({ type: 'invite', to: patId.sub })) as CallResult;
    await event(pat, callId, 'invite');
    await cluster.kill(0);
    const ended = await event(pat, callId, 'ended');
    const late = Date.now() - ringUntil!;
    process.stdout.write(`calls node-kill: missed ${late} ms after the end of the ring, the ringing node dead (sweep ${SWEEP_MS} ms)\n`);
    expect(ended).toMatchObject({ reason: 'missed' });
    expect(ended.from).toBeUndefined();
    // the documented bound: the sweep interval, plus slack for a loaded machine
    expect(late).toBeLessThan(SWEEP_MS + 1_000);
    // the caller's phone comes back on another node and finds the missed call in its history
    // (written by whichever node ended it, just after it told the devices: asked again until it is there)
    const back = await connect(2, carolId);
    let entry: CallsResult['calls'][number] | undefined;
    for (const deadline = Date.now() + 5_000; !entry && Date.now() < deadline; ) {
      entry = ((await back.ok({ type: 'calls' })) as CallsResult).calls.find((c) => c.callId === callId);
      if (!entry) await new Promise((resolve) => setTimeout(resolve, 50)); // polling another process's write
    }
    expect(entry).toMatchObject({ callId, reason: 'missed', direction: 'outgoing' });
  });

  it("keeps ringing through the death of the callee's node: the phone reconnects elsewhere, rings at once, and answers", async () => {
    const carol = await connect(0, carolId);
    const pat = await connect(1, patId);
    const { callId } = (await carol.ok({ type: 'invite', to: patId.sub })) as CallResult;
    await event(pat, callId, 'invite');
    await cluster.kill(1);
    expect((await pat.closed).code).toBe(1006);
    const again = await connect(2, patId);
    expect(await event(again, callId, 'invite')).toMatchObject({ caller: { userId: carolId.sub } });
    expect(await again.ok({ type: 'accept', callId })).toMatchObject({ state: 'accepted' });
    expect(await event(carol, callId, 'accepted')).toMatchObject({ answeredBy: { sessionId: again.welcome.sessionId } });
  });
});
