#!/usr/bin/env bash
# The clustered-broker suite: builds, starts each cluster that is not running (through the
# scripts/*cluster* scripts), runs packages/*/test/cluster, and ends with "N passed, N failed".
#   pnpm test:cluster                          every cluster
#   pnpm test:cluster --project redis-cluster  arguments go to vitest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=node_modules/.bin
[ -x "$bin/vitest" ] || { echo "test:cluster: dependencies are not installed; run: npx -y pnpm@10.34.9 install" >&2; exit 1; }
"$bin/tsc" -b
for start in scripts/cluster.d/*.sh; do
  [ -e "$start" ] && bash "$start" start
done
report="$(mktemp -t rxq-vitest-cluster.XXXXXX.json)"
trap 'rm -f "$report"' EXIT
status=0
"$bin/vitest" run --config vitest.cluster.config.ts --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\ntests (cluster): ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (skipped > 0) { console.error("test:cluster: skipped tests count as failures here"); process.exit(1); }
  if (r.numTotalTests === 0) { console.error("test:cluster: no test ran"); process.exit(1); }
' "$report" || status=1
exit "$status"
