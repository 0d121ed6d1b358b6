/**
 * MONITOR on a plain socket. ioredis's `monitor()` marks its connection as monitoring one
 * microtask after MONITOR's `+OK` is parsed, so on a busy Redis (other test files share it) the
 * first reported commands arrive in the same chunk, are taken for replies, and throw "Command queue
 * state error" out of the test. Here every line after `+OK` is a report.
 */
import { connect } from 'node:net';

/** One reported command: its arguments as sent, and its source (`lua` for commands from scripts). */
export interface MonitorLine {
  readonly source: string;
  readonly args: string[];
}

export interface RedisMonitor {
  close(): void;
}

/** Resolves once Redis confirmed MONITOR: every command sent after that is reported, in order. */
export function monitorRedis(url: string, onLine: (line: MonitorLine) => void): Promise<RedisMonitor> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let buffered = '';
  let confirmed = false;
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('connect', () => socket.write('MONITOR\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (!confirmed) {
          if (line !== '+OK') return reject(new Error(`MONITOR refused: ${line}`));
          confirmed = true;
          resolve({ close: () => socket.destroy() });
        } else if (line.startsWith('+')) onLine(parseLine(line.slice(1)));
      }
    });
  });
}

/** `1796125625.187864 [0 127.0.0.1:55932] "set" "k" "v"`, with C-style escapes inside quotes. */
function parseLine(text: string): MonitorLine {
  const open = text.indexOf('[');
  const close = text.indexOf(']', open);
  const where = text.slice(open + 1, close).split(' ');
  const args: string[] = [];
  let i = close + 1;
  while (i < text.length) {
    if (text[i] !== '"') {
      i += 1;
      continue;
    }
    let arg = '';
    i += 1;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1]!;
        if (next === 'x') {
          arg += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        arg += ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[next] ?? next;
        i += 2;
        continue;
      }
      arg += text[i];
      i += 1;
    }
    args.push(arg);
    i += 1;
  }
  return { source: where[1] ?? '', args };
}
