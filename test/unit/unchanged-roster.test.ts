import { describe, expect, it } from 'vitest';
import type { RemoteMember, RosterPage } from '../../src/connector/contract.js';
import { NO_PROFILE } from '../../src/domain/member.js';
import { planAuthoritative } from '../../src/reconcile/plan.js';
import { IdleRosterHasher, RosterHasher } from '../../src/reconcile/roster-hash.js';
import type { LocalMember, Plan } from '../../src/reconcile/types.js';

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** A random roster and a random, possibly admin-edited local list. */
function scenario(seed: number) {
  const r = rng(seed);
  const remote: RemoteMember[] = [];
  for (let i = 1; i <= 300; i++) {
    if (r() < 0.1) continue;
    const department = r() < 0.1 ? null : r() < 0.5 ? 'Service' : 'Projects';
    remote.push({
      externalId: String(i),
      identifier: `u${i}${r() < 0.1 ? 'x' : ''}`,
      name: `User ${i}`,
      email: r() < 0.1 ? null : `u${i}@acme.test`,
      active: r() < 0.8,
      profile: { department, workRole: null, location: r() < 0.5 ? 'Remote' : null, title: null, hireDate: r() < 0.2 ? null : '2020-01-02' },
    });
  }
  const local: LocalMember[] = [];
  for (let i = 1; i <= 320; i += 1 + Math.floor(r() * 2)) {
    const staff = r() < 0.75;
    const admin = r() < 0.15;
    local.push({
      id: `m${i}`,
      source: 'psa',
      externalId: String(i),
      identifier: `u${i}`,
      name: `User ${i}`,
      email: `u${i}@acme.test`,
      active: staff && !admin && r() < 0.95,
      list: staff ? 'staff' : 'inactive_synced',
      psaActive: staff ? true : false,
      inactiveReason: staff ? (admin ? 'admin' : null) : 'psa_inactive',
      adminInactive: admin,
      ...NO_PROFILE,
      department: r() < 0.5 ? 'Service' : null,
    });
  }
  return { remote, local };
}

/** Applies a plan to a local list in memory, as applyMemberStates does in the database. */
function apply(local: LocalMember[], plan: Plan): LocalMember[] {
  const byId = new Map(local.map((m) => [m.id, { ...m }]));
  for (const e of plan.entries) {
    if (!e.memberId || !e.after) continue;
    const existing = byId.get(e.memberId);
    byId.set(e.memberId, { ...(existing ?? { id: e.memberId, source: 'psa' as const }), ...e.after });
  }
  return [...byId.values()];
}

const breaker = { percent: 100, minMembers: 1_000_000 };
const key = (p: Plan) => p.entries.map((e) => JSON.stringify([e.memberId, e.action, e.reason, e.changes])).sort();

