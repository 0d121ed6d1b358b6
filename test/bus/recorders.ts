/**
 * Recording stand-ins for what `AmqpBus` takes through its constructor (metrics, logger), so tests
 * can assert on what the bus reported without mocking any module.
 *
 * To extend: when `AmqpBusMetrics` or `BusLogger` gains a method, add it here; the return
 * types fail the typecheck until you do.
 */
import type { AmqpBusMetrics } from '../../src/bus/amqp-metrics.ts';
import type { BusLogger } from '../../src/bus/bus-logger.ts';

export interface RecordedMetrics extends AmqpBusMetrics {
  counts: Record<Exclude<keyof AmqpBusMetrics, 'confirmed' | 'channels'>, number>;
  confirmSeconds: number[];
  channelCounts: number[];
}

export function recordingMetrics(): RecordedMetrics {
  const counts = {
    published: 0,
    returned: 0,
    unavailable: 0,
    disconnected: 0,
    reconnected: 0,
    delivered: 0,
    malformed: 0,
  };
  const confirmSeconds: number[] = [];
  const channelCounts: number[] = [];
  return {
    counts,
    confirmSeconds,
    channelCounts,
    published: (frames) => void (counts.published += frames),
    confirmed: (seconds) => void confirmSeconds.push(seconds),
    returned: (frames) => void (counts.returned += frames),
    unavailable: () => void counts.unavailable++,
    disconnected: () => void counts.disconnected++,
    reconnected: () => void counts.reconnected++,
    channels: (count) => void channelCounts.push(count),
    delivered: (frames) => void (counts.delivered += frames),
    malformed: (count) => void (counts.malformed += count),
  };
}

export interface LogEntry {
  level: keyof BusLogger;
  obj: object;
  msg: string | undefined;
}

export function recordingLogger(): BusLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: keyof BusLogger) =>
    (obj: object, msg?: string): void =>
      void entries.push({ level, obj, msg });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}
