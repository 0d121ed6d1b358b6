import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AmqpBusMetrics } from '../bus/amqp-metrics.ts';

const CONFIRM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Prometheus series for the RabbitMQ bus, registered in a node's registry. */
export function amqpBusMetrics(registry: Registry): AmqpBusMetrics {
  const r = [registry];
  const published = new Counter({ name: 'tether_bus_published_total', help: 'messages handed to the broker', registers: r });
  const confirm = new Histogram({ name: 'tether_bus_confirm_seconds', help: 'publish to broker confirm', buckets: CONFIRM_BUCKETS, registers: r });
  const returned = new Counter({ name: 'tether_bus_returned_total', help: 'mandatory publishes no node subscribed to', registers: r });
  const unavailable = new Counter({ name: 'tether_bus_unavailable_total', help: 'publishes refused or lost because the bus was not up', registers: r });
  const disconnects = new Counter({ name: 'tether_bus_disconnects_total', help: 'broker connection losses', registers: r });
  const reconnects = new Counter({ name: 'tether_bus_reconnects_total', help: 'recoveries with every subscription restored', registers: r });
  const channels = new Gauge({ name: 'tether_bus_channels', help: 'channels this node receives (routed: broker bindings)', registers: r });
  const delivered = new Counter({ name: 'tether_bus_delivered_total', help: 'messages received from the broker', registers: r });
  const malformed = new Counter({ name: 'tether_bus_malformed_total', help: 'messages from the broker that failed validation and were dropped', registers: r });
  return {
    published: (frames) => published.inc(frames),
    confirmed: (seconds) => confirm.observe(seconds),
    returned: (frames) => returned.inc(frames),
    unavailable: () => unavailable.inc(),
    disconnected: () => disconnects.inc(),
    reconnected: () => reconnects.inc(),
    channels: (count) => channels.set(count),
    delivered: (frames) => delivered.inc(frames),
    malformed: (count) => malformed.inc(count),
  };
}
