#!/usr/bin/env bash
# Starts the brokers rxq's integration tests need, each only when it is not already answering.
#   scripts/brokers.sh [redis] [rabbitmq] [kafka] [postgres] [nats] [sqs]     (no argument: all of them)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds name
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  echo "brokers: $3 did not answer on 127.0.0.1:$1 within $2 s" >&2
  return 1
}

redis() {
  if port_open 6379; then echo "redis: already running"; return; fi
  command -v redis-server >/dev/null || { echo "redis: redis-server not found: install Redis 6.2+ (apt-get install -y redis-server)" >&2; exit 1; }
  mkdir -p /tmp/rxq-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/rxq-redis --logfile /tmp/rxq-redis/redis.log
  wait_port 6379 30 redis
  echo "redis: started on 127.0.0.1:6379"
}

rabbitmq() {
  if port_open 5672; then echo "rabbitmq: already running"; return; fi
  command -v rabbitmq-server >/dev/null || { echo "rabbitmq: rabbitmq-server not found: install RabbitMQ 3.12+ (apt-get install -y rabbitmq-server)" >&2; exit 1; }
  rabbitmq-server -detached
  rabbitmqctl await_startup --timeout 120 >/dev/null
  wait_port 5672 60 rabbitmq
  echo "rabbitmq: started on 127.0.0.1:5672"
}

kafka() {
  "$here/kafka.sh" start
}

# PostgreSQL 15+ (Debian's cluster layout) on 127.0.0.1:5432 with trust auth on loopback and a
# database `test`, as the postgres tests expect.
postgres() {
  if ! port_open 5432; then
    local version installed=0
    if ! command -v pg_ctlcluster >/dev/null; then
      [ "$(id -u)" = 0 ] || { echo "postgres: pg_ctlcluster not found: install PostgreSQL 15+ (apt-get install -y postgresql)" >&2; exit 1; }
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      installed=1
    fi
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    if [ "$installed" = 1 ]; then
      # The cluster this script just installed: trust on loopback, as the tests expect.
      sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+$/\1trust/; s/^(local\s+all\s+all\s+)\S+$/\1trust/' \
        "/etc/postgresql/$version/main/pg_hba.conf"
    fi
    # A fresh install may have started the cluster already: then it only rereads pg_hba.conf.
    if port_open 5432; then pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    else pg_ctlcluster --skip-systemctl-redirect "$version" main start; fi
    wait_port 5432 30 postgres
    echo "postgres: started PostgreSQL $version on 127.0.0.1:5432"
  else
    echo "postgres: already running"
  fi
  if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -tAc 'CREATE DATABASE test' >/dev/null 2>&1 ||
      su postgres -c "psql -d postgres -tAc 'CREATE DATABASE test'" >/dev/null
  fi
}

# NATS with JetStream (@rxq/nats). Its tests also start private servers of their own on other ports
# (restart, credentials), so nats-server must be on the PATH even where one already runs.
nats() {
  if ! command -v nats-server >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get install -y nats-server >/dev/null || { apt-get update >/dev/null && apt-get install -y nats-server >/dev/null; }
    else
      echo "nats: nats-server not found: install nats-server 2.9+ (apt-get install -y nats-server)" >&2
      exit 1
    fi
  fi
  local port="${RXQ_NATS_PORT:-4222}" dir="${RXQ_NATS_DIR:-/tmp/rxq-nats}"
  if port_open "$port"; then echo "nats: already running"; return; fi
  mkdir -p "$dir"
  setsid nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir" -l "$dir/nats.log" </dev/null >/dev/null 2>&1 &
  wait_port "$port" 30 nats
  echo "nats: started on 127.0.0.1:$port"
}

# SQS (@rxq/sqs): ElasticMQ, an SQS-compatible server, from Maven Central jars.
sqs() {
  "$here/elasticmq.sh" start
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(redis rabbitmq kafka postgres nats sqs)
for t in "${targets[@]}"; do
  case "$t" in
    redis | rabbitmq | kafka | postgres | nats | sqs) "$t" ;;
    *) echo "usage: $0 [redis] [rabbitmq] [kafka] [postgres] [nats] [sqs]" >&2; exit 2 ;;
  esac
done
