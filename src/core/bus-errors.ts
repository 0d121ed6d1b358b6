import { BusError } from '../bus/bus.ts';
import { StoreError } from '../store/store.ts';
import { TetherError } from './errors.ts';

/** Maps a Bus or Store failure to the error the client is answered with. */
export function toTetherError(error: unknown): unknown {
  if (error instanceof BusError) {
    return error.code === 'UNROUTABLE'
      ? new TetherError('PEER_UNAVAILABLE')
      : new TetherError('BUS_UNAVAILABLE', `message bus unavailable: ${error.message}`);
  }
  if (error instanceof StoreError) return new TetherError('STORE_UNAVAILABLE', `shared state unavailable: ${error.message}`);
  return error;
}

/** Runs `op`, rethrowing Bus and Store failures as client-facing errors. */
export async function mapped<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (error) {
    throw toTetherError(error);
  }
}
