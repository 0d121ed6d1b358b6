/**
 * HttpWebhook against real HTTP endpoints on port 0: the example receiver
 * (deploy/examples/webhook-receiver.ts, which checks signatures with its own code), and plain
 * servers that fail, stall or refuse on cue. Waits on the webhook's own outcome reports.
 */
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type TetherEvent, startWebhookReceiver } from '../../deploy/examples/webhook-receiver.ts';
import { HttpWebhook, type WebhookMetrics } from '../../src/webhook/http-webhook.ts';
import { verify } from '../../src/webhook/signature.ts';
import type { CallInviteEvent } from '../../src/webhook/webhook.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const invite: CallInviteEvent = { callId: 'c1', kind: 'call', media: 'audio', callerId: 'carol', callerRole: 'caregiver', calleeId: 'pat', ringUntil: 1 };

/** Outcomes as the webhook reports them; `next(outcome)` resolves on the next one. */
class Outcomes implements WebhookMetrics {
  readonly seen: string[] = [];
  private waiters: Array<{ outcome: string; resolve: () => void }> = [];
  webhook(_type: string, outcome: string): void {
    this.seen.push(outcome);
    const i = this.waiters.findIndex((w) => w.outcome === outcome);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve();
  }
  next(outcome: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ outcome, resolve }));
  }
}

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A plain endpoint that answers each request with `answer(n)`: a status, or 'hang'. */
async function endpoint(answer: (n: number) => number | 'hang'): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    hits.push({ headers: req.headers, body });
    const status = answer(hits.length);
    if (status !== 'hang') res.writeHead(status).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=url-secret`, hits, server };
}

describe('HttpWebhook', () => {
  const cleanup: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });
  const make = (options: Partial<ConstructorParameters<typeof HttpWebhook>[0]> & { url: string }) => {
    const hook = new HttpWebhook({ secret: SECRET, backoff: { baseMs: 20, capMs: 200 }, ...options });
    cleanup.push(() => hook.close());
    return hook;
  };

  it('delivers a signed event that the example receiver verifies with its own code', async () => {
    const events: TetherEvent[] = [];
    const receiver = await startWebhookReceiver({ port: 0, secret: SECRET, onEvent: (e) => void events.push(e) });
    cleanup.push(() => receiver.close());
    const outcomes = new Outcomes();
    const delivered = outcomes.next('delivered');
    make({ url: receiver.url, metrics: outcomes }).send('call.invite', invite);
    await delivered;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'call.invite', data: invite });
    expect(Math.abs(events[0]!.ts - Date.now())).toBeLessThan(5_000);
  });

  it('signs the raw body with the time of the attempt, and names the event and delivery in headers', async () => {
    const { url, hits, server } = await endpoint(() => 204);
    cleanup.push(() => void server.close());
    const outcomes = new Outcomes();
    const delivered = outcomes.next('delivered');
    make({ url, metrics: outcomes }).send('call.missed', { ...invite, startedAt: 1, endedAt: 2, escalated: false });
    await delivered;
    const [hit] = hits;
    const body = JSON.parse(hit!.body) as TetherEvent;
    expect(hit!.headers).toMatchObject({ 'content-type': 'application/json', 'tether-event': 'call.missed', 'tether-delivery': body.id });
    expect(verify(SECRET, hit!.body, hit!.headers['tether-signature'] as string, Date.now())).toMatchObject({ ok: true });
    expect(verify('another-secret', hit!.body, hit!.headers['tether-signature'] as string, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(SECRET, `${hit!.body} `, hit!.headers['tether-signature'] as string, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(SECRET, hit!.body, hit!.headers['tether-signature'] as string, Date.now() + 6 * 60_000)).toEqual({ ok: false, reason: 'too old' });
  });

  it('retries 5xx and 429 with the same delivery id, and stops at the first 2xx', async () => {
    const { url, hits, server } = await endpoint((n) => (n === 1 ? 503 : n === 2 ? 429 : 204));
    cleanup.push(() => void server.close());
    const outcomes = new Outcomes();
    const delivered = outcomes.next('delivered');
    make({ url, metrics: outcomes }).send('call.invite', invite);
    await delivered;
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.headers['tether-delivery'])).size).toBe(1);
    expect(new Set(hits.map((h) => h.headers['tether-signature'])).size).toBe(3);
  });

  it('does not retry a refusal: the example receiver answers 401 to a wrong secret', async () => {
    const receiver = await startWebhookReceiver({ port: 0, secret: 'not-the-same', onEvent: () => {} });
    cleanup.push(() => receiver.close());
    const outcomes = new Outcomes();
    const rejected = outcomes.next('rejected');
    make({ url: receiver.url, metrics: outcomes }).send('call.invite', invite);
    await rejected;
    expect(outcomes.seen).toEqual(['rejected']);
  });

  it('gives up on an endpoint that is down after maxAttempts, spaced by full-jitter backoff, and never logs secrets', async () => {
    const { url, server } = await endpoint(() => 204);
    server.close();
    await once(server, 'close');
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
    const outcomes = new Outcomes();
    const failed = outcomes.next('failed');
    const started = Date.now();
    // random() = 1: each wait is its ceiling, 20, 40, 80 ms
    make({ url: url.replace('http://', 'http://user:url-password@'), metrics: outcomes, maxAttempts: 4, logger, random: () => 0.999 }).send('call.invite', invite);
    await failed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(19 + 39 + 79);
    expect(outcomes.seen).toEqual(['failed']);
    const log = lines.join('');
    expect(log).toContain('given up after its last attempt');
    for (const secret of [SECRET, 'url-password', 'url-secret']) expect(log).not.toContain(secret);
  });

  it('aborts an attempt the endpoint does not answer in time, and send() never waits for it', async () => {
    const { url, hits, server } = await endpoint(() => 'hang');
    cleanup.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const outcomes = new Outcomes();
    const failed = outcomes.next('failed');
    const hook = make({ url, metrics: outcomes, timeoutMs: 100, maxAttempts: 2 });
    const sendStarted = performance.now();
    hook.send('call.invite', invite);
    expect(performance.now() - sendStarted).toBeLessThan(20);
    await failed;
    expect(hits).toHaveLength(2);
  });

  it('bounds what waits: past queueLimit an event is dropped and counted; close drops the rest', async () => {
    const { url, hits, server } = await endpoint(() => 'hang');
    cleanup.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const outcomes = new Outcomes();
    const hook = make({ url, metrics: outcomes, queueLimit: 3, concurrency: 1, timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) hook.send('call.invite', { ...invite, callId: `c${i}` });
    expect(outcomes.seen).toEqual(['dropped', 'dropped']);
    expect(hook.pending).toBe(3);
    await hook.close();
    expect(hook.pending).toBe(0);
    hook.send('call.invite', invite);
    expect(outcomes.seen).toEqual(['dropped', 'dropped', 'dropped']);
    expect(hits.length).toBeLessThanOrEqual(1);
  });
});
