import { describe, expect, it } from 'vitest';
import { auditFieldWords, changeSummary, changeWords, fieldChangeWords, tallyChanges, tallyWords, valueWords } from '../../src/console/change-words.js';

/** Issue 16, item 8: the explain timeline in words a person reads, never field names. */
describe('a member change in words', () => {
  it('an admin unchecking a member: "Active: yes → no", unchecked, and why', () => {
    const words = changeWords({
      action: 'admin_unchecked',
      reason: 'set_by_admin',
      changes: [
        { field: 'active', before: true, after: false },
        { field: 'inactiveReason', before: null, after: 'admin' },
        { field: 'adminInactive', before: false, after: true },
      ],
    });
    expect(words).toEqual({
      what: 'Unchecked',
      why: 'set by an admin',
      fields: ['Active: yes → no', 'Why not Active: — → unchecked by an admin', 'Kept unchecked by an admin: no → yes'],
    });
  });

  it('a sync moving a member to Inactive Synced because the PSA says so', () => {
    const words = changeWords({
      action: 'moved_to_inactive',
      reason: 'inactive_in_psa',
      changes: [
        { field: 'active', before: true, after: false },
        { field: 'list', before: 'staff', after: 'inactive_synced' },
        { field: 'psaActive', before: true, after: false },
      ],
    });
    expect(words.what).toBe('Moved to Inactive Synced Members');
    expect(words.why).toBe('inactive in the PSA');
    expect(words.fields).toEqual(['Active: yes → no', 'List: All Staff → Inactive Synced Members', 'In the PSA: active → inactive']);
  });

  it('a new member lists what it has, not "— →" for every field', () => {
    const words = changeWords({
      action: 'added',
      reason: 'new_in_psa',
      changes: [
        { field: 'externalId', before: null, after: '17' },
        { field: 'name', before: null, after: 'Ada Lovelace' },
        { field: 'active', before: null, after: true },
      ],
    });
    expect(words).toEqual({ what: 'Added', why: 'new in the PSA', fields: ['PSA id: 17', 'Name: Ada Lovelace', 'Active: yes'] });
  });

  it('no field name reaches the words, even for a field or code not known yet', () => {
    const all = changeWords({
      action: 'some_new_action',
      reason: 'some_new_reason',
      changes: ['externalId', 'identifier', 'name', 'email', 'active', 'list', 'psaActive', 'inactiveReason', 'adminInactive', 'someNewField'].map((field) => ({ field, before: null, after: null })),
    });
    const text = JSON.stringify(all);
    for (const raw of ['externalId', 'psaActive', 'adminInactive', 'inactiveReason', 'someNewField', '_']) expect(text).not.toContain(raw);
    expect(all.what).toBe('Some new action');
    expect(all.fields).toContain('Some new field: — → —');
  });

  it('values read as words: yes/no, reasons, roles, times in UTC', () => {
    expect(valueWords('adminInactive', true)).toBe('yes');
    expect(valueWords('inactiveReason', 'seat_limit')).toBe('over the seat limit');
    expect(valueWords('role', 'account_manager')).toBe('account manager');
    expect(valueWords('since', '2026-03-10T09:05:00.000Z')).toBe('2026-03-10 09:05 UTC');
    expect(valueWords('email', null)).toBe('—');
    expect(fieldChangeWords('email', 'a@x.test', 'b@x.test')).toBe('Email: a@x.test → b@x.test');
  });

  it('profile fields read with their own labels; a hire date stays a date', () => {
    expect(fieldChangeWords('department', 'Service', 'Projects')).toBe('Department: Service → Projects');
    expect(fieldChangeWords('workRole', null, 'Engineer')).toBe('Work role: — → Engineer');
    expect(fieldChangeWords('location', 'Remote', null)).toBe('Location: Remote → —');
    expect(fieldChangeWords('hireDate', null, '2020-01-02')).toBe('Hire date: — → 2020-01-02');
    expect(fieldChangeWords('title', null, 'Technician', true)).toBe('Title: Technician');
  });

  it('audit entries: what changed, without ids', () => {
    expect(auditFieldWords({ active: true, adminInactive: false }, { active: false, adminInactive: true })).toEqual(['Active: yes → no', 'Kept unchecked by an admin: no → yes']);
    expect(auditFieldWords(null, { personId: '3f2a9c1e-0000-4000-8000-000000000000', email: 'ada@acme.test', role: 'admin' })).toEqual(['Email: ada@acme.test', 'Role: admin']);
    expect(auditFieldWords({ role: 'employee' }, { role: 'admin' })).toEqual(['Role: employee → admin']);
    expect(auditFieldWords({ email: 'ada@acme.test', role: 'admin' }, null)).toEqual(['Email was ada@acme.test', 'Role was admin']);
  });

  it("a time in the account's zone when the page gives one", () => {
    expect(valueWords('since', '2026-03-10T09:05:00.000Z', 'Europe/Paris')).toBe('2026-03-10 10:05');
    expect(auditFieldWords(null, { lastAt: '2026-07-01T22:30:00.000Z' }, 'Pacific/Auckland')).toEqual(['Last one: 2026-07-02 10:30']);
  });
});

