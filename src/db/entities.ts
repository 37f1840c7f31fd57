import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The schema's source of truth. Migrations create it; test/integration/schema-diff.test.ts fails
 * when the migrated database and these definitions differ. Low-volume data (people, sessions,
 * links, audit) is read and written through the EntityManager; the sync's hot path keeps COPY and
 * hand-written SQL against the same tables (see bench/).
 *
 * Relations map to the primary key (`mapToPk`), so an entity holds ids, as the rest of the code does.
 */

const INTEGRATIONS = ['connectwise', 'autotask', 'halopsa', 'snippet'] as const;

/** A customer company with exactly one integration (product.md §1). */
export const AccountSchema = defineEntity({
  name: 'Account',
  tableName: 'account',
  properties: {
    id: p.uuid().primary(),
    name: p.text().unique('account_name_key'),
    integration: p.enum([...INTEGRATIONS]),
    settingsSealed: p.text(),
    seatLimit: p.integer().nullable(),
    syncAt: p.text().nullable(),
    timezone: p.text().default('UTC'),
    breakerPercent: p.integer().default(20),
    breakerMinMembers: p.integer().default(5),
    membersVersion: p.bigint('number').default(0),
    readVersion: p.bigint('number').default(0),
    lastFullReadAt: p.datetime().nullable(),
    nextSyncAt: p.datetime().nullable().index('account_next_sync_idx'),
    consecutiveFailures: p.integer().default(0),
    backoffUntil: p.datetime().nullable(),
    blockedReason: p.text().nullable(),
    publicKey: p.text(),
    surveySecretSealed: p.text().nullable(),
    requireSignedLinks: p.boolean().default(false),
    surveyAutoAddCap: p.integer().default(25),
    rosterHash: p.text().nullable(),
    rosterHashVersion: p.bigint('number').nullable(),
    /** Who gets this account's notification emails; null: its admins. */
    notifyEmails: p.array().nullable(),
    cwCallbackId: p.integer().nullable(),
    cwCallbackUrl: p.text().nullable(),
    callbackLastAt: p.datetime().nullable(),
    /** The sync scope's chosen PSA ids per dimension (product.md §2); null: everyone. */
    syncScope: p.json<Record<string, string[]>>().nullable(),
    /** The read version the last scope change moved to: plans held before it are stale. */
    syncScopeReadVersion: p.bigint('number').nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ name: 'account_public_key_uq', expression: 'create unique index account_public_key_uq on account (public_key)' }],
  checks: [
    { name: 'account_breaker_min_members_check', expression: 'breaker_min_members >= 0' },
    { name: 'account_breaker_percent_check', expression: 'breaker_percent >= 0 and breaker_percent <= 100' },
    { name: 'account_seat_limit_check', expression: 'seat_limit is null or seat_limit >= 0' },
    { name: 'account_survey_auto_add_cap_check', expression: 'survey_auto_add_cap >= 0' },
    { name: 'account_sync_at_check', expression: "sync_at is null or sync_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'" },
  ],
});
export type AccountEntity = InferEntity<typeof AccountSchema>;

/** A tracked staff member; never hard-deleted by a sync. */
export const MemberSchema = defineEntity({
  name: 'Member',
  tableName: 'member',
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(AccountSchema).mapToPk().updateRule('no action').foreignKeyName('member_account_id_fkey').deleteRule('restrict'),
    externalId: p.text().nullable(),
    identifier: p.text().nullable(),
    name: p.text(),
    email: p.text().nullable(),
    source: p.enum(['psa', 'import', 'survey', 'manual']),
    active: p.boolean(),
    list: p.enum(['staff', 'inactive_synced']),
    psaActive: p.boolean().nullable(),
    inactiveReason: p.enum(['psa_inactive', 'vanished', 'admin', 'seat_limit', 'out_of_scope']).nullable(),
    adminInactive: p.boolean().default(false),
    /** Profile fields as the PSA reports them (names, not ids); null when it has none. */
    department: p.text().nullable(),
    workRole: p.text().nullable(),
    location: p.text().nullable(),
    title: p.text().nullable(),
    hireDate: p.date().nullable(),
    firstSeenAt: p.datetime(),
    lastSeenAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [
    { name: 'member_account_email_idx', expression: 'create index member_account_email_idx on member (account_id, lower(email))' },
    { name: 'member_account_external_uq', expression: 'create unique index member_account_external_uq on member (account_id, external_id) where external_id is not null' },
    { name: 'member_account_list_idx', properties: ['account', 'list'] },
  ],
});
export type MemberEntity = InferEntity<typeof MemberSchema>;

