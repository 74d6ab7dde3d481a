#!/usr/bin/env bash
# The server the browser tests run against: a fresh SQLite database with the demo history, a production build.
# The demo history is chosen as for `npm run demo` (scripts/demo-data.ts): the lab's recording lab/recordings/seed when
# it is checked in, else the simulated seed story. A recording's scenario.json, times moved as the replay moved the
# history, lands in data/e2e.scenario.json for the tests to read.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
port="${1:-3210}"
export DATABASE_URL="file:$(pwd)/data/e2e.db"
mkdir -p data
rm -f data/e2e.db data/e2e.db-wal data/e2e.db-shm
npm run --silent db:migrate >/dev/null
node --import tsx scripts/demo-data.ts
npx next build >/dev/null
exec npx next start --hostname 127.0.0.1 --port "$port"
