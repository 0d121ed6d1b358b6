/** Store contract, locations: see store-contract.ts for how the suite runs. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { ids, fix, T0 } from './store-contract-helpers.ts';
import type { PositionFix } from '../../src/store/store.ts';

export function locationContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    [a, b] = [t.a(), t.b()];
  });
  const { withCluster } = t;

describe('locations', () => {
  it('lastPosition is null for an unknown patient', async () => {
    expect(await a.lastPosition(ids('patient'))).toBeNull();
  });

  it('lastPosition returns the latest write, from any node', async () => {
    const patient = ids('patient');
    const first = fix(patient, 1);
    const second = fix(patient, 2);
    await a.recordPosition(patient, first);
    expect(await b.lastPosition(patient)).toEqual(first);
    await b.recordPosition(patient, second);
    expect(await a.lastPosition(patient)).toEqual(second);
    expect(await a.lastPosition(ids('patient'))).toBeNull();
  });

  it('keeps optional position fields exactly', async () => {
    const patient = ids('patient');
    const full = fix(patient, 3);
    full.position = { ...full.position, heading: 359.5, speed: 1.25, battery: 0 };
    await a.recordPosition(patient, full);
    expect(await b.lastPosition(patient)).toStrictEqual(full);
    expect(await b.trail(patient, 0, 10)).toStrictEqual([full]);
  });

  it('trail: entries with ts >= since, oldest first, the newest `limit`', async () => {
    const patient = ids('patient');
    const fixes = [1, 2, 3, 4, 5].map((n) => fix(patient, n));
    for (const [i, f] of fixes.entries()) await (i % 2 ? a : b).recordPosition(patient, f);
    expect(await a.trail(patient, 0, 100)).toEqual(fixes);
    expect(await b.trail(patient, fixes[2]!.ts, 100)).toEqual(fixes.slice(2));
    expect(await b.trail(patient, fixes[2]!.ts - 0.5, 2)).toEqual(fixes.slice(3));
    expect(await a.trail(patient, fixes[4]!.ts + 1, 100)).toEqual([]);
    expect(await a.trail(ids('patient'), 0, 100)).toEqual([]);
  });

  it('trail keeps arrival order when a fix is stamped earlier than the one before it', async () => {
    const patient = ids('patient');
    const [late, early, next] = [fix(patient, 10), fix(patient, 5), fix(patient, 11)];
    for (const f of [late, early, next]) await a.recordPosition(patient, f);
    expect(await b.trail(patient, 0, 10)).toEqual([late, early, next]);
    expect(await b.trail(patient, late.ts, 10)).toEqual([late, next]);
    expect(await b.lastPosition(patient)).toEqual(next);
  });

  it('trail keeps at most `trailMaxEntries`, the newest', async () => {
    await withCluster({ trailMaxEntries: 3 }, async (a, b) => {
      const patient = ids('patient');
      const fixes = [1, 2, 3, 4, 5].map((n) => fix(patient, n));
      for (const f of fixes) await a.recordPosition(patient, f);
      expect(await b.trail(patient, 0, 100)).toEqual(fixes.slice(2));
      expect(await b.trail(patient, 0, 2)).toEqual(fixes.slice(3));
    });
  });

  it('trail drops entries older than `trailWindowMs` before the newest', async () => {
    await withCluster({ trailWindowMs: 60_000 }, async (a, b) => {
      const patient = ids('patient');
      const at = (ms: number): PositionFix => ({ ...fix(patient, 1), ts: T0 + ms });
      const fixes = [at(0), at(30_000), at(60_000), at(90_000)];
      for (const f of fixes.slice(0, 3)) await a.recordPosition(patient, f);
      expect(await b.trail(patient, 0, 100)).toEqual(fixes.slice(0, 3));
      await b.recordPosition(patient, fixes[3]!);
      expect(await a.trail(patient, 0, 100)).toEqual(fixes.slice(1));
      expect(await a.trail(patient, T0 + 60_000, 100)).toEqual(fixes.slice(2));
    });
  });
});

}
