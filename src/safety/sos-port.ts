import type { Sender } from '../protocol/index.ts';

/*
 * The port through which the calls work hands an SOS to the safety work. Defined by the calls
 * work (src/calls/alert-sink.ts there); kept here verbatim until the two are merged.
 */

export interface SosAlert { alertId: string; kind: 'sos'; patientId: string; from: Sender; callId: string; caregivers: readonly string[]; ts: number; }
export interface AlertSink { raise(alert: SosAlert): Promise<void>; }
