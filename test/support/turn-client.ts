/**
 * Just enough of a TURN client (RFC 5766 Allocate with the long-term credential mechanism of
 * RFC 5389) to ask a real TURN server whether it takes a username and credential: the first
 * Allocate is answered 401 with a realm and nonce; the second, signed with
 * MESSAGE-INTEGRITY = HMAC-SHA1(MD5(username:realm:password), message), is answered with a
 * relayed address or an error code. Extend with Refresh or CreatePermission if a test needs them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const MAGIC = 0x2112a442;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, REALM: 0x0014, NONCE: 0x0015, REQUESTED_TRANSPORT: 0x0019 };

/** `{ ok: true }` when the server allocated a relay for these credentials, else its error code. */
export async function allocate(port: number, username: string, credential: string): Promise<{ ok: true } | { ok: false; code: number }> {
  const socket = createSocket('udp4');
  try {
    const first = parse(await exchange(socket, port, message([attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]))])));
    const realm = first.attrs.get(ATTR.REALM);
    const nonce = first.attrs.get(ATTR.NONCE);
    if (!realm || !nonce) throw new Error('the first Allocate was not challenged with a realm and a nonce');
    const key = createHash('md5').update(`${username}:${realm.toString()}:${credential}`).digest();
    const signed = message([attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])), attr(ATTR.USERNAME, Buffer.from(username)), attr(ATTR.REALM, realm), attr(ATTR.NONCE, nonce)], key);
    const reply = parse(await exchange(socket, port, signed));
    if (reply.type === 0x0103) return { ok: true };
    const error = reply.attrs.get(ATTR.ERROR_CODE);
    return { ok: false, code: error ? error[2]! * 100 + error[3]! : 0 };
  } finally {
    socket.close();
  }
}

function attr(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

/** An Allocate request; with `key`, signed with MESSAGE-INTEGRITY as its last attribute. */
function message(attrs: Buffer[], key?: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0003, 0);
  header.writeUInt32BE(MAGIC, 4);
  randomBytes(12).copy(header, 8);
  const body = Buffer.concat(attrs);
  if (!key) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // the length covers the integrity attribute (24 bytes) while the HMAC is computed
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', key).update(Buffer.concat([header, body])).digest();
  return Buffer.concat([header, body, attr(ATTR.MESSAGE_INTEGRITY, mac)]);
}

function parse(reply: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= reply.length; ) {
    const type = reply.readUInt16BE(at);
    const length = reply.readUInt16BE(at + 2);
    attrs.set(type, reply.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return { type: reply.readUInt16BE(0), attrs };
}

function exchange(socket: ReturnType<typeof createSocket>, port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from the TURN server within 2 s')), 2_000);
    socket.once('message', (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.send(request, port, '127.0.0.1');
  });
}
