/**
 * `npm run cluster -- [--nodes 3] [--port 8080] [--topology routed|fanout] [--turn]`: runs a local
 * cluster (see local-cluster.ts) until Ctrl-C, then stops everything it started. `--turn` also
 * starts a private coturn (scripts/services/coturn.ts) and has the nodes hand out credentials for
 * it, so the call page's `&relay=1` works.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type CoturnInstance, startCoturn } from './services/coturn.ts';
import { describeCluster, startLocalCluster } from './local-cluster.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    port: { type: 'string', default: '8080' },
    topology: { type: 'string', default: 'routed' },
    turn: { type: 'boolean', default: false },
  },
});
const topology = values.topology === 'fanout' ? 'fanout' : 'routed';
const turnSecret = randomBytes(24).toString('base64url');
const coturn: CoturnInstance | null = values.turn ? await startCoturn({ secret: turnSecret }) : null;
const env: Record<string, string> = coturn ? { TURN_URLS: coturn.url, TURN_SECRET: turnSecret } : {};
const cluster = await startLocalCluster({ nodes: Number(values.nodes), port: Number(values.port), topology, env }).catch(async (error: unknown) => {
  await coturn?.stop();
  throw error;
});
for (const line of describeCluster(cluster, topology)) console.log(line);
if (coturn) console.log(`  TURN ${coturn.url} (coturn, loopback only)`);
console.log('Ctrl-C stops everything.');
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping...');
  await cluster.stop();
  await coturn?.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
