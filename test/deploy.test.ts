import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { NODE_FLAGS } from '../scripts/local-cluster.ts';

describe('deploy files', () => {
  it('the HAProxy example is a valid configuration', async () => {
    const path = new URL('../deploy/haproxy/haproxy.cfg', import.meta.url).pathname;
    // -c only parses and checks; it binds nothing and starts no proxy
    const { stdout, stderr } = await promisify(execFile)('/usr/sbin/haproxy', ['-c', '-f', path]).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`haproxy -c failed (install: apt-get install -y haproxy):\n${error.stderr || error.stdout}`);
    });
    expect(`${stdout}${stderr}`).toMatch(/Configuration file is valid/);
  });

  it('npm start launches a node with the same Node flags as the local cluster and the benchmarks', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    const flags = /scripts\/node24 (.*) src\/main\.ts$/.exec(pkg.scripts.start)?.[1]?.split(' ');
    expect(flags).toEqual([...NODE_FLAGS]);
  });
});
