import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteMember } from '../../src/connector/contract.js';
import { diffPage, insertMembers, loadLocalMembers, unseenMembers } from '../../src/db/member-repository.js';
import { isUnchanged, planAuthoritative } from '../../src/reconcile/plan.js';
import type { LocalMember, MemberState } from '../../src/reconcile/types.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

function scenario(seed: number, n: number) {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const states: MemberState[] = [];
  const remote: RemoteMember[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `Person ${i}`;
    const email = r() < 0.1 ? null : `p${i}@acme.test`;
    const list = pick(['staff', 'staff', 'staff', 'inactive_synced'] as const);
    const state: MemberState = {
      externalId: String(i),
      identifier: `p${i}`,
      name,
      email,
      active: list === 'staff' && r() < 0.9,
      list,
      psaActive: list === 'staff' ? true : pick([false, null]),
      inactiveReason: list === 'staff' ? null : pick(['psa_inactive', 'vanished'] as const),
      adminInactive: r() < 0.1,
    };
    if (!state.active && list === 'staff') state.inactiveReason = state.adminInactive ? 'admin' : 'seat_limit';
    states.push(state);
    if (r() < 0.1) continue; // vanished from the PSA
    remote.push({
      externalId: String(i),
      identifier: r() < 0.1 ? `renamed${i}` : `p${i}`,
      name: r() < 0.05 ? `Person ${i} Jr` : name,
      email: r() < 0.05 ? null : email,
      active: r() < 0.85 ? list === 'staff' : list !== 'staff',
    });
  }
  for (let i = n + 1; i <= n + n / 10; i++) remote.push({ externalId: String(i), identifier: `new${i}`, name: `New ${i}`, email: null, active: r() < 0.8 });
  return { states, remote };
}

describe('comparing in the database (a resync moves only what changed)', () => {
  it.each([1, 2, 3, 4, 5])('the SQL page diff agrees with the planner on scenario %i, and a set-aside plan equals a full plan', async (seed) => {
    const account = await addCwAccount(t.app, 'https://cw.test');
    const { states, remote } = scenario(seed, 400);
    await t.app.orm.em.fork().transactional((tem) => insertMembers(tem, account.id, 'psa', states.map((s) => ({ id: randomUUID(), state: s })), new Date()));
    const em = t.app.orm.em.fork();
    const all = await loadLocalMembers(em, account.id);
    const byExt = new Map(all.map((m) => [m.externalId!, m]));

    const diff = await diffPage(em, account.id, remote);
    const expected = remote.filter((r) => !byExt.has(r.externalId) || !isUnchanged(byExt.get(r.externalId)!, r)).map((r) => r.externalId);
    expect(diff.map((d) => d.externalId).sort()).toEqual(expected.sort());
    expect(diff.every((d) => (d.local === null) === !byExt.has(d.externalId))).toBe(true);

    const unseen = await unseenMembers(em, account.id, remote.map((r) => r.externalId));
    const seen = new Set(remote.map((r) => r.externalId));
    expect(unseen.map((m) => m.externalId).sort()).toEqual(all.filter((m) => !seen.has(m.externalId!)).map((m) => m.externalId).sort());

    let ids = 0;
    const newId = () => `new-${++ids}`;
    const breaker = { percent: 100, minMembers: 1_000_000 };
    const full = planAuthoritative({ remote, skipped: [], local: all, seatLimit: 350, breaker, newId });
    ids = 0;
    const changed = new Set(diff.map((d) => d.externalId));
    const local: LocalMember[] = [...diff.flatMap((d) => (d.local ? [d.local] : [])), ...unseen];
    const subset = planAuthoritative({
      remote: remote.filter((r) => changed.has(r.externalId)),
      skipped: [],
      local,
      seatLimit: 350,
      breaker,
      newId,
      setAside: { remoteTotal: remote.length, unchanged: remote.length - changed.size, activeBefore: all.filter((m) => m.active).length },
    });
    expect(subset.counts).toEqual(full.counts);
    expect(subset.hold).toEqual(full.hold);
    const key = (e: { externalId: string | null; action: string; reason: string; changes: unknown }) => JSON.stringify([e.externalId, e.action, e.reason, e.changes]);
    expect(subset.entries.map(key).sort()).toEqual(full.entries.map(key).sort());
  });
});
