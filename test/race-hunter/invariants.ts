/**
 * What must hold after a race hunter run, whatever the interleaving. Each check returns the
 * violations it found, as readable lines; an empty list is a pass.
 *
 * The delivery rule (`noLostDirectSignal`): a direct signal acked to its sender (plainly or
 * `queued`) reaches, exactly once, every session of its recipient that was welcomed before it
 * was sent and that the run did not end (closed cleanly by its device, or a failed resume that
 * started a new session). Left out, as the contract leaves them to live relay only: signals whose
 * keeping in the Store failed (chaos, or the sender's node cut off from it), and sessions opened
 * without a resume record (their node could not reach the Store then; their welcome said so
 * with `resume: null`), which nothing can owe a message while their node's bus is down.
 */
import { Device, type Chain, type Sent } from './devices.ts';
import type { World } from './world.ts';

export function welcomeFirst(devices: readonly Device[]): string[] {
  return devices.flatMap((d) =>
    d.chains.flatMap((c) => c.conns.filter((conn) => conn.received[0]?.type !== 'welcome').map(() => `${d.name}: a frame before welcome on session ${c.sessionId}`)),
  );
}

export function seqsContiguous(devices: readonly Device[]): string[] {
  return devices.flatMap((d) =>
    d.chains.flatMap((c) => {
      const seqs = Device.frames(c).map((f) => f.seq);
      const bad = seqs.findIndex((seq, i) => seq !== i + 1);
      return bad < 0 ? [] : [`${d.name} session ${c.index}: seq ${seqs[bad]} where ${bad + 1} was due (${seqs.slice(Math.max(0, bad - 3), bad + 3).join(',')})`];
    }),
  );
}

/**
 * Each message once per session, and each sending session's messages on a channel in the order
 * sent. A direct signal that was relayed live only (its keeping failed) and then resent across a
 * resume can arrive twice: nothing remembered the first copy. A session whose catch-up could not
 * read the Store gets what it was owed later, after newer messages: order is not checked there.
 * Nor for a signal resent after a resume: if its first attempt failed, the retry is a new
 * publish, after whatever the sender sent meanwhile; nor for one relayed live only, which has no
 * offset to be ordered by against the ones replayed beside it.
 */
export function onceAndInOrder(devices: readonly Device[], world: World): string[] {
  const unkept = new Set([...world.unkept].map((key) => key.slice(key.indexOf('/') + 1).replace(/-(\d+)$/, '.$1')));
  const resent = new Set(devices.flatMap((d) => d.sent.filter((s) => s.resent).map((s) => `${d.name}.${s.n}`)));
  const out: string[] = [];
  for (const d of devices) {
    for (const c of d.chains) {
      const seen = new Set<string>();
      const last = new Map<string, number>();
      for (const frame of Device.frames(c)) {
        const id = messageId(frame);
        if (!id || !('from' in frame) || !frame.from) continue;
        const copy = `${frame.channel} ${id.device}#${id.n}`;
        if (seen.has(copy)) {
          // a second copy of a signal relayed live only: allowed, and not an order breach
          if (!unkept.has(`${id.device}.${id.n}`)) out.push(`${d.name} session ${c.index}: ${copy} delivered twice`);
          continue;
        }
        seen.add(copy);
        const stream = `${frame.channel} from ${frame.from.sessionId}`;
        const exempt = world.caughtUpLate.has(c.sessionId) || resent.has(`${id.device}.${id.n}`) || unkept.has(`${id.device}.${id.n}`);
        if ((last.get(stream) ?? 0) > id.n && !exempt) out.push(`${d.name} session ${c.index}: ${copy} after #${last.get(stream)} (${stream})`);
        last.set(stream, Math.max(last.get(stream) ?? 0, id.n));
      }
    }
  }
  return out;
}

export function noLostDirectSignal(devices: readonly Device[], world: World): string[] {
  const out: string[] = [];
  for (const sender of devices) {
    for (const sent of sender.sent) {
      if (!owed(sent, world)) continue;
      const user = sent.to.slice('user:'.length);
      for (const d of devices.filter((x) => x.identity.sub === user)) {
        for (const c of d.chains) {
          if (c === sent.chain || c.ended !== null || c.welcomedAt > sent.sentAt || c.conns[0]!.welcome.resume === null) continue;
          const copies = receivedCount(c, `${sender.name}.${sent.n}`);
          if (copies !== 1) out.push(`${sender.name} #${sent.n} to ${sent.to} (${sent.answer}) reached ${d.name} session ${c.index} ${copies} times`);
        }
      }
    }
  }
  return out;
}

/** True once every owed direct signal has arrived: the run's last wait ends on it. */
export function allOwedArrived(devices: readonly Device[], world: World): boolean {
  return noLostDirectSignal(devices, world).length === 0;
}

function owed(sent: Sent, world: World): boolean {
  return sent.kind === 'direct' && (sent.answer === 'ack' || sent.answer === 'queued') && !world.unkept.has(`${sent.chain.sessionId}/${sent.id}`);
}

function receivedCount(chain: Chain, callId: string): number {
  return Device.frames(chain).filter((f) => f.type === 'signal' && f.callId === callId).length;
}

/** Sending device and counter of a hunter message: signals carry `<device>.<n>` as callId, locations n as accuracy. */
function messageId(frame: ReturnType<typeof Device.frames>[number]): { device: string; n: number } | null {
  if (frame.type === 'signal') {
    const dot = frame.callId.lastIndexOf('.');
    return { device: frame.callId.slice(0, dot), n: Number(frame.callId.slice(dot + 1)) };
  }
  if (frame.type === 'location') return { device: frame.from.sessionId, n: frame.position.accuracy };
  return null;
}
