/**
 * A purpose-built fake Tether node for the k6 scripts' failure tests: the faults they must
 * notice (a message lost, a frame that is not JSON) cannot be made to happen on a real node, so
 * this one speaks just enough of the protocol for the scripts (welcome, resume, ping, lookup,
 * subscribe, signal, location, and GET /dev/token) and passes every frame it sends through
 * `fault`, which may drop it or replace it with garbage. It is no model of the server: no
 * authorization, no limits, one process. Extend `answer` when a script sends a new request type.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Frame = Record<string, unknown> & { type: string };
/** what to do with an outgoing frame: the n-th (from 1) of its type on this server */
export type Fault = (frame: Frame, n: number) => 'send' | 'drop' | 'garbage';

interface Conn {
  ws: WebSocket;
  userId: string;
  role: string;
  sessionId: string;
  channels: Set<string>;
  seq: number;
}

export interface FakeTether {
  /** ws://127.0.0.1:<port>/ws */
  url: string;
  tokenUrl: string;
  /** frames sent and dropped so far, by type */
  sent: Map<string, number>;
  dropped: Map<string, number>;
  close(): Promise<void>;
}

export async function startFakeTether(fault: Fault = () => 'send'): Promise<FakeTether> {
  const conns = new Set<Conn>();
  const sent = new Map<string, number>();
  const dropped = new Map<string, number>();
  let sessions = 0;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/dev/token') {
      res.writeHead(404).end();
      return;
    }
    const claims = { sub: url.searchParams.get('sub'), role: url.searchParams.get('role') ?? 'patient' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: Buffer.from(JSON.stringify(claims)).toString('base64url') }));
  });
  const wss = new WebSocketServer({ server, path: '/ws' });

  const send = (conn: Conn, frame: Frame): void => {
    const n = (sent.get(frame.type) ?? 0) + (dropped.get(frame.type) ?? 0) + 1;
    const action = frame.type === 'welcome' ? 'send' : fault(frame, n);
    if (action === 'drop') {
      dropped.set(frame.type, (dropped.get(frame.type) ?? 0) + 1);
      return;
    }
    sent.set(frame.type, (sent.get(frame.type) ?? 0) + 1);
    conn.ws.send(action === 'garbage' ? 'not json {' : JSON.stringify(frame));
  };
  const deliver = (from: Conn, channel: string, body: Frame): void => {
    for (const to of conns) {
      if (!to.channels.has(channel)) continue;
      send(to, { ...body, seq: ++to.seq, channel, from: { userId: from.userId, role: from.role, sessionId: from.sessionId }, ts: Date.now() });
    }
  };
  const answer = (conn: Conn, msg: Frame): void => {
    const ack = (result?: unknown): void => send(conn, { type: 'ack', id: msg.id, ...(result === undefined ? {} : { result }) });
    switch (msg.type) {
      case 'ping':
        return ack({ ts: Date.now() });
      case 'lookup': {
        const live = [...conns].filter((c) => c.userId === msg.userId).length;
        return ack({ userId: msg.userId, online: live > 0, sessions: live });
      }
      case 'subscribe':
        conn.channels.add(String(msg.channel));
        return ack({ channel: msg.channel });
      case 'signal':
        deliver(conn, String(msg.to), { type: 'signal', callId: msg.callId, signal: msg.signal });
        return ack();
      case 'location':
        deliver(conn, `location:${conn.userId}`, { type: 'location', position: msg.position });
        return ack();
      default:
        send(conn, { type: 'error', id: typeof msg.id === 'string' ? msg.id : null, code: 'UNKNOWN_TYPE', message: `the fake does not do ${msg.type}`, retryable: false });
    }
  };

  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || url.searchParams.get('token') || '';
    const claims = JSON.parse(Buffer.from(token, 'base64url').toString() || '{}') as { sub?: string; role?: string };
    const resume = url.searchParams.get('resume');
    const conn: Conn = { ws, userId: claims.sub ?? 'anonymous', role: claims.role ?? 'patient', sessionId: resume ?? `fake-${++sessions}`, channels: new Set(), seq: Number(url.searchParams.get('lastSeq') ?? 0) };
    conn.channels.add(`user:${conn.userId}`);
    conns.add(conn);
    ws.on('close', () => conns.delete(conn));
    ws.on('message', (data) => answer(conn, JSON.parse(String(data)) as Frame));
    send(conn, {
      type: 'welcome',
      sessionId: conn.sessionId,
      nodeId: 'fake',
      user: { id: conn.userId, role: conn.role },
      subscriptions: [...conn.channels],
      heartbeatMs: 30_000,
      staleAfterMs: 60_000,
      limits: { maxFrameBytes: 65_536, ratePerSecond: 50, rateBurst: 100, maxSubscriptions: 100 },
      resume: { token: conn.sessionId, windowMs: 60_000 },
      ...(resume ? { resumed: { ok: true, replayed: 0 } } : {}),
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    tokenUrl: `http://127.0.0.1:${port}/dev/token`,
    sent,
    dropped,
    async close() {
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
}
