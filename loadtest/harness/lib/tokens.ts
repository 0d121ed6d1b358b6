/**
 * Development tokens for the load clients, minted in-process with the public dev secret (the
 * nodes started by local-cluster run NODE_ENV=development and accept them), so ramping to 18k
 * connections does not mean 18k HTTP round trips to /dev/token first.
 */
import { DEV_ISSUER, DEV_SECRET, type DevTokenRequest, mintToken } from '../../../src/auth/dev-tokens.ts';

export function devToken(request: DevTokenRequest): Promise<string> {
  return mintToken({ ttlSeconds: 3 * 3600, ...request }, { secret: DEV_SECRET, issuer: DEV_ISSUER });
}
