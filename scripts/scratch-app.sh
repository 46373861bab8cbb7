#!/usr/bin/env bash
# Tries rxq as a user would, outside the workspace: a scratch app installs the packed tarballs
# (scripts/release/pack.sh makes them in .pack/) with its own ioredis — the newest 6.x, not the
# 5.x rxq develops against — its own amqplib and kafkajs, and zod; compiles scripts/scratch-app/app.ts
# under strict TypeScript; and runs it against the brokers on loopback, with a private SASL Kafka
# broker for the wrong-password case (the shared one has no SASL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ls "$root"/.pack/rxq-core-*.tgz >/dev/null 2>&1 || { echo "scratch-app: run scripts/release/pack.sh first" >&2; exit 1; }
app="$(mktemp -d /tmp/rxq-scratch-app.XXXXXX)"
kafka_env=(RXQ_KAFKA_HOME="$app/kafka" RXQ_KAFKA_LIBS="${RXQ_KAFKA_HOME:-$HOME/.cache/rxq-kafka}/libs"
  RXQ_KAFKA_PORT=29292 RXQ_KAFKA_CONTROLLER_PORT=29293 RXQ_KAFKA_SASL_PORT=29294 RXQ_KAFKA_HEAP_OPTS="-Xmx384m -Xms128m")
cleanup() { env "${kafka_env[@]}" bash "$root/scripts/kafka.sh" reset >/dev/null 2>&1 || true; rm -rf "$app"; }
trap cleanup EXIT

env "${kafka_env[@]}" bash "$root/scripts/kafka.sh" start >/dev/null &
kafka_pid=$!

v() { node -p "require('$root/$1/package.json').version"; }
ioredis6="$(npm view 'ioredis@^6' version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')"
cp "$root/scripts/scratch-app/app.ts" "$app/"
cd "$app"
printf '{ "name": "rxq-scratch-app", "private": true, "type": "module" }\n' >package.json
npm install --silent --no-audit --no-fund "$root"/.pack/rxq-{core,redis,amqp,kafka}-*.tgz \
  "ioredis@$ioredis6" "amqplib@$(v packages/amqp/node_modules/amqplib)" "kafkajs@$(v packages/kafka/node_modules/kafkajs)" \
  "rxjs@$(v node_modules/rxjs)" "zod@$(v packages/core/node_modules/zod)" \
  "typescript@$(v node_modules/typescript)" "@types/node@$(v node_modules/@types/node)"
echo "scratch app: @rxq/* from tarballs, ioredis $ioredis6 (rxq develops against $(v packages/redis/node_modules/ioredis))"
cat >tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "exactOptionalPropertyTypes": true, "noUncheckedIndexedAccess": true,
  "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "outDir": "out", "types": ["node"] },
  "files": ["app.ts"] }
JSON
node_modules/.bin/tsc -p tsconfig.json
echo "ok  compiles under strict TypeScript"
wait "$kafka_pid"
SCRATCH_KAFKA_SASL=127.0.0.1:29294 node out/app.js
