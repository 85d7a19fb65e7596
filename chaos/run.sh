#!/usr/bin/env bash
# Portcullis chaos suite: the one command (see chaos/README.md).
#
#   chaos/run.sh                       # every experiment, a 30-minute soak
#   SOAK_MINUTES=3 chaos/run.sh        # a short soak
#   CHAOS_EXPERIMENTS="single-use kill" chaos/run.sh
#
# Two gateway processes (java -jar target/portcullis.jar) behind HAProxy, which health-checks /health/ready on
# their management ports, on one Postgres and one Redis. Every experiment runs under load with a ledger of
# every answer the clients saw, checked afterwards against Postgres and the audit chain. The suite starts its
# own redis-server, Sentinel set and Postgres cluster for the experiments that kill, restart or flush them, and
# never touches the shared 127.0.0.1:6379 nor restarts the shared Postgres (it only creates and drops its own
# database there). All traffic stays on 127.0.0.1. Bounded in time: every wait has a deadline.
#
# Knobs (environment): CHAOS_EXPERIMENTS (default "single-use kill redis postgres rolling spike sentinel soak"),
# SOAK_MINUTES (30), CHAOS_LOAD_SECONDS (40, the load of each fault experiment), CHAOS_USERS (8),
# CHAOS_SPIKE_RPS (base rate of the spike, 20/s; the spike is ten times that), CHAOS_MAX_IN_FLIGHT (the
# gateway's admission control per event loop, 16), CHAOS_LB_MAXCONN (HAProxy's requests per gateway, 24),
# CHAOS_SKIP_BUILD=1, CHAOS_NICE (0).
set -euo pipefail

CHAOS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$CHAOS_DIR")
source "$ROOT/.ci/java.sh"
EXPERIMENTS=${CHAOS_EXPERIMENTS:-"single-use kill redis postgres rolling spike sentinel soak"}
for experiment in $EXPERIMENTS; do
  case "$experiment" in
    single-use|kill|redis|postgres|rolling|spike|sentinel|soak) ;;
    *) echo "unknown experiment '$experiment': CHAOS_EXPERIMENTS takes single-use kill redis postgres rolling spike" \
         "sentinel soak (redis runs both redis-restart and redis-flush)" >&2; exit 2 ;;
  esac
done
SOAK_MINUTES=${SOAK_MINUTES:-30}
LOAD_SECONDS=${CHAOS_LOAD_SECONDS:-40}
USERS=${CHAOS_USERS:-8}
SPIKE_RPS=${CHAOS_SPIKE_RPS:-20}
MAX_IN_FLIGHT=${CHAOS_MAX_IN_FLIGHT:-16}
LB_MAXCONN=${CHAOS_LB_MAXCONN:-24}
NICE=${CHAOS_NICE:-0}

# Ports of the suite, away from the gateway's defaults and from bench/ (18xxx, 19xxx).
LB_PORT=28080; STATS_PORT=28088; RECEIVER_PORT=28099
declare -A HTTP_PORT=([a]=28081 [b]=28082)
declare -A MGMT_PORT=([a]=29091 [b]=29092)
REDIS_PORT=26390
SENTINEL_MASTER_PORT=26391; SENTINEL_REPLICA_PORT=26392; SENTINEL_PORTS=(26393 26394 26395)
OWN_PG_PORT=25433
SHARED_PG="postgresql://postgres@127.0.0.1:5432"

RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$CHAOS_DIR/results/$RUN_ID"
TMP=$(mktemp -d /tmp/portcullis-chaos.XXXXXX)
DB="chaos_$(date -u +%Y%m%d%H%M%S)"
mkdir -p "$OUT"
ln -sfn "$RUN_ID" "$CHAOS_DIR/results/latest"
TOOL="$CHAOS_DIR/target/portcullis-chaos.jar"
JAR="$ROOT/target/portcullis.jar"
SUMMARY="$OUT/summary.jsonl"
: > "$SUMMARY"

