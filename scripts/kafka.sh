#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft combined mode, loopback only)
# for rxq's integration tests and benchmarks. No Docker: the official jars
# come from Maven Central (scripts/kafka/pom.xml) into a cache outside git.
#
#   scripts/kafka.sh fetch                 download the jars (once; fast no-op after)
#   scripts/kafka.sh start                 fetch + format storage (once) + start + wait
#   scripts/kafka.sh stop                  stop the broker this script started
#   scripts/kafka.sh restart
#   scripts/kafka.sh status                exit 0 iff a Kafka broker answers on the port
#   scripts/kafka.sh wait [SECS]           wait until the broker answers (default 90 s)
#   scripts/kafka.sh topics ARGS...        org.apache.kafka.tools.TopicCommand (bootstrap added)
#   scripts/kafka.sh perf-produce TOPIC N [SIZE] [ARGS...]   ProducerPerformance
#   scripts/kafka.sh perf-consume TOPIC N [ARGS...]          ConsumerPerformance
#   scripts/kafka.sh run CLASS ARGS...     any main class with the Kafka classpath
#   scripts/kafka.sh java SRC.java ARGS... compile SRC.java (javac, against the Kafka jars; once per
#                                          change) and run its class (tests' own Java producers)
#   scripts/kafka.sh logs [N]              tail of the broker log
#   scripts/kafka.sh reset                 stop and delete all broker data
#   scripts/kafka.sh cluster SUB [N]       a three-broker KRaft cluster beside the single broker
#                                          (each node broker and controller, replication factor 3,
#                                          min.insync.replicas 2): SUB is start, stop, status, reset,
#                                          kill N (SIGKILL), stop-node N, start-node N, ports,
#                                          topics ARGS..., logs N [LINES]
#
# Environment:
#   RXQ_KAFKA_HOME        cache dir (default ~/.cache/rxq-kafka): libs/ data/ config/ kafka.log kafka.pid
#   RXQ_KAFKA_PORT        client port (default 9092); RXQ_KAFKA_CONTROLLER_PORT (default 9093)
#   RXQ_KAFKA_LIBS        where the jars are (default $RXQ_KAFKA_HOME/libs): a second broker can share them
#   RXQ_KAFKA_SASL_PORT   also listen with SASL/PLAIN (SASL_PLAINTEXT) on this port, for tests;
#                         its one user is rxq / rxq-test-secret (a test broker's fixed credentials)
#   RXQ_KAFKA_HEAP_OPTS   broker heap (default "-Xmx512m -Xms256m")
#   RXQ_KAFKA_WAIT_SECS   start/wait timeout (default 90)
#   RXQ_KAFKA_CLUSTER_HOME  the cluster's data (default /tmp/rxq-kafka-cluster): node1/ node2/ node3/
#   RXQ_KAFKA_CLUSTER_PORT  the first broker's port (default 9192): brokers on it and the next two,
#                         controllers on the three after them (9192-9194, 9195-9197)
#   RXQ_KAFKA_CLUSTER_HEAP_OPTS  heap of each cluster broker (default "-Xmx384m -Xms128m")
#   (`cluster` sets these for each of its nodes: RXQ_KAFKA_NODE_ID, RXQ_KAFKA_VOTERS,
#   RXQ_KAFKA_CLUSTER_ID, RXQ_KAFKA_REPLICATION)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
TEMPLATE="$SCRIPT_DIR/kafka/server.properties.template"

KHOME="${RXQ_KAFKA_HOME:-$HOME/.cache/rxq-kafka}"
LIBS="${RXQ_KAFKA_LIBS:-$KHOME/libs}"
DATA="$KHOME/data"
CONF="$KHOME/config"
LOG="$KHOME/kafka.log"
PIDFILE="$KHOME/kafka.pid"
HOST=127.0.0.1
PORT="${RXQ_KAFKA_PORT:-9092}"
CPORT="${RXQ_KAFKA_CONTROLLER_PORT:-9093}"
BOOTSTRAP="$HOST:$PORT"
HEAP_OPTS="${RXQ_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
WAIT_SECS="${RXQ_KAFKA_WAIT_SECS:-90}"
NODE_ID="${RXQ_KAFKA_NODE_ID:-1}"
VOTERS="${RXQ_KAFKA_VOTERS:-}"
REPLICATION="${RXQ_KAFKA_REPLICATION:-1}"