/** One sync of one account. */
export const SyncRunSchema = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_run',
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(AccountSchema).mapToPk().updateRule('no action').foreignKeyName('sync_run_account_id_fkey').deleteRule('restrict'),
    trigger: p.enum(['schedule', 'manual', 'setup', 'retry', 'callback']),
    status: p.enum(['queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired']),
    requestedBy: p.text(),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    counts: p.json<Record<string, number>>().nullable(),
    errorKind: p.text().nullable(),
    errorMessage: p.text().nullable(),
    holdReason: p.text().nullable(),
    holdKind: p.enum(['breaker', 'empty_roster', 'scope_matches_nobody']).nullable(),
    planMembersVersion: p.bigint('number').nullable(),
    planReadVersion: p.bigint('number').nullable(),
    claimedBy: p.text().nullable(),
    leaseExpiresAt: p.datetime().nullable(),
    decidedBy: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
  },
  indexes: [
    { name: 'sync_run_account_created_idx', expression: 'create index sync_run_account_created_idx on sync_run (account_id, created_at desc)' },
    { name: 'sync_run_held_idx', expression: "create index sync_run_held_idx on sync_run (finished_at) where status = 'held'" },
    { name: 'sync_run_one_active_uq', expression: "create unique index sync_run_one_active_uq on sync_run (account_id) where status in ('queued', 'running')" },
    { name: 'sync_run_queued_idx', expression: "create index sync_run_queued_idx on sync_run (created_at) where status = 'queued'" },
    { name: 'sync_run_running_lease_idx', expression: "create index sync_run_running_lease_idx on sync_run (lease_expires_at) where status = 'running'" },
  ],
});
export type SyncRunEntity = InferEntity<typeof SyncRunSchema>;

/**
 * A per-member change entry: what changed, why, and which run or admin did it. An append-only log
 * written in bulk, so its ids are plain columns without foreign keys (Migration20261126000003).
 */
export const MemberChangeSchema = defineEntity({
  name: 'MemberChange',
  tableName: 'member_change',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
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
    state: p.enum(['planned', 'applied', 'discarded']),
    afterState: p.json<Record<string, unknown>>().nullable(),
    actor: p.text(),
    surveyEventId: p.uuid().nullable(),
    createdAt: p.datetime(),
  },
  indexes: [
    { name: 'member_change_member_idx', properties: ['memberId', 'id'] },
    { name: 'member_change_run_idx', properties: ['runId', 'id'] },
    { name: 'member_change_survey_added_idx', expression: 'create index member_change_survey_added_idx on member_change (account_id, created_at) where survey_event_id is not null' },
  ],
});
export type MemberChangeEntity = InferEntity<typeof MemberChangeSchema>;

/** A service-account bearer token; only its SHA-256 hash is stored (product.md §7). */
export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    tokenHash: p.text().unique('api_token_token_hash_key'),
    role: p.enum(['admin', 'account_manager', 'support']),
    account: () => p.manyToOne(AccountSchema).mapToPk().nullable().updateRule('no action').foreignKeyName('api_token_account_id_fkey').deleteRule('cascade'),
    createdAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    revokedBy: p.text().nullable(),
  },
  indexes: [{ name: 'api_token_account_idx', properties: ['account', 'createdAt'] }],
  checks: [{ name: 'api_token_check', expression: "(role = 'support') = (account_id is null)" }],
});
export type ApiTokenEntity = InferEntity<typeof ApiTokenSchema>;

