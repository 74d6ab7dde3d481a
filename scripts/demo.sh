#!/usr/bin/env bash
# `npm run demo`: natwatch on its embedded SQLite database (DATABASE_URL, default ./data/natwatch.db) with the
# demo history at http://localhost:${PORT:-3000}: the lab's recording of the seed's kind cluster and its Service
# investigation (lab/recordings/seed) replayed to end now, or the simulated seed story until that recording is
# checked in (scripts/demo-data.ts chooses). Needs no root and no kernel. Safe to run again: migrations and demo data
# are applied once.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

npm run --silent db:migrate
node --import tsx scripts/demo-data.ts
if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ]; then
  echo "natwatch: as root on Linux, \`npm run lab -- --scenario seed\` runs the same scenario live (network namespaces, real iptables)."
fi
npx next build
echo "natwatch: http://localhost:${PORT:-3000}"
exec npx next start --port "${PORT:-3000}"
