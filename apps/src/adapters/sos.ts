import type { CallController } from '../call/call-controller.ts';
import type { SosSender } from './care.ts';

/**
 * SOS through the server (`sos`, docs/protocol.md 15.7), placed by the page's CallController: it
 * rings the patient's care circle one caregiver after another and raises an SOS alert for each;
 * when one takes it, the call goes on like any other. Sent means it rings; when nobody in the
 * circle takes it (every caregiver missed or declined it), `onUnanswered` says so, so the
 * patient can be told to call.
 */
export function serverSos(calls: CallController): SosSender {
  return {
    send: () =>
      calls.sos().then(
        (rang) => (rang ? ({ sent: true } as const) : ({ sent: false, reason: 'failed' } as const)),
        () => ({ sent: false, reason: 'failed' }) as const,
      ),
    onUnanswered: (listener) =>
      calls.onEnded((call) => {
        if (call.kind === 'sos' && call.direction === 'outgoing' && (call.reason === 'missed' || call.reason === 'declined')) listener();
      }),
  };
}
