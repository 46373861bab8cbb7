#!/usr/bin/env bash
# pnpm lint: eslint, prettier, the packages' metadata, the type check of sources and tests, and
# import cycles. eslint and the type check are most of the time and each uses one core, so they
# run side by side; every check runs, and the script fails if any did.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=node_modules/.bin
status=0
"$bin/eslint" . &
eslint=$!
bash scripts/typecheck.sh &
types=$!
wait "$eslint" || { echo "lint: eslint failed" >&2; status=1; }
wait "$types" || { echo "lint: the type check failed" >&2; status=1; }
"$bin/prettier" --check . || status=1
node scripts/release/package-meta.mjs --check || status=1
"$bin/dpdm" --no-warning --no-tree --no-progress --exit-code circular:1 'packages/*/src/**/*.ts' || status=1
exit "$status"
