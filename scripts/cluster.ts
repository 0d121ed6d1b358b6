/**
 * `npm run cluster -- [--nodes 3] [--port 8080] [--topology routed|fanout]`: runs a local
 * cluster (see local-cluster.ts) until Ctrl-C, then stops everything it started.
 */
import { parseArgs } from 'node:util';
import { startLocalCluster } from './local-cluster.ts';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '3' }, port: { type: 'string', default: '8080' }, topology: { type: 'string', default: 'routed' } },
});
const topology = values.topology === 'fanout' ? 'fanout' : 'routed';
const cluster = await startLocalCluster({ nodes: Number(values.nodes), port: Number(values.port), topology });
console.log(`tether: ${values.nodes} nodes (${topology}) behind HAProxy at ${cluster.url}`);
cluster.nodeUrls.forEach((u, i) => console.log(`  node-${i}: ${u}  (logs: ${cluster.dir}/node-${i}.log)`));
console.log(`  RabbitMQ ${cluster.rabbitmqUrl}  Redis ${cluster.redisUrl}  PostgreSQL ${cluster.databaseUrl}`);
console.log('Ctrl-C stops everything.');
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping...');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
