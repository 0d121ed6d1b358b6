import type { StateChange, TetherClient } from '@tether/client';

/**
 * The connection to Tether as a person would describe it:
 * - connecting: signing in / the first connection
 * - connected: calls and positions get through
 * - reconnecting: the connection was lost; the app keeps trying by itself
 * - signed_out: the server refused the sign-in for good (an expired or revoked token)
 * - offline: given up for good (the page must be reloaded)
 */
export type LinkStatus = 'connecting' | 'connected' | 'reconnecting' | 'signed_out' | 'offline';

export interface Link {
  status: LinkStatus;
  /** ms since the epoch the status began (a reconnect's retries keep the first) */
  since: number;
  /** the node this page is connected to, for diagnostics */
  nodeId: string | null;
}

/** 4500-4999: the server says do not reconnect (auth failed, banned, protocol violation) */
const isRefusal = (change: StateChange) => (change.closeCode !== undefined && change.closeCode >= 4500 && change.closeCode < 5000) || change.httpStatus === 401 || change.httpStatus === 403;

export function linkOf(change: StateChange, previous: Link, nodeId: string | null, now = Date.now()): Link {
  const status: LinkStatus =
    change.state === 'open' ? 'connected' : change.state === 'closed' ? (isRefusal(change) ? 'signed_out' : 'offline') : change.state;
  return { status, since: status === previous.status ? previous.since : now, nodeId };
}

/** Follows `client`'s state; `listener` gets every change of status or node. */
export function watchLink(client: TetherClient, listener: (link: Link) => void): () => void {
  let link: Link = { status: client.state === 'open' ? 'connected' : 'connecting', since: Date.now(), nodeId: client.welcome?.nodeId ?? null };
  listener(link);
  const offs = [
    client.on('state', (change) => {
      const next = linkOf(change, link, client.welcome?.nodeId ?? link.nodeId);
      if (next.status === link.status && next.nodeId === link.nodeId) return;
      link = next;
      listener(link);
    }),
    client.on('welcome', (welcome) => {
      link = { ...link, status: 'connected', nodeId: welcome.nodeId };
      listener(link);
    }),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * The server's clock as seen from here: positions carry server times, and "seen 5 s ago" must
 * not drift with a phone's wrong clock. Measured with a ping after each connection.
 */
export class ServerClock {
  private offsetMs = 0;
  private readonly off: () => void;

  constructor(client: TetherClient) {
    const measure = (): void => {
      const sent = Date.now();
      client.ping().then(
        ({ ts, rttMs }) => (this.offsetMs = ts - (sent + rttMs / 2)), // the server read its clock about half-way
        () => {}, // keep the last offset; the next connection measures again
      );
    };
    this.off = client.on('welcome', measure);
    if (client.state === 'open') measure();
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  stop(): void {
    this.off();
  }
}
