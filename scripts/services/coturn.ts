/**
 * A private coturn (Debian's `coturn` package: `turnserver`) on loopback, for the TURN tests and
 * for trying relayed calls locally: no config file, the TURN REST API scheme (`use-auth-secret`
 * with the given secret, as docs/operations.md 7.11 configures it), UDP and TCP on a free port,
 * relay ports from a range of its own, loopback peers allowed (the two browsers of a test are both
 * on 127.0.0.1; never do that in production). Resolves once it answers a STUN binding request.
 *
 * To extend: more `turnserver` flags in `args` (see `turnserver --help`), keeping the wait
 * bounded and poll-driven.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.ts';

export interface CoturnInstance {
  /** `turn:127.0.0.1:<port>` (UDP; add `?transport=tcp` for TCP) */
  readonly url: string;
  readonly port: number;
  readonly realm: string;
  /** its log so far (allocations, refusals), for failure messages and checks */
  log(): string;
  stop(): Promise<void>;
}

const BINARY = '/usr/bin/turnserver';
export const COTURN_INSTALL_HINT = 'install it with `apt-get update && apt-get install -y coturn`';
const READY_DEADLINE_MS = 15_000;

export async function startCoturn(opts: { secret: string; realm?: string }): Promise<CoturnInstance> {
  if (!existsSync(BINARY)) throw new Error(`coturn's turnserver was not found at ${BINARY}: ${COTURN_INSTALL_HINT}`);
  const realm = opts.realm ?? 'tether.test';
  const dir = await mkdtemp(join(tmpdir(), 'tether-coturn-'));
  const port = await freePort();
  // 200 relay ports somewhere in 20000-59999; a clash with another process only costs an allocation
  const minPort = 20_000 + randomBytes(2).readUInt16BE() % 200 * 200;
  const args = [
    '-n',
    `--listening-ip=127.0.0.1`,
    `--listening-port=${port}`,
    `--relay-ip=127.0.0.1`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 199}`,
    `--realm=${realm}`,
    '--use-auth-secret',
    `--static-auth-secret=${opts.secret}`,
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--allow-loopback-peers',
    '--log-file=stdout',
    '--simple-log',
    // sessions and allocations in the log (what the tests check)
    '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--db=${join(dir, 'turndb')}`,
  ];
  const child: ChildProcess = spawn(BINARY, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => {});
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
  };
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.on('exit', killOnExit);
  try {
    await waitReady(port, child);
  } catch (error) {
    await stop();
    throw new Error(`coturn on port ${port} did not start: ${(error as Error).message}\n${output.slice(-3000)}`, { cause: error });
  }
  return { url: `turn:127.0.0.1:${port}`, port, realm, log: () => output, stop };
}

/** Polls a STUN binding request until a success answer, the exit, or the deadline. */
async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`turnserver exited (${child.exitCode ?? child.signalCode})`);
    if (await stunBinding(port)) return;
  }
  throw new Error(`no STUN answer within ${READY_DEADLINE_MS} ms`);
}

/** One STUN binding request over UDP; true on a success response within 200 ms. */
function stunBinding(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 200);
    socket.on('message', (reply) => done(reply.readUInt16BE(0) === 0x0101));
    socket.on('error', () => done(false));
    socket.send(request, port, '127.0.0.1');
  });
}