/** A rating from the survey snippet: one per account, ticket and respondent, holding the latest rating. */
export const SurveyEventSchema = defineEntity({
  name: 'SurveyEvent',
  tableName: 'survey_event',
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(AccountSchema).mapToPk().updateRule('no action').foreignKeyName('survey_event_account_id_fkey').deleteRule('restrict'),
    ticket: p.text().default(''),
    respondent: p.text().default(''),
    rating: p.integer(),
    agentExternalId: p.text().nullable(),
    agentIdentifier: p.text().nullable(),
    agentEmail: p.text().nullable(),
    agentName: p.text().nullable(),
    member: () => p.manyToOne(MemberSchema).mapToPk().nullable().updateRule('no action').foreignKeyName('survey_event_member_id_fkey').deleteRule('restrict'),
    matchedBy: p.enum(['id', 'identifier', 'email', 'name', 'added']).nullable(),
    unmatchedReason: p.text().nullable(),
    channel: p.enum(['link', 'api', 'import']),
    signed: p.boolean(),
    clicks: p.integer().default(1),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    /** The customer company the rating is about (a merge field or an API field). */
    client: p.text().nullable(),
    /** What the respondent wrote on the thank-you page (or an API field). */
    comment: p.text().nullable(),
  },
  indexes: [
    { name: 'survey_event_account_idx', expression: 'create index survey_event_account_idx on survey_event (account_id, updated_at desc)' },
    { name: 'survey_event_ticket_respondent_uq', expression: 'create unique index survey_event_ticket_respondent_uq on survey_event (account_id, ticket, respondent)' },
    { name: 'survey_event_rating_idx', expression: 'create index survey_event_rating_idx on survey_event (account_id, created_at desc, id desc) where member_id is not null' },
    { name: 'survey_event_member_rating_idx', expression: 'create index survey_event_member_rating_idx on survey_event (member_id, created_at desc, id desc) where member_id is not null' },
  ],
  checks: [
    { name: 'survey_event_client_check', expression: 'char_length(client) <= 200' },
    { name: 'survey_event_comment_check', expression: 'char_length(comment) <= 2000' },
  ],
});
export type SurveyEventEntity = InferEntity<typeof SurveyEventSchema>;

/** An admin action as recorded (product.md §7): who, when, what, before and after, and why. */
export const AuditEntrySchema = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_entry',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    accountId: p.uuid().nullable(),
    actor: p.text(),
    action: p.text(),
    targetType: p.text(),
    targetId: p.text().nullable(),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
    reason: p.text().nullable(),
    createdAt: p.datetime(),
  },
  indexes: [
    { name: 'audit_entry_account_idx', expression: 'create index audit_entry_account_idx on audit_entry (account_id, id desc)' },
    { name: 'audit_entry_target_idx', properties: ['targetType', 'targetId', 'id'] },
  ],
});
export type AuditEntryEntity = InferEntity<typeof AuditEntrySchema>;

/** Mail held when no SMTP server is configured; `psa-sync mail outbox` prints it. */
export const MailOutboxSchema = defineEntity({
  name: 'MailOutbox',
  tableName: 'mail_outbox',
  properties: {
    id: p.uuid().primary(),
    toAddress: p.text(),
    subject: p.text(),
    textBody: p.text(),
    htmlBody: p.text(),
    purpose: p.text(),
    createdAt: p.datetime(),
  },
  indexes: [{ name: 'mail_outbox_to_idx', expression: 'create index mail_outbox_to_idx on mail_outbox (lower(to_address), created_at desc)' }],
});

