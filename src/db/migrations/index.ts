import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001_initial } from './Migration20261122000001_initial.js';
import { Migration20261126000001_daemon } from './Migration20261126000001_daemon.js';
import { Migration20261126000002_survey } from './Migration20261126000002_survey.js';
import { Migration20261126000003_change_log_fks } from './Migration20261126000003_change_log_fks.js';
import { Migration20261126000004_roster_hash } from './Migration20261126000004_roster_hash.js';
import { Migration20261130000001_hardening } from './Migration20261130000001_hardening.js';
import { Migration20261130000002_token_lifecycle } from './Migration20261130000002_token_lifecycle.js';
import { Migration20261130000003_mail_outbox } from './Migration20261130000003_mail_outbox.js';
import { Migration20261130000004_audit } from './Migration20261130000004_audit.js';
import { Migration20261130000005_people } from './Migration20261130000005_people.js';
import { Migration20261130000006_notifications } from './Migration20261130000006_notifications.js';
import { Migration20261204000001_signin_admins } from './Migration20261204000001_signin_admins.js';
import { Migration20261204000002_autotask } from './Migration20261204000002_autotask.js';
import { Migration20261204000003_ratings } from './Migration20261204000003_ratings.js';
import { Migration20261205000001_member_profile } from './Migration20261205000001_member_profile.js';
import { Migration20261205000002_sync_scope } from './Migration20261205000002_sync_scope.js';
import { Migration20261205000003_rating_lock } from './Migration20261205000003_rating_lock.js';
import { Migration20261205000004_rating_pending_key } from './Migration20261205000004_rating_pending_key.js';

/**
 * Every migration, in order. The Migrator cannot discover files under tsx/vitest, so this list is
 * the source of truth; test/unit/migrations-list.test.ts fails when a file is missing from it.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122000001_initial', class: Migration20261122000001_initial },
  { name: 'Migration20261126000001_daemon', class: Migration20261126000001_daemon },
  { name: 'Migration20261126000002_survey', class: Migration20261126000002_survey },
  { name: 'Migration20261126000003_change_log_fks', class: Migration20261126000003_change_log_fks },
  { name: 'Migration20261126000004_roster_hash', class: Migration20261126000004_roster_hash },
  { name: 'Migration20261130000001_hardening', class: Migration20261130000001_hardening },
  { name: 'Migration20261130000002_token_lifecycle', class: Migration20261130000002_token_lifecycle },
  { name: 'Migration20261130000003_mail_outbox', class: Migration20261130000003_mail_outbox },
  { name: 'Migration20261130000004_audit', class: Migration20261130000004_audit },
  { name: 'Migration20261130000005_people', class: Migration20261130000005_people },
  { name: 'Migration20261130000006_notifications', class: Migration20261130000006_notifications },
  { name: 'Migration20261204000001_signin_admins', class: Migration20261204000001_signin_admins },
  { name: 'Migration20261204000002_autotask', class: Migration20261204000002_autotask },
  { name: 'Migration20261204000003_ratings', class: Migration20261204000003_ratings },
  { name: 'Migration20261205000001_member_profile', class: Migration20261205000001_member_profile },
  { name: 'Migration20261205000002_sync_scope', class: Migration20261205000002_sync_scope },
  { name: 'Migration20261205000003_rating_lock', class: Migration20261205000003_rating_lock },
  { name: 'Migration20261205000004_rating_pending_key', class: Migration20261205000004_rating_pending_key },
];
