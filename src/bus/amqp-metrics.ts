/**
 * What `AmqpBus` reports, for the composition root to turn into Prometheus series. Calls are
 * synchronous and must not throw; the Bus never imports a metrics library itself.
 */
export interface AmqpBusMetrics {
  /** a broker message carrying `frames` publishes was handed to the broker */
  published(frames: number): void;
  /** the broker confirmed a publish, `seconds` after it was handed over */
  confirmed(seconds: number): void;
  /** a broker message of `frames` mandatory publishes had no subscriber (a broker return) */
  returned(frames: number): void;
  /** a publish failed with UNAVAILABLE: refused while not up, lost with its connection, or nacked */
  unavailable(): void;
  /** the bus lost its broker connections and went down */
  disconnected(): void;
  /** the bus came back up after a loss, every subscription restored */
  reconnected(): void;
  /** channels this node now receives (routed: one broker binding each) */
  channels(count: number): void;
  /** a broker message's `frames` messages were handed to the `onMessage` handler */
  delivered(frames: number): void;
  /** `count` messages failed to parse or pass the check and were discarded */
  malformed(count: number): void;
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
