import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/db/audit-repository.js';
import type { ChangeView } from '../../src/db/views.js';
import { mergeAdminActions } from '../../src/console/explain-timeline.js';
import { matchedByWords, skippedAgent, skippedWords, unmatchedWords } from '../../src/console/survey-words.js';
import { plural, sentence, stamp } from '../../src/console/words.js';
import { activationMail } from '../../src/notify/templates.js';

/** Console review: the pure word helpers behind the pages (items 4, 8, 9, 11). */
describe('counts and times', () => {
  it('one helper pluralises every count', () => {
    expect(plural(1, 'member')).toBe('1 member');
    expect(plural(0, 'member')).toBe('0 members');
    expect(plural(2, 'match', 'matches')).toBe('2 matches');
  });

  it('a sentence ends with one full stop', () => {
    expect(sentence('only Stark, Inc.')).toBe('only Stark, Inc.');
    expect(sentence('only Acme')).toBe('only Acme.');
  });

  it("an instant in the account's zone, or in UTC saying so", () => {
    expect(stamp('2026-12-04T22:20:05Z', 'Pacific/Auckland')).toBe('2026-12-05 11:20');
    expect(stamp('2026-12-04T22:20:05Z', 'Pacific/Auckland', true)).toBe('2026-12-05 11:20:05');
    expect(stamp('2026-07-04T22:20:05Z', 'America/New_York')).toBe('2026-07-04 18:20');
    expect(stamp('2026-12-04T22:20:05Z', undefined)).toBe('2026-12-04 22:20 UTC');
  });
});

describe('survey matching in words (item 4)', () => {
  it('every unmatched reason code reads as a sentence, never as its code', () => {
    const codes = ['connectwise_is_source_of_truth', 'autotask_is_source_of_truth', 'halopsa_is_source_of_truth', 'unassigned_agent', 'auto_add_cap_reached', 'ambiguous_agent', 'some_new_reason', null];
    for (const code of codes) {
      const words = unmatchedWords(code);
      expect(words, String(code)).toMatch(/^[A-Z].*\.$/);
      expect(words, String(code)).not.toContain('_');
    }
    expect(unmatchedWords('connectwise_is_source_of_truth')).toContain('Only a sync adds members to a ConnectWise account');
    expect(unmatchedWords('autotask_is_source_of_truth')).toContain('Only a sync adds members to an Autotask account');
    expect(unmatchedWords('unassigned_agent')).toContain('placeholder agent');
    expect(matchedByWords('identifier')).toBe('matched by identifier');
    expect(matchedByWords('added')).toBe('added to the members by this rating');
  });

  it('an agent the latest sync skipped is named as such, by PSA id, identifier or name, never by a guess', () => {
    const skipped = [{ externalId: '9', identifier: 'apibot', name: 'Api Bot', reason: 'api_member' }];
    const agent = (a: Partial<{ id: string; identifier: string; email: string; name: string }>) => ({ id: null, identifier: null, email: null, name: null, ...a });
    expect(skippedAgent(agent({ id: '9' }), skipped)).toBe(skipped[0]);
    expect(skippedAgent(agent({ identifier: 'APIBOT' }), skipped)).toBe(skipped[0]);
    expect(skippedAgent(agent({ name: ' api  bot ' }), skipped)).toBe(skipped[0]);
    expect(skippedAgent(agent({ email: 'apibot@acme.test' }), skipped)).toBeNull();
    expect(skippedAgent(agent({ identifier: 'someone' }), skipped)).toBeNull();
    expect(skippedWords(skipped[0]!)).toBe('The PSA lists Api Bot as an API member, which a sync skips: they are no member, so their ratings stay unmatched.');
  });
});

describe("an admin's action, once (item 8)", () => {
  const change = (over: Partial<ChangeView>): ChangeView => ({ id: '1', runId: null, memberId: 'm', externalId: null, identifier: null, name: 'Ada', email: null, action: 'admin_unchecked', reason: 'set_by_admin', changes: [], state: 'applied', actor: 'person:ada@acme.test (x)', createdAt: '2026-03-10T09:00:00.000Z', ...over });
  const audit = (over: Partial<AuditEntry>): AuditEntry => ({ id: 'a', accountId: 'acc', actor: 'person:ada@acme.test (x)', action: 'member.active', target: { type: 'member', id: 'm' }, before: { active: true }, after: { active: false }, reason: 'on leave', createdAt: '2026-03-10T09:00:00.004Z', ...over });

  it('the audit entry of a box change merges into its change entry, keeping the reason', () => {
    const merged = mergeAdminActions([change({})], [audit({})]);
    expect(merged.audit).toEqual([]);
    expect(merged.history).toHaveLength(1);
    expect(merged.history[0]!.adminReason).toBe('on leave');
  });

  it('an unchecking and a checking a second apart each take their own audit entry', () => {
    const merged = mergeAdminActions(
      [change({ id: '1' }), change({ id: '2', action: 'admin_checked', createdAt: '2026-03-10T09:00:01.000Z' })],
      [audit({ id: 'b', after: { active: true }, reason: 'back', createdAt: '2026-03-10T09:00:01.003Z' }), audit({ id: 'a' })],
    );
    expect(merged.audit).toEqual([]);
    expect(merged.history.map((c) => c.adminReason)).toEqual(['on leave', 'back']);
  });

  it('anything else stays: another actor, another time, another kind of audit entry', () => {
    const others = [audit({ id: 'x', actor: 'person:bob@acme.test (y)' }), audit({ id: 'y', createdAt: '2026-03-10T10:00:00.000Z' }), audit({ id: 'z', action: 'person.invited', after: { role: 'admin' } })];
    const merged = mergeAdminActions([change({})], others);
    expect(merged.audit.map((a) => a.id)).toEqual(['x', 'y', 'z']);
    expect(merged.history[0]!.adminReason).toBeNull();
  });
});

describe('the activation email (item 11)', () => {
  const base = { name: 'Sam', link: 'https://psa-sync.test/activate/x', expiresAt: new Date('2026-03-17T09:00:00Z'), validDays: 7, timeZone: 'UTC' };
  it('tells support, who belong to no account, to ask the psa-sync operator', () => {
    expect(activationMail({ ...base, role: 'support', accountName: null }).text).toContain('ask the psa-sync operator');
    expect(activationMail({ ...base, role: 'support', accountName: null }).text).not.toContain('admin of your account');
    expect(activationMail({ ...base, role: 'employee', accountName: 'Acme' }).text).toContain('ask an admin of your account');
  });
});
