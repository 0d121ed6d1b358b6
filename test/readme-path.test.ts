/**
 * The README's "Run a node" section, as a newcomer runs it: `npm start` (embedded defaults, a
 * shell with no NODE_ENV), the two `curl | jq` token lines, the two `npx --yes wscat` lines in
 * shells with no terminal, the `>` lines typed into the second one, and `npm run dev:token`.
 * The commands are read from README.md, so the README cannot drift from what works; the only
 * change is the port (a free one instead of 8080, which may be taken on a shared machine).
 * `npm install` is not rerun: the suite runs from an installed tree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from './support/free-port.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The fenced `sh` blocks of the README section titled `title`. */
function shellBlocks(title: string): string[] {
  const section = README.split(/^## /m).find((s) => s.startsWith(`${title}\n`));
  if (!section) throw new Error(`README.md has no section "## ${title}"`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A shell command we started, in a process group of its own, with its output kept. */
class Shell {
  readonly child: ChildProcess;
  out = '';
  private readonly waiters: Array<() => void> = [];

  constructor(command: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['-c', command], { cwd: ROOT, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (chunk: Buffer): void => {
      this.out += chunk.toString();
      this.waiters.splice(0).forEach((wake) => wake());
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    this.child.on('exit', () => this.waiters.splice(0).forEach((wake) => wake()));
  }

  /** Resolves with the first output line matching `pattern`; fails when the command exits first or after `ms`. */
  async line(pattern: RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.out.split('\n').find((l) => pattern.test(l));
      if (hit) return hit;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no line matching ${pattern} (exit ${this.child.exitCode}); output:\n${this.out.slice(-2_000)}`);
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** The first output line matching `pattern`, parsed as JSON (wscat's `> ` prompt stripped). */
  async json(pattern: RegExp): Promise<unknown> {
    return JSON.parse((await this.line(pattern)).replace(/^(> )+/, ''));
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends the whole process group (npm, its shell and the node it runs). */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    process.kill(-this.child.pid!, 'SIGTERM');
    return exited;
  }
}

/** Runs a command to its end; resolves with its stdout. */
function run(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command}: exit ${code}\n${err}`))));
  });
}

describe('the README path, as written', () => {
  let port: number;
  let env: NodeJS.ProcessEnv;
  let node: Shell;
  const shells: Shell[] = [];
  const [startBlock, tryBlock] = shellBlocks('Run a node');
  const local = (line: string) => line.replaceAll('localhost:8080', `localhost:${port}`);

  beforeAll(async () => {
    port = await freePort();
    // a newcomer's shell: no NODE_ENV (vitest sets `test`), no JWT key, no backends
    env = { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' };
    for (const name of ['NODE_ENV', 'JWT_SECRET', 'JWT_JWKS_URL', 'RABBITMQ_URL', 'REDIS_URL']) delete env[name];
    expect(startBlock?.trim()).toBe('npm install && npm start');
    node = new Shell('npm start', env);
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
      if (node.child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not become ready:\n${node.out}`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling a process we do not control
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.all(shells.map((s) => s.stop()));
    await node?.stop();
  });

  it('mints tokens with curl, connects two wscat sessions, and relays a typed invite', async () => {
    const lines = tryBlock!.split('\n');
    const tokens = lines.filter((l) => /^[A-Z]+=\$\(curl /.test(l));
    const wscats = lines.filter((l) => l.startsWith('npx '));
    const typed = lines.filter((l) => l.startsWith('#  > ')).map((l) => l.slice('#  > '.length));
    expect(tokens).toHaveLength(2);
    expect(wscats.every((l) => l.startsWith('npx --yes wscat -c '))).toBe(true);
    expect(typed).toHaveLength(2);

    const assigned = await run(`${tokens.map(local).join('\n')}\nprintf '%s\\n' "$CAROL" "$PAT"`, env);
    const [carolToken, patToken] = assigned.trim().split('\n');
    expect(carolToken).toMatch(/^eyJ/);
    const withTokens = { ...env, CAROL: carolToken, PAT: patToken };

    const pat = new Shell(local(wscats[0]!), withTokens);
    shells.push(pat);
    expect(await pat.json(/"type":"welcome"/)).toMatchObject({ user: { id: 'pat', role: 'patient' } });
    const carol = new Shell(local(wscats[1]!), withTokens);
    shells.push(carol);
    expect(await carol.json(/"type":"welcome"/)).toMatchObject({ user: { id: 'carol', role: 'caregiver' } });

    carol.type(typed[0]!);
    expect(await carol.json(/"type":"ack","id":"1"/)).toMatchObject({ result: { channel: 'location:pat' } });
    carol.type(typed[1]!);
    await carol.line(/"type":"ack","id":"2"/);
    expect(await pat.json(/"type":"signal"/)).toMatchObject({ from: { userId: 'carol' }, callId: 'c1', signal: { kind: 'invite', media: 'audio' } });
  }, 60_000);

  it('prints a token with npm run dev:token that the node accepts', async () => {
    const command = README.match(/`(npm run dev:token -- [^`]+)`/)?.[1];
    expect(command).toBeDefined();
    const token = (await run(command!.replace('npm run', 'npm run --silent'), env)).trim();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    try {
      const [frame] = await once(ws, 'message');
      expect(JSON.parse(String(frame))).toMatchObject({ type: 'welcome', user: { id: 'carol', role: 'caregiver' } });
    } finally {
      ws.close();
    }
  });
});
