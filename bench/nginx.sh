#!/usr/bin/env bash
# The nginx rows of the benchmark (run by bench/run.sh, which has started
# the database servers and exported their URLs): starts nginx with sleet's
# LuaJIT build and the handlers of spec/nginx/app.lua (scripts/nginx.sh),
# then measures with ab, keep-alive, concurrency 20:
#
#   none         GET /health: a handler that touches no database
#   sqlite       GET /item?db=sqlite&id=1: a prepared point select
#   postgresql   the same on the PostgreSQL server, when it runs
#   mysql        the same on the MariaDB server, when it runs
#
# and prints one line each: NGINX <name> <requests per second> <failed>.
# SLEET_BENCH_NGINX_REQUESTS sets the requests per handler (20000).
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/servers.sh
source scripts/servers.sh
# shellcheck source=scripts/nginx.sh
source scripts/nginx.sh
trap stop_nginx EXIT

REQUESTS=${SLEET_BENCH_NGINX_REQUESTS:-20000}
start_nginx >&2
url=$SLEET_TEST_NGINX_URL

# ab's figures for one URL: NGINX name rps failed
measure() { # name path
  local out rps failed
  ab -q -k -c 20 -n 1000 "$url$2" >/dev/null # warm-up: JIT traces, caches
  out=$(ab -q -k -c 20 -n "$REQUESTS" "$url$2")
  rps=$(awk '/^Requests per second:/ { print $4 }' <<<"$out")
  failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
  if grep -q "Non-2xx responses" <<<"$out"; then
    echo "bench/nginx.sh: $2 answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "NGINX $1 $rps $failed"
}

# Requests per second at concurrency 50, and the latency percentiles when
# 5% of the requests run a 100 ms server-side sleep: PostgreSQL over the
# worker's libpq connection (blocking) and over cosockets (wire driver).
latency() { # name path
  local out rps failed p50 p90 p99
  ab -q -k -c 50 -n 1000 "$url$2" >/dev/null
  out=$(ab -q -k -c 50 -n "$LAT_REQUESTS" "$url$2")
  rps=$(awk '/^Requests per second:/ { print $4 }' <<<"$out")
  failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p90=$(awk '$1 == "90%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  if grep -q "Non-2xx responses" <<<"$out"; then
    echo "bench/nginx.sh: $2 answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "NGINXLAT $1 $rps $failed $p50 $p90 $p99"
}
LAT_REQUESTS=${SLEET_BENCH_NGINX_LAT_REQUESTS:-5000}

measure none "/health"
for db in sqlite postgresql mysql; do
  if [[ $db == postgresql && -z ${SLEET_TEST_PG_URL:-} ]]; then continue; fi
  if [[ $db == mysql && -z ${SLEET_TEST_MYSQL_URL:-} ]]; then continue; fi
  curl -fsS -X POST "$url/setup?db=$db" >/dev/null
  curl -fsS -X POST "$url/items?db=$db&name=bench&n=1" >/dev/null
  measure "$db" "/item?db=$db&id=1"
done
if [[ -n ${SLEET_TEST_PG_URL:-} ]]; then
  latency pg-libpq "/item?db=postgresql&id=1"
  # a keepalive pool of 40 per worker: 50 concurrent requests on 2 workers
  # find a pooled session (the server allows 100)
  latency pg-wire "/wire_item?db=postgresql&id=1&pool=40"
  latency pg-libpq-mixed "/mixed?db=postgresql&via=libpq"
  latency pg-wire-mixed "/mixed?db=postgresql&via=wire&pool=40"
fi
echo "INFO nginx_version $(nginx -v 2>&1 | sed 's/.*: //')," \
  "$(dpkg-query -W -f='libnginx-mod-http-lua ${Version}' \
    libnginx-mod-http-lua 2>/dev/null)"
echo "INFO nginx 2 workers, $REQUESTS requests per handler after 1,000 of" \
  "warm-up"
