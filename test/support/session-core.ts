/** Identities and signals shared by the session-core regression tests. */

/** a caregiver of pat, allowed the care-* rooms */
export const carolId = { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['care-*'] };
export const patId = { sub: 'pat', role: 'patient', contacts: ['carol'], rooms: ['care-*'] };
export const offer = { kind: 'offer' as const, sdp: 'v=0' };
export const ice = (n: number) => ({ kind: 'ice' as const, candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${5000 + n} typ host`, sdpMid: '0' } });
export const signal = (to: string, body: ReturnType<typeof ice> | typeof offer, id?: string) => ({ type: 'signal' as const, to, callId: 'c1', signal: body, ...(id ? { id } : {}) });
