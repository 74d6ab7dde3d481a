#!/usr/bin/env bash
# `npm run demo`: natwatch on its embedded SQLite database (DATABASE_URL, default ./data/natwatch.db) with the
# demo history — the seed's kind cluster and its Service investigation over the last hour — at
# http://localhost:${PORT:-3000}. Safe to run again: migrations and demo data are applied once.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

npm run --silent db:migrate
node --import tsx scripts/demo-data.ts
npx next build
echo "natwatch: http://localhost:${PORT:-3000}"
exec npx next start --port "${PORT:-3000}"
