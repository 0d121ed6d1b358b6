/**
 * What `AmqpBus` reports, for the composition root to turn into Prometheus series. Calls are
 * synchronous and must not throw; the Bus never imports a metrics library itself.
 */
export interface AmqpBusMetrics {
  /** a message was handed to the broker */
  published(): void;
  /** the broker confirmed a publish, `seconds` after it was handed over */
  confirmed(seconds: number): void;
  /** a mandatory publish had no subscriber (broker return; in fanout also a presence miss) */
  returned(): void;
  /** a publish failed with UNAVAILABLE: refused while not up, lost with its connection, or nacked */
  unavailable(): void;
  /** the bus lost its broker connections and went down */
  disconnected(): void;
  /** the bus came back up after a loss, every subscription restored */
  reconnected(): void;
  /** channels this node now receives (routed: one broker binding each) */
  channels(count: number): void;
  /** a message was handed to the `onMessage` handler */
  delivered(): void;
  /** a message failed to parse or validate and was discarded */
  malformed(): void;
}

export const noopAmqpBusMetrics: AmqpBusMetrics = {
  published() {},
  confirmed() {},
  returned() {},
  unavailable() {},
  disconnected() {},
  reconnected() {},
  channels() {},
  delivered() {},
  malformed() {},
};
