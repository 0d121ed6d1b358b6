import type { CallSignaling } from './call-types.ts';

/** ended call ids remembered per client, so a late or repeated invite does not ring again */
const ENDED_KEPT = 1_000;

/** @internal What the registry keeps of a call. */
export interface RegisteredCall {
  readonly callId: string;
  /** ends a call this device no longer needs (another session of it took the call over) */
  supersede(): void;
}

interface Registry {
  live: Map<string, RegisteredCall>;
  ended: Set<string>;
}

const registries = new WeakMap<CallSignaling, Registry>();

/**
 * @internal The calls one client has a CallSession for, by call id: an invite for one of them, or
 * for one that ended lately, does not ring again (a repeat, or this device's own call after glare).
 */
export function callRegistry(client: CallSignaling): {
  has(callId: string): boolean;
  add(call: RegisteredCall): void;
  /** an outgoing call took the id of another (glare): the call ringing here under it is superseded */
  adopt(call: RegisteredCall, previousId: string): void;
  remove(call: RegisteredCall): void;
} {
  let registry = registries.get(client);
  if (!registry) registries.set(client, (registry = { live: new Map(), ended: new Set() }));
  const r = registry;
  return {
    has: (callId) => r.live.has(callId) || r.ended.has(callId),
    add: (call) => void r.live.set(call.callId, call),
    adopt(call, previousId) {
      if (r.live.get(previousId) === call) r.live.delete(previousId);
      const ringing = r.live.get(call.callId);
      r.live.set(call.callId, call);
      if (ringing && ringing !== call) ringing.supersede();
    },
    remove(call) {
      if (r.live.get(call.callId) === call) r.live.delete(call.callId);
      r.ended.add(call.callId);
      if (r.ended.size > ENDED_KEPT) r.ended.delete(r.ended.values().next().value!);
    },
  };
}
