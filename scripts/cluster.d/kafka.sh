#!/usr/bin/env bash
# The three-broker Kafka (KRaft) cluster of the clustered suite: brokers on 127.0.0.1:9192-9194,
# controllers on 9195-9197, data under /tmp/rxq-kafka-cluster, replication factor 3 and
# min.insync.replicas 2 by default. The single broker on 9092 is not touched.
#   scripts/cluster.d/kafka.sh start|stop|status    (more: scripts/kafka.sh cluster ...)
set -euo pipefail
kafka="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/kafka.sh"
case "${1:-}" in
  start)
    if bash "$kafka" cluster status >/dev/null 2>&1; then echo "kafka: cluster already running"; exit 0; fi
    exec bash "$kafka" cluster start ;;
  stop | status) exec bash "$kafka" cluster "$1" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
