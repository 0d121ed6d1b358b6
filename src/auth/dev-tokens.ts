import { SignJWT } from 'jose';

/**
 * DEVELOPMENT ONLY. A fixed, public secret used when no JWT key is configured and
 * NODE_ENV=development (what `npm start` sets), so a fresh clone works at once. Anyone can mint tokens with it; production
 * refuses to start without a real key.
 */
export const DEV_SECRET = 'tether-dev-secret-DO-NOT-USE-IN-PRODUCTION';
export const DEV_ISSUER = 'tether-dev';

export interface DevTokenRequest {
  sub: string;
  role?: string;
  patients?: string[];
  contacts?: string[];
  rooms?: string[];
  /** lifetime in seconds, default 1 hour */
  ttlSeconds?: number;
}

export async function mintToken(
  request: DevTokenRequest,
  options: { secret: string; issuer?: string; audience?: string },
): Promise<string> {
  const { sub, ttlSeconds = 3600, ...claims } = request;
  let jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
