import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook signature scheme (docs/operations.md, "Webhook"): every request carries
 *
 *   Tether-Signature: t=<ms since the Unix epoch>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * `t` is the time of that attempt, so a receiver can refuse old replays (and a retry carries a
 * fresh one). The body is signed exactly as sent: verify the raw bytes, before any JSON parsing.
 */
export const SIGNATURE_HEADER = 'tether-signature';

export function sign(secret: string, body: string, t: number): string {
  return `t=${t},v1=${mac(secret, body, t)}`;
}

function mac(secret: string, body: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

export type Verdict = { ok: true; t: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'too old' };

/** Checks a signature header against the raw body; refuses one made more than `toleranceMs` from `now`. */
export function verify(secret: string, body: string, header: string | undefined, now: number, toleranceMs = 5 * 60_000): Verdict {
  const parts = new Map((header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isSafeInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: 'malformed' };
  if (!timingSafeEqual(Buffer.from(mac(secret, body, t), 'hex'), Buffer.from(given, 'hex'))) return { ok: false, reason: 'mismatch' };
  if (Math.abs(now - t) > toleranceMs) return { ok: false, reason: 'too old' };
  return { ok: true, t };
}
