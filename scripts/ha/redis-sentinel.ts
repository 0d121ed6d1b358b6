/**
 * A private Redis primary, one replica and three Sentinels (Debian's redis-server), on loopback,
 * for the failover test and for trying `REDIS_SENTINELS` by hand. The Sentinels monitor the
 * primary as `mymaster` with a quorum of 2 and call it down after `downAfterMs` without an answer.
 * Readiness is polled (PING, replication link up, every Sentinel naming the primary), never a
 * fixed wait. `killPrimary()` SIGKILLs the current primary; `primary()` asks a Sentinel which
 * server is primary now. `stop()` ends every process it started and removes the temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, freeStablePort } from '../../test/support/free-port.ts';

const READY_MS = 30_000;

export interface RedisSentinelSetup {
  /** `host:port` of each Sentinel, the value of REDIS_SENTINELS */
  readonly sentinels: readonly string[];
  readonly master: string;
  /** redis://127.0.0.1:<port of the first primary> */
  readonly url: string;
  /** the port of the server the Sentinels name as primary now */
  primary(): Promise<number>;
  /** SIGKILL the current primary: a crash */
  killPrimary(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedisSentinel(opts: { downAfterMs?: number } = {}): Promise<RedisSentinelSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'tether-sentinel-'));
  const master = 'mymaster';
  const servers = new Map<number, ChildProcess>();
  const children: ChildProcess[] = [];
  const killAll = (): void => children.forEach((c) => c.kill('SIGKILL'));
  process.on('exit', killAll);
  const launch = (args: string[]): ChildProcess => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', () => {});
    children.push(child);
    return child;
  };
  const stop = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    process.off('exit', killAll);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // below the ephemeral range: the primary is killed, and clients still dialing its port could
    // otherwise get it as their own source port and connect to themselves (a store 'up' on nothing)
    const [primaryPort, replicaPort] = [await freeStablePort(), await freeStablePort()];
    const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    servers.set(primaryPort, launch(['--port', String(primaryPort), ...base, '--dbfilename', 'p.rdb']));
    servers.set(
      replicaPort,
      launch(['--port', String(replicaPort), ...base, '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(primaryPort)]),
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${master} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${master} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${master} 10000`,
          `sentinel parallel-syncs ${master} 1`,
          '',
        ].join('\n'),
      );
      launch([conf, '--sentinel']);
      sentinelPorts.push(port);
    }
    const ask = async (port: number, ...command: [string, ...string[]]): Promise<unknown> => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      try {
        await client.connect();
        return await client.call(...command);
      } finally {
        client.disconnect();
      }
    };
    const primary = async (): Promise<number> => {
      for (const port of sentinelPorts) {
        const answer = (await ask(port, 'SENTINEL', 'get-master-addr-by-name', master).catch(() => null)) as string[] | null;
        if (answer) return Number(answer[1]);
      }
      throw new Error('no Sentinel answered');
    };
    const deadline = Date.now() + READY_MS;
    for (;;) {
      const info = String(await ask(replicaPort, 'INFO', 'replication').catch(() => ''));
      const named = await Promise.all(
        sentinelPorts.map((p) => ask(p, 'SENTINEL', 'replicas', master).then((r) => (r as unknown[]).length > 0, () => false)),
      );
      if (info.includes('master_link_status:up') && named.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error('Redis replica and Sentinels did not come up');
      // poll interval while the replica syncs and the Sentinels discover it
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`),
      master,
      url: `redis://127.0.0.1:${primaryPort}`,
      primary,
      async killPrimary() {
        const port = await primary();
        const child = servers.get(port);
        if (!child) throw new Error(`no server of ours on ${port}`);
        child.kill('SIGKILL');
        await once(child, 'exit');
        return port;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
