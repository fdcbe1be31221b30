#!/usr/bin/env bash
# The whole suite: lint, then pytest on SQLite, then on PostgreSQL when
# HERLENS_TEST_DATABASE_URL is set. HERLENS_REQUIRE_POSTGRES=1 and
# HERLENS_REQUIRE_BROWSER=1 turn a missing PostgreSQL or Chromium into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
notes=()

echo "== ruff check"
.venv/bin/ruff check . || exit 1

echo "== pytest on SQLite"
env -u DATABASE_URL "$PY" -m pytest "$@"
status=$?
if [ $status -ne 0 ]; then exit $status; fi

pg_url="${HERLENS_TEST_DATABASE_URL:-}"
if [ -n "$pg_url" ]; then
  if ! "$PY" - "$pg_url" <<'PYEOF'
import sys, psycopg
url = sys.argv[1].replace("postgres://", "postgresql://", 1)
try:
    psycopg.connect(url, connect_timeout=5).close()
except Exception as error:
    print(f"PostgreSQL at {sys.argv[1]} is not reachable: {error}", file=sys.stderr)
    sys.exit(1)
PYEOF
  then
    if [ "${HERLENS_REQUIRE_POSTGRES:-0}" = "1" ]; then
      echo "FAILED: HERLENS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable." >&2
      exit 1
    fi
    notes+=("PostgreSQL NOT TESTED: $pg_url is not reachable")
  else
    echo "== pytest on PostgreSQL ($pg_url)"
    DATABASE_URL="$pg_url" "$PY" -m pytest "$@"
    status=$?
    if [ $status -ne 0 ]; then exit $status; fi
  fi
else
  if [ "${HERLENS_REQUIRE_POSTGRES:-0}" = "1" ]; then
    echo "FAILED: HERLENS_REQUIRE_POSTGRES=1 but HERLENS_TEST_DATABASE_URL is not set." >&2
    exit 1
  fi
  notes+=("PostgreSQL NOT TESTED: set HERLENS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")
fi

if [ ${#notes[@]} -gt 0 ]; then
  echo
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  for note in "${notes[@]}"; do echo "!! $note"; done
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
fi
exit 0
