#!/usr/bin/env bash
# The one test command: builds, starts whatever broker is not running, runs every test, and ends
# with a plain "N passed, N failed" line.
#   pnpm test                    everything
#   pnpm test --project redis    arguments go to vitest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=node_modules/.bin
[ -x "$bin/vitest" ] || { echo "test: dependencies are not installed; run: npx -y pnpm@10.34.9 install" >&2; exit 1; }
"$bin/tsc" -b
bash scripts/brokers.sh
report="$(mktemp -t rxq-vitest.XXXXXX.json)"
trap 'rm -f "$report"' EXIT
status=0
"$bin/vitest" run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (skipped > 0) { console.error("test: skipped tests count as failures here"); process.exit(1); }
  if (r.numTotalTests === 0) { console.error("test: no test ran"); process.exit(1); }
' "$report" || status=1
exit "$status"