log() { printf '[chaos %s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
has() { [[ " $EXPERIMENTS " == *" $1 "* ]]; }
now_ms() { date +%s%3N; }

# ---- processes this script started: stopped by pid on any exit ----------------------------------------------
declare -A PIDS=()
OWN_PG_DATA=""
cleanup() {
  local name
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  sleep 1
  for name in "${!PIDS[@]}"; do kill -KILL "${PIDS[$name]}" 2>/dev/null || true; done
  if [[ -n "$OWN_PG_DATA" ]]; then
    runuser -u postgres -- pg_ctl -D "$OWN_PG_DATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  psql "$SHARED_PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

started() { PIDS[$1]=$2; }
stop_pid() { # name [grace seconds]: SIGTERM, then SIGKILL after the grace
  local pid=${PIDS[$1]:-}
  [[ -z "$pid" ]] && return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((${2:-30} * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
}
kill9() { local pid=${PIDS[$1]}; kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; unset "PIDS[$1]"; }
await() { # what seconds command...: polls every 100 ms until the command succeeds
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "gave up waiting for $what after ${seconds}s"; return 1
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- build ---------------------------------------------------------------------------------------------------
if [[ "${CHAOS_SKIP_BUILD:-0}" != 1 || ! -f "$JAR" || ! -f "$TOOL" ]]; then
  log "building the gateway and the chaos tool"
  (cd "$ROOT" && mvn -B -q -DskipTests package)
  (cd "$CHAOS_DIR" && mvn -B -q package)
fi
for binary in haproxy redis-server redis-sentinel redis-cli gnuplot psql; do
  command -v "$binary" >/dev/null || { log "missing $binary (apt-get install haproxy redis-server redis-sentinel redis-tools gnuplot-nox postgresql-client)"; exit 2; }
done
for port in $LB_PORT $STATS_PORT $RECEIVER_PORT ${HTTP_PORT[a]} ${HTTP_PORT[b]} ${MGMT_PORT[a]} ${MGMT_PORT[b]} $REDIS_PORT \
    $SENTINEL_MASTER_PORT $SENTINEL_REPLICA_PORT "${SENTINEL_PORTS[@]}" $OWN_PG_PORT; do
  port_free "$port" || { log "port $port is taken: another run or server is using it"; exit 2; }
done

MASTER_KEY=$(head -c 32 /dev/urandom | base64)
ADMIN_KEY="chaos-admin-$(head -c 24 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
WEBHOOK_SECRET="chaos-webhook-$(head -c 24 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
chaos() { nice -n "$NICE" java -jar "$TOOL" "$@"; }
record() { # experiment json: appends the result line to the summary (a tool that died is a failure)
  local name=$1 json=$2
  jq -e . <<< "$json" >/dev/null 2>&1 || json="{\"passed\":false,\"failures\":[\"no result: the tool failed, see run.log\"]}"
  echo "$json" | jq -c --arg name "$name" '{experiment: $name} + .' >> "$SUMMARY"
  log "$name: $(echo "$json" | jq -c '{passed} + (if .failures then {failures} else {} end)')"
}

# ---- backends ------------------------------------------------------------------------------------------------
start_redis() { # name port [args...]
  local name=$1 port=$2; shift 2
  mkdir -p "$TMP/$name"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$TMP/$name" --save "" --protected-mode no "$@" \
    >> "$OUT/$name.log" 2>&1 &
  started "$name" $!
  await "$name on $port" 10 redis-cli -p "$port" ping
}

start_sentinels() {
  local i=0 port
  for port in "${SENTINEL_PORTS[@]}"; do
    cat > "$TMP/sentinel-$port.conf" <<EOF
port $port
bind 127.0.0.1
protected-mode no
dir $TMP
sentinel monitor mymaster 127.0.0.1 $SENTINEL_MASTER_PORT 2
sentinel down-after-milliseconds mymaster 2000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
    redis-sentinel "$TMP/sentinel-$port.conf" >> "$OUT/sentinel-$port.log" 2>&1 &
    started "sentinel-$i" $!
    i=$((i + 1))
    await "sentinel $port" 10 redis-cli -p "$port" ping
  done
}
sentinel_master_port() { redis-cli -p "${SENTINEL_PORTS[0]}" SENTINEL GET-MASTER-ADDR-BY-NAME mymaster | tail -n 1; }

start_own_postgres() {
  OWN_PG_DATA="$TMP/pg/data"
  chmod 711 "$TMP"; mkdir -p "$TMP/pg" && chown postgres "$TMP/pg" && chmod 700 "$TMP/pg"
  runuser -u postgres -- initdb -D "$OWN_PG_DATA" -A trust -U postgres >/dev/null
  own_pg_ctl start
}
own_pg_ctl() { # start | restart-immediate | stop-immediate
  case $1 in
    start) runuser -u postgres -- pg_ctl -D "$OWN_PG_DATA" -w -l "$TMP/pg/postgres.log" \
             -o "-p $OWN_PG_PORT -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null ;;
    stop-immediate) runuser -u postgres -- pg_ctl -D "$OWN_PG_DATA" -m immediate -w stop >/dev/null ;;
  esac
}

# ---- gateways and the balancer -------------------------------------------------------------------------------
PG_URL="$SHARED_PG/$DB"
REDIS_MODE=standalone
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

start_gateway() { # a|b
  local name=$1
  PORTCULLIS_HTTP_PORT=${HTTP_PORT[$name]} \
  PORTCULLIS_MANAGEMENT_PORT=${MGMT_PORT[$name]} \
  PORTCULLIS_HTTP_INSTANCES=2 \
  PORTCULLIS_HTTP_MAX_IN_FLIGHT=$MAX_IN_FLIGHT \
  PORTCULLIS_PG_URL="$PG_URL" \
  PORTCULLIS_PG_POOL_SIZE=8 \
  PORTCULLIS_REDIS_MODE=$REDIS_MODE \
  PORTCULLIS_REDIS_URL="$REDIS_URL" \
  PORTCULLIS_REDIS_PREFIX="chaos:" \
  PORTCULLIS_BACKEND_TIMEOUT_MS=1000 \
  PORTCULLIS_ISSUER="http://127.0.0.1:$LB_PORT" \
  PORTCULLIS_MASTER_KEY="$MASTER_KEY" \
  PORTCULLIS_ADMIN_KEY="$ADMIN_KEY" \
  PORTCULLIS_WEBHOOK_SECRET="$WEBHOOK_SECRET" \
  PORTCULLIS_OTP_EMAIL_CHANNEL=webhook \
  PORTCULLIS_OTP_EMAIL_WEBHOOK_URL="http://127.0.0.1:$RECEIVER_PORT/otp" \
  PORTCULLIS_OTP_SMS_CHANNEL=webhook \
  PORTCULLIS_OTP_SMS_WEBHOOK_URL="http://127.0.0.1:$RECEIVER_PORT/otp" \
  PORTCULLIS_OTP_SENDS_PER_HOUR_PER_IP=1000000 \
  PORTCULLIS_OTP_SENDS_PER_HOUR_PER_APP=1000000 \
    nice -n "$NICE" java -XX:MaxRAM=768m -XX:MaxRAMPercentage=75 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      -Xlog:gc:file="$OUT/gc-$name.log":uptime,time -jar "$JAR" >> "$OUT/gateway-$name.log" 2>&1 &
  started "gw-$name" $!
  await "gateway $name ready" 90 curl -fsS "http://127.0.0.1:${MGMT_PORT[$name]}/health/ready"
}
start_gateways() { start_gateway a; start_gateway b; await_balanced a; await_balanced b; }
stop_gateways() { stop_pid gw-a; stop_pid gw-b; }
lb_status() { curl -fsS "http://127.0.0.1:$STATS_PORT/stats;csv" | awk -F, -v s="$1" '$1=="gateways" && $2==s {print $18}'; }
await_balanced() { await "HAProxy to send to $1" 20 bash -c "[[ \"\$(curl -fsS 'http://127.0.0.1:$STATS_PORT/stats;csv' | awk -F, '\$1==\"gateways\" && \$2==\"$1\" {print \$18}')\" == UP ]]"; }

start_haproxy() {
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{"error":"unavailable","message":"no gateway can take this request now, retry shortly","retry_after":1}\n' > "$TMP/503.http"
  cat > "$TMP/haproxy.cfg" <<EOF
global
  maxconn 4000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 10s
  # the balancer's own admission control: at most LB_MAXCONN requests per gateway, a queue of at most 250 ms,
  # then 503 with Retry-After in the gateway's JSON error shape (errorfile), instead of a growing queue
  timeout queue 250ms
  errorfile 503 $TMP/503.http
  # a request the server never answered (refused connection, closed without a reply) goes to the other one
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  option http-server-close
frontend api
  bind 127.0.0.1:$LB_PORT
  default_backend gateways
backend gateways
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  # a refused connection fails a check at once (SIGTERM closes the management port first); on a busy machine a
  # check may be slow, so one slow answer does not take a healthy gateway out
  timeout check 2s
  default-server inter 500ms fall 2 rise 2 maxconn $LB_MAXCONN
  server a 127.0.0.1:${HTTP_PORT[a]} check port ${MGMT_PORT[a]}
  server b 127.0.0.1:${HTTP_PORT[b]} check port ${MGMT_PORT[b]}
listen stats
  bind 127.0.0.1:$STATS_PORT
  stats enable
  stats uri /stats
EOF
  haproxy -db -f "$TMP/haproxy.cfg" >> "$OUT/haproxy.log" 2>&1 &
  started haproxy $!
  await "HAProxy" 10 curl -fsS "http://127.0.0.1:$STATS_PORT/stats"
}

LB="http://127.0.0.1:$LB_PORT"
new_apps() { # suffix: a fresh app (grace 10 s) and one with grace 0, for this phase
  chaos app --base "$LB" --admin "$ADMIN_KEY" --slug "chaos-$1" --out "$OUT/app-$1.json" >/dev/null
  chaos app --base "$LB" --admin "$ADMIN_KEY" --slug "chaos-$1-nograce" --grace 0 --out "$OUT/app-$1-nograce.json" >/dev/null
}
load_bg() { # name seconds [users] [think]: load through the balancer in the background; LOAD_PID
  chaos load --base "$LB" --app "$OUT/app-$APP.json" --ledger "$OUT/$1.ledger" --receiver-port $RECEIVER_PORT \
    --seconds "$2" --users "${3:-$USERS}" --think "${4:-20}" --tag "$1" > "$OUT/$1.load.json" &
  LOAD_PID=$!
}
check() { # name ledger jdbc [fault-start fault-end]
  local name=$1 ledger=$2 jdbc=$3 result
  local extra=()
  [[ $# -ge 5 ]] && extra=(--fault-start "$4" --fault-end "$5" --recovery-ms 10000)
  result=$(chaos check --base "$LB" --admin "$ADMIN_KEY" --jdbc "$jdbc" --ledger "$ledger" "${extra[@]}" || true)
  echo "$result" > "$OUT/$name.check.json"
  record "$name" "$result"
}
JDBC_SHARED="jdbc:postgresql://127.0.0.1:5432/$DB?user=postgres"

# ---- phase 1: shared Postgres (own database), own Redis ------------------------------------------------------
psql "$SHARED_PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
start_redis redis $REDIS_PORT --appendonly yes --appendfsync everysec
start_haproxy
start_gateways
APP=main
new_apps main
log "run $RUN_ID: database $DB, gateways a and b behind HAProxy on $LB_PORT"

if has single-use; then
  log "experiment 1: single-use rules and limits across the two gateways"
  result=$(chaos single-use --a "http://127.0.0.1:${HTTP_PORT[a]}" --b "http://127.0.0.1:${HTTP_PORT[b]}" \
    --base "$LB" --app "$OUT/app-main.json" --app-nograce "$OUT/app-main-nograce.json" --admin "$ADMIN_KEY" --ledger "$OUT/single-use.ledger" \
    --load-ledger "$OUT/single-use-load.ledger" --load-users 4 --receiver-port $RECEIVER_PORT || true)
  echo "$result" > "$OUT/single-use.json"
  record single-use "$result"
  check single-use-ledger "$OUT/single-use-load.ledger,$OUT/single-use.ledger" "$JDBC_SHARED"
fi

if has kill; then
  log "experiment 2: kill -9 of gateway a under load"
  load_bg kill "$LOAD_SECONDS"
  sleep 12
  start=$(now_ms); kill9 gw-a; log "gateway a killed (-9)"
  sleep 8
  start_gateway a; await_balanced a; log "gateway a back after $(( $(now_ms) - start )) ms"
  wait "$LOAD_PID" || true
  # gateway b serves throughout: what counts is that nothing acknowledged is missing (no recovery window)
  check kill "$OUT/kill.ledger" "$JDBC_SHARED"
fi

if has redis; then
  log "experiment 3a: Redis restarted under load"
  load_bg redis-restart "$LOAD_SECONDS"
  sleep 10
  start=$(now_ms); stop_pid redis 10; log "Redis stopped"
  sleep 5
  start_redis redis $REDIS_PORT --appendonly yes --appendfsync everysec; end=$(now_ms); log "Redis back"
  wait "$LOAD_PID" || true
  check redis-restart "$OUT/redis-restart.ledger" "$JDBC_SHARED" "$start" "$end"

  log "experiment 3b: Redis flushed under load"
  load_bg redis-flush "$LOAD_SECONDS"
  sleep 15
  start=$(now_ms); redis-cli -p $REDIS_PORT FLUSHALL >/dev/null; end=$(now_ms); log "Redis flushed (our own, port $REDIS_PORT)"
  wait "$LOAD_PID" || true
  check redis-flush "$OUT/redis-flush.ledger" "$JDBC_SHARED" "$start" "$end"
fi

if has rolling; then
  log "experiment 5: rolling restart of both gateways behind HAProxy"
  load_bg rolling $((LOAD_SECONDS + 30))
  sleep 5
  for name in a b; do
    stop_pid "gw-$name" 30; log "gateway $name stopped (SIGTERM)"
    start_gateway "$name"; await_balanced "$name"; log "gateway $name back in the balancer"
    sleep 3
  done
  wait "$LOAD_PID" || true
  result=$(chaos check --base "$LB" --admin "$ADMIN_KEY" --jdbc "$JDBC_SHARED" --ledger "$OUT/rolling.ledger" || true)
  failed=$(jq '[.by_status | to_entries[] | select((.key | test("^(-1|5)")))] | map(.value) | add // 0' <<< "$result")
  result=$(jq -c --argjson failed "$failed" '. + {failed_requests: $failed, passed: (.passed and $failed == 0)}
    | if $failed > 0 then .failures += ["\($failed) requests failed during the rolling restart"] else . end' <<< "$result")
  echo "$result" > "$OUT/rolling.check.json"
  record rolling "$result"
fi

if has spike; then
  log "experiment 6: a 10x spike (base ${SPIKE_RPS}/s, spike $((SPIKE_RPS * 10))/s), admission control $MAX_IN_FLIGHT per event loop"
  result=$(chaos spike --base "$LB" --app "$OUT/app-main.json" --ledger "$OUT/spike.ledger" --receiver-port $RECEIVER_PORT \
    --rps "$SPIKE_RPS" --seconds 10 || true)
  echo "$result" > "$OUT/spike.json"
  record spike "$result"
fi

if has soak; then
  log "experiment 8: soak for $SOAK_MINUTES minutes (fresh gateway processes)"
  stop_gateways; start_gateways
  load_bg soak $((SOAK_MINUTES * 60)) 4 50
  echo "t,gateway,rss_kb,fds,heap_used_bytes" > "$OUT/soak-samples.csv"
  soak_start=$(date +%s)
  samples=0
  while kill -0 "$LOAD_PID" 2>/dev/null; do
    # once a minute a full GC (jcmd GC.run), so the GC log holds the heap after a full collection: the live data
    if (( samples % 6 == 0 )); then
      for name in a b; do jcmd "${PIDS[gw-$name]}" GC.run >/dev/null 2>&1 || true; done
    fi
    samples=$((samples + 1))
    for name in a b; do
      pid=${PIDS[gw-$name]}
      rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
      fds=$(ls "/proc/$pid/fd" | wc -l)
      heap=$(curl -fsS "http://127.0.0.1:${MGMT_PORT[$name]}/metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {s += $NF} END {printf "%d", s}')
      echo "$(( $(date +%s) - soak_start )),$name,$rss,$fds,$heap" >> "$OUT/soak-samples.csv"
    done
    sleep 10
  done
  wait "$LOAD_PID" || true
  check soak-ledger "$OUT/soak.ledger" "$JDBC_SHARED"
  python3 "$CHAOS_DIR/soak.py" "$OUT" > "$OUT/soak.json" || true
  record soak "$(cat "$OUT/soak.json")"
  if gnuplot -e "dir='$OUT'" "$CHAOS_DIR/soak.gnuplot"; then
    mkdir -p "$CHAOS_DIR/charts" && cp "$OUT"/soak-*.png "$CHAOS_DIR/charts/"
  else
    log "soak charts not drawn (see above)"
  fi
fi
stop_gateways

# ---- phase 2: the gateways on our own Postgres cluster -------------------------------------------------------
if has postgres; then
  log "experiment 4: Postgres restarted (immediate, as a crash) under load"
  start_own_postgres
  PG_URL="postgresql://postgres@127.0.0.1:$OWN_PG_PORT/portcullis"
  psql "postgresql://postgres@127.0.0.1:$OWN_PG_PORT/postgres" -qc "CREATE DATABASE portcullis" >/dev/null
  start_gateways
  APP=own-pg; new_apps own-pg
  load_bg postgres "$LOAD_SECONDS"
  sleep 12
  start=$(now_ms); own_pg_ctl stop-immediate; log "own Postgres stopped (immediate)"
  sleep 5
  own_pg_ctl start; end=$(now_ms); log "own Postgres back"
  wait "$LOAD_PID" || true
  check postgres "$OUT/postgres.ledger" "jdbc:postgresql://127.0.0.1:$OWN_PG_PORT/portcullis?user=postgres" "$start" "$end"
  stop_gateways
  PG_URL="$SHARED_PG/$DB"
fi

# ---- phase 3: Redis Sentinel ---------------------------------------------------------------------------------
if has sentinel; then
  log "experiment 7: Sentinel fail-over (kill -9 of the master) under load"
  start_redis sentinel-master $SENTINEL_MASTER_PORT
  start_redis sentinel-replica $SENTINEL_REPLICA_PORT --replicaof 127.0.0.1 $SENTINEL_MASTER_PORT
  start_sentinels
  await "the replica in sync" 20 bash -c "redis-cli -p $SENTINEL_MASTER_PORT INFO replication | grep -q state=online"
  REDIS_MODE=sentinel
  REDIS_URL=$(printf 'redis://127.0.0.1:%s,' "${SENTINEL_PORTS[@]}"); REDIS_URL=${REDIS_URL%,}
  start_gateways
  APP=sentinel; new_apps sentinel
  load_bg sentinel "$LOAD_SECONDS"
  sleep 12
  start=$(now_ms); kill9 sentinel-master; log "Redis master killed (-9)"
  await "a new master" 30 bash -c "[[ \$(redis-cli -p ${SENTINEL_PORTS[0]} SENTINEL GET-MASTER-ADDR-BY-NAME mymaster | tail -n 1) == $SENTINEL_REPLICA_PORT ]]" || true
  end=$(now_ms); log "new master on $(sentinel_master_port) after $((end - start)) ms"
  sleep 3
  start_redis sentinel-master $SENTINEL_MASTER_PORT   # comes back; the sentinels make it a replica of the new master
  wait "$LOAD_PID" || true
  result=$(chaos recheck-codes --base "$LB" --app "$OUT/app-sentinel.json" --ledger "$OUT/sentinel.ledger" \
    --out "$OUT/sentinel-recheck.ledger" || true)
  record sentinel-consumed-codes "$result"
  echo "$result" > "$OUT/sentinel-recheck.json"
  check sentinel "$OUT/sentinel.ledger" "$JDBC_SHARED" "$start" "$end"
  stop_gateways
fi

# ---- the verdict ---------------------------------------------------------------------------------------------
log "results in $OUT"
jq -r '"\(.experiment): \(if .passed then "PASS" else "FAIL" end)"' "$SUMMARY" | tee "$OUT/verdict.txt"
if jq -e 'select(.passed != true)' "$SUMMARY" >/dev/null; then
  exit 1
fi
