#!/usr/bin/env bash
# Portcullis benchmark harness: the one command (see bench/README.md).
#
#   bench/run.sh
#
# Builds the gateway and the harness, measures the baselines (raw RS256 signing on all cores, a bare Vert.x
# JSON endpoint), starts the gateway in production mode against the local Postgres and Redis on a fresh
# database, prepares an app and users, drives each scenario for a bounded time, then does the same work on
# Keycloak (dev mode), and writes bench/results/<run>/ (JSON per scenario, results.md, summary.json).
# All traffic goes to 127.0.0.1. Knobs (environment):
#   BENCH_DURATION (s, measured part of each scenario, default 25), BENCH_WARMUP (s, default 20),
#   BENCH_PASSWORD_WARMUP (s, warm-up of the password-login scenarios, Portcullis's and Keycloak's; default 100),
#   BENCH_CONNECTIONS (load-generator users, default 8), BENCH_WRK_CONNECTIONS (default 32),
#   BENCH_WRK_THREADS (default 1), BENCH_SCENARIOS (default "sign argon2 bare me me-rate refresh otp otp-returning mix license-verify password
#   password-paired password-floor password-me keycloak"), BENCH_PASSWORD_ME_RATE (/auth/me rate of password-me, default 2000),
#   BENCH_PAIRED_ROUNDS (raw/login window pairs of password-paired, default 8), BENCH_PAIRED_WINDOW (s, default 8),
#   BENCH_PAIRED_CLIENT (who logs in in the paired windows: wrk, the default, or java, the harness's own client),
#   BENCH_FLOOR_REDIS_CALLS, BENCH_FLOOR_PG_STATEMENTS (round trips each login of password-floor makes first, default 0),
#   BENCH_KEYCLOAK_JAVA_HOME (the JDK Keycloak runs on, default /usr/lib/jvm/java-17-openjdk-amd64),
#   BENCH_JFR=1 (JFR profiles of the me, me-rate, refresh, otp, password and license-verify scenarios), BENCH_GATEWAY_JAVA_OPTS, BENCH_KEYCLOAK_VERSION,
#   BENCH_SKIP_BUILD=1 (reuse the built jars), BENCH_NICE (nice level of everything started, default 0),
#   BENCH_GATEWAY_DIR (another checkout of the gateway to build and measure; default: this repository),
#   BENCH_ANALYZE_EVERY (s between ANALYZEs of users, sessions, refresh_tokens while a scenario runs, when autovacuum
#   is off; default 5, 0 = none), BENCH_AUTOGROUP (0 or 1: kernel.sched_autogroup_enabled for the run, restored
#   on exit; needs root; default: as the machine has it, recorded in machine.json).
# The gateway starts with the AppCDS archive the Dockerfile makes (see cds_archive) when the checkout has a class list.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# the gateway checkout to build and run: this repository unless told otherwise
ROOT=${BENCH_GATEWAY_DIR:-$(dirname "$BENCH_DIR")}
# Java 25 for the gateway and the harness (both call OpenSSL through the foreign function API)
source "$(dirname "$BENCH_DIR")/.ci/java.sh"