die() { echo "kafka: $*" >&2; exit 1; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; return; fi
  command -v java >/dev/null 2>&1 || die "java not found: install Java 17+ (e.g. apt-get install -y openjdk-17-jre-headless)"
  echo java
}

need_java() {
  JAVA="$(java_bin)"
  local v major
  v="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"; [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 11 ]] || die "java '$v' is too old: install Java 17+ (e.g. apt-get install -y openjdk-17-jre-headless)"
}

need_mvn() {
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3.6+ (e.g. apt-get install -y maven) to fetch the Kafka jars"
}

pom_stamp() { sha256sum "$POM" | cut -d' ' -f1; }

fetched() { [[ -f "$LIBS/.rxq-fetched" && "$(cat "$LIBS/.rxq-fetched")" == "$(pom_stamp)" ]]; }

cmd_fetch() {
  fetched && return 0
  need_mvn
  mkdir -p "$KHOME"
  local tmp="$KHOME/libs.tmp.$$" mlog="$KHOME/fetch.log"
  rm -rf "$tmp"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mlog" 2>&1; then
    rm -rf "$tmp"
    echo "kafka: fetching the Kafka jars from Maven Central failed; tail of $mlog:" >&2
    tail -n 30 "$mlog" >&2
    exit 1
  fi
  ls "$tmp"/kafka_2.13-*.jar "$tmp"/kafka-tools-*.jar >/dev/null 2>&1 || die "fetch finished but kafka jars are missing in $tmp"
  pom_stamp >"$tmp/.rxq-fetched"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
}

write_configs() {
  mkdir -p "$CONF" "$DATA"
  sed -e "s|@HOST@|$HOST|g" -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" \
      -e "s|@LOG_DIRS@|$DATA/kraft-combined-logs|g" "$TEMPLATE" >"$CONF/server.properties"
  if [[ -n "$VOTERS" ]]; then
    # one node of a cluster (see `cluster`): later keys win
    cat >>"$CONF/server.properties" <<EOF
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
offsets.topic.replication.factor=$REPLICATION
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$(( REPLICATION > 1 ? 2 : 1 ))
default.replication.factor=$REPLICATION
min.insync.replicas=$(( REPLICATION > 1 ? 2 : 1 ))
EOF
  fi
  if [[ -n "${RXQ_KAFKA_SASL_PORT:-}" ]]; then
    # later keys win: a SASL_PLAINTEXT listener beside the PLAINTEXT one (which this script's own
    # checks and the inter-broker traffic keep using)
    cat >>"$CONF/server.properties" <<EOF
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CPORT,SASL_PLAINTEXT://$HOST:$RXQ_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,SASL_PLAINTEXT://$HOST:$RXQ_KAFKA_SASL_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_rxq="rxq-test-secret";
EOF
  fi
  # broker: INFO to stdout (= kafka.log), the chatty request/state-change loggers at WARN
  cat >"$CONF/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
EOF
  # tools: only warnings, on stderr, so tool output stays clean
  cat >"$CONF/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

format_storage() {
  [[ -f "$DATA/kraft-combined-logs/meta.properties" ]] && return 0
  local id flog="$KHOME/format.log"
  if [[ -n "${RXQ_KAFKA_CLUSTER_ID:-}" ]]; then id="$RXQ_KAFKA_CLUSTER_ID"
  elif [[ -s "$KHOME/cluster.id" ]]; then id="$(cat "$KHOME/cluster.id")"; else
    id="$("$JAVA" -Dlog4j.configuration="file:$CONF/tools-log4j.properties" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ -n "$id" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    echo "$id" >"$KHOME/cluster.id"
  fi
  "$JAVA" -Dlog4j.configuration="file:$CONF/tools-log4j.properties" -cp "$LIBS/*" \
    kafka.tools.StorageTool format -t "$id" -c "$CONF/server.properties" >"$flog" 2>&1 \
    || { cat "$flog" >&2; die "formatting $DATA failed"; }
}

# A real Kafka round trip in bash: ApiVersions v0 request (api key 18,
# correlation id 1, client id "rxqs"); a broker replies with correlation id 1
# and error code 0. Takes milliseconds, unlike a JVM tool.
answers() {
  local out
  # shellcheck disable=SC2016 # expanded by the inner bash
  out="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x01\x00\x04rxqs" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"' "$HOST" "$PORT" 2>/dev/null)" || return 1
  # bytes 0-3: response size; 4-7: correlation id 1; 8-9: error code 0
  [[ "${out:8}" == "000000010000" ]]
}

# pid of the broker this script started, if that process is still a Kafka broker
live_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' \
    && { echo "$pid"; return 0; }
  return 1
}

