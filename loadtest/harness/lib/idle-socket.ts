/**
 * The cheapest client that still speaks RFC 6455 correctly, for holding many idle Tether
 * connections and reconnecting them in storms (workers/idle-clients.ts). `ws`'s client builds an
 * http.ClientRequest, a URL, a random key and its SHA-1, and a sender and receiver per socket:
 * in an 18,000-connection storm that cost the load clients a whole core of this machine's two,
 * which the node under test then did not get. This one writes a prebuilt upgrade request on a
 * plain TCP socket and reads frames by hand.
 *
 * What it does: sends the upgrade (token in the Authorization header, resume in the query);
 * checks the `101` status; parses text frames as JSON (`welcome` first, then any other frame,
 * tracking the highest `seq`); answers pings with pongs (masked, as a client must: with a zero
 * key, which leaves the payload as it is); answers a close frame and ends. What it does not: send
 * application frames (idle connections send none), fragmented or compressed frames (Tether sends
 * neither: perMessageDeflate is off).
 *
 * The `Sec-WebSocket-Key` is a fixed valid nonce and the `Sec-WebSocket-Accept` is not checked:
 * both guard against caches and non-WebSocket servers, neither of which a load test against its
 * own node meets.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { ServerMessage, Welcome } from '../../../src/protocol/index.ts';

export interface IdleConnectOptions {
  /** ms until the welcome must have arrived */
  timeoutMs: number;
  /** resume token and last seq from a previous welcome */
  resume?: { token: string; lastSeq: number };
  /** source address (any of 127.0.0.0/8 on loopback): see workers/idle-clients.ts */
  localAddress?: string;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

export class IdleSocket {
  readonly socket: Socket;
  welcome: Welcome | null = null;
  /** highest seq received */
  lastSeq = 0;
  /** frames other than welcome, counted */
  frames = 0;
  private buffered: Buffer | null = null;
  private upgraded = false;
  private readonly opened: PromiseWithResolvers<IdleSocket>;

  private constructor(socket: Socket, lastSeq: number) {
    this.socket = socket;
    this.lastSeq = lastSeq;
    this.opened = Promise.withResolvers();
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {}); // surfaced through 'close'
    socket.once('close', () => this.opened.reject(new Error('closed before welcome')));
  }

  /** Connects to `ws://host:port/path` and resolves once `welcome` has arrived. */
  static connect(url: string, token: string, options: IdleConnectOptions): Promise<IdleSocket> {
    const target = new URL(url);
    if (options.resume) {
      target.searchParams.set('resume', options.resume.token);
      target.searchParams.set('lastSeq', String(options.resume.lastSeq));
    }
    const socket = tcpConnect({ host: target.hostname, port: Number(target.port || 80), noDelay: true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const client = new IdleSocket(socket, options.resume?.lastSeq ?? 0);
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    const timer = setTimeout(() => {
      client.opened.reject(new Error('no welcome in time'));
      socket.destroy();
    }, options.timeoutMs);
    return client.opened.promise.finally(() => clearTimeout(timer));
  }

  /** Cuts the connection without a close frame, as a network blip does. */
  cut(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.destroy();
    return closed;
  }

  get open(): boolean {
    return this.welcome !== null && !this.socket.closed && !this.socket.destroyed;
  }

  private read(chunk: Buffer): void {
    let data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = null;
    if (!this.upgraded) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.buffered = data;
        return;
      }
      const status = data.toString('latin1', 0, data.indexOf('\r\n'));
      if (!status.startsWith('HTTP/1.1 101')) {
        this.opened.reject(new Error(`upgrade refused: ${status}`));
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      data = data.subarray(end + 4);
    }
    while (data.length >= 2) {
      const opcode = data[0]! & 0x0f;
      let length = data[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        offset = 10;
      }
      if (data.length < offset + length) break;
      this.frame(opcode, data.subarray(offset, offset + length));
      data = data.subarray(offset + length);
    }
    if (data.length > 0) this.buffered = Buffer.from(data);
  }

  private frame(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) this.control(0x8a, payload);
    else if (opcode === OP_CLOSE) {
      this.control(0x88, payload.subarray(0, 2));
      this.socket.end();
    } else if (opcode === OP_TEXT) {
      let message: ServerMessage;
      try {
        message = JSON.parse(payload.toString('utf8')) as ServerMessage;
      } catch {
        // not Tether: counted, never a crash of the worker holding thousands of connections
        this.frames++;
        return;
      }
      if ('seq' in message && typeof message.seq === 'number') this.lastSeq = message.seq;
      if (message.type === 'welcome' && this.welcome === null) {
        this.welcome = message;
        this.opened.resolve(this);
      } else this.frames++;
    }
  }

  /** A masked control frame (payload at most 125 bytes) with a zero masking key. */
  private control(head: number, payload: Buffer): void {
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = head;
    frame[1] = 0x80 | payload.length;
    payload.copy(frame, 6);
    this.socket.write(frame);
  }
}
