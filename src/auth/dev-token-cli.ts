/**
 * DEVELOPMENT ONLY: prints a token signed with the public dev secret, for wscat and curl.
 *   npm run dev:token -- alice caregiver --patients=pat --rooms='*'
 * A node accepts it only in development mode: no JWT_SECRET / JWT_JWKS_URL and NODE_ENV=development.
 */
import { parseArgs } from 'node:util';
import { DEV_ISSUER, DEV_SECRET, mintToken } from './dev-tokens.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { patients: { type: 'string' }, contacts: { type: 'string' }, rooms: { type: 'string' }, ttl: { type: 'string' } },
});
const [sub, role] = positionals;
if (!sub) {
  process.stderr.write('usage: npm run dev:token -- <user-id> [role] [--patients=a,b] [--contacts=a,b] [--rooms=a,b*] [--ttl=seconds]\n');
  process.exit(64);
}
const csv = (s: string | undefined) => (s ? s.split(',').filter(Boolean) : undefined);
const token = await mintToken(
  { sub, role, patients: csv(values.patients), contacts: csv(values.contacts), rooms: csv(values.rooms), ttlSeconds: values.ttl ? Number(values.ttl) : undefined },
  { secret: DEV_SECRET, issuer: DEV_ISSUER },
);
process.stdout.write(`${token}\n`);
