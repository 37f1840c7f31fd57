import { describe, expect, expectTypeOf, it } from 'vitest';
import { SCOPE_DIMENSIONS, type Connector, type RemoteMember, type ScopeDimension } from '../../src/connector/contract.js';
import { decideActive, refusalWords } from '../../src/domain/active-box.js';
import { everyone, inScope, MAX_SCOPE_IDS, parseScope, scopeInWords, SYNC_SCOPE_DIMENSIONS, type SyncScopeDimension } from '../../src/domain/scope.js';
import { Seats } from '../../src/domain/seats.js';
import { planAuthoritative } from '../../src/reconcile/plan.js';
import { effectiveScope, holdIfScopeMatchesNobody, remoteInScope, tallyScope } from '../../src/reconcile/plan-scope.js';
import type { PlanInput } from '../../src/reconcile/types.js';
import { localMember } from '../helpers/roster.js';

const AT = ['departments', 'locations'] as const;

describe('the sync scope, checked (domain/scope.ts)', () => {
  it('uses the connector contract’s dimension names', () => {
    expect([...SYNC_SCOPE_DIMENSIONS]).toEqual([...SCOPE_DIMENSIONS]);
    expectTypeOf<SyncScopeDimension>().toEqualTypeOf<ScopeDimension>();
  });

  it('takes lists of ids, trimmed, deduplicated and sorted; absent, null or empty is everyone', () => {
    expect(parseScope({ departments: [' 12', '3', 3, '12'], locations: null }, AT, 'Autotask')).toEqual({ memberTypes: [], departments: ['3', '12'], locations: [] });
    expect(parseScope({}, AT, 'Autotask')).toEqual(everyone());
  });

  it('refuses a dimension the PSA has no scope for, naming it, and names every other problem at once', () => {
    expect(() => parseScope({ memberTypes: ['1'] }, AT, 'Autotask')).toThrow('Autotask accounts cannot be narrowed by member type (only by department and location); leave memberTypes empty');
    expect(() => parseScope({ memberTypes: [] }, AT, 'Autotask')).not.toThrow();
    expect(() => parseScope({ departments: ['1'] }, [], 'HaloPSA')).toThrow('HaloPSA accounts cannot be narrowed by department; leave departments empty');
    let message = '';
    try {
      parseScope({ teams: ['1'], departments: 'Service Desk', locations: ['3', 'x y', { id: 1 }] }, AT, 'Autotask');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('unknown scope dimension "teams"');
    expect(message).toContain('departments must be a list of ids');
    expect(message).toContain('locations holds "x y", which is not a location id');
    expect(message).toContain('locations holds "{"id":1}", which is not a location id');
  });

  it('bounds the size of a dimension', () => {
    const many = Array.from({ length: MAX_SCOPE_IDS + 1 }, (_, i) => String(i + 1));
    expect(() => parseScope({ departments: many }, AT, 'Autotask')).toThrow(`departments holds ${MAX_SCOPE_IDS + 1} ids; at most ${MAX_SCOPE_IDS}`);
    expect(() => parseScope('departments=1', AT, 'Autotask')).toThrow('the scope must be an object');
  });

  it('inScope: any chosen department lets a member in; a member lacking a narrowed key is out; an empty dimension matches everyone', () => {
    const scope = { ...everyone(), departments: ['1', '3'] };
    expect(inScope({ departments: ['2', '3'] }, scope)).toBe(true);
    expect(inScope({ departments: ['2'] }, scope)).toBe(false);
    expect(inScope({ departments: [] }, scope)).toBe(false);
    expect(inScope(undefined, scope)).toBe(false);
    expect(inScope(undefined, everyone())).toBe(true);
    const typed = { ...everyone(), memberTypes: ['1'], locations: ['20'] };
    expect(inScope({ memberType: '1', location: '20' }, typed)).toBe(true);
    expect(inScope({ memberType: '1', location: null }, typed)).toBe(false);
    expect(inScope({ memberType: null, location: '20' }, typed)).toBe(false);
  });

  it('says a scope in words, with names, and marks ids the PSA no longer lists', () => {
    const scope = { ...everyone(), departments: ['1', '9'] };
    expect(scopeInWords(scope, { departments: [{ id: '1', name: 'Service Desk' }] }, AT)).toBe('departments Service Desk, id 9 (no longer in the PSA)');
    expect(scopeInWords(everyone(), null, AT)).toBe('everyone');
    expect(scopeInWords({ ...everyone(), locations: ['3'] }, null, AT)).toBe('location id 3');
  });
});

let n = 0;
const remote = (id: number, departments: string[], over: Partial<RemoteMember> = {}): RemoteMember => ({
  externalId: String(id),
  identifier: `u${id}`,
  name: `N ${id}`,
  email: `u${id}@x.test`,
  active: true,
  scopeKeys: { departments, location: '3' },
  ...over,
});
const local = localMember;
const serviceDesk = remoteInScope({ ...everyone(), departments: ['1'] });
const input = (over: Partial<PlanInput>): PlanInput => ({ remote: [], skipped: [], local: [], seatLimit: null, breaker: { percent: 20, minMembers: 5 }, newId: () => `new-${++n}`, inScope: serviceDesk, ...over });

describe('planning with a sync scope (reconcile/plan.ts, plan-scope.ts)', () => {
  it('moves Active members outside the scope to Inactive Synced (out_of_scope, still active in the PSA), counted as deactivations', () => {
    const plan = planAuthoritative(input({ remote: [remote(1, ['1']), remote(2, ['2']), remote(3, ['2'], { active: false })], local: [local(1), local(2), local(3)] }));
    const moved = plan.entries.find((e) => e.externalId === '2')!;
    expect(moved).toMatchObject({ action: 'moved_to_inactive', reason: 'out_of_scope' });
    expect(moved.after).toMatchObject({ active: false, list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' });
    // Inactive in the PSA comes first: that member is inactive, not out of scope.
    expect(plan.entries.find((e) => e.externalId === '3')).toMatchObject({ reason: 'inactive_in_psa' });
    expect(plan.counts).toMatchObject({ deactivated: 2, movedToInactive: 2, outOfScope: 1, unchanged: 1 });
  });

  it('records new members outside the scope straight onto Inactive Synced, and leaves them alone next time', () => {
    const plan = planAuthoritative(input({ remote: [remote(7, ['2'])] }));
    expect(plan.entries[0]).toMatchObject({ action: 'added', reason: 'new_out_of_scope', after: { active: false, list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' } });
    const again = planAuthoritative(input({ remote: [remote(7, ['2'])], local: [local(7, { ...plan.entries[0]!.after! })] }));
    expect(again.entries).toEqual([]);
    expect(again.counts).toMatchObject({ unchanged: 1, outOfScope: 1 });
  });

  it('widening returns members as rule 7: Active again, unless an admin unchecked them, within the seat limit', () => {
    const out = { active: false, list: 'inactive_synced' as const, psaActive: true, inactiveReason: 'out_of_scope' as const };
    const plan = planAuthoritative(
      input({
        inScope: undefined,
        seatLimit: 2,
        remote: [remote(1, ['1']), remote(2, ['2']), remote(3, ['2']), remote(4, ['2'])],
        local: [local(1), local(2, out), local(3, { ...out, adminInactive: true }), local(4, out)],
      }),
    );
    const by = Object.fromEntries(plan.entries.map((e) => [e.externalId, e]));
    expect(by['2']).toMatchObject({ action: 'reactivated', reason: 'back_in_scope', after: { active: true, list: 'staff', inactiveReason: null } });
    expect(by['3']).toMatchObject({ action: 'reactivated', reason: 'back_in_scope', after: { active: false, list: 'staff', inactiveReason: 'admin', adminInactive: true } });
    expect(by['4']).toMatchObject({ action: 'reactivated', reason: 'seat_limit_reached', after: { active: false, list: 'staff', inactiveReason: 'seat_limit' } });
  });

  it('a member inactive in the PSA that is active again but outside the scope stays on Inactive Synced, now out_of_scope', () => {
    const plan = planAuthoritative(input({ remote: [remote(5, ['2'])], local: [local(5, { active: false, list: 'inactive_synced', psaActive: false, inactiveReason: 'psa_inactive' })] }));
    expect(plan.entries[0]).toMatchObject({ action: 'updated', reason: 'out_of_scope', after: { list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' } });
    expect(plan.counts.deactivated).toBe(0);
  });

  it('narrowing many trips the circuit breaker like any deactivation', () => {
    const locals = Array.from({ length: 10 }, (_, i) => local(i + 1));
    const plan = planAuthoritative(input({ remote: locals.map((l, i) => remote(i + 1, i < 2 ? ['1'] : ['2'])), local: locals }));
    expect(plan.counts.deactivated).toBe(8);
    expect(plan).toMatchObject({ holdKind: 'breaker', hold: expect.stringContaining('would deactivate 8 of 10') });
  });

  it('a scope matching none of the active members is held as never to be applied', () => {
    const connector = { displayName: 'Autotask', scopeDimensions: AT } as unknown as Connector;
    const scope = effectiveScope(connector, { ...everyone(), departments: ['9'], memberTypes: ['1'] });
    expect(scope).toEqual({ ...everyone(), departments: ['9'] });
    const test = remoteInScope(scope);
    const remotes = [remote(1, ['1']), remote(2, ['2']), remote(3, ['9'], { active: false })];
    const plan = planAuthoritative(input({ inScope: test, remote: remotes, local: [local(1), local(2)] }));
    const tally = tallyScope(remotes, test);
    expect(tally).toEqual({ active: 2, outOfScope: 2 });
    const held = holdIfScopeMatchesNobody(plan, scope, tally, connector);
    expect(held).toMatchObject({ holdKind: 'scope_matches_nobody', hold: expect.stringContaining('matches none of the 2 members active in Autotask') });
    expect(held.hold).toContain('department id 9');
    // One member in: applied like any narrowing (the breaker decides).
    expect(holdIfScopeMatchesNobody(plan, scope, { active: 2, outOfScope: 1 }, connector)).toBe(plan);
    // No scope, or no active members at all (the empty-roster rule's case): not this hold.
    expect(holdIfScopeMatchesNobody(plan, everyone(), tally, connector)).toBe(plan);
    expect(holdIfScopeMatchesNobody(plan, scope, { active: 0, outOfScope: 0 }, connector)).toBe(plan);
  });

  it('the Active box refuses a member outside the scope, in words that say what to do', () => {
    const m = local(4, { active: false, list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' });
    const seats = new Seats(null, 0);
    expect(decideActive(m, true, seats)).toEqual({ refused: 'out_of_scope' });
    expect(refusalWords('out_of_scope', 'Jane', 'Autotask', seats)).toBe("member Jane is outside this account's sync scope, so they cannot be made Active; widen the scope (Settings → Sync scope) to bring them back");
    // Unchecking stays possible and sticks.
    expect(decideActive(m, false, seats)).toMatchObject({ after: { adminInactive: true, inactiveReason: 'out_of_scope' } });
  });
});
