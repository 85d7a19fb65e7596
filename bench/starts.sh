#!/usr/bin/env bash
# bench/starts.sh <checkout> <empty|migrated> <n>: start to ready of the built gateway jar of <checkout>, n times,
# with the harness's JVM options (and the checkout's AppCDS archive when bench/run.sh has dumped one).
# Run 1 always starts on a fresh database (starts_db); with "migrated", runs 2..n restart on it. Uses the
# harness's ports (18080, 19090): run it under the bench lock, or when no bench runs.
set -u
DIR=$1 MODE=$2 N=$3
MK=$(head -c 32 /dev/urandom | base64) AK=$(head -c 32 /dev/urandom | base64 | tr -d '/+=') WS=$(head -c 24 /dev/urandom | xxd -p)
OPTS="-XX:MaxRAM=768m -XX:MaxRAMPercentage=75 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"
[[ -f $DIR/target/portcullis.jsa ]] && OPTS="$OPTS -XX:SharedArchiveFile=$DIR/target/portcullis.jsa"
for i in $(seq 1 "$N"); do
  if [[ $MODE == empty || $i == 1 ]]; then
    psql -q -h 127.0.0.1 -U postgres -c "drop database if exists starts_db" -c "create database starts_db"
  fi
  t0=$(date +%s%3N)
  env PORTCULLIS_HTTP_PORT=18080 PORTCULLIS_MANAGEMENT_PORT=19090 \
    PORTCULLIS_PG_URL=postgresql://postgres@127.0.0.1:5432/starts_db PORTCULLIS_REDIS_URL=redis://127.0.0.1:6379 \
    PORTCULLIS_REDIS_PREFIX=starts: PORTCULLIS_MASTER_KEY="$MK" PORTCULLIS_ADMIN_KEY="$AK" PORTCULLIS_WEBHOOK_SECRET="$WS" \
    java $OPTS -jar "$DIR/target/portcullis.jar" > /tmp/starts-gateway.log 2>&1 &
  pid=$!
  deadline=$((t0 + 60000))
  until curl -sf -o /dev/null http://127.0.0.1:19090/health/ready; do
    sleep 0.02
    if ! kill -0 "$pid" 2>/dev/null || (( $(date +%s%3N) > deadline )); then
      echo "run $i: not ready; log:"; tail -5 /tmp/starts-gateway.log; kill -KILL "$pid" 2>/dev/null; exit 1
    fi
  done
  t1=$(date +%s%3N)
  echo "$DIR $MODE run $i: $((t1 - t0)) ms; by its log: $(grep -o 'ready in [0-9]* ms' /tmp/starts-gateway.log)"
  kill -TERM "$pid"; wait "$pid"
done
psql -q -h 127.0.0.1 -U postgres -c "drop database if exists starts_db"
