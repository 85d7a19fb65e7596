#!/usr/bin/env bash
# Regenerates src/main/cds/portcullis.classlist: the classes a production boot loads, from which the Dockerfile
# (and bench/run.sh, the same way) dumps the AppCDS archive the gateway starts with.
#
#   mvn -B -q -DskipTests package && bench/classlist.sh
#
# Starts target/portcullis.jar with the Dockerfile's JVM flags and -XX:DumpLoadedClassList on a fresh database
# (so both the schema check and Flyway run) against the local Postgres and Redis, waits for /health/ready,
# stops it with SIGTERM and keeps the list. A list that is behind the code is harmless: classes it names that
# no longer exist are skipped at dump time, and classes it lacks load from the jar as without an archive;
# regenerate it when the boot changes (new verticles, libraries, a new Java version in the image).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/.ci/java.sh"
JAR="$ROOT/target/portcullis.jar"
OUT="$ROOT/src/main/cds/portcullis.classlist"
PG_ADMIN_URL=${BENCH_PG_ADMIN_URL:-"postgresql://postgres@127.0.0.1:5432/postgres"}
PG_DB=portcullis_classlist
HTTP_PORT=18280
MGMT_PORT=19290
export PGOPTIONS="--client-min-messages=warning"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[[ -f $JAR ]] || { echo "build first: mvn -B -q -DskipTests package" >&2; exit 1; }
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null

(cd "$ROOT" && exec env \
  PORTCULLIS_HTTP_PORT=$HTTP_PORT \
  PORTCULLIS_MANAGEMENT_PORT=$MGMT_PORT \
  PORTCULLIS_PG_URL="postgresql://postgres@127.0.0.1:5432/$PG_DB" \
  PORTCULLIS_REDIS_URL=${BENCH_REDIS_URL:-"redis://127.0.0.1:6379"} \
  PORTCULLIS_REDIS_PREFIX="classlist:$(date +%s):" \
  PORTCULLIS_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
  PORTCULLIS_ISSUER="http://127.0.0.1:$HTTP_PORT" \
  PORTCULLIS_ADMIN_KEY="pck_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  java -XX:MaxRAM=768m -XX:MaxRAMPercentage=75 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -XX:DumpLoadedClassList="$WORK/classlist" -jar "$JAR") > "$WORK/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$MGMT_PORT/health/ready" && break
  kill -0 "$pid" 2>/dev/null || { cat "$WORK/gateway.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs -o /dev/null "http://127.0.0.1:$MGMT_PORT/health/ready" || { echo "not ready in 60 s" >&2; kill -TERM "$pid"; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
[[ $status == 0 ]] || { echo "the gateway exited with $status" >&2; cat "$WORK/gateway.log" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$WORK/classlist" "$OUT"
echo "$(grep -vc '^[#@]' "$OUT") classes and $(grep -c '^@' "$OUT") lambda entries in ${OUT#"$ROOT"/}"
