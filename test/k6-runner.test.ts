/**
 * The k6 runner (loadtest/harness/k6-shim) against k6's own rules, on small fixture scripts
 * (test/k6-fixtures): the cases where k6 lets a load test pass without its load, and the exit
 * codes and summary the k6 script tests rely on. With K6_BIN set these run on real k6 and must
 * give the same answers.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { count, runK6 } from './support/k6.ts';

describe('the k6 runner keeps k6 semantics', () => {
  let server: WebSocketServer;
  let wsUrl: string;

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    wsUrl = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const client of server.clients) client.terminate();
    server.close();
    await once(server, 'close');
  });

  it('passes a Rate threshold with no samples and reads an empty Trend as 0', async () => {
    const run = await runK6('test/k6-fixtures/empty-metrics.js', {});
    expect(run.code, run.output).toBe(0);
    expect(run.summary.metrics.work_ok).toMatchObject({ passes: 0, fails: 0, thresholds: { 'rate>0.99': false } });
    expect(run.summary.metrics.work_time).toMatchObject({ avg: 0, max: 0, 'p(95)': 0, thresholds: { 'p(95)<100': false } });
  });

  it('fails a count threshold on a Counter with no samples (exit 99), and passes it once the work is done', async () => {
    const none = await runK6('test/k6-fixtures/empty-metrics.js', { EXPECT: '1' });
    expect(none.code, none.output).toBe(99);
    expect(none.summary.metrics.work_done).toMatchObject({ count: 0, thresholds: { 'count>=1': true } });
    expect(none.failed).toEqual(['work_done']);
    const done = await runK6('test/k6-fixtures/empty-metrics.js', { EXPECT: '1', DO_WORK: '1' });
    expect(done.code, done.output).toBe(0);
    expect(count(done, 'work_done')).toBe(1);
  });

  it('throws InvalidStateError on a send after close(), ends only that VU, and does not fail the run', async () => {
    const run = await runK6('test/k6-fixtures/closed-socket.js', { WS_URL: wsUrl });
    expect(run.code, run.output).toBe(0);
    expect(count(run, 'opened')).toBe(2);
    expect(count(run, 'sent_after_close')).toBe(0);
    expect(run.output).toContain('InvalidStateError');
  });

  it('keeps an iteration alive while it has a pending timer', async () => {
    const run = await runK6('test/k6-fixtures/lifetime.js', {});
    expect(run.code, run.output).toBe(0);
    expect(count(run, 'late')).toBe(1);
  });

  it('aborts with exit 108 on exec.test.abort(), even inside a try/catch, and still writes the summary', async () => {
    const run = await runK6('test/k6-fixtures/abort.js', {});
    expect(run.code, run.output).toBe(108);
    expect(run.output).toContain('enough');
    expect(count(run, 'before_abort')).toBe(1);
  });

  it('exits 107 when setup() throws', async () => {
    const run = await runK6('test/k6-fixtures/bad-setup.js', {});
    expect(run.code, run.output).toBe(107);
    expect(run.output).toContain('no tokens for this run');
  });

  it('refuses a threshold on a metric the script does not define (exit 104)', async () => {
    const run = await runK6('test/k6-fixtures/unknown-metric.js', {});
    expect(run.code, run.output).toBe(104);
    expect(run.output).toContain('calls_complete');
  });
});
