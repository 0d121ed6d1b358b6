import type { Sender } from '../protocol/index.ts';

/** An SOS: a patient asked for help; its circle is being called (`callId`). */
export interface SosAlert {
  alertId: string;
  kind: 'sos';
  patientId: string;
  /** the patient's session that raised it */
  from: Sender;
  /** the escalating call ringing the circle */
  callId: string;
  /** the circle, in ring order */
  caregivers: readonly string[];
  /** server time, ms */
  ts: number;
}

/**
 * Where an SOS alert goes besides the call that rings the circle. The contract the call service
 * relies on: `raise` is called when the SOS call exists, and again with the same `alertId`
 * whenever that call escalates or ends, so an alert whose first raise was lost (a store failure,
 * a node that died) is raised later; a repeated `alertId` must not raise a second alert. A
 * rejection is logged and changes nothing about the call.
 *
 * The node wires the safety service (src/safety/safety-service.ts) here: the SOS becomes an alert
 * on `alerts:<patientId>` that stays open until a caregiver acknowledges it, is escalated while
 * it is not, goes to the webhook and is kept in the audit trail (docs/protocol.md 16).
 */
export interface AlertSink {
  raise(alert: SosAlert): Promise<void>;
}
