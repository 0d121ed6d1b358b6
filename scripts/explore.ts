/**
 * `npm run explore -- --seeds N [--from S]` runs the race hunter (test/race-hunter.test.ts) over N
 * seeds starting at S (default 1); `--seed S` replays one. It is the same test CI runs with a
 * fixed count, given more seeds.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, from: { type: 'string' }, seed: { type: 'string' } } });
const env = {
  ...process.env,
  HUNTER_SEEDS: values.seed ? '1' : (values.seeds ?? '1000'),
  HUNTER_FIRST_SEED: values.seed ?? values.from ?? '1',
};
const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;
const run = spawnSync(process.execPath, [vitest, 'run', 'test/race-hunter.test.ts'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