describe('an unchanged roster (the resync shortcut)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('replanning the roster a sync just applied changes nothing but the admin-kept entries, and the shortcut plan equals the full plan (seed %i)', (seed) => {
    const { remote, local } = scenario(seed);
    let n = 0;
    const newId = () => `new${++n}`;
    const first = planAuthoritative({ remote, skipped: [], local, seatLimit: 250, breaker, newId });
    const after = apply(local, first);

    const replan = planAuthoritative({ remote, skipped: [], local: after, seatLimit: 250, breaker, newId });
    expect(replan.entries.every((e) => e.action === 'kept_inactive_by_admin' && e.changes.length === 0)).toBe(true);

    const kept = after.filter((m) => m.adminInactive && m.list === 'staff' && m.externalId !== null);
    const keptIds = new Set(kept.map((m) => m.externalId));
    const shortcut = planAuthoritative({
      remote: remote.filter((r) => keptIds.has(r.externalId)),
      skipped: [],
      local: kept,
      seatLimit: 250,
      breaker,
      newId,
      setAside: { remoteTotal: remote.length, unchanged: after.filter((m) => m.externalId !== null).length - kept.length, activeBefore: after.filter((m) => m.active).length },
    });
    expect(shortcut.counts).toEqual(replan.counts);
    expect(shortcut.hold).toEqual(replan.hold);
    expect(key(shortcut)).toEqual(key(replan));
  });

  it('fingerprints differ for any change a plan could act on, and match for the same read', () => {
    const page = (m: Partial<RemoteMember> = {}) => ({ members: [{ externalId: '1', identifier: 'a', name: 'A', email: null, active: true, ...m }], skipped: [] });
    const hash = (...pages: ReturnType<typeof page>[]) => {
      const h = new RosterHasher('connectwise 1.0.0');
      for (const p of pages) h.add(p);
      return h.digest();
    };
    expect(hash(page())).toBe(hash(page()));
    const profile = { department: 'Service', workRole: null, location: null, title: null, hireDate: null };
    for (const change of [{ identifier: 'b' }, { name: 'B' }, { email: 'a@x.test' }, { active: false }, { externalId: '2' }, { identifier: null }, { profile }, { profile: { ...profile, hireDate: '2020-01-02' } }]) {
      expect(hash(page(change))).not.toBe(hash(page()));
    }
    expect(hash(page(), page({ externalId: '2' }))).not.toBe(hash(page({ externalId: '2' }), page()));
  });

  it('fingerprints a page by its response text when it has one, and never across connectors or versions', () => {
    const digest = (code: string, ...pages: RosterPage[]) => {
      const h = new RosterHasher(code);
      for (const p of pages) h.add(p);
      return h.digest();
    };
    const members = [{ externalId: '1', identifier: 'a', name: 'A', email: null, active: true }];
    const text = '[{"id":1,"identifier":"a","firstName":"A"}]';
    expect(digest('connectwise 1.0.0', { members, skipped: [], source: text })).toBe(digest('connectwise 1.0.0', { members, skipped: [], source: text }));
    // Same records, different response text (a field the mapper ignores, or reordered JSON): a full plan, never a wrong shortcut.
    expect(digest('connectwise 1.0.0', { members, skipped: [], source: text })).not.toBe(digest('connectwise 1.0.0', { members, skipped: [], source: `${text} ` }));
    // A page boundary moved: the concatenated text is the same, the fingerprint is not.
    expect(digest('connectwise 1.0.0', { members, skipped: [], source: 'ab' }, { members: [], skipped: [], source: 'c' })).not.toBe(
      digest('connectwise 1.0.0', { members, skipped: [], source: 'a' }, { members: [], skipped: [], source: 'bc' }),
    );
    // The same response under another version of psa-sync may map or plan differently.
    expect(digest('connectwise 1.0.0', { members, skipped: [], source: text })).not.toBe(digest('connectwise 1.1.0', { members, skipped: [], source: text }));
  });

  it('a fingerprint finished in idle turns is the same as one taken page by page, whatever carries response text', async () => {
    const member = (id: string): RemoteMember => ({ externalId: id, identifier: id, name: `M ${id}`, email: null, active: true });
    const pages: RosterPage[] = [
      { members: [member('1')], skipped: [], source: '[{"id":1}]' },
      { members: [member('2')], skipped: [] },
      { members: [member('3')], skipped: [], source: '[{"id":3}]' },
      { members: [member('4')], skipped: [{ externalId: '5', identifier: 'api', name: 'API', reason: 'api_user' }] },
    ];
    const direct = new RosterHasher('autotask 1.0.0');
    const idle = new IdleRosterHasher('autotask 1.0.0');
    for (const p of pages) {
      direct.add(p);
      idle.add(p);
    }
    expect(await idle.digest()).toBe(direct.digest());
    expect(await idle.digest()).toBe(await idle.digest());
    expect(() => idle.add(pages[0]!)).toThrow(/already taken/);
    const empty = new IdleRosterHasher('autotask 1.0.0');
    expect(await empty.digest()).toBe(new RosterHasher('autotask 1.0.0').digest());
  });
});
