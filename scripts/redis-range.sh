#!/usr/bin/env bash
# Runs @rxq/redis, packed as a user installs it, against each end of its ioredis peer range (and
# any version given): for each, a scratch app outside the workspace installs the tarballs with that
# ioredis and runs packages/redis/test/range/smoke.mjs against the Redis on 127.0.0.1:6379.
#   scripts/redis-range.sh [ioredis version …]      (default: 5.0.0 and the newest 6.x)
# Needs the packages built (pnpm build) and Redis running (scripts/brokers.sh redis).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pnpm() { npx -y pnpm@10.34.9 "$@"; }

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  newest6="$(npm view 'ioredis@^6' version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')"
  versions=(5.0.0 "$newest6")
fi

work="$(mktemp -d /tmp/rxq-redis-range.XXXXXX)"
trap 'rm -rf "$work"' EXIT
(cd "$root/packages/core" && pnpm pack --pack-destination "$work" >/dev/null)
(cd "$root/packages/redis" && pnpm pack --pack-destination "$work" >/dev/null)
rxjs="$(node -p "require('$root/node_modules/rxjs/package.json').version")"

for v in "${versions[@]}"; do
  app="$work/app-$v"
  mkdir -p "$app"
  printf '{ "name": "rxq-range-app", "private": true, "type": "module" }\n' >"$app/package.json"
  cp "$root/packages/redis/test/range/smoke.mjs" "$app/"
  echo "== ioredis $v"
  (cd "$app" && npm install --silent --no-audit --no-fund "$work"/rxq-core-*.tgz "$work"/rxq-redis-*.tgz "ioredis@$v" "rxjs@$rxjs" >/dev/null)
  (cd "$app" && node smoke.mjs)
  # The app's own client and a typed codec, compiled under strict TypeScript against this ioredis.
  cp "$root/packages/redis/test/range/types.ts" "$app/"
  printf '{ "compilerOptions": { "strict": true, "exactOptionalPropertyTypes": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "noEmit": true, "skipLibCheck": true, "types": ["node"], "typeRoots": ["%s/node_modules/@types"] }, "files": ["types.ts"] }\n' "$root" >"$app/tsconfig.json"
  (cd "$app" && node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json && echo "ok  compiles under strict TypeScript with ioredis $v's types")
done
