/**
 * Counted direct signals through a client reconnect, a drain, a SIGKILL of a node, a RabbitMQ
 * restart and a Redis outage, on the `fanout` topology (every node receives every message and
 * filters locally). See support/counted-suite.ts.
 */
import { describeCounted } from './support/counted-suite.ts';

describeCounted('fanout');