export const PERSON_ROLES = ['admin', 'account_manager', 'employee', 'support'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/**
 * Someone who signs in (product.md §7). A person of an account is tied to a member (or, invited by
 * email before the member exists, linked when it appears); support people belong to no account.
 * `suspendedAt` follows the member's Active box (a database trigger, so every path does it).
 */
export const PersonSchema = defineEntity({
  name: 'Person',
  tableName: 'person',
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(AccountSchema).mapToPk().nullable().updateRule('no action').foreignKeyName('person_account_id_fkey').deleteRule('cascade'),
    member: () => p.manyToOne(MemberSchema).mapToPk().nullable().updateRule('no action').foreignKeyName('person_member_id_fkey').deleteRule('set null'),
    email: p.text(),
    name: p.text(),
    role: p.enum([...PERSON_ROLES]),
    passwordHash: p.text().nullable(),
    activatedAt: p.datetime().nullable(),
    suspendedAt: p.datetime().nullable(),
    /** An account manager who sees only the members in person_scope. */
    narrowed: p.boolean().default(false),
    /** A narrowed account manager's person_scope lists the members they do not see (instead of those they do). */
    membersExcluded: p.boolean().default(false),
    /** An account manager narrowed by client: person_client_scope lists the clients they see (`include`) or do not (`exclude`). */
    clientScope: p.enum(['include', 'exclude']).nullable(),
    invitedBy: p.text(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [
    { name: 'person_email_uq', expression: 'create unique index person_email_uq on person (lower(email))' },
    { name: 'person_account_idx', properties: ['account', 'role'] },
    { name: 'person_member_uq', expression: 'create unique index person_member_uq on person (member_id)' },
  ],
  checks: [{ name: 'person_account_check', expression: "(role = 'support') = (account_id is null)" }],
});
export type PersonEntity = InferEntity<typeof PersonSchema>;

/** The members a narrowed account manager may see. */
export const PersonScopeSchema = defineEntity({
  name: 'PersonScope',
  tableName: 'person_scope',
  properties: {
    person: () => p.manyToOne(PersonSchema).mapToPk().primary().updateRule('no action').foreignKeyName('person_scope_person_id_fkey').deleteRule('cascade'),
    member: () => p.manyToOne(MemberSchema).mapToPk().primary().updateRule('no action').foreignKeyName('person_scope_member_id_fkey').deleteRule('cascade'),
  },
});

/** The clients an account manager is narrowed to (or away from), by name. */
export const PersonClientScopeSchema = defineEntity({
  name: 'PersonClientScope',
  tableName: 'person_client_scope',
  properties: {
    person: () => p.manyToOne(PersonSchema).mapToPk().primary().updateRule('no action').foreignKeyName('person_client_scope_person_id_fkey').deleteRule('cascade'),
    client: p.text().primary(),
  },
});

/**
 * Ratings per account, local day (the account's time zone), member and client ('' for none): the
 * rollup reports read. Derived from survey_event by triggers (Migration20261205000018), never
 * written by the application.
 */
export const RatingDaySchema = defineEntity({
  name: 'RatingDay',
  tableName: 'rating_day',
  properties: {
    accountId: p.uuid().primary(),
    day: p.date().primary(),
    memberId: p.uuid().primary(),
    client: p.text().primary().default(''),
    /** The client's key (`psa_client_key`, Migration20261205000003): reports group and filter by it. */
    clientKey: p.text().generated('(psa_client_key(client)) stored').nullable(),
    count: p.integer(),
    sum: p.integer(),
    positive: p.integer(),
    neutral: p.integer(),
    negative: p.integer(),
  },
  indexes: [{ name: 'rating_day_client_key_idx', properties: ['accountId', 'clientKey', 'day'] }],
});

/** The same rollup without the client (a row per account, local day and member): reports that name no client read it. */
export const RatingMemberDaySchema = defineEntity({
  name: 'RatingMemberDay',
  tableName: 'rating_member_day',
  properties: {
    accountId: p.uuid().primary(),
    day: p.date().primary(),
    memberId: p.uuid().primary(),
    count: p.integer(),
    sum: p.integer(),
    positive: p.integer(),
    neutral: p.integer(),
    negative: p.integer(),
  },
  indexes: [{ name: 'rating_member_day_member_idx', properties: ['memberId', 'day'] }],
});

/**
 * Rating changes not yet in the rollups: +1 for a rating, -1 for one taken back (a re-rating, a late
 * match, a delete), appended by survey_event's triggers and moved into the rollups by
 * `psa_rating_fold()` (Migration20261205000003). Reports read the rollups with these lines.
 */
export const RatingPendingSchema = defineEntity({
  name: 'RatingPending',
  tableName: 'rating_pending',
  properties: {
    // A rising number, not a random UUID: every click appends a line (Migration20261205000004).
    id: p.bigint('string').primary().autoincrement(),
    accountId: p.uuid(),
    createdAt: p.datetime(),
    memberId: p.uuid(),
    client: p.text().nullable(),
    rating: p.integer(),
    n: p.integer(),
  },
  // Reports read an account's pending lines, and the fold deletes them by account.
  indexes: [{ name: 'rating_pending_account_idx', expression: 'create index rating_pending_account_idx on rating_pending (account_id)' }],
});

/** An emailed activation (7 days) or reset (1 hour) link; only its SHA-256 is stored; used once. */
export const AuthLinkSchema = defineEntity({
  name: 'AuthLink',
  tableName: 'auth_link',
  properties: {
    id: p.uuid().primary(),
    person: () => p.manyToOne(PersonSchema).mapToPk().updateRule('no action').foreignKeyName('auth_link_person_id_fkey').deleteRule('cascade').index('auth_link_person_idx'),
    purpose: p.enum(['activation', 'reset']),
    tokenHash: p.text().unique('auth_link_token_hash_key'),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
export type AuthLinkEntity = InferEntity<typeof AuthLinkSchema>;

/** A signed-in browser: the cookie's SHA-256, idle and absolute expiry, and its CSRF token. */
export const PersonSessionSchema = defineEntity({
  name: 'PersonSession',
  tableName: 'person_session',
  properties: {
    id: p.uuid().primary(),
    person: () => p.manyToOne(PersonSchema).mapToPk().updateRule('no action').foreignKeyName('person_session_person_id_fkey').deleteRule('cascade').index('person_session_person_idx'),
    tokenHash: p.text().unique('person_session_token_hash_key'),
    csrfToken: p.text(),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
    expiresAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    endReason: p.text().nullable(),
    ip: p.text().nullable(),
    userAgent: p.text().nullable(),
  },
});
export type PersonSessionEntity = InferEntity<typeof PersonSessionSchema>;

/** Failed sign-ins per address and per email in the current window, shared by every replica. */
export const SigninThrottleSchema = defineEntity({
  name: 'SigninThrottle',
  tableName: 'signin_throttle',
  properties: {
    key: p.text().primary(),
    windowStartedAt: p.datetime(),
    failures: p.integer(),
    auditEntryId: p.bigint('string').nullable(),
  },
});

/** An event that needs a human (product.md §10), written in the transaction of its cause. */
export const NotificationSchema = defineEntity({
  name: 'Notification',
  tableName: 'notification',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    account: () => p.manyToOne(AccountSchema).mapToPk().nullable().updateRule('no action').foreignKeyName('notification_account_id_fkey').deleteRule('cascade'),
    event: p.text(),
    dedupeKey: p.text().unique('notification_dedupe_key_key'),
    payload: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    fannedOutAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'notification_pending_idx', expression: 'create index notification_pending_idx on notification (id) where fanned_out_at is null' }],
});
export type NotificationEntity = InferEntity<typeof NotificationSchema>;

/** A webhook receiver of an account; its signing secret is sealed like connector settings. */
export const WebhookEndpointSchema = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(AccountSchema).mapToPk().updateRule('no action').foreignKeyName('webhook_endpoint_account_id_fkey').deleteRule('cascade').index('webhook_endpoint_account_idx'),
    url: p.text(),
    secretSealed: p.text(),
    enabled: p.boolean().default(true),
    disabledReason: p.text().nullable(),
    disabledAt: p.datetime().nullable(),
    createdBy: p.text(),
    createdAt: p.datetime(),
  },
});
export type WebhookEndpointEntity = InferEntity<typeof WebhookEndpointSchema>;