tool() { # tool HEAP CLASS ARGS...
  local heap="$1" cls="$2"; shift 2
  need_java; fetched || die "jars not fetched yet: run scripts/kafka.sh fetch"
  [[ -f "$CONF/tools-log4j.properties" ]] || write_configs
  local -a heap_opts; read -r -a heap_opts <<<"$heap"
  "$JAVA" "${heap_opts[@]}" -Djava.awt.headless=true -Dlog4j.configuration="file:$CONF/tools-log4j.properties" \
    -cp "$LIBS/*" "$cls" "$@"
}

log_report() { # what went wrong, from the broker log
  echo "kafka: $1 (log: $LOG)" >&2
  [[ -f "$LOG" ]] || return 0
  if grep -qE '\] (ERROR|FATAL) ' "$LOG"; then
    echo "--- first errors in the log:" >&2
    grep -E -A1 '\] (ERROR|FATAL) ' "$LOG" | head -n 12 | cut -c1-400 >&2
  fi
  echo "--- last lines of the log:" >&2
  tail -n 15 "$LOG" | cut -c1-400 >&2
}

cmd_wait() {
  local secs="${1:-$WAIT_SECS}" deadline pid
  deadline=$(( SECONDS + secs ))
  until answers; do
    if [[ -f "$PIDFILE" ]] && ! live_pid >/dev/null; then
      log_report "the broker process exited before answering on $BOOTSTRAP"; exit 1
    fi
    if (( SECONDS >= deadline )); then
      log_report "no broker answered on $BOOTSTRAP within ${secs}s"; exit 1
    fi
    sleep 0.5
  done
  # a cluster node started again: its listener answering is enough (the callers wait for its
  # replicas to catch up); a JVM tool per check would double the restart on a busy machine
  [[ -n "${RXQ_KAFKA_WAIT_LISTENER_ONLY:-}" ]] && return 0
  # the listener is up; one admin call proves metadata requests are served
  local left=$(( deadline - SECONDS )); (( left < 20 )) && left=20
  if ! timeout "$left" "$BASH" "$0" topics --list >/dev/null 2>"$KHOME/wait.err"; then
    echo "kafka: $BOOTSTRAP answers but TopicCommand --list failed:" >&2
    tail -n 20 "$KHOME/wait.err" >&2; log_report "TopicCommand --list failed"; exit 1
  fi
}

cmd_start() {
  if answers; then echo "kafka: already running"; return 0; fi
  need_java
  local pid
  if pid="$(live_pid)"; then # started but not answering yet
    cmd_wait; echo "kafka: started on $BOOTSTRAP (pid $pid)"; return 0
  fi
  cmd_launch
  cmd_wait
  echo "kafka: started on $BOOTSTRAP (pid $(cat "$PIDFILE"))"
}

