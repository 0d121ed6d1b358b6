/**
 * The race hunter in CI: a fixed set of seeds (HUNTER_SEEDS, default 500, from HUNTER_FIRST_SEED,
 * default 1), each a run of hunt.ts over three in-process nodes with every Bus and Store call
 * liable to be delayed or failed. A failing seed prints its violations, the operations that led
 * to them and the command that replays it. `npm run explore -- --seeds N` runs more.
 */
import { describe, expect, it } from 'vitest';
import { hunt } from './race-hunter/hunt.ts';

const count = Number(process.env.HUNTER_SEEDS ?? 500);
const first = Number(process.env.HUNTER_FIRST_SEED ?? 1);

describe('race hunter', () => {
  it(
    `keeps the delivery contract over ${count} seeded interleavings (seeds ${first}..${first + count - 1})`,
    async () => {
      const failures: string[] = [];
      for (let seed = first; seed < first + count; seed++) {
        const { violations, trace, detail = [] } = await hunt({ seed });
        if (violations.length === 0) continue;
        failures.push(
          [`seed ${seed}: replay with \`npm run explore -- --seed ${seed}\``, ...violations.map((v) => `  ${v}`), '  operations:', ...trace.map((t) => `    ${t}`), ...detail.map((t) => `  ${t}`)].join('\n'),
        );
        if (failures.length >= 3) break;
      }
      expect(failures.join('\n\n')).toBe('');
    },
    count * 5_000,
  );
});
