import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('deploy files', () => {
  it('the HAProxy example is a valid configuration', async () => {
    const path = new URL('../deploy/haproxy/haproxy.cfg', import.meta.url).pathname;
    // -c only parses and checks; it binds nothing and starts no proxy
    const { stdout, stderr } = await promisify(execFile)('/usr/sbin/haproxy', ['-c', '-f', path]).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`haproxy -c failed (install: apt-get install -y haproxy):\n${error.stderr || error.stdout}`);
    });
    expect(`${stdout}${stderr}`).toMatch(/Configuration file is valid/);
  });
});
