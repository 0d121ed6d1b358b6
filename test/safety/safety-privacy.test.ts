/**
 * Privacy of the safety work in the logs: a node logging at `debug` goes through everything that
 * handles positions and places (a zone written, a walk out, a heartbeat, an SOS from a real `sos`
 * request, an acknowledgement) and no coordinate of the patient or its home appears in any line.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/dev-tokens.ts';
import { configWith } from '../../src/config.ts';
import { TetherNode } from '../../src/node.ts';
import { TestClient } from '../support/client.ts';
import { TEST_ISSUER, TEST_SECRET } from '../support/cluster.ts';
import { HOME, SAFETY_TEST_CONFIG, Walker } from '../support/safety.ts';

describe('safety and the logs', () => {
  const clients: TestClient[] = [];
  let node: TetherNode | undefined;
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await node?.shutdown(0);
  });

  it('never logs a position or a zone, at debug, through a walk out, a heartbeat, an SOS and an acknowledgement', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    node = new TetherNode(
      configWith({ NODE_ENV: 'development', PORT: 0, HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER, ...SAFETY_TEST_CONFIG }),
      { logger: pino({ level: 'debug' }, sink) },
    );
    await node.start();
    const connect = async (claims: Parameters<typeof mintToken>[0]) => {
      const client = await TestClient.connect(`ws://127.0.0.1:${node!.port}/ws`, await mintToken(claims, { secret: TEST_SECRET, issuer: TEST_ISSUER }));
      clients.push(client);
      return client;
    };
    const carol = await connect({ sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const patient = await connect({ sub: 'pat', role: 'patient', contacts: ['carol'] });
    await carol.ok({ type: 'subscribe', channel: 'alerts:pat' });
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await carol.ok({ type: 'zone_put', patientId: 'pat', zone: HOME });

    const walker = new Walker();
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(0, 10, 80) });
    await patient.ok({ type: 'device', device: { battery: 80, charging: false, locationPermission: 'always', locationServices: true, foreground: false } });
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(400, 10, 80) });
    const exit = await carol.next('alert', (a) => a.alert.reason === 'zone_exit');
    expect(exit.alert.position).not.toBeNull();
    const sos = (await patient.ok({ type: 'sos' })) as { alertId: string };
    await carol.next('alert', (a) => a.alert.alertId === sos.alertId);
    for (const alertId of [exit.alert.alertId, sos.alertId]) await carol.ok({ type: 'alert_ack', patientId: 'pat', alertId });
    await carol.next('alert', (a) => a.event === 'acknowledged' && a.alert.alertId === sos.alertId);
    await node.shutdown(0);

    const text = lines.join('\n');
    expect(text).toContain('SOS raised');
    // HOME is centred on Seoul City Hall (37.5665, 126.978); the walk is on its parallel
    expect(text).not.toMatch(/37\.56\d|126\.9[78]\d?/);
    expect(text).not.toMatch(/"(lat|lng|center|points|position)"/);
  });
});
