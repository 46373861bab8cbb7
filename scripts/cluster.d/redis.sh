#!/usr/bin/env bash
# A local Redis Cluster for `pnpm test:cluster`: six `redis-server --cluster-enabled yes` processes
# on 127.0.0.1:7001–7006 (data under /tmp/rxq-redis-cluster), three masters with one replica each.
#   bash scripts/cluster.d/redis.sh start    start it unless every node already answers (idempotent)
#   bash scripts/cluster.d/redis.sh stop     stop the six processes (by their pid files)
#   bash scripts/cluster.d/redis.sh status   exit 0 when every node answers and says cluster_state:ok
# RXQ_REDIS_CLUSTER_DIR and RXQ_REDIS_CLUSTER_PORTS override the data directory and the ports.
# cluster-node-timeout is 2 s (15 s by default), so that a killed master's replica takes over
# within a few seconds in the failover tests.
set -euo pipefail
dir="${RXQ_REDIS_CLUSTER_DIR:-/tmp/rxq-redis-cluster}"
read -r -a ports <<<"${RXQ_REDIS_CLUSTER_PORTS:-7001 7002 7003 7004 7005 7006}"

answers() { redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
ok() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

# Every node answers and says cluster_state:ok, every master has its replica, and every replica's
# link to its master is up (so that a master killed by a test has a replica to take over).
status() {
  local p replicas=0
  for p in "${ports[@]}"; do
    answers "$p" && ok "$p" || return 1
    if redis-cli -p "$p" role 2>/dev/null | head -1 | grep -q slave; then
      redis-cli -p "$p" info replication | grep -q 'master_link_status:up' || return 1
      replicas=$((replicas + 1))
    fi
  done
  [ "$replicas" -eq $((${#ports[@]} / 2)) ]
}

# One node: started in the background (daemonize), with its own directory and pid file. A node that
# already answers is left alone (the restart after a failover test starts only the killed one).
start_node() {
  local p="$1"
  answers "$p" && return 0
  mkdir -p "$dir/$p"
  redis-server --port "$p" --bind 127.0.0.1 --daemonize yes --dir "$dir/$p" \
    --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --appendonly yes --save '' --protected-mode yes
  local i
  for i in $(seq 1 100); do answers "$p" && return 0; sleep 0.1; done
  echo "redis cluster: node $p did not start (see $dir/$p/redis.log)" >&2
  return 1
}

wait_ok() {
  local p i
  for i in $(seq 1 300); do
    status && return 0
    sleep 0.2
  done
  for p in "${ports[@]}"; do echo "node $p: $(redis-cli -p "$p" cluster info 2>/dev/null | grep cluster_state || echo down)" >&2; done
  echo "redis cluster: not cluster_state:ok within 60 s" >&2
  return 1
}

start() {
  command -v redis-server >/dev/null || { echo "redis cluster: redis-server is not installed" >&2; exit 1; }
  if status; then echo "redis cluster: running on ${ports[*]}"; return 0; fi
  local p
  for p in "${ports[@]}"; do start_node "$p"; done
  # A cluster made before (nodes.conf in place) comes back by itself; a new one is created once.
  if [ "$(redis-cli -p "${ports[0]}" cluster info | grep -o 'cluster_known_nodes:[0-9]*' | cut -d: -f2)" = 1 ]; then
    local nodes=()
    for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
      { cat "$dir/create.log" >&2; exit 1; }
  fi
  wait_ok
  echo "redis cluster: running on ${ports[*]}"
}

stop() {
  local p pid
  for p in "${ports[@]}"; do
    if [ -f "$dir/$p/redis.pid" ]; then
      pid="$(cat "$dir/$p/redis.pid")"
      redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    fi
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 50); do answers "$p" || break; sleep 0.1; done
  done
  echo "redis cluster: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status && echo "redis cluster: ok on ${ports[*]}" || { echo "redis cluster: not running" >&2; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
