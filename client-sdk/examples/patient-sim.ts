/**
 * A simulated patient for the dashboard example: walks a loop around a park and publishes a
 * position every few seconds through the SDK's LocationPublisher, from Node.
 *
 *   scripts/node24 client-sdk/examples/patient-sim.ts [--url ws://127.0.0.1:8080/ws] [--patient pat] [--every 2000]
 *
 * Uses a dev token (development nodes only). `walk()` is also used by the browser tests.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';
import { LocationPublisher, type Position, connect } from '../src/index.ts';

/** A park in Berlin (Tiergarten); any point works. */
const CENTRE = { lat: 52.5145, lng: 13.3501 };

/**
 * The `step`-th position of a walk around an ellipse of about 300 m x 200 m, one lap per 60
 * steps, with a little noise in the reported accuracy. `timestamp` is `start + step * stepMs`.
 */
export function walk(step: number, start = Date.now(), stepMs = 2_000): Position {
  const angle = (2 * Math.PI * step) / 60;
  return {
    lat: CENTRE.lat + 0.0009 * Math.sin(angle),
    lng: CENTRE.lng + 0.0022 * Math.cos(angle),
    accuracy: 8 + 4 * Math.abs(Math.sin(step)),
    timestamp: start + step * stepMs,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'ws://127.0.0.1:8080/ws' },
      patient: { type: 'string', default: 'pat' },
      every: { type: 'string', default: '2000' },
    },
  });
  const every = Number(values.every);
  const client = connect({
    url: values.url.split(','),
    WebSocket,
    getToken: () => mintToken({ sub: values.patient, role: 'patient' }, { secret: DEV_SECRET, issuer: DEV_ISSUER }),
  });
  client.on('state', (s) => process.stdout.write(`${s.state}${s.reason ? `: ${s.reason}` : ''}\n`));
  const publisher = new LocationPublisher(client, { intervalMs: every, onError: (e) => process.stderr.write(`${e.message}\n`) });
  const start = Date.now();
  let step = 0;
  const tick = (): void => {
    publisher.update(walk(step++, start, every));
    setTimeout(tick, every);
  };
  tick();
  process.on('SIGINT', () => {
    publisher.stop();
    client.close();
    process.exit(0);
  });
}
