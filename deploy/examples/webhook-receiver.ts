/**
 * An example receiver for Tether's webhook (docs/operations.md, "Webhook"), the piece an operator
 * puts between Tether and its push service. It checks each request's signature against the raw
 * body, refuses stale or forged ones, drops repeats (retries carry the same `id`), and hands every
 * event to `onEvent`: that is where a real one sends the VoIP push (APNs PushKit for `call.invite`
 * on iOS, an FCM high-priority data message on Android) or a missed-call notification.
 * Self-contained on purpose (node:http and node:crypto only): copy it and fill in `onEvent`.
 *
 *   WEBHOOK_SECRET=<the node's WEBHOOK_SECRET> node deploy/examples/webhook-receiver.ts --port 8099
 *
 * then run the nodes with WEBHOOK_URL=http://<this host>:8099/tether. Answers: 204 taken,
 * 200 a repeat, 400 not JSON, 401 bad signature, 413 too large.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface TetherEvent {
  /** the same on every attempt of one event */
  id: string;
  /** `call.invite`, `call.missed`, `call.ended` */
  type: string;
  /** when the node made it, ms */
  ts: number;
  data: Record<string, unknown>;
}

export interface ReceiverOptions {
  port: number;
  secret: string;
  onEvent: (event: TetherEvent) => void | Promise<void>;
  /** refuse signatures further than this from our clock, ms; default 5 minutes */
  toleranceMs?: number;
}

const MAX_BODY = 64 * 1024;
/** ids remembered to drop repeats */
const SEEN = 10_000;

export async function startWebhookReceiver(options: ReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  const seen = new Set<string>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (body === null) return void res.writeHead(413).end();
    if (!signed(options.secret, body, req.headers['tether-signature'], options.toleranceMs ?? 5 * 60_000)) return void res.writeHead(401).end();
    let event: TetherEvent;
    try {
      event = JSON.parse(body) as TetherEvent;
    } catch {
      return void res.writeHead(400).end();
    }
    if (seen.has(event.id)) return void res.writeHead(200).end();
    try {
      await options.onEvent(event);
    } catch {
      // not taken: a 503 makes Tether try again later
      return void res.writeHead(503).end();
    }
    seen.add(event.id);
    if (seen.size > SEEN) seen.delete(seen.values().next().value!);
    res.writeHead(204).end();
  });
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tether`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `Tether-Signature: t=<ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, and t within the tolerance. */
function signed(secret: string, body: string, header: string | string[] | undefined, toleranceMs: number): boolean {
  const fields = new Map(String(header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(fields.get('t'));
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!Number.isFinite(t) || Math.abs(Date.now() - t) > toleranceMs) return false;
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8099' } } });
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error('set WEBHOOK_SECRET to the nodes\' WEBHOOK_SECRET');
  const receiver = await startWebhookReceiver({
    port: Number(values.port),
    secret,
    onEvent: (event) => {
      // a real receiver pushes here: PushKit / FCM for call.invite, a notification for call.missed
      console.log(JSON.stringify({ received: event.type, id: event.id, data: event.data }));
    },
  });
  console.log(`listening on ${receiver.url}`);
}
