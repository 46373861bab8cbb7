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
#
# Environment:
#   RXQ_KAFKA_HOME        cache dir (default ~/.cache/rxq-kafka): libs/ data/ config/ kafka.log kafka.pid
#   RXQ_KAFKA_PORT        client port (default 9092); RXQ_KAFKA_CONTROLLER_PORT (default 9093)
#   RXQ_KAFKA_LIBS        where the jars are (default $RXQ_KAFKA_HOME/libs): a second broker can share them
#   RXQ_KAFKA_SASL_PORT   also listen with SASL/PLAIN (SASL_PLAINTEXT) on this port, for tests;
#                         its one user is rxq / rxq-test-secret (a test broker's fixed credentials)
#   RXQ_KAFKA_HEAP_OPTS   broker heap (default "-Xmx512m -Xms256m")
#   RXQ_KAFKA_WAIT_SECS   start/wait timeout (default 90)
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
  if [[ -s "$KHOME/cluster.id" ]]; then id="$(cat "$KHOME/cluster.id")"; else
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
  cmd_wait
  echo "kafka: started on $BOOTSTRAP (pid $(cat "$PIDFILE"))"
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

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

# start/stop/restart/reset of the same RXQ_KAFKA_HOME run one at a time
lock() {
  mkdir -p "$KHOME"
  exec 9>"$KHOME/kafka.sh.lock"
  flock -w 180 9 || die "another scripts/kafka.sh holds $KHOME/kafka.sh.lock for 180s"
}

sub="${1:-}"; [[ $# -gt 0 ]] && shift
case "$sub" in
  start|stop|restart|reset) lock ;;
esac
case "$sub" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
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
