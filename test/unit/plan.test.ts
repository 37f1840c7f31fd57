import { describe, expect, it } from 'vitest';
import type { RemoteMember } from '../../src/connector/contract.js';
import { holdReason, planAuthoritative } from '../../src/reconcile/plan.js';
import type { PlanInput } from '../../src/reconcile/types.js';
import { localMember } from '../helpers/roster.js';

let ids = 0;
const input = (over: Partial<PlanInput>): PlanInput => ({
  remote: [],
  skipped: [],
  local: [],
  seatLimit: null,
  breaker: { percent: 20, minMembers: 5 },
  newId: () => `new-${++ids}`,
  ...over,
});
const remote = (id: number, over: Partial<RemoteMember> = {}): RemoteMember => ({ externalId: String(id), identifier: `u${id}`, name: `N ${id}`, email: `u${id}@x.test`, active: true, ...over });
const local = localMember;
const profile = { department: 'Service', workRole: 'Engineer', location: 'Main Office', title: 'Technician', hireDate: '2020-02-03' };

describe('planAuthoritative', () => {
  it('records unchanged members as a count only', () => {
    const plan = planAuthoritative(input({ remote: [remote(1), remote(2)], local: [local(1), local(2)] }));
    expect(plan.entries).toEqual([]);
    expect(plan.counts).toMatchObject({ fetched: 2, unchanged: 2 });
    expect(plan.hold).toBeNull();
  });

  it('lets deactivations free seats for additions in the same run, in PSA order', () => {
    const plan = planAuthoritative(
      input({ seatLimit: 2, remote: [remote(1, { active: false }), remote(2), remote(3), remote(4)], local: [local(1), local(2)] }),
    );
    const added = plan.entries.filter((e) => e.action === 'added');
    expect(added.map((e) => [e.externalId, e.after?.active])).toEqual([
      ['3', true],
      ['4', false],
    ]);
  });

  it('does not count an admin-unchecked member leaving as a deactivation', () => {
    const plan = planAuthoritative(input({ remote: [remote(1, { active: false })], local: [local(1, { active: false, adminInactive: true, inactiveReason: 'admin' })] }));
    expect(plan.counts).toMatchObject({ movedToInactive: 1, deactivated: 0 });
    expect(plan.entries[0]!.after).toMatchObject({ adminInactive: true, list: 'inactive_synced', inactiveReason: 'psa_inactive' });
  });

  it('leaves already-inactive members that vanish alone', () => {
    const plan = planAuthoritative(input({ remote: [remote(2)], local: [local(1, { active: false, list: 'inactive_synced', psaActive: false, inactiveReason: 'psa_inactive' }), local(2)] }));
    expect(plan.entries).toEqual([]);
    expect(plan.counts.unchanged).toBe(2);
  });

  it('records a profile-only change as an update with the changed fields', () => {
    const plan = planAuthoritative(input({ remote: [remote(1, { profile: { ...profile, department: 'Projects' } })], local: [local(1, profile)] }));
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({ action: 'updated', reason: 'details_changed_in_psa', changes: [{ field: 'department', before: 'Service', after: 'Projects' }] });
    expect(plan.entries[0]!.after).toMatchObject({ ...profile, department: 'Projects' });
  });

  it('counts a member with the same profile as unchanged, and keeps the stored profile when the PSA reports none', () => {
    const same = planAuthoritative(input({ remote: [remote(1, { profile })], local: [local(1, profile)] }));
    expect(same.entries).toEqual([]);
    const none = planAuthoritative(input({ remote: [remote(1, { name: 'Renamed' })], local: [local(1, profile)] }));
    expect(none.entries[0]!.changes.map((c) => c.field)).toEqual(['name']);
    expect(none.entries[0]!.after).toMatchObject(profile);
  });

  it('adds a new member with its profile, and lists the profile among the new member\'s fields', () => {
    const plan = planAuthoritative(input({ remote: [remote(1, { profile: { ...profile, title: null } })] }));
    expect(plan.entries[0]!.after).toMatchObject({ ...profile, title: null });
    const fields = plan.entries[0]!.changes.map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['department', 'workRole', 'location', 'hireDate']));
    expect(fields).not.toContain('title');
  });

  it('ignores members that are not from the PSA', () => {
    const plan = planAuthoritative(input({ remote: [remote(2)], local: [local(2), local(7, { externalId: null, source: 'manual' })] }));
    expect(plan.entries).toEqual([]);
  });
});

describe('holdReason', () => {
  const breaker = { percent: 20, minMembers: 5 };
  it('holds only when both the share and the absolute number are exceeded', () => {
    expect(holdReason(5, 10, 5, breaker)).toBeNull(); // 50% but not more than 5
    expect(holdReason(6, 100, 94, breaker)).toBeNull(); // more than 5 but only 6%
    expect(holdReason(6, 20, 14, breaker)).toContain('6 of 20');
  });
  it('always holds an empty roster while members are Active', () => {
    expect(holdReason(2, 2, 0, breaker)).toContain('no staff');
    expect(holdReason(0, 0, 0, breaker)).toBeNull();
  });
});
