#!/usr/bin/env bash
# The one test command: builds, starts whatever broker is not running, runs every test.
#   pnpm test            (everything)
#   pnpm test --project redis   (arguments go to vitest)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pnpm exec tsc -b
bash scripts/brokers.sh
exec pnpm exec vitest run "$@"