/** One notification to one recipient (an email address or a webhook endpoint): sent once. */
export const NotificationDeliverySchema = defineEntity({
  name: 'NotificationDelivery',
  tableName: 'notification_delivery',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    notification: () => p.manyToOne(NotificationSchema).mapToPk().updateRule('no action').foreignKeyName('notification_delivery_notification_id_fkey').deleteRule('cascade'),
    channel: p.enum(['email', 'webhook']),
    target: p.text(),
    status: p.enum(['pending', 'delivered', 'dead']),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
  uniques: [{ name: 'notification_delivery_once', properties: ['notification', 'channel', 'target'] }],
  indexes: [{ name: 'notification_delivery_due_idx', expression: "create index notification_delivery_due_idx on notification_delivery (next_attempt_at) where status = 'pending'" }],
});
export type NotificationDeliveryEntity = InferEntity<typeof NotificationDeliverySchema>;

/** Every attempt to deliver, for the console and API ("every delivery logged"). */
export const DeliveryAttemptSchema = defineEntity({
  name: 'DeliveryAttempt',
  tableName: 'delivery_attempt',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    delivery: () => p.manyToOne(NotificationDeliverySchema).mapToPk().updateRule('no action').foreignKeyName('delivery_attempt_delivery_id_fkey').deleteRule('cascade'),
    at: p.datetime(),
    ok: p.boolean(),
    statusCode: p.integer().nullable(),
    error: p.text().nullable(),
    ms: p.integer(),
  },
  indexes: [{ name: 'delivery_attempt_delivery_idx', properties: ['delivery', 'id'] }],
});

