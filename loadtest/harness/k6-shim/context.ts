/** Which VU and scenario the running code belongs to (all VUs share one process in the shim). */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface VuContext {
  vu: number;
  scenario: string;
  iterationInTest: number;
  startTime: number;
}

export const current = new AsyncLocalStorage<VuContext>();

export function vuContext(): VuContext {
  const ctx = current.getStore();
  if (!ctx) throw new Error('k6 shim: execution context read outside a VU');
  return ctx;
}
