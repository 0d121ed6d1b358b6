/**
 * `k6/http`, synchronous like k6's: `get` and `batch` hand the URLs to a worker thread, which
 * fetches them in parallel and writes the statuses and bodies into shared memory while this
 * thread waits on `Atomics.wait`. (It blocks every VU of the runner for that moment; k6 blocks only
 * the calling VU.)
 */
import { Worker } from 'node:worker_threads';

interface Response {
  status: number;
  body: string;
  json(): unknown;
}

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { signal, data } = workerData;
parentPort.on('message', async (urls) => {
  const results = await Promise.all(urls.map((u) => fetch(u).then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ status: 0, body: String(e) }))));
  const bytes = new TextEncoder().encode(JSON.stringify(results));
  const out = new Uint8Array(data);
  if (bytes.length > out.length) {
    Atomics.store(signal, 1, -1);
  } else {
    out.set(bytes);
    Atomics.store(signal, 1, bytes.length);
  }
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});`;

const signal = new Int32Array(new SharedArrayBuffer(8));
const data = new SharedArrayBuffer(64 * 2 ** 20);
let worker: Worker | undefined;

function fetchAll(urls: string[]): Response[] {
  worker ??= new Worker(WORKER, { eval: true, workerData: { signal, data } });
  worker.unref();
  Atomics.store(signal, 0, 0);
  worker.postMessage(urls);
  if (Atomics.wait(signal, 0, 0, 60_000) === 'timed-out') throw new Error('k6 runner: HTTP requests took over 60 s');
  const length = Atomics.load(signal, 1);
  if (length < 0) throw new Error('k6 runner: HTTP responses exceed 64 MiB');
  const text = new TextDecoder().decode(new Uint8Array(data).slice(0, length));
  return (JSON.parse(text) as Array<{ status: number; body: string }>).map((r) => ({ ...r, json: () => JSON.parse(r.body) }));
}

function get(url: string): Response {
  return fetchAll([url])[0]!;
}

function batch(requests: Array<[string, string] | string>): Response[] {
  return fetchAll(requests.map((r) => (typeof r === 'string' ? r : r[1])));
}

export default { get, batch };
