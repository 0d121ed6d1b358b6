import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ZodError } from 'zod';
import type { Identity } from '../core/identity.ts';
import { identityFromClaims } from './claims.ts';
import { Hs256Error, verifyHs256 } from './hs256.ts';

export interface VerifierOptions {
  /** HS256 shared secret */
  secret?: string;
  /** JWKS endpoint for RS256 / ES256 keys */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** seconds of clock skew allowed on `exp` and `nbf`; default 30 */
  clockToleranceS?: number;
}

export type Verify = (token: string) => Promise<Identity>;

export class AuthError extends Error {
  override name = 'AuthError';
}

/** The token was valid but its `exp` (plus the clock tolerance) has passed: a fresh one will do. */
export class TokenExpiredError extends AuthError {
  override name = 'TokenExpiredError';
}

/** The keys could not be fetched (JWKS endpoint down, slow or answering an error): not the client's fault. */
export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError';
}

/**
 * Builds the token check run before every WebSocket upgrade: signature (HS256 with the secret,
 * checked by hs256.ts; or RS256/ES256 from the JWKS, by jose), `exp` (required), `iss` and `aud`
 * when configured, and
 * the Tether claims' shape, allowing `clockToleranceS` of skew. Rejects with TokenExpiredError,
 * AuthError (the token is bad; the message never contains it) or AuthUnavailableError (the keys
 * could not be fetched: any failure of the JWKS endpoint other than a token naming a key it does
 * not have). The identity's `expiresAt` includes the tolerance.
 */
export function createVerifier(options: VerifierOptions): Verify {
  const toleranceS = options.clockToleranceS ?? 30;
  if (options.secret && !options.jwksUrl) {
    const secret = new TextEncoder().encode(options.secret);
    return async (token) => {
      try {
        return withTolerance(identityFromClaims(verifyHs256(token, { secret, issuer: options.issuer, audience: options.audience, clockToleranceS: toleranceS })), toleranceS);
      } catch (error) {
        if (error instanceof Hs256Error && error.expired) throw new TokenExpiredError('token expired');
        if (error instanceof ZodError) throw new AuthError(`token claims invalid: ${error.issues[0]?.path.join('.')}`);
        throw new AuthError(error instanceof Error ? error.message : 'token rejected');
      }
    };
  }
  if (!options.jwksUrl) throw new AuthError('no JWT key configured');
  const key = unavailableUnlessTokenFault(createRemoteJWKSet(new URL(options.jwksUrl)));
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256', 'ES256'],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: toleranceS,
      });
      return withTolerance(identityFromClaims(payload), toleranceS);
    } catch (error) {
      if (error instanceof AuthUnavailableError) throw error;
      if (error instanceof ZodError) throw new AuthError(`token claims invalid: ${error.issues[0]?.path.join('.')}`);
      if (error instanceof errors.JWTExpired) throw new TokenExpiredError('token expired');
      if (!(error instanceof errors.JOSEError)) throw new AuthUnavailableError('could not verify the token', { cause: error });
      throw new AuthError(error.message);
    }
  };
}

/** The identity with its expiry moved by the tolerance: the connection is closed when the token would be refused. */
function withTolerance(identity: Identity, toleranceS: number): Identity {
  if (identity.expiresAt !== null) identity.expiresAt += toleranceS * 1000;
  return identity;
}

/** A JWKS key getter whose failures are AuthUnavailableError unless the token itself names no (single) key. */
function unavailableUnlessTokenFault(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await getKey(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new AuthUnavailableError('could not fetch signing keys', { cause: error });
    }
  };
}
