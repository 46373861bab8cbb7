#!/usr/bin/env bash
# Type-checks every package's sources and tests (tests carry @ts-expect-error and expectTypeOf
# type tests: a wrong type fails here). Run after `pnpm build`; part of `pnpm lint`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
for config in packages/*/tsconfig.json; do
  node_modules/.bin/tsc -p "$config" --noEmit || status=1
done
exit "$status"
