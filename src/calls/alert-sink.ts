import type { Logger } from 'pino';
import type { Relay } from '../core/relay.ts';
import type { Sender } from '../protocol/index.ts';
import { userChannel } from '../protocol/index.ts';

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
 * relies on: `raise` is called once per SOS, after the call exists; a rejection is logged and
 * changes nothing about the call. Alerts that stay open until a caregiver acknowledges them, with
 * an audit trail, are the safety work's (issue 13): it implements this port.
 */
export interface AlertSink {
  raise(alert: SosAlert): Promise<void>;
}

/**
 * The default sink: an `alert` frame to every caregiver of the circle (`user:<id>`, every live
 * device), and a warning in the log. Nothing is kept and nothing needs acknowledging: a caregiver
 * with no live device learns of the SOS from its ringing call (or the call webhook) only.
 */
export class PublishingAlertSink implements AlertSink {
  private readonly relay: Relay;
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly ttlMs: number;

  constructor(relay: Relay, logger: Pick<Logger, 'warn'>, ttlMs: number) {
    this.relay = relay;
    this.logger = logger;
    this.ttlMs = ttlMs;
  }

  async raise(alert: SosAlert): Promise<void> {
    this.logger.warn({ alertId: alert.alertId, patientId: alert.patientId, callId: alert.callId, caregivers: alert.caregivers.length }, 'SOS raised');
    await Promise.all(
      alert.caregivers.map((caregiver) => {
        const channel = userChannel(caregiver);
        const delivery = { type: 'alert' as const, channel, from: alert.from, ts: alert.ts, alertId: alert.alertId, kind: alert.kind, patientId: alert.patientId, callId: alert.callId };
        return this.relay.publish(channel, { delivery }, { mandatory: false, ttlMs: this.ttlMs });
      }),
    );
  }
}
