import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A customer company with exactly one integration (product.md §1). */
export const AccountSchema = defineEntity({
  name: 'Account',
  tableName: 'account',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    integration: p.text(),
    settingsSealed: p.text(),
    seatLimit: p.integer().nullable(),
    syncAt: p.text().nullable(),
    timezone: p.text(),
    breakerPercent: p.integer(),
    breakerMinMembers: p.integer(),
    membersVersion: p.bigint('number'),
    lastFullReadAt: p.datetime().nullable(),
    nextSyncAt: p.datetime().nullable(),
    consecutiveFailures: p.integer(),
    backoffUntil: p.datetime().nullable(),
    blockedReason: p.text().nullable(),
    publicKey: p.text().unique(),
    surveySecretSealed: p.text().nullable(),
    requireSignedLinks: p.boolean(),
    surveyAutoAddCap: p.integer(),
    rosterHash: p.text().nullable(),
    rosterHashVersion: p.bigint('number').nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type AccountEntity = InferEntity<typeof AccountSchema>;

/** A tracked staff member; never hard-deleted by a sync. */
export const MemberSchema = defineEntity({
  name: 'Member',
  tableName: 'member',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    externalId: p.text().nullable(),
    identifier: p.text().nullable(),
    name: p.text(),
    email: p.text().nullable(),
    source: p.text(),
    active: p.boolean(),
    list: p.text(),
    psaActive: p.boolean().nullable(),
    inactiveReason: p.text().nullable(),
    adminInactive: p.boolean(),
    firstSeenAt: p.datetime(),
    lastSeenAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type MemberEntity = InferEntity<typeof MemberSchema>;

/** One sync of one account. */
export const SyncRunSchema = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_run',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    trigger: p.text(),
    status: p.text(),
    requestedBy: p.text(),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    counts: p.json<Record<string, number>>().nullable(),
    errorKind: p.text().nullable(),
    errorMessage: p.text().nullable(),
    holdReason: p.text().nullable(),
    planMembersVersion: p.bigint('number').nullable(),
    claimedBy: p.text().nullable(),
    leaseExpiresAt: p.datetime().nullable(),
    decidedBy: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
  },
});
export type SyncRunEntity = InferEntity<typeof SyncRunSchema>;

/** A per-member change entry: what changed, why, and which run or admin did it. */
export const MemberChangeSchema = defineEntity({
  name: 'MemberChange',
  tableName: 'member_change',
  properties: {
    id: p.bigint('number').primary(),
    runId: p.uuid().nullable(),
    accountId: p.uuid(),
    memberId: p.uuid().nullable(),
    externalId: p.text().nullable(),
    identifier: p.text().nullable(),
    name: p.text(),
    email: p.text().nullable(),
    action: p.text(),
    reason: p.text(),
    changes: p.json<unknown[]>(),
    state: p.text(),
    afterState: p.json<Record<string, unknown>>().nullable(),
    actor: p.text(),
    surveyEventId: p.uuid().nullable(),
    createdAt: p.datetime(),
  },
});
export type MemberChangeEntity = InferEntity<typeof MemberChangeSchema>;

/** A service-account bearer token; only its SHA-256 hash is stored (product.md §7). */
export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    tokenHash: p.text().unique(),
    role: p.text(),
    accountId: p.uuid().nullable(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
  },
});
export type ApiTokenEntity = InferEntity<typeof ApiTokenSchema>;

/** A rating from the survey snippet: one per account, ticket and respondent, holding the latest rating. */
export const SurveyEventSchema = defineEntity({
  name: 'SurveyEvent',
  tableName: 'survey_event',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    ticket: p.text(),
    respondent: p.text(),
    rating: p.integer(),
    agentExternalId: p.text().nullable(),
    agentIdentifier: p.text().nullable(),
    agentEmail: p.text().nullable(),
    agentName: p.text().nullable(),
    memberId: p.uuid().nullable(),
    matchedBy: p.text().nullable(),
    unmatchedReason: p.text().nullable(),
    channel: p.text(),
    signed: p.boolean(),
    clicks: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type SurveyEventEntity = InferEntity<typeof SurveyEventSchema>;

export const entities = [AccountSchema, MemberSchema, SyncRunSchema, MemberChangeSchema, ApiTokenSchema, SurveyEventSchema];
