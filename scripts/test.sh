#!/usr/bin/env bash
# natwatch's whole test suite: lint, typecheck, unit and integration tests (SQLite and PostgreSQL, real
# netfilter in network namespaces), then the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

bash scripts/ensure-system.sh
npm run --silent lint
npm run --silent typecheck
npx vitest run
npx playwright test
