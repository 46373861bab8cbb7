#!/usr/bin/env bash
# ElasticMQ, an SQS-compatible server (loopback only), for @rxq/sqs's integration tests and
# benchmark. No Docker: the jars come from Maven Central (scripts/elasticmq/pom.xml) into a cache
# outside git; Java 17+ runs it.
#
#   scripts/elasticmq.sh fetch        download the jars (once; a fast no-op after)
#   scripts/elasticmq.sh start        fetch + start + wait (a no-op when one already answers)
#   scripts/elasticmq.sh stop         stop the server this script started
#   scripts/elasticmq.sh status       exit 0 iff something answers on the port
#
# Environment:
#   RXQ_ELASTICMQ_HOME   cache dir (default ~/.cache/rxq-elasticmq): libs/ elasticmq.conf elasticmq.log elasticmq.pid
#   RXQ_ELASTICMQ_PORT   SQS port (default 9324)
#   RXQ_ELASTICMQ_WAIT_SECS   start timeout (default 90)
#   RXQ_ELASTICMQ_HEAP   the JVM's -Xmx (default 256m; bench/sqs-backlog.mjs runs a 1M backlog with 3g)
#   RXQ_ELASTICMQ_RUN    dir for elasticmq.conf/.log/.pid (default RXQ_ELASTICMQ_HOME): a second
#                        server (another port) shares the jars but not these
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/elasticmq/pom.xml"
EHOME="${RXQ_ELASTICMQ_HOME:-$HOME/.cache/rxq-elasticmq}"
LIBS="$EHOME/libs"
RUN="${RXQ_ELASTICMQ_RUN:-$EHOME}"
CONF="$RUN/elasticmq.conf"
LOG="$RUN/elasticmq.log"
PIDFILE="$RUN/elasticmq.pid"
PORT="${RXQ_ELASTICMQ_PORT:-9324}"
WAIT_SECS="${RXQ_ELASTICMQ_WAIT_SECS:-90}"
HEAP="${RXQ_ELASTICMQ_HEAP:-256m}"

die() { echo "elasticmq: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

pom_stamp() { sha256sum "$POM" | cut -d' ' -f1; }
fetched() { [[ -f "$LIBS/.rxq-fetched" && "$(cat "$LIBS/.rxq-fetched")" == "$(pom_stamp)" ]]; }

cmd_fetch() {
  fetched && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3.6+ (e.g. apt-get install -y maven)"
  mkdir -p "$EHOME"
  local tmp="$EHOME/libs.tmp.$$" mlog="$EHOME/fetch.log"
  rm -rf "$tmp"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mlog" 2>&1; then
    rm -rf "$tmp"
    echo "elasticmq: fetching the jars from Maven Central failed; tail of $mlog:" >&2
    tail -n 30 "$mlog" >&2
    exit 1
  fi
  ls "$tmp"/elasticmq-server_2.13-*.jar >/dev/null 2>&1 || die "fetch finished but the elasticmq-server jar is missing"
  pom_stamp >"$tmp/.rxq-fetched"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  echo "elasticmq: jars in $LIBS"
}

cmd_start() {
  if port_open; then echo "elasticmq: already running on 127.0.0.1:$PORT"; return 0; fi
  command -v java >/dev/null 2>&1 || die "java not found: install Java 17+ (e.g. apt-get install -y openjdk-17-jre-headless)"
  cmd_fetch
  mkdir -p "$RUN"
  cat >"$CONF" <<CONF
include classpath("application.conf")
node-address { protocol = http, host = 127.0.0.1, port = $PORT, context-path = "" }
rest-sqs { enabled = true, bind-port = $PORT, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
CONF
  rm -f "$PIDFILE"
  # setsid + nohup: the server outlives this script and its terminal/CI step.
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    java "-Xmx$HEAP" -Dconfig.file="$CONF" -cp "$LIBS/*" org.elasticmq.server.Main >"$LOG" 2>&1 </dev/null &
  local i
  for ((i = 0; i < WAIT_SECS * 10; i++)); do
    port_open && { echo "elasticmq: started on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$LOG" >&2
  die "did not answer on 127.0.0.1:$PORT within $WAIT_SECS s"
}

cmd_stop() {
  [[ -f "$PIDFILE" ]] || { echo "elasticmq: not started by this script"; return 0; }
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  echo "elasticmq: stopped"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) port_open ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
