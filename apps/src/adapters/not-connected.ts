import type { AlertsSource, Unsubscribe } from './care.ts';

/**
 * The stand-in for the server's alerts (safety) until they are on main. Each
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

export const notConnectedAlerts: AlertsSource = {
  connected: false,
  canAcknowledge: false,
  watch: (_patientIds, listener) => {
    listener([]);
    return nothing;
  },
  acknowledge: () => Promise.reject(new NotConnectedError('alerts')),
};