/** ConnectWise callback message ids already accepted (duplicates are dropped). */
export const CallbackMessageSchema = defineEntity({
  name: 'CallbackMessage',
  tableName: 'callback_message',
  properties: {
    account: () => p.manyToOne(AccountSchema).mapToPk().primary().updateRule('no action').foreignKeyName('callback_message_account_id_fkey').deleteRule('cascade'),
    messageId: p.text().primary(),
    receivedAt: p.datetime(),
  },
});

/** A member a callback named, waiting to be re-read (coalesced per account into one run). */
export const CallbackRequestSchema = defineEntity({
  name: 'CallbackRequest',
  tableName: 'callback_request',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    account: () => p.manyToOne(AccountSchema).mapToPk().updateRule('no action').foreignKeyName('callback_request_account_id_fkey').deleteRule('cascade'),
    externalId: p.text(),
    action: p.text(),
    receivedAt: p.datetime(),
  },
  indexes: [{ name: 'callback_request_account_idx', properties: ['account', 'id'] }],
});

export const entities = [
  AccountSchema,
  MemberSchema,
  SyncRunSchema,
  MemberChangeSchema,
  ApiTokenSchema,
  SurveyEventSchema,
  AuditEntrySchema,
  MailOutboxSchema,
  PersonSchema,
  PersonScopeSchema,
  PersonClientScopeSchema,
  RatingDaySchema,
  RatingPendingSchema,
  RatingMemberDaySchema,
  AuthLinkSchema,
  PersonSessionSchema,
  SigninThrottleSchema,
  NotificationSchema,
  WebhookEndpointSchema,
  NotificationDeliverySchema,
  DeliveryAttemptSchema,
  CallbackMessageSchema,
  CallbackRequestSchema,
];
