import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sign } from './signature.ts';
import type { Webhook, WebhookEventType, WebhookEvents } from './webhook.ts';

/** What the webhook reports (prom-client in src/observability). */
export interface WebhookMetrics {
  /** outcome: delivered | rejected (a final non-2xx answer) | failed (attempts used up) | dropped (queue full, or closed) */
  webhook(type: WebhookEventType, outcome: 'delivered' | 'rejected' | 'failed' | 'dropped'): void;
}

export interface HttpWebhookOptions {
  url: string;
  secret: string;
  /** ms one attempt may take, answer included; default 5 000 */
  timeoutMs?: number;
  /** attempts per event, the first included; default 6 */
  maxAttempts?: number;
  /** events waiting (queued or between attempts) at most; default 1 000 */
  queueLimit?: number;
  /** requests in flight at once; default 4 */
  concurrency?: number;
  /** full-jitter backoff: attempt n waits uniformly in [0, min(capMs, baseMs * 2^n)); defaults 500, 30 000 */
  backoff?: { baseMs: number; capMs: number };
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  metrics?: WebhookMetrics;
  random?: () => number;
}

interface Delivery {
  id: string;
  type: WebhookEventType;
  ts: number;
  body: string;
  attempts: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** The webhook over HTTP POST (contract: webhook.ts). */
export class HttpWebhook implements Webhook {
  readonly enabled = true;
  private readonly options: Required<Omit<HttpWebhookOptions, 'logger' | 'metrics'>> & Pick<HttpWebhookOptions, 'logger' | 'metrics'>;
  private readonly ready: Delivery[] = [];
  private readonly waiting = new Map<Delivery, NodeJS.Timeout>();
  private readonly inFlight = new Map<AbortController, Promise<void>>();
  private closed = false;
  /** where it posts, for logs: no credentials, no query */
  private readonly target: string;
  /** the URL without credentials (fetch refuses them), and those as a Basic authorization */
  private readonly endpoint: string;
  private readonly authorization: string | undefined;

  constructor(options: HttpWebhookOptions) {
    this.options = {
      timeoutMs: 5_000,
      maxAttempts: 6,
      queueLimit: 1_000,
      concurrency: 4,
      backoff: { baseMs: 500, capMs: 30_000 },
      random: Math.random,
      ...options,
    };
    const url = new URL(options.url);
    this.target = `${url.protocol}//${url.host}${url.pathname}`;
    if (url.username || url.password) {
      this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.endpoint = url.href;
  }

  /** events queued or between attempts */
  get pending(): number {
    return this.ready.length + this.waiting.size + this.inFlight.size;
  }

  send<K extends WebhookEventType>(type: K, data: WebhookEvents[K]): void {
    if (this.closed || this.pending >= this.options.queueLimit) {
      this.options.metrics?.webhook(type, 'dropped');
      this.options.logger?.warn({ type, pending: this.pending, webhook: this.target }, 'webhook event dropped: queue full');
      return;
    }
    const id = randomUUID();
    const ts = Date.now();
    this.ready.push({ id, type, ts, body: JSON.stringify({ id, type, ts, data }), attempts: 0 });
    this.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.ready.length + this.waiting.size;
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    this.ready.length = 0;
    const attempts = [...this.inFlight.values()];
    for (const controller of this.inFlight.keys()) controller.abort();
    await Promise.all(attempts);
    if (dropped > 0) this.options.logger?.warn({ dropped, webhook: this.target }, 'webhook events dropped at shutdown');
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.options.concurrency && this.ready.length > 0) {
      const controller = new AbortController();
      const attempt = this.attempt(this.ready.shift()!, controller).finally(() => {
        this.inFlight.delete(controller);
        this.pump();
      });
      this.inFlight.set(controller, attempt);
    }
  }

  private async attempt(delivery: Delivery, controller: AbortController): Promise<void> {
    delivery.attempts++;
    let outcome: 'delivered' | 'rejected' | 'retry';
    let detail: string;
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const t = Date.now();
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          ...(this.authorization && { authorization: this.authorization }),
          'content-type': 'application/json',
          'user-agent': 'tether-webhook/1',
          'tether-event': delivery.type,
          'tether-delivery': delivery.id,
          'tether-signature': sign(this.options.secret, delivery.body, t),
        },
        body: delivery.body,
        signal: controller.signal,
        redirect: 'manual',
      });
      // the answer's body is not needed; reading it frees the connection
      await response.arrayBuffer().catch(() => undefined);
      detail = `HTTP ${response.status}`;
      outcome = response.ok ? 'delivered' : response.status >= 500 || RETRYABLE_STATUS.has(response.status) ? 'retry' : 'rejected';
    } catch (error) {
      detail = controller.signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : failure(error).replaceAll(this.endpoint, this.target);
      outcome = 'retry';
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) return;
    const fields = { type: delivery.type, delivery: delivery.id, attempt: delivery.attempts, webhook: this.target, result: detail };
    if (outcome === 'delivered') {
      this.options.metrics?.webhook(delivery.type, 'delivered');
      this.options.logger?.debug(fields, 'webhook delivered');
    } else if (outcome === 'rejected') {
      this.options.metrics?.webhook(delivery.type, 'rejected');
      this.options.logger?.warn(fields, 'webhook event refused by the endpoint; not retried');
    } else if (delivery.attempts >= this.options.maxAttempts) {
      this.options.metrics?.webhook(delivery.type, 'failed');
      this.options.logger?.warn(fields, 'webhook event given up after its last attempt');
    } else {
      const { baseMs, capMs } = this.options.backoff;
      const delay = Math.floor(this.options.random() * Math.min(capMs, baseMs * 2 ** (delivery.attempts - 1)));
      this.options.logger?.debug({ ...fields, retryInMs: delay }, 'webhook attempt failed; retrying');
      const retry = setTimeout(() => {
        this.waiting.delete(delivery);
        this.ready.push(delivery);
        this.pump();
      }, delay);
      retry.unref();
      this.waiting.set(delivery, retry);
    }
  }
}

/** A network failure as the driver states it: its code (ECONNREFUSED, ...) or message. */
function failure(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