KEYCLOAK_JAVA_HOME=${BENCH_KEYCLOAK_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
DURATION=${BENCH_DURATION:-25}
WARMUP=${BENCH_WARMUP:-20}
# Password logins come some 60 a second, so their code needs minutes, not seconds, to be compiled by C2 (README).
PASSWORD_WARMUP=${BENCH_PASSWORD_WARMUP:-100}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
WRK_CONNECTIONS=${BENCH_WRK_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SCENARIOS=${BENCH_SCENARIOS:-"sign argon2 bare me me-rate refresh otp otp-returning mix license-verify password password-paired password-floor password-me keycloak"}
JFR=${BENCH_JFR:-0}
ANALYZE_EVERY=${BENCH_ANALYZE_EVERY:-5}
NICE=${BENCH_NICE:-0}
AUTOGROUP=${BENCH_AUTOGROUP:-}
AUTOGROUP_FILE=/proc/sys/kernel/sched_autogroup_enabled
KEYCLOAK_VERSION=${BENCH_KEYCLOAK_VERSION:-26.4.7}
# The gateway as the Dockerfile runs it, in a container of the k8s Deployment's memory limit (768Mi).
GATEWAY_JAVA_OPTS=${BENCH_GATEWAY_JAVA_OPTS:-"-XX:MaxRAM=768m -XX:MaxRAMPercentage=75 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"}

# Ports of this harness: away from the gateway's defaults, so a gateway or test running beside it is not hit.
GW_PORT=${BENCH_GATEWAY_PORT:-18080}
MGMT_PORT=${BENCH_MANAGEMENT_PORT:-19090}
PAIRED_CLIENT=${BENCH_PAIRED_CLIENT:-wrk}
BARE_PORT=18070
FLOOR_PORT=18071
RECEIVER_PORT=18099
KC_PORT=18180
KC_MGMT_PORT=19000
PG_ADMIN_URL=${BENCH_PG_ADMIN_URL:-"postgresql://postgres@127.0.0.1:5432/postgres"}
PG_DB=portcullis_bench
REDIS_URL=${BENCH_REDIS_URL:-"redis://127.0.0.1:6379"}

RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$BENCH_DIR/results/$RUN_ID"
CACHE="$BENCH_DIR/.cache"
BENCH_JAR="$BENCH_DIR/target/portcullis-bench.jar"
GATEWAY_JAR="$ROOT/target/portcullis.jar"
mkdir -p "$OUT" "$CACHE"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
run_nice() { nice -n "$NICE" "$@"; }

# ---- processes this script started, stopped by pid on any exit ---------------------------------------------
STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# With autogroup on, the kernel schedules each session (Redis, Postgres, the gateway) as one group of equal weight,
# so the hashing threads' nice value ranks them only against the gateway's own threads
# (bench/README.md, "`/auth/me` while the hashing pool is full").
AUTOGROUP_BEFORE=$(cat "$AUTOGROUP_FILE" 2>/dev/null || echo unknown)
if [[ -n "$AUTOGROUP" && "$AUTOGROUP" != "$AUTOGROUP_BEFORE" ]]; then
  echo "$AUTOGROUP" > "$AUTOGROUP_FILE" || { echo "BENCH_AUTOGROUP needs root (writes $AUTOGROUP_FILE)" >&2; exit 1; }
  trap 'cleanup; echo "$AUTOGROUP_BEFORE" > "$AUTOGROUP_FILE"' EXIT
fi

stop_pid() { # pid [seconds]: SIGTERM, then SIGKILL after the grace period
  local pid=$1 grace=${2:-30}
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid did not stop in ${grace}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

port_free() { # port: fails when something already listens there (a server left over from another run)
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    log "port $1 on 127.0.0.1 is already in use: stop what listens there, or change the port"
    return 1
  fi
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_http() { # url seconds: until the url answers 200; prints the milliseconds waited
  local url=$1 limit_ms=$(( $2 * 1000 )) start
  start=$(now_ms)
  while (( $(now_ms) - start < limit_ms )); do
    if curl -fs -o /dev/null --max-time 1 "$url"; then echo $(( $(now_ms) - start )); return 0; fi
    sleep 0.02
  done
  return 1
}

# ---- prerequisites ------------------------------------------------------------------------------------------
prerequisites() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v psql >/dev/null || missing+=(postgresql-client)
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (Debian packages)"
    local sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    log "Postgres does not answer on 127.0.0.1:5432: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "Redis does not answer on 127.0.0.1:6379: starting it"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
}

build() {
  if [[ ${BENCH_SKIP_BUILD:-0} == 1 && -f $GATEWAY_JAR && -f $BENCH_JAR ]]; then
    log "reusing the built jars"
    return
  fi
  log "building the gateway (mvn -B -q -Dstyle.color=never -DskipTests package)"
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package)
  log "building the harness (bench/pom.xml)"
  (cd "$BENCH_DIR" && mvn -B -q -Dstyle.color=never -DskipTests package)
}

# The AppCDS archive, made and used as the Dockerfile makes and uses it: the same dump command over the class list
# the repository keeps (bench/classlist.sh makes it), then -XX:SharedArchiveFile on the gateway's command line.
# A checkout without a class list (an older one, via BENCH_GATEWAY_DIR) starts without one, as its image would.
cds_archive() {
  local list="$ROOT/src/main/cds/portcullis.classlist" archive="$ROOT/target/portcullis.jsa"
  if [[ ! -f $list ]]; then
    log "no src/main/cds/portcullis.classlist in $ROOT: the gateway starts without an AppCDS archive"
    return
  fi
  if [[ ! -f $archive || $GATEWAY_JAR -nt $archive || $list -nt $archive ]]; then
    log "dumping the AppCDS archive: java -Xshare:dump (as the Dockerfile does)"
    java -XX:+UseG1GC -Xshare:dump -Xlog:cds=error -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$archive" \
      -cp "$GATEWAY_JAR" > "$OUT/cds-dump.log" 2>&1
  fi
  GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS -XX:SharedArchiveFile=$archive"
}

machine() {
  jq -n \
    --arg run "$RUN_ID" \
    --arg nproc "$(nproc)" \
    --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    --arg mem "$(free -h | awk '/^Mem:/ {print $2}')" \
    --arg java "$(java -version 2>&1 | head -n 2 | tr '\n' ' ')" \
    --arg kernel "$(uname -sr)" \
    --arg wrk "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --arg autogroup "$(cat "$AUTOGROUP_FILE" 2>/dev/null || echo unknown)" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --arg duration "$DURATION" --arg warmup "$WARMUP" --arg password_warmup "$PASSWORD_WARMUP" \
    --arg connections "$CONNECTIONS" \
    --arg wrk_connections "$WRK_CONNECTIONS" --arg wrk_threads "$WRK_THREADS" --arg gateway_opts "$GATEWAY_JAVA_OPTS" \
    '{run: $run, nproc: ($nproc|tonumber), cpu: $cpu, memory: $mem, java: $java, kernel: $kernel, wrk: $wrk,
      load_average_at_start: $load, sched_autogroup_enabled: $autogroup, commit: $commit, duration_s: ($duration|tonumber), warmup_s: ($warmup|tonumber),
      password_warmup_s: ($password_warmup|tonumber),
      connections: ($connections|tonumber), wrk_connections: ($wrk_connections|tonumber),
      wrk_threads: ($wrk_threads|tonumber), gateway_java_opts: $gateway_opts}' > "$OUT/machine.json"
}

# ---- tools --------------------------------------------------------------------------------------------------
# the raw Argon2id baseline hashes with the gateway's own class, from its jar without dependencies (GatewayArgon2)
bench_java() { run_nice java -Dportcullis.bench.gateway-classes="$ROOT/target/original-portcullis.jar" -jar "$BENCH_JAR" "$@"; }

# wrk_run name pid url script [env...]: a warm-up run, then the measured run with the server's CPU and RSS
wrk_run() {
  local name=$1 pid=$2 url=$3 script=$4; shift 4
  log "$name: wrk warm-up ${WARMUP}s, then ${DURATION}s measured (${WRK_THREADS} thread, ${WRK_CONNECTIONS} connections)"
  env WRK_LUA_DIR="$BENCH_DIR/lua" WRK_OUT=/dev/null "$@" \
    nice -n "$NICE" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/lua/$script" "$url" >/dev/null
  nice -n "$NICE" java -jar "$BENCH_JAR" proc --pid "$pid" --delay-ms 1000 --seconds $((DURATION - 2)) --out "$OUT/$name.proc.json" &
  local sampler=$!
  env WRK_LUA_DIR="$BENCH_DIR/lua" WRK_OUT="$OUT/$name.json" "$@" \
    nice -n "$NICE" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/lua/$script" "$url" \
    > "$OUT/$name.wrk.txt"
  wait "$sampler"
  log "$name: $(jq -c '{requests, errors, latency_us}' "$OUT/$name.json")"
}

# Fresh statistics before each scenario, as autovacuum would keep them in production: without them the planner
# takes the tables for empty (autovacuum is off on this machine's Postgres, and the tables grow from zero).
analyze_db() {
  [[ $AUTOVACUUM == on ]] || psql -q "postgresql://postgres@127.0.0.1:5432/$PG_DB" -c "ANALYZE" >/dev/null
}

# And while a scenario runs, every ANALYZE_EVERY seconds for the tables logins grow, as autovacuum's autoanalyze
# would: OTP pairs add a user and a session each, and statements planned while users held a few rows go on
# scanning all of them (Postgres's CPU per pair rose through the run before).
analyze_while_loading() {
  [[ $AUTOVACUUM == on || $ANALYZE_EVERY == 0 ]] && return 0
  (while sleep "$ANALYZE_EVERY"; do
    psql -q "postgresql://postgres@127.0.0.1:5432/$PG_DB" -c "ANALYZE users, sessions, refresh_tokens" >/dev/null 2>&1
  done) &
  ANALYZER=$!
  STARTED+=("$ANALYZER")
}

stop_analyzing() {
  [[ -n ${ANALYZER:-} ]] || return 0
  kill "$ANALYZER" 2>/dev/null; wait "$ANALYZER" 2>/dev/null || true
  ANALYZER=
}

# The gateway's own timers (Prometheus text): cumulative sums and counts, by route where there is one.
metrics_snapshot() {
  curl -fs "http://127.0.0.1:$MGMT_PORT/metrics" | awk '
    /^#/ { next }
    /^(portcullis_audit_commit_seconds|portcullis_audit_lag_seconds|portcullis_audit_batch_size|portcullis_token_signing_seconds|vertx_http_server_response_time_seconds)_(sum|count)/ {
      base = $1; sub(/\{.*/, "", base)
      route = ""
      if (match($1, /route="[^"]*"/)) route = substr($1, RSTART + 7, RLENGTH - 8)
      total[base "|" route] += $NF
    }
    END { for (k in total) print k, total[k] }'
}

# metrics_delta before after out: means over one scenario (ms for timers), as JSON
metrics_delta() {
  awk 'NR == FNR { before[$1] = $2; next } { after[$1] = $2 }
    END {
      printf "{"; n = 0
      for (k in after) {
        if (k !~ /_count\|/) continue
        base = k; sub(/_count\|.*/, "", base); route = k; sub(/^[^|]*\|/, "", route)
        sum_key = base "_sum|" route
        count = after[k] - before[k]; sum = after[sum_key] - before[sum_key]
        if (count <= 0) continue
        mean = sum / count; if (base ~ /_seconds$/) mean *= 1000
        name = base; sub(/_seconds$/, "_ms", name); if (route != "") name = name " " route
        printf "%s\"%s\":{\"count\":%d,\"mean\":%.3f}", (n++ ? "," : ""), name, count, mean
      }
      print "}"
    }' <(echo "$1") <(echo "$2") > "$3"
}

# load name scenario [args...]: the Java load generator against the gateway, sampling it over the measured window
load() {
  local name=$1 scenario=$2; shift 2
  analyze_db
  local before
  before=$(metrics_snapshot)
  log "$name: load generator, $scenario, ${WARMUP}s warm-up then ${DURATION}s measured"
  analyze_while_loading
  bench_java load --scenario "$scenario" --target "http://127.0.0.1:$GW_PORT" --connections "$CONNECTIONS" \
    --warmup "$WARMUP" --duration "$DURATION" --pid "$GW_PID" --app-id "$APP_ID" --app-secret "$APP_SECRET" \
    --receiver-port "$RECEIVER_PORT" --webhook-secret "$WEBHOOK_SECRET" --run-tag "$RUN_ID-$name" \
    --out "$OUT/$name.json" "$@" >&2
  stop_analyzing
  metrics_delta "$before" "$(metrics_snapshot)" "$OUT/$name.gateway-metrics.json"
}

jfr_start() { # name: a JFR recording of the measured part of the next scenario (BENCH_JFR=1)
  [[ $JFR == 1 ]] || return 0
  jcmd "$GW_PID" JFR.start name="$1" settings=profile delay="$((WARMUP + 2))s" duration="$((DURATION - 4))s" \
    filename="$OUT/$1.jfr" >/dev/null
}

jfr_summary() { # name
  [[ $JFR == 1 ]] || return 0
  for _ in $(seq 1 100); do [[ -s $OUT/$1.jfr ]] && break; sleep 0.1; done
  bench_java jfr --file "$OUT/$1.jfr" --out "$OUT/$1.jfr.txt" > /dev/null
  log "$1: JFR summary in $OUT/$1.jfr.txt"
}

# ---- baselines ----------------------------------------------------------------------------------------------
baseline_argon2() {
  log "baseline: raw Argon2id checks (the gateway's Argon2id class, m=19456,t=2,p=1) on $(nproc) threads, ${WARMUP}s warm-up then ${DURATION}s"
  bench_java argon2 --warmup "$WARMUP" --duration "$DURATION" --out "$OUT/argon2.json" > /dev/null
  log "argon2: $(jq -c '{checks_per_s, checks_per_s_per_core}' "$OUT/argon2.json")"
}

baseline_sign() {
  log "baseline: raw RS256 signing by OpenSSL, then by the JDK, on $(nproc) threads, ${WARMUP}s warm-up then ${DURATION}s each"
  bench_java sign --warmup "$WARMUP" --duration "$DURATION" --out "$OUT/sign.json" > /dev/null
  log "sign: $(jq -c '{openssl_sign_per_s, sign_per_s, sign_per_s_per_core, verify_per_s}' "$OUT/sign.json")"
}

baseline_bare() {
  log "baseline: bare Vert.x JSON endpoint on 127.0.0.1:$BARE_PORT"
  nice -n "$NICE" java -jar "$BENCH_JAR" bare --port "$BARE_PORT" --max-seconds $((WARMUP + DURATION + 60)) > "$OUT/bare.log" 2>&1 &
  local pid=$!
  STARTED+=("$pid")
  wait_http "http://127.0.0.1:$BARE_PORT/ready" 30 > /dev/null && kill -0 "$pid" \
    || { log "the bare JSON server did not start: $(cat "$OUT/bare.log")"; exit 1; }
  printf 'bench-token\n' > "$OUT/bare.tokens"
  wrk_run bare "$pid" "http://127.0.0.1:$BARE_PORT" bearer.lua WRK_TOKENS="$OUT/bare.tokens" WRK_PATH=/me
  stop_pid "$pid" 10
}

# The floor under password logins (BareHashServer): an HTTP front that checks the password with the gateway's
# Argon2id class and nothing else, driven by the same client in the same paired windows as password-paired.
baseline_password_floor() {
  local rounds=${BENCH_PAIRED_ROUNDS:-8} window=${BENCH_PAIRED_WINDOW:-8}
  log "baseline: a bare HTTP front to Argon2id on 127.0.0.1:$FLOOR_PORT, paired with raw checks"
  nice -n "$NICE" java -Dportcullis.bench.gateway-classes="$ROOT/target/original-portcullis.jar" -jar "$BENCH_JAR" \
    bare-hash --port "$FLOOR_PORT" --max-seconds $((rounds * (2 * window + 5) + window + 200)) \
    --redis-calls "${BENCH_FLOOR_REDIS_CALLS:-0}" --redis-url "$REDIS_URL" \
    --pg-statements "${BENCH_FLOOR_PG_STATEMENTS:-0}" --pg-url "$PG_ADMIN_URL" > "$OUT/password-floor.log" 2>&1 &
  local pid=$!
  STARTED+=("$pid")
  wait_http "http://127.0.0.1:$FLOOR_PORT/ready" 30 > /dev/null && kill -0 "$pid" \
    || { log "the bare hash server did not start: $(cat "$OUT/password-floor.log")"; exit 1; }
  bench_java load --scenario password-floor-paired --target "http://127.0.0.1:$FLOOR_PORT" --connections "$CONNECTIONS" \
    --warmup 10 --duration 0 --pid "$pid" --users 16 --rounds "$rounds" --window "$window" --webhook-secret unused \
    --app-id floor --app-secret floor --client "$PAIRED_CLIENT" --lua-dir "$BENCH_DIR/lua" \
    --setup-limit $((rounds * (2 * window + 5) + window + 120)) --out "$OUT/password-floor.json" >&2
  stop_pid "$pid" 10
}

# ---- the gateway --------------------------------------------------------------------------------------------
start_gateway() {
  log "fresh database $PG_DB"
  AUTOVACUUM=$(psql -qAt "$PG_ADMIN_URL" -c "SHOW autovacuum")
  [[ $AUTOVACUUM == on ]] || log "autovacuum is off on this Postgres: the harness runs ANALYZE before each scenario"
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
  MASTER_KEY=$(head -c 32 /dev/urandom | base64)
  ADMIN_KEY="pck_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  WEBHOOK_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  log "starting the gateway (production mode): java $GATEWAY_JAVA_OPTS -jar target/portcullis.jar"
  local started
  started=$(now_ms)
  # shellcheck disable=SC2086 # the options are words
  (cd "$ROOT" && exec env \
    PORTCULLIS_HTTP_PORT="$GW_PORT" \
    PORTCULLIS_MANAGEMENT_PORT="$MGMT_PORT" \
    PORTCULLIS_ISSUER="http://127.0.0.1:$GW_PORT" \
    PORTCULLIS_PG_URL="postgresql://postgres@127.0.0.1:5432/$PG_DB" \
    PORTCULLIS_REDIS_URL="$REDIS_URL" \
    PORTCULLIS_REDIS_PREFIX="bench:$RUN_ID:" \
    PORTCULLIS_MASTER_KEY="$MASTER_KEY" \
    PORTCULLIS_ADMIN_KEY="$ADMIN_KEY" \
    PORTCULLIS_WEBHOOK_SECRET="$WEBHOOK_SECRET" \
    PORTCULLIS_OTP_EMAIL_CHANNEL=webhook \
    PORTCULLIS_OTP_EMAIL_WEBHOOK_URL="http://127.0.0.1:$RECEIVER_PORT/otp" \
    PORTCULLIS_OTP_SMS_CHANNEL=webhook \
    PORTCULLIS_OTP_SMS_WEBHOOK_URL="http://127.0.0.1:$RECEIVER_PORT/otp" \
    PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IP=1000000 \
    PORTCULLIS_OTP_SENDS_PER_HOUR_PER_APP=1000000 \
    PORTCULLIS_OTP_SENDS_PER_HOUR_WITHOUT_CLIENT_IP=1000000 \
    PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_IP=100000000 \
    PORTCULLIS_LICENSE_CALLS_PER_MINUTE_PER_KEY=100000000 \
    nice -n "$NICE" java $GATEWAY_JAVA_OPTS -jar "$GATEWAY_JAR") > "$OUT/gateway.log" 2>&1 &
  GW_PID=$!
  STARTED+=("$GW_PID")
  local waited
  if ! waited=$(wait_http "http://127.0.0.1:$MGMT_PORT/health/ready" 60); then
    log "the gateway did not become ready; its log:"; tail -n 30 "$OUT/gateway.log" >&2; exit 1
  fi
  GW_READY_MS=$(( $(now_ms) - started ))
  log "gateway ready in ${GW_READY_MS} ms (pid $GW_PID)"

  local app
  app=$(curl -fsS -X POST "http://127.0.0.1:$GW_PORT/v1/apps" -H "Authorization: Bearer $ADMIN_KEY" \
    -H 'Content-Type: application/json' -d "{\"name\":\"Bench\",\"slug\":\"bench-$(date +%s)\",
      \"settings\":{\"otp_resend_cooldown\":0,\"otp_max_sends_per_hour\":1000}}")
  APP_ID=$(jq -r .app_id <<<"$app")
  APP_SECRET=$(jq -r .app_secret <<<"$app")
  log "app $APP_ID created"
}

stop_gateway() {
  log "stopping the gateway (SIGTERM)"
  stop_pid "$GW_PID" 40
  local exit_code=0
  wait "$GW_PID" 2>/dev/null || exit_code=$?
  local said
  said=$(grep -o 'ready in [0-9]* ms' "$OUT/gateway.log" | head -n 1 | grep -o '[0-9]*' || echo null)
  jq -n --argjson ready "$GW_READY_MS" --argjson said "${said:-null}" --argjson exit "$exit_code" \
    --argjson blocked "$(grep -ci 'blocked for\|has been blocked\|Thread blocked' "$OUT/gateway.log" || true)" \
    --argjson errors "$(grep -c ' ERROR ' "$OUT/gateway.log" || true)" \
    --argjson warnings "$(grep -c ' WARN ' "$OUT/gateway.log" || true)" \
    '{start_to_ready_ms: $ready, boot_ms_by_its_log: $said, exit_code: $exit, blocked_thread_warnings: $blocked, error_lines: $errors,
      warn_lines: $warnings}' > "$OUT/gateway.json"
  log "gateway: $(jq -c . "$OUT/gateway.json")"
}

# Raw Argon2id checks (the gateway idle) and password logins in alternating windows, from one warm load-generator
# JVM, and a last raw window: each login window's ratio is to the mean of the raw windows either side of it. On a VM
# whose hashing speed moves by a third from one ten-second window to the next, one baseline before one measured
# window can say anything from 0.6 to 1.2; the report takes the median of the paired ratios.
password_paired() {
  local rounds=${BENCH_PAIRED_ROUNDS:-8} window=${BENCH_PAIRED_WINDOW:-8}
  WARMUP=10 DURATION=0 load password-paired password-paired --users 16 --users-file "$OUT/password.users" \
    --rounds "$rounds" --window "$window" --setup-limit $((rounds * (2 * window + 5) + window + 120)) \
    --client "$PAIRED_CLIENT" --lua-dir "$BENCH_DIR/lua"
}

gateway_scenarios() {
  if has me || has me-rate || has password-me; then
    log "me: logging in 64 users (OTP pairs) for wrk's tokens"
    load me-sessions sessions --sessions 64 --tokens-out "$OUT/me.tokens"
  fi
  if has me; then
    analyze_db
    jfr_start me
    local before
    before=$(metrics_snapshot)
    wrk_run me "$GW_PID" "http://127.0.0.1:$GW_PORT" bearer.lua WRK_TOKENS="$OUT/me.tokens" WRK_PATH=/auth/me
    metrics_delta "$before" "$(metrics_snapshot)" "$OUT/me.gateway-metrics.json"
    jfr_summary me
  fi
  if has me-rate; then
    # 70% of the maximum of the same load generator, so its own CPU is accounted for on both sides
    load me-max me --connections "$WRK_CONNECTIONS"
    local rate=${BENCH_ME_RATE:-$(jq -r '.ops.me.per_s * 0.7 | floor' "$OUT/me-max.json")}
    jfr_start me-rate
    load me-rate me-rate --rate "$rate" --sessions 64 --connections "$WRK_CONNECTIONS"
    jfr_summary me-rate
  fi
  if has refresh; then
    jfr_start refresh
    load refresh refresh
    jfr_summary refresh
  fi
  if has otp; then
    jfr_start otp
    load otp otp
    jfr_summary otp
  fi
  has otp-returning && load otp-returning otp-returning
  has mix && load mix mix
  # The ceiling of password logins, measured right before them with the gateway idle: this VM's speed moves by
  # a fifth within minutes, so a baseline from the start of the run may be a slower or a faster minute's.
  has argon2 && has password && baseline_argon2
  # password logins: 16 users made by signup + verify, then challenge + login in a closed loop
  if has password; then
    WARMUP=$PASSWORD_WARMUP jfr_start password
    WARMUP=$PASSWORD_WARMUP load password password --users 16 --users-file "$OUT/password.users"
    jfr_summary password
  fi
  has password-paired && password_paired
  if has password-me; then
    # /auth/me at one open-loop rate, alone and then while 16 users' password logins keep the hashing pool full
    local me_rate=${BENCH_PASSWORD_ME_RATE:-2000}
    load password-me-alone me-rate --rate "$me_rate" --sessions 64 --connections "$WRK_CONNECTIONS"
    load password-me-busy password-me --rate "$me_rate" --sessions 64 --users 16 --connections "$WRK_CONNECTIONS"
  fi
  if has license-verify; then
    license_devices 64 "$OUT/license.bodies"
    analyze_db
    local before
    before=$(metrics_snapshot)
    jfr_start license-verify
    wrk_run license-verify "$GW_PID" "http://127.0.0.1:$GW_PORT" license.lua WRK_BODIES="$OUT/license.bodies" \
      WRK_PATH=/licenses/verify
    metrics_delta "$before" "$(metrics_snapshot)" "$OUT/license-verify.gateway-metrics.json"
    jfr_summary license-verify
  fi
  return 0
}

# license_devices n out: a 1-seat policy, n licences each with one activated device; writes one verify body a line
license_devices() {
  local n=$1 out=$2 admin=(-H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json')
  log "license-verify: $n licences, each with an activated device"
  local policy
  policy=$(curl -fsS "${admin[@]}" "http://127.0.0.1:$GW_PORT/v1/apps/$APP_ID/license-policies" \
    -d '{"name":"Bench","max_devices":1,"entitlements":["bench"]}' | jq -r .policy_id)
  : > "$out"
  local i key body
  for ((i = 0; i < n; i++)); do
    key=$(curl -fsS "${admin[@]}" "http://127.0.0.1:$GW_PORT/v1/apps/$APP_ID/licenses" \
      -d "{\"policy_id\":\"$policy\"}" | jq -r .key)
    body=$(jq -cn --arg app "$APP_ID" --arg key "$key" --arg fpr "bench-device-$i" '{app_id: $app, key: $key, fingerprint: $fpr}')
    curl -fsS -o /dev/null -H 'Content-Type: application/json' "http://127.0.0.1:$GW_PORT/licenses/activate" -d "$body"
    echo "$body" >> "$out"
  done
}

# ---- Keycloak -----------------------------------------------------------------------------------------------
keycloak() {
  local home="$CACHE/keycloak-$KEYCLOAK_VERSION"
  if [[ ! -x $home/bin/kc.sh ]]; then
    log "fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip from Maven Central"
    (cd "$BENCH_DIR" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" -DoutputDirectory="$CACHE")
    (cd "$CACHE" && unzip -q -o "keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip")
  fi
  rm -rf "$home/data" # a fresh dev database every run
  local admin_password kc_started kc_sh
  admin_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  log "starting Keycloak $KEYCLOAK_VERSION: kc.sh start-dev on 127.0.0.1:$KC_PORT"
  kc_started=$(now_ms)
  # Keycloak runs on the JDK its earlier figures were measured with (the machine's 17) unless told otherwise
  KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" JAVA_HOME="$KEYCLOAK_JAVA_HOME" \
    PATH="$KEYCLOAK_JAVA_HOME/bin:$PATH" nice -n "$NICE" "$home/bin/kc.sh" start-dev --http-port="$KC_PORT" --http-host=127.0.0.1 \
    --http-management-port="$KC_MGMT_PORT" > "$OUT/keycloak.log" 2>&1 &
  kc_sh=$!
  STARTED+=("$kc_sh")
  if ! wait_http "http://127.0.0.1:$KC_PORT/realms/master/.well-known/openid-configuration" 300 > /dev/null; then
    log "Keycloak did not become ready; its log:"; tail -n 30 "$OUT/keycloak.log" >&2; exit 1
  fi
  local kc_ready_ms=$(( $(now_ms) - kc_started ))
  # kc.sh runs java as its child (or execs it after a re-augmentation): the JVM is what we measure
  KC_PID=$(pgrep -P "$kc_sh" java || echo "$kc_sh")
  log "Keycloak ready in ${kc_ready_ms} ms (JVM pid $KC_PID)"

  local admin realm=bench client=bench client_secret user=bench user_password
  client_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  user_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  local kc="http://127.0.0.1:$KC_PORT"
  admin=$(curl -fsS "$kc/realms/master/protocol/openid-connect/token" -d grant_type=password -d client_id=admin-cli \
    -d username=admin --data-urlencode "password=$admin_password" | jq -r .access_token)
  kc_admin() { curl -fsS -X POST "$kc/admin/realms$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$2"; }
  # tokens live as long as Portcullis's (15 min), so none expires during the run
  kc_admin "" "{\"realm\":\"$realm\",\"enabled\":true,\"accessTokenLifespan\":900,\"ssoSessionIdleTimeout\":3600}"
  kc_admin "/$realm/clients" "{\"clientId\":\"$client\",\"enabled\":true,\"publicClient\":false,\"secret\":\"$client_secret\",
    \"serviceAccountsEnabled\":true,\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false}"
  kc_admin "/$realm/users" "{\"username\":\"$user\",\"enabled\":true,\"email\":\"bench@bench.test\",\"emailVerified\":true,
    \"firstName\":\"Bench\",\"lastName\":\"User\",\"credentials\":[{\"type\":\"password\",\"value\":\"$user_password\",\"temporary\":false}]}"
  log "Keycloak realm $realm, confidential client $client and user $user created"

  kc_load() { # name scenario [args...]
    local name=$1 scenario=$2; shift 2
    log "$name: load generator, $scenario, ${WARMUP}s warm-up then ${DURATION}s measured"
    bench_java load --scenario "$scenario" --target "$kc" --connections "$CONNECTIONS" --warmup "$WARMUP" \
      --duration "$DURATION" --pid "$KC_PID" --realm "$realm" --client-id "$client" --client-secret "$client_secret" \
      --username "$user" --password "$user_password" --out "$OUT/$name.json" "$@" >&2
  }
  kc_load kc-refresh kc-refresh
  WARMUP=$PASSWORD_WARMUP kc_load kc-password kc-password
  wrk_run kc-client-credentials "$KC_PID" "$kc" form.lua WRK_PATH="/realms/$realm/protocol/openid-connect/token" \
    WRK_BODY="grant_type=client_credentials&client_id=$client&client_secret=$client_secret"
  kc_load kc-sessions kc-sessions --sessions 16 --tokens-out "$OUT/kc.tokens"
  wrk_run kc-userinfo "$KC_PID" "$kc" bearer.lua WRK_TOKENS="$OUT/kc.tokens" \
    WRK_PATH="/realms/$realm/protocol/openid-connect/userinfo"

  local said
  said=$(grep -o 'started in [0-9.]*s' "$OUT/keycloak.log" | head -n 1 | grep -o '[0-9.]*' || echo null)
  jq -n --arg version "$KEYCLOAK_VERSION" --argjson ready "$kc_ready_ms" --argjson said "${said:-null}" \
    '{version: $version, start_to_ready_ms: $ready, started_in_s_by_its_log: $said, mode: "start-dev"}' > "$OUT/keycloak.json"
  log "stopping Keycloak"
  stop_pid "$kc_sh" 30
  [[ $KC_PID == "$kc_sh" ]] || stop_pid "$KC_PID" 10
}

# ---- the run ------------------------------------------------------------------------------------------------
main() {
  local started
  started=$(now_ms)
  prerequisites
  build
  cds_archive
  machine
  log "run $RUN_ID: results in $OUT"
  for port in "$GW_PORT" "$MGMT_PORT" "$BARE_PORT" "$RECEIVER_PORT" "$KC_PORT" "$KC_MGMT_PORT"; do port_free "$port"; done
  has sign && baseline_sign
  has argon2 && ! has password && baseline_argon2
  has bare && baseline_bare
  has password-floor && baseline_password_floor
  if has me || has me-rate || has refresh || has otp || has otp-returning || has mix || has license-verify || has password || has password-paired || has password-me; then
    start_gateway
    gateway_scenarios
    stop_gateway
  fi
  has keycloak && keycloak
  jq -n --argjson seconds $(( ($(now_ms) - started) / 1000 )) '{wall_s: $seconds}' > "$OUT/run.json"
  bench_java report --dir "$OUT"
  ln -sfn "$RUN_ID" "$BENCH_DIR/results/latest"
  log "done in $(( ($(now_ms) - started) / 1000 )) s: $OUT/results.md"
}

main "$@"
