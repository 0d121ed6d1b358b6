/**
 * What the example pages expose as `globalThis.demo`, for people poking at them in the
 * console and for the browser tests (test/e2e), which read it with page.waitForFunction.
 * No DOM types here, so Node-side tests can import it.
 */

export interface CallDemoState {
  user: string;
  peer: string;
  /** the client's connection state */
  state: string;
  /** node and session of the current connection */
  nodeId: string | null;
  sessionId: string | null;
  /** welcomes received: 1 + reconnects */
  welcomes: number;
  /** the last welcome's `resumed.ok`, null when it did not ask to resume */
  resumed: boolean | null;
  /** the call's state, 'none' before a call */
  call: string;
  /** the peer connection's connectionState */
  connection: string;
  /** every connectionState the call went through, in order */
  connections: string[];
  /** the chat data channel's readyState */
  channel: string;
  /** data-channel messages received, in order */
  received: string[];
  /** offers received from the peer (each renegotiation, ICE restarts included) */
  offersReceived: number;
  /** how the call ended (CallEnd.reason), null while it has not */
  ended: string | null;
  /** the media path once connected: the selected candidate pair's types, e.g. `relay/relay` or `host/host` */
  route: string | null;
  /** the last welcome carried TURN credentials */
  turn: boolean;
  /** errors shown on the page */
  errors: string[];
}

export interface DashboardDemoState {
  user: string;
  patient: string;
  state: string;
  nodeId: string | null;
  /** true once the location subscription is live (live fixes from then on reach the page) */
  watching: boolean;
  /** positions drawn: history, last known and live */
  points: number;
  /** live fixes received */
  live: number;
  /** device timestamp of the newest position drawn */
  newest: number | null;
  stale: boolean;
  /** times the canvas was redrawn */
  draws: number;
  errors: string[];
}
