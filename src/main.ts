import { ConfigError, loadConfig } from './config.ts';
import { createBackends } from './backends.ts';
import { TetherNode } from './node.ts';
import { createLogger } from './observability/logger.ts';
import { NodeMetrics } from './observability/metrics.ts';

/**
 * Entry point: config from the environment, the Bus and Store it names (in-memory when no
 * RABBITMQ_URL / REDIS_URL), one node, and signal handling for a graceful drain.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tether: ${error.message}\n`);
    process.exit(78);
  }
  const logger = createLogger({ level: config.LOG_LEVEL, nodeId: config.NODE_ID });
  const metrics = new NodeMetrics({ defaultMetrics: true });
  const node = new TetherNode(config, { logger, metrics, ...createBackends(config, logger, metrics) });
  await node.start();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    node.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`tether: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