# starts the broker process and returns at once (a cluster's first node cannot answer alone)
cmd_launch() {
  need_java
  if answers || live_pid >/dev/null; then return 0; fi
  cmd_fetch
  write_configs
  format_storage
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
  rm -f "$PIDFILE"
  # setsid + nohup: the broker outlives this script and its terminal/CI step.
  # The inner bash writes its own pid, then execs java, so the pid is java's.
  local -a heap_opts; read -r -a heap_opts <<<"$HEAP_OPTS"
  # shellcheck disable=SC2016 # expanded by the inner bash
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" "${heap_opts[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF/log4j.properties" -Dkafka.logs.dir="$KHOME" \
    -cp "$LIBS/*" kafka.Kafka "$CONF/server.properties" \
    >"$LOG" 2>&1 </dev/null 9>&- &
  for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
}

cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PIDFILE"
    if answers; then die "a broker answers on $BOOTSTRAP but was not started by this script ($PIDFILE); not stopping it"; fi
    echo "kafka: not running"; return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka: pid $pid ignored SIGTERM for 60s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDFILE"
  echo "kafka: stopped (pid $pid)"
}

cmd_status() {
  local pid=""
  pid="$(live_pid)" || pid=""
  if answers; then
    echo "kafka: running on $BOOTSTRAP${pid:+ (pid $pid)}"; return 0
  fi
  if [[ -n "$pid" ]]; then echo "kafka: pid $pid is up but $BOOTSTRAP does not answer (yet)"; else echo "kafka: not running"; fi
  return 1
}

# --- the three-broker cluster: each node is this script with its own home, ports and node id ---
CHOME="${RXQ_KAFKA_CLUSTER_HOME:-/tmp/rxq-kafka-cluster}"
CBASE="${RXQ_KAFKA_CLUSTER_PORT:-9192}"
CNODES=(1 2 3)

cluster_bootstrap() { echo "$HOST:$CBASE,$HOST:$((CBASE + 1)),$HOST:$((CBASE + 2))"; }

on_node() { # on_node N SUB ARGS...: this script for node N of the cluster
  local n="$1"; shift
  local voters="" i
  for i in "${CNODES[@]}"; do voters+="${voters:+,}$i@$HOST:$((CBASE + 2 + i))"; done
  env -u RXQ_KAFKA_SASL_PORT RXQ_KAFKA_HOME="$CHOME/node$n" RXQ_KAFKA_LIBS="$LIBS" \
    RXQ_KAFKA_PORT=$((CBASE + n - 1)) RXQ_KAFKA_CONTROLLER_PORT=$((CBASE + 2 + n)) \
    RXQ_KAFKA_NODE_ID="$n" RXQ_KAFKA_VOTERS="$voters" RXQ_KAFKA_REPLICATION=3 \
    RXQ_KAFKA_CLUSTER_ID="$(cat "$CHOME/cluster.id")" \
    RXQ_KAFKA_HEAP_OPTS="${RXQ_KAFKA_CLUSTER_HEAP_OPTS:--Xmx384m -Xms128m}" \
    "$BASH" "$0" "$@"
}

cluster_id() {
  mkdir -p "$CHOME"
  [[ -s "$CHOME/cluster.id" ]] && return 0
  cmd_fetch; need_java; [[ -f "$CONF/tools-log4j.properties" ]] || write_configs
  local id
  id="$("$JAVA" -Dlog4j.configuration="file:$CONF/tools-log4j.properties" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  [[ -n "$id" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
  echo "$id" >"$CHOME/cluster.id"
}

cluster_lock() {
  mkdir -p "$CHOME"
  exec 8>"$CHOME/cluster.lock"
  flock -w 300 8 || die "another scripts/kafka.sh cluster holds $CHOME/cluster.lock for 300s"
}

cluster_node_arg() { [[ "${1:-}" =~ ^[123]$ ]] || die "cluster: a node number 1, 2 or 3 expected, got '${1:-}'"; }

cluster_node_pid() { # the pid of node N's broker, if this script started it and it runs
  local f="$CHOME/node$1/kafka.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' \
    && { echo "$pid"; return 0; }
  return 1
}

# all at once: a broker stopped last, without a controller quorum, cannot finish its shutdown
cluster_stop_all() {
  [[ -s "$CHOME/cluster.id" ]] || return 0
  local n pids=() status=0
  for n in "${CNODES[@]}"; do on_node "$n" stop 8>&- >/dev/null & pids+=($!); done
  for n in "${pids[@]}"; do wait "$n" || status=1; done
  return "$status"
}

cmd_cluster() {
  local csub="${1:-}" n pid; [[ $# -gt 0 ]] && shift
  case "$csub" in
    start)
      cluster_lock; cmd_fetch; cluster_id
      # all three processes first: a controller quorum needs two of them before any answers
      for n in "${CNODES[@]}"; do on_node "$n" launch 8>&-; done
      for n in "${CNODES[@]}"; do on_node "$n" wait 8>&- >/dev/null; done
      echo "kafka: cluster running on $(cluster_bootstrap)" ;;
    stop)
      cluster_lock
      cluster_stop_all
      echo "kafka: cluster stopped" ;;
    status)
      local down=()
      for n in "${CNODES[@]}"; do PORT=$((CBASE + n - 1)) answers || down+=("$n"); done
      if ((${#down[@]} > 0)); then echo "kafka: cluster not running (node ${down[*]} down)"; return 1; fi
      echo "kafka: cluster running on $(cluster_bootstrap)" ;;
    reset)
      cluster_lock
      cluster_stop_all
      rm -rf "$CHOME"; echo "kafka: cluster data deleted ($CHOME)" ;;
    kill)
      cluster_node_arg "${1:-}"
      pid="$(cluster_node_pid "$1")" || die "cluster: node $1 is not running (or was not started by this script)"
      kill -KILL "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done ;;
    stop-node) cluster_node_arg "${1:-}"; on_node "$1" stop ;;
    start-node)
      cluster_node_arg "${1:-}"; on_node "$1" launch 8>&-
      RXQ_KAFKA_WAIT_LISTENER_ONLY=1 on_node "$1" wait 8>&- >/dev/null ;;
    ports) cluster_bootstrap ;;
    topics) tool "-Xmx256m -XX:TieredStopAtLevel=1" org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cluster_bootstrap)" "$@" ;;
    logs) cluster_node_arg "${1:-}"; tail -n "${2:-50}" "$CHOME/node$1/kafka.log" ;;
    *) die "usage: cluster start|stop|status|reset|kill N|stop-node N|start-node N|ports|topics ARGS...|logs N [LINES]" ;;
  esac
}

usage() { sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//'; }

# start/stop/restart/reset of the same RXQ_KAFKA_HOME run one at a time
lock() {
  mkdir -p "$KHOME"
  exec 9>"$KHOME/kafka.sh.lock"
  flock -w 180 9 || die "another scripts/kafka.sh holds $KHOME/kafka.sh.lock for 180s"
}

sub="${1:-}"; [[ $# -gt 0 ]] && shift
case "$sub" in
  start|stop|restart|reset|launch) lock ;;
esac
case "$sub" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  launch) cmd_launch ;;
  cluster) cmd_cluster "$@" ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  wait) cmd_wait "$@" ;;
  topics) tool "-Xmx256m -XX:TieredStopAtLevel=1" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@" ;;
  perf-produce)
    [[ $# -ge 2 ]] || die "usage: perf-produce TOPIC N [RECORD_SIZE] [ProducerPerformance args...]"
    t="$1" n="$2"; size="${3:-100}"; shift 2; [[ $# -gt 0 ]] && shift
    tool "-Xmx512m" org.apache.kafka.tools.ProducerPerformance --topic "$t" --num-records "$n" \
      --record-size "$size" --throughput -1 --producer-props "bootstrap.servers=$BOOTSTRAP" "$@" ;;
  perf-consume)
    [[ $# -ge 2 ]] || die "usage: perf-consume TOPIC N [ConsumerPerformance args...]"
    t="$1" n="$2"; shift 2
    tool "-Xmx512m" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOTSTRAP" \
      --topic "$t" --messages "$n" "$@" ;;
  run) [[ $# -ge 1 ]] || die "usage: run CLASS [ARGS...]"; tool "-Xmx512m" "$@" ;;
  java)
    [[ $# -ge 1 && -f "$1" ]] || die "usage: java SRC.java [ARGS...]"
    src="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift
    command -v javac >/dev/null 2>&1 || die "javac not found: install a JDK 17+ (e.g. apt-get install -y openjdk-17-jdk-headless)"
    fetched || die "jars not fetched yet: run scripts/kafka.sh fetch"
    cls="$(basename "$src" .java)"
    out="$KHOME/java/$(printf '%s' "$src" | sha256sum | cut -c1-12)"
    mkdir -p "$out"
    if [[ ! -f "$out/$cls.class" || "$src" -nt "$out/$cls.class" ]]; then
      # javac -d writes class files one by one; compile aside, then move into place in one step.
      tmpc="$(mktemp -d "$out.XXXXXX")"
      javac -nowarn -cp "$LIBS/*" -d "$tmpc" "$src" || { rm -rf "$tmpc"; die "javac failed for $src"; }
      cp -f "$tmpc"/*.class "$out"/ && rm -rf "$tmpc"
    fi
    need_java; [[ -f "$CONF/tools-log4j.properties" ]] || write_configs
    "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$CONF/tools-log4j.properties" \
      -cp "$out:$LIBS/*" "$cls" "$@" ;;
  logs) tail -n "${1:-50}" "$LOG" ;;
  reset) cmd_stop; rm -rf "$DATA" "$KHOME/cluster.id"; echo "kafka: data deleted ($DATA)" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
