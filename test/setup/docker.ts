/**
 * Global setup of `npm run test:deploy` (vitest.deploy.config.ts): starts a private Docker engine
 * (scripts/docker/engine.ts), builds the local base images (scripts/docker/images.sh; kept between
 * runs) and the Tether image from the repository's Dockerfile, and hands the engine's environment
 * to the test files through `inject('dockerEnv')`. At the end it removes every container, leaves
 * any Swarm a test made, and stops the engine it started.
 */
import { execFile } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { type DockerEngine, startDockerEngine } from '../../scripts/docker/engine.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engine = await startDockerEngine();
  try {
    let started = performance.now();
    await new Promise<void>((resolve, reject) =>
      execFile(`${ROOT}scripts/docker/images.sh`, [], { env: engine.env, timeout: 20 * 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`scripts/docker/images.sh failed:\n${stdout}${stderr}`)) : resolve(),
      ),
    );
    const baseMs = performance.now() - started;
    started = performance.now();
    // --network host: this engine has no container networking; npm ci inside reaches the registry
    await engine.docker(['build', '--network', 'host', '-t', 'tether:local', '.'], { timeoutMs: 15 * 60_000 });
    const imageMs = performance.now() - started;
    const size = Number(await engine.docker(['image', 'inspect', 'tether:local', '--format', '{{.Size}}']));
    process.stdout.write(
      `deploy setup: base images ${(baseMs / 1000).toFixed(1)} s, tether image build ${(imageMs / 1000).toFixed(1)} s, ` +
        `image size ${(size / 1e6).toFixed(0)} MB\n`,
    );
  } catch (error) {
    await engine.stop();
    throw error;
  }
  project.provide('dockerEnv', { DOCKER_HOST: engine.env.DOCKER_HOST!, DOCKER_CONFIG: engine.env.DOCKER_CONFIG! });
  return () => teardown(engine);
}

async function teardown(engine: DockerEngine): Promise<void> {
  await engine.docker(['swarm', 'leave', '--force']).catch(() => {});
  const containers = (await engine.docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
  if (containers.length > 0) await engine.docker(['rm', '-f', '-v', ...containers]).catch(() => {});
  await engine.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dockerEnv: { DOCKER_HOST: string; DOCKER_CONFIG: string };
  }
}
