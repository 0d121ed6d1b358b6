import type { ServerCalls } from '../call/server-calls.ts';
import type { SosSender } from './care.ts';

/**
 * SOS through the server (`sos`, docs/protocol.md 15.7): it rings the patient's care circle one
 * caregiver after another and raises an SOS alert for each; when one takes it, the call starts
 * on this phone by itself (CallController). Sent means the server accepted it; when nobody in the
 * circle takes it, `onUnanswered` says so, so the patient can be told to call.
 */
export function serverSos(server: ServerCalls): SosSender {
  return {
    connected: true,
    send: () =>
      server.sos().then(
        () => ({ sent: true }) as const,
        () => ({ sent: false, reason: 'failed' }) as const,
      ),
    onUnanswered: (listener) =>
      server.onEnded((call) => {
        if (call.kind === 'sos' && call.direction === 'outgoing' && (call.reason === 'missed' || call.reason === 'declined')) listener();
      }),
  };
}
