#!/usr/bin/env bash
# Runs the tests that touch days, digests, schedules and expiry with the whole machine's clock moved
# (libfaketime): just before midnight, just after midnight and at noon (UTC, the test accounts' zone;
# tests with other zones pin their own instants). A test that passes only at some hours fails here
# whatever the hour CI runs at. The embedded PostgreSQL and every child process share the moved clock.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
  echo "faketime is not installed (apt-get install faketime)" >&2
  exit 1
fi

# Tests that read days, hours, expiry or schedules (keep this list in step when adding such a test).
files=(
  test/unit/schedule.test.ts
  test/integration/scheduler.test.ts
  test/integration/notifications.test.ts
  test/integration/notify-crash.test.ts
  test/integration/people.test.ts
  test/integration/signin-links.test.ts
  test/integration/signin-limits.test.ts
  test/integration/reports-console.test.ts
  test/integration/tokens.test.ts
  test/integration/held-runs.test.ts
  test/integration/run-claims.test.ts
  test/integration/survey.test.ts
  test/integration/console.test.ts
  test/integration/console-pages-ux.test.ts
  test/integration/prune.test.ts
  test/integration/ratings.test.ts
  test/integration/ratings-import.test.ts
  test/integration/rating-rollup.test.ts
  test/integration/rating-rollup-race.test.ts
  test/integration/dashboard-api.test.ts
  test/integration/console-reports-ux.test.ts
)

today=$(date -u +%F)
tomorrow=$(date -u -d "$today + 1 day" +%F)
status=0
for at in "$today 23:59:30" "$tomorrow 00:00:30" "$tomorrow 12:00:00"; do
  # A relative offset, so processes started later (replicas, PostgreSQL) agree with this one.
  offset=$(( $(date -u -d "$at" +%s) - $(date -u +%s) ))
  echo "== tests with the clock at $at UTC (offset ${offset}s)"
  # No TEST_DATABASE_URL and no Docker: the tests start an embedded PostgreSQL, which runs under
  # the moved clock too (a machine's or a container's server would keep the real time).
  env -u TEST_DATABASE_URL TEST_NO_DOCKER=1 \
    faketime -f "$( [ "$offset" -ge 0 ] && echo + )${offset}s" npx vitest run "${files[@]}" || status=1
done
exit $status