/** Console review, item 3: back in All Staff is not always Active, and the words never say it is. */
describe('back in All Staff, with or without a seat', () => {
  const back = { field: 'list', before: 'inactive_synced', after: 'staff' };
  const madeActive = { action: 'reactivated', reason: 'active_again_in_psa', changes: [back, { field: 'active', before: false, after: true }] };
  const noSeat = { action: 'reactivated', reason: 'seat_limit_reached', changes: [back, { field: 'inactiveReason', before: 'vanished', after: 'seat_limit' }] };
  const unchecked = { action: 'reactivated', reason: 'active_again_in_psa', changes: [back, { field: 'inactiveReason', before: 'vanished', after: 'admin' }] };
  const addedNoSeat = { action: 'added', reason: 'seat_limit_reached', changes: [{ field: 'active', before: null, after: false }] };
  const addedInactive = { action: 'added', reason: 'new_inactive_in_psa', changes: [{ field: 'active', before: null, after: false }] };
  const added = { action: 'added', reason: 'new_in_psa', changes: [{ field: 'active', before: null, after: true }] };
  const skipped = { action: 'skipped', reason: 'api_member', changes: [] };

  it('each row says what happened to its Active box', () => {
    expect(changeWords(madeActive).what).toBe('Made Active again');
    expect(changeWords(noSeat)).toMatchObject({ what: 'Back in All Staff, not Active (seat limit reached)', why: 'active again in the PSA, but every seat is taken' });
    expect(changeWords(unchecked)).toMatchObject({ what: 'Back in All Staff, kept unchecked by an admin', why: 'active again in the PSA' });
    expect(changeWords(addedNoSeat).what).toBe('Added, not Active (seat limit reached)');
    expect(changeWords(addedInactive).what).toBe('Added to Inactive Synced Members');
  });

  it('a tally counts who took a seat, who waits for one and who stays unchecked; its words say so', () => {
    const tally = tallyChanges([madeActive, noSeat, noSeat, unchecked, added, addedNoSeat, skipped]);
    expect(tally).toEqual({ changes: 6, madeActive: 2, waitingForSeat: 3, keptUncheckedByAdmin: 1 });
    expect(tallyWords(tally)).toBe('2 members became Active; 3 wait for a seat (the seat limit is reached); 1 stays unchecked by an admin.');
    expect(tallyWords(tallyChanges([madeActive]), true)).toBe('1 member would become Active.');
    expect(tallyWords(tallyChanges([skipped]))).toBe('');
  });

  it("a summary counts rows in their own words, a sync's work first", () => {
    expect(changeSummary([skipped, addedInactive, added, added, noSeat])).toBe('2 added; 1 added to Inactive Synced Members; 1 back in All Staff, not Active (seat limit reached); 1 skipped');
  });
});
