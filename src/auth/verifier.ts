import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ZodError } from 'zod';
import type { Identity } from '../core/identity.ts';
import { identityFromClaims } from './claims.ts';

export interface VerifierOptions {
  /** HS256 shared secret */
  secret?: string;
  /** JWKS endpoint for RS256 / ES256 keys */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export type Verify = (token: string) => Promise<Identity>;

export class AuthError extends Error {
  override name = 'AuthError';
}

/** The keys could not be fetched (JWKS endpoint down or slow): not the client's fault. */
export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError';
}

/**
 * Builds the token check run before every WebSocket upgrade: signature (HS256 with the
 * secret, or RS256/ES256 from the JWKS), `exp` (required), `iss` and `aud` when configured, and
 * the Tether claims' shape. Rejects with AuthError (the token is bad; the message never contains
 * it) or AuthUnavailableError (the keys could not be fetched).
 */
export function createVerifier(options: VerifierOptions): Verify {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (options.jwksUrl) {
    key = createRemoteJWKSet(new URL(options.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else if (options.secret) {
    key = new TextEncoder().encode(options.secret);
    algorithms = ['HS256'];
  } else {
    throw new AuthError('no JWT key configured');
  }
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub'],
      });
      return identityFromClaims(payload);
    } catch (error) {
      if (error instanceof ZodError) throw new AuthError(`token claims invalid: ${error.issues[0]?.path.join('.')}`);
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new AuthUnavailableError('could not fetch signing keys', { cause: error });
      }
      throw new AuthError(error.message);
    }
  };
}
