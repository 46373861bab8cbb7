#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, for rxq's clustered-broker tests and benchmarks:
# nodes rxq1@localhost, rxq2@localhost, rxq3@localhost on 127.0.0.1:5681-5683 (distribution ports
# 25681-25683), each with its own data and log directories under $RXQ_RABBITMQ_CLUSTER_HOME,
# management plugin off, the Erlang cookie of the machine's RabbitMQ (so `rabbitmqctl -n rxq1@localhost`
# works as for the node on 5672, which this script never touches).
#
#   scripts/cluster.d/rabbitmq.sh start           start the nodes that are down, join them, wait
#   scripts/cluster.d/rabbitmq.sh stop            stop the three nodes (their data is kept)
#   scripts/cluster.d/rabbitmq.sh status          exit 0 iff all three nodes run and form one cluster
#   scripts/cluster.d/rabbitmq.sh reset           stop and delete the nodes' data
#   scripts/cluster.d/rabbitmq.sh start-node N    start node N (1-3) again (its app too, if stopped)
#   scripts/cluster.d/rabbitmq.sh stop-app N      rabbitmqctl stop_app on node N (the node stays up)
#   scripts/cluster.d/rabbitmq.sh kill N          SIGKILL node N's Erlang VM
#   scripts/cluster.d/rabbitmq.sh ctl N ARGS...   rabbitmqctl -n rxqN@localhost ARGS...
#   scripts/cluster.d/rabbitmq.sh queues N ARGS...  rabbitmq-queues -n rxqN@localhost ARGS...
#
# Environment: RXQ_RABBITMQ_CLUSTER_HOME (default /tmp/rxq-rabbitmq-cluster),
# RXQ_RABBITMQ_COOKIE (default /var/lib/rabbitmq/.erlang.cookie), RXQ_RABBITMQ_WAIT_SECS (default 120).
set -euo pipefail

RHOME="${RXQ_RABBITMQ_CLUSTER_HOME:-/tmp/rxq-rabbitmq-cluster}"
COOKIE_SRC="${RXQ_RABBITMQ_COOKIE:-/var/lib/rabbitmq/.erlang.cookie}"
WAIT_SECS="${RXQ_RABBITMQ_WAIT_SECS:-120}"
BIN=/usr/lib/rabbitmq/bin
NODES=(1 2 3)

die() { echo "rabbitmq-cluster: $*" >&2; exit 1; }
nodename() { echo "rxq$1@localhost"; }
port() { echo $((5680 + $1)); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# rabbitmqctl and friends as this user, with the cookie copied into the cluster's own HOME
cli() { # cli TOOL N ARGS...
  local tool="$1" n="$2"; shift 2
  HOME="$RHOME/home" RABBITMQ_CONF_ENV_FILE="$RHOME/rabbitmq-env.conf" ERL_EPMD_ADDRESS=127.0.0.1 \
    "$BIN/$tool" -n "$(nodename "$n")" "$@"
}
ctl() { cli rabbitmqctl "$@"; }
# a command whose chatter (the CLI's log lines) is shown only when it fails
quiet() { local out; out="$("$@" 2>&1)" || { echo "$out" >&2; die "failed: $*"; }; }

prepare() {
  [[ -x "$BIN/rabbitmq-server" ]] || die "rabbitmq-server not found in $BIN: install RabbitMQ 3.10+ (apt-get install -y rabbitmq-server)"
  [[ -r "$COOKIE_SRC" ]] || die "no Erlang cookie at $COOKIE_SRC (start the machine's RabbitMQ once: scripts/brokers.sh rabbitmq)"
  mkdir -p "$RHOME/home"
  if ! cmp -s "$COOKIE_SRC" "$RHOME/home/.erlang.cookie" 2>/dev/null; then
    rm -f "$RHOME/home/.erlang.cookie"
    cp "$COOKIE_SRC" "$RHOME/home/.erlang.cookie"
    chmod 400 "$RHOME/home/.erlang.cookie"
  fi
  # Our own env file: the machine's /etc/rabbitmq/rabbitmq-env.conf names the node on 5672.
  : >"$RHOME/rabbitmq-env.conf"
  echo '[].' >"$RHOME/enabled_plugins"
  local n
  for n in "${NODES[@]}"; do
    mkdir -p "$RHOME/rxq$n/mnesia" "$RHOME/rxq$n/log"
    cat >"$RHOME/rxq$n/rabbitmq.conf" <<EOF
listeners.tcp.local = 127.0.0.1:$(port "$n")
loopback_users = none
# a small shared machine: no disk alarm from a nearly full /tmp in CI, modest memory
disk_free_limit.absolute = 10MB
vm_memory_high_watermark.absolute = 1GB
cluster_partition_handling = pause_minority
EOF
  done
}

# pid of node N's Erlang VM (the pid file the node writes), else of the wrapper that starts it
node_pid() {
  local f pid
  for f in "$RHOME/rxq$1/rabbitmq.pid" "$RHOME/rxq$1/pid"; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
      && tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "RABBITMQ_NODENAME=rxq$1@localhost" \
      && { echo "$pid"; return 0; }
  done
  return 1
}

launch() { # launch N: start node N's VM in the background (returns at once)
  local n="$1" dir="$RHOME/rxq$1"
  node_pid "$n" >/dev/null && return 0
  rm -f "$dir/pid" "$dir/rabbitmq.pid"
  # setsid + nohup: the node outlives this script and its CI step. The inner bash writes its pid,
  # then execs rabbitmq-server, whose own exec chain ends in beam.smp under the same pid.
  # shellcheck disable=SC2016 # expanded by the inner bash
  HOME="$RHOME/home" \
    RABBITMQ_NODENAME="$(nodename "$n")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$(port "$n")" \
    RABBITMQ_DIST_PORT=$((25680 + n)) RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$RHOME/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RHOME/enabled_plugins" RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" ERL_EPMD_ADDRESS=127.0.0.1 \
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/pid" "$BIN/rabbitmq-server" \
    >"$dir/log/stdout.log" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 50); do [[ -s "$dir/pid" ]] && break; sleep 0.1; done
}

await_node() { # await_node N: the node's broker runs and its AMQP port answers
  local n="$1" deadline=$((SECONDS + WAIT_SECS))
  until ctl "$n" await_startup --timeout 10 >/dev/null 2>&1 && port_open "$(port "$n")"; do
    if ! node_pid "$n" >/dev/null; then
      echo "rabbitmq-cluster: node $(nodename "$n") exited; tail of its log:" >&2
      tail -n 20 "$RHOME/rxq$n/log/stdout.log" >&2
      exit 1
    fi
    ((SECONDS < deadline)) || die "node $(nodename "$n") did not start within ${WAIT_SECS}s (logs: $RHOME/rxq$n/log)"
    sleep 0.5
  done
}

members() { # the running nodes of the cluster, as node 1 (or N) sees it
  ctl "${1:-1}" cluster_status --formatter json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log((JSON.parse(s).running_nodes||[]).sort().join(" "))}catch{}})'
}

