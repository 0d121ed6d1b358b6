import type { TetherClient } from '@tether/client';
import type { CallResult, CallsResult, ClientMessageInput } from '../../../src/protocol/index.ts';

/**
 * The server-side call requests (docs/protocol.md, section 15) until the SDK has its own
 * wrappers (`client.call()` and `client.callHistory()`, being finished on branch `calls`). When
 * the SDK has them they are used; until then the request goes through the client's request
 * queue, which gives it what every SDK request gets (an id, one answer or a TetherError, queued
 * while offline, re-sent with the same id after a reconnect). Replace both functions with the
 * SDK's methods once they land; nothing else in the apps talks to these requests.
 */

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A call request as the apps write it: no id. */
export type CallRequest = Without<Extract<ClientMessageInput, { type: 'invite' | 'sos' | 'accept' | 'reject' | 'cancel' | 'hangup' }>, 'id'>;

interface Requests {
  call?: (request: CallRequest) => Promise<CallResult>;
  callHistory?: (options: { before?: string; limit?: number }) => Promise<CallsResult>;
  /** @internal the SDK's request queue (see the header) */
  outbox: { request(input: object): Promise<unknown> };
}

const requests = (client: TetherClient) => client as unknown as Requests;

/** Sends a call request; resolves with where the call is now, rejects with the server's RequestError. */
export function callRequest(client: TetherClient, request: CallRequest): Promise<CallResult> {
  const sdk = requests(client);
  return sdk.call ? sdk.call.call(client, request) : (sdk.outbox.request(request) as Promise<CallResult>);
}

/** This user's call history, newest first (one page). */
export function callHistory(client: TetherClient, options: { before?: string; limit?: number } = {}): Promise<CallsResult> {
  const sdk = requests(client);
  return sdk.callHistory ? sdk.callHistory.call(client, options) : (sdk.outbox.request({ type: 'calls', ...options }) as Promise<CallsResult>);
}
