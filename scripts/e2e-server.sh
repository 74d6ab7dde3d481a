#!/usr/bin/env bash
# The server the browser tests run against: a fresh SQLite database, a production build, and the seed scenario's
# history. Where the lab can run (root on Linux with network namespaces and iptables — CI is such a machine), the
# history is made now: the lab runs the seed scenario with real node agents and kube-inventory, recording their
# posts, and the recording is replayed into the tests' database. Elsewhere it is the history `npm run demo` shows
# (lab/recordings/seed). Either way the scenario's account (curl counts, step times moved to the replayed times)
# lands in data/e2e.scenario.json for the tests to read. E2E_HISTORY=recorded skips the live lab.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
port="${1:-3210}"
export DATABASE_URL="file:$(pwd)/data/e2e.db"
mkdir -p data
rm -f data/e2e.db data/e2e.db-wal data/e2e.db-shm data/e2e.scenario.json
npm run --silent db:migrate >/dev/null
npx next build >/dev/null

lab_can_run() {
  [ "$(id -u)" = 0 ] && [ "$(uname -s)" = Linux ] && command -v ip >/dev/null && command -v iptables-restore >/dev/null
}

if [ "${E2E_HISTORY:-live}" = live ] && lab_can_run; then
  rm -rf data/e2e-lab
  echo "e2e: running the lab's seed scenario for the browser tests' history" >&2
  # The lab's own app uses the build just made; its output goes to stderr so Playwright shows it on failure.
  npm run --silent lab -- --scenario seed --record data/e2e-lab >&2
  node --import tsx scripts/demo-data.ts --recording data/e2e-lab >&2
else
  node --import tsx scripts/demo-data.ts >&2
fi
exec npx next start --hostname 127.0.0.1 --port "$port"