joined() { ctl "$1" cluster_status --formatter json 2>/dev/null | grep -q '"rxq1@localhost"'; }

cmd_start() {
  prepare
  local n
  for n in "${NODES[@]}"; do launch "$n"; done
  for n in "${NODES[@]}"; do await_node "$n"; done
  for n in 2 3; do
    # a node that never joined (fresh data) joins node 1; one that was a member rejoins by itself
    if ! ctl "$n" cluster_status --formatter json 2>/dev/null | grep -q '"disk_nodes":\[[^]]*rxq1@localhost'; then
      quiet ctl "$n" stop_app
      quiet ctl "$n" reset
      quiet ctl "$n" join_cluster "$(nodename 1)"
    fi
    ctl "$n" start_app >/dev/null 2>&1 || true
    await_node "$n"
  done
  local want="rxq1@localhost rxq2@localhost rxq3@localhost" deadline=$((SECONDS + WAIT_SECS))
  until [[ "$(members 1)" == "$want" ]]; do
    ((SECONDS < deadline)) || die "the nodes did not form one cluster within ${WAIT_SECS}s (running: $(members 1))"
    sleep 0.5
  done
  echo "rabbitmq-cluster: running ($want on 127.0.0.1:5681-5683)"
}

stop_node() {
  local n="$1" pid
  pid="$(node_pid "$n")" || return 0
  ctl "$n" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RHOME/rxq$n/pid" "$RHOME/rxq$n/rabbitmq.pid"
}

cmd_stop() {
  local n
  # the last one out (node 1) stops last, so it is the first to start again without waiting for peers
  for n in 3 2 1; do stop_node "$n"; done
  echo "rabbitmq-cluster: stopped"
}

cmd_status() {
  local n down=()
  for n in "${NODES[@]}"; do port_open "$(port "$n")" || down+=("$(nodename "$n")"); done
  if ((${#down[@]} > 0)); then echo "rabbitmq-cluster: not running (${down[*]} down)"; return 1; fi
  local running; running="$(members 1)"
  if [[ "$running" != "rxq1@localhost rxq2@localhost rxq3@localhost" ]]; then
    echo "rabbitmq-cluster: the nodes answer but do not form one cluster (running: $running)"; return 1
  fi
  echo "rabbitmq-cluster: running (rxq1..3@localhost on 127.0.0.1:5681-5683)"
}

check_n() { [[ "${1:-}" =~ ^[123]$ ]] || die "a node number 1, 2 or 3 expected, got '${1:-}'"; }

lock() {
  mkdir -p "$RHOME"
  exec 9>"$RHOME/cluster.lock"
  flock -w 300 9 || die "another rabbitmq.sh holds $RHOME/cluster.lock"
}

sub="${1:-}"; [[ $# -gt 0 ]] && shift
case "$sub" in
  start | stop | reset | start-node) lock ;;
esac
case "$sub" in
  start) if cmd_status >/dev/null 2>&1; then echo "rabbitmq-cluster: already running"; else cmd_start; fi ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_stop; rm -rf "$RHOME"; echo "rabbitmq-cluster: data deleted ($RHOME)" ;;
  start-node)
    check_n "${1:-}"; prepare
    if node_pid "$1" >/dev/null; then ctl "$1" start_app >/dev/null; else launch "$1"; fi
    await_node "$1" ;;
  stop-app) check_n "${1:-}"; ctl "$1" stop_app >/dev/null ;;
  kill) check_n "${1:-}"; pid="$(node_pid "$1")" || die "node $(nodename "$1") is not running"; kill -KILL "$pid" ;;
  ctl) check_n "${1:-}"; n="$1"; shift; ctl "$n" "$@" ;;
  queues) check_n "${1:-}"; n="$1"; shift; cli rabbitmq-queues "$n" "$@" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
