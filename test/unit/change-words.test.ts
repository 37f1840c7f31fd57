import { describe, expect, it } from 'vitest';
import { auditFieldWords, changeWords, fieldChangeWords, valueWords } from '../../src/console/change-words.js';

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

  it('audit entries: what changed, without ids', () => {
    expect(auditFieldWords({ active: true, adminInactive: false }, { active: false, adminInactive: true })).toEqual(['Active: yes → no', 'Kept unchecked by an admin: no → yes']);
    expect(auditFieldWords(null, { personId: '3f2a9c1e-0000-4000-8000-000000000000', email: 'ada@acme.test', role: 'admin' })).toEqual(['Email: ada@acme.test', 'Role: admin']);
    expect(auditFieldWords({ role: 'employee' }, { role: 'admin' })).toEqual(['Role: employee → admin']);
    expect(auditFieldWords({ email: 'ada@acme.test', role: 'admin' }, null)).toEqual(['Email was ada@acme.test', 'Role was admin']);
  });
});
