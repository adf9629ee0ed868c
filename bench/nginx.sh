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

measure none "/health"
for db in sqlite postgresql mysql; do
  if [[ $db == postgresql && -z ${SLEET_TEST_PG_URL:-} ]]; then continue; fi
  if [[ $db == mysql && -z ${SLEET_TEST_MYSQL_URL:-} ]]; then continue; fi
  curl -fsS -X POST "$url/setup?db=$db" >/dev/null
  curl -fsS -X POST "$url/items?db=$db&name=bench&n=1" >/dev/null
  measure "$db" "/item?db=$db&id=1"
done
echo "INFO nginx_version $(nginx -v 2>&1 | sed 's/.*: //')," \
  "$(dpkg-query -W -f='libnginx-mod-http-lua ${Version}' \
    libnginx-mod-http-lua 2>/dev/null)"
echo "INFO nginx 2 workers, $REQUESTS requests per handler after 1,000 of" \
  "warm-up"
