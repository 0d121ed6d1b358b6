/**
 * The HS256 check the node runs on every upgrade (src/auth/hs256.ts), against tokens signed by
 * jose: what it accepts, and every way a token can be wrong.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Hs256Error, verifyHs256 } from '../../src/auth/hs256.ts';

const secret = new TextEncoder().encode('unit-secret-unit-secret-unit-secret-012');
const now = 1_800_000_000;
const options = { secret, clockToleranceS: 30, now: () => now, issuer: 'tether', audience: 'app' };

function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key = secret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header } as { alg: string }).sign(key);
}
const good = { sub: 'pat', iss: 'tether', aud: 'app', exp: now + 60, role: 'patient' };

/** Re-encodes one segment of a token, keeping the others. */
function withSegment(token: string, index: number, value: unknown): string {
  const parts = token.split('.');
  parts[index] = Buffer.from(JSON.stringify(value)).toString('base64url');
  return parts.join('.');
}

describe('verifyHs256', () => {
  it('accepts a valid token and returns its claims; aud may be a list; exp and nbf within the tolerance', async () => {
    expect(verifyHs256(await sign(good), options)).toMatchObject({ sub: 'pat', role: 'patient' });
    expect(verifyHs256(await sign({ ...good, aud: ['other', 'app'] }), options)).toMatchObject({ sub: 'pat' });
    expect(verifyHs256(await sign({ ...good, exp: now - 29, nbf: now + 29 }), options)).toMatchObject({ sub: 'pat' });
    expect(verifyHs256(await sign({ sub: 'pat', exp: now + 1 }), { secret, clockToleranceS: 0, now: () => now })).toMatchObject({ sub: 'pat' });
  });

  it('refuses a tampered payload or signature, another key, and a malformed token', async () => {
    const token = await sign(good);
    const refusals = [
      withSegment(token, 1, { ...good, sub: 'mallory' }),
      `${token.slice(0, -2)}AA`,
      token.slice(0, token.lastIndexOf('.')),
      await sign(good, {}, new TextEncoder().encode('another-secret-another-secret-0123456789')),
      'a.b.c',
      '...',
      `${token}.extra`,
    ];
    for (const t of refusals) expect(() => verifyHs256(t, options)).toThrow(Hs256Error);
  });

  it('refuses any algorithm but HS256 (none included) and critical header extensions', async () => {
    const token = await sign(good);
    for (const alg of ['none', 'HS384', 'RS256', undefined]) {
      const forged = withSegment(token, 0, { alg, typ: 'JWT' });
      expect(() => verifyHs256(forged, options)).toThrow(/algorithm/);
    }
    expect(() => verifyHs256(withSegment(token, 0, { alg: 'HS256', crit: ['exp'] }), options)).toThrow(Hs256Error);
    expect(() => verifyHs256(withSegment(token, 0, ['HS256']), options)).toThrow(/JSON object/);
  });

  it('requires exp and sub, and checks exp, nbf, iss and aud (an expired token says so)', async () => {
    const cases: Array<[Record<string, unknown>, RegExp, boolean]> = [
      [{ ...good, exp: undefined }, /"exp" claim missing/, false],
      [{ ...good, exp: 'soon' }, /"exp" claim missing/, false],
      [{ ...good, sub: undefined }, /"sub" claim missing/, false],
      [{ ...good, exp: now - 31 }, /"exp" claim timestamp/, true],
      [{ ...good, nbf: now + 31 }, /"nbf" claim timestamp/, false],
      [{ ...good, iss: 'someone' }, /"iss"/, false],
      [{ ...good, iss: undefined }, /"iss"/, false],
      [{ ...good, aud: 'other' }, /"aud"/, false],
      [{ ...good, aud: ['other'] }, /"aud"/, false],
    ];
    for (const [claims, message, expired] of cases) {
      const token = await sign(JSON.parse(JSON.stringify(claims)) as Record<string, unknown>);
      let error: unknown = null;
      try {
        verifyHs256(token, options);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(claims)).toBeInstanceOf(Hs256Error);
      expect((error as Hs256Error).message).toMatch(message);
      expect((error as Hs256Error).expired).toBe(expired);
    }
  });
});
