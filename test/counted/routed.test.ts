/**
 * Counted direct signals through a client reconnect, a drain, a SIGKILL of a node, a RabbitMQ
 * restart and a Redis outage, on the `routed` topology (a queue binding per channel per node).
 * See support/counted-suite.ts.
 */
import { describeCounted } from './support/counted-suite.ts';

describeCounted('routed');
