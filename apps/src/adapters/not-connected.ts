import type { AlertsSource, CallHistorySource, SosSender, TrackingStatusSource, Unsubscribe } from './care.ts';

/**
 * Phase 1 stand-ins for the server features that are not built yet (issues 12 and 13). Each
 * says `connected: false`, and the UI shows "not connected yet" instead of their data; they
 * never hand out made-up data.
 */

export class NotConnectedError extends Error {
  override name = 'NotConnectedError';
  constructor(feature: string) {
    super(`${feature} is not connected to the server yet`);
  }
}

const nothing: Unsubscribe = () => {};

export const notConnectedStatus: TrackingStatusSource = {
  connected: false,
  watch: (_patientId, listener) => {
    listener(null);
    return nothing;
  },
};

export const notConnectedAlerts: AlertsSource = {
  connected: false,
  watch: (_patientIds, listener) => {
    listener([]);
    return nothing;
  },
  acknowledge: () => Promise.reject(new NotConnectedError('alerts')),
};

export const notConnectedCalls: CallHistorySource = {
  connected: false,
  watch: (listener) => {
    listener([]);
    return nothing;
  },
};

export const notConnectedSos: SosSender = {
  connected: false,
  send: async () => ({ sent: false, reason: 'not_connected' }),
};
