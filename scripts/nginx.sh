#!/usr/bin/env bash
# A throwaway nginx with the Lua module (Debian's libnginx-mod-http-lua,
# which runs LuaJIT 2.1 from luajit2) for the request specs.
#
# Sourced by scripts/test.sh after scripts/servers.sh (pick_port, alive),
# which calls start_nginx once the database servers run and build-luajit/
# holds sleet built for LuaJIT, and stop_nginx from its EXIT trap.
#
# start_nginx installs sleet into a fresh prefix under /tmp as an
# application would (the Lua modules, the LuaJIT build of the C modules and
# spec/nginx/app.lua, readable by nginx's workers, which run as nobody),
# gives the workers a data directory of their own for SQLite, fills in
# spec/nginx/nginx.conf and starts nginx on a free port of 127.0.0.1. It
# exports
#
#   SLEET_TEST_NGINX_URL     http://127.0.0.1:PORT
#   SLEET_TEST_NGINX_PREFIX  the prefix (logs/error.log, nginx.pid)
#
# stop_nginx stops exactly that nginx, by the pid in its pid file, and
# removes the prefix.

SLEET_NGINX_DIR=

start_nginx() {
  local root dir port attempt i
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [[ ! -f "$root/build-luajit/sleet/core.so" ]]; then
    echo "nginx: build-luajit/sleet/core.so is missing (make luajit)" >&2
    return 1
  fi
  dir=$(mktemp -d /tmp/sleet-nginx.XXXXXX) || return 1
  SLEET_NGINX_DIR=$dir
  mkdir -p "$dir/logs" "$dir/tmp" "$dir/data" "$dir/lua" "$dir/lib"
  cp -r "$root/lua/sleet" "$dir/lua/"
  cp "$root/spec/nginx/app.lua" "$dir/lua/"
  cp -r "$root/build-luajit/sleet" "$dir/lib/"
  chmod -R a+rX "$dir"
  # SQLite writes its file and side files (journal, WAL) as the worker's
  # user: the directory is theirs.
  if [[ "$(id -u)" == 0 ]]; then
    chown nobody "$dir/data"
  fi
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(pick_port) || return 1
    sed -e "s|@PREFIX@|$dir|g" -e "s|@PORT@|$port|g" \
      -e "s|@LUA_PATH@|$dir/lua/?.lua;$dir/lua/?/init.lua;;|g" \
      -e "s|@LUA_CPATH@|$dir/lib/?.so;;|g" \
      "$root/spec/nginx/nginx.conf" >"$dir/nginx.conf"
    : >"$dir/logs/error.log"
    if ! nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/logs/error.log"; then
      if grep -q "Address already in use" "$dir/logs/error.log"; then
        continue
      fi
      echo "nginx: did not start:" >&2
      tail -n 20 "$dir/logs/error.log" >&2
      return 1
    fi
    for ((i = 0; i < 100; i++)); do
      if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
        export SLEET_TEST_NGINX_URL="http://127.0.0.1:$port"
        export SLEET_TEST_NGINX_PREFIX="$dir"
        echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //') listens on" \
          "127.0.0.1:$port ($dir)"
        return 0
      fi
      sleep 0.1
    done
    echo "nginx: no answer on 127.0.0.1:$port:" >&2
    tail -n 20 "$dir/logs/error.log" >&2
    return 1
  done
  echo "nginx: no free port after $attempt attempts" >&2
  return 1
}

stop_nginx() {
  local dir=$SLEET_NGINX_DIR pid i
  [[ -n "$dir" ]] || return 0
  SLEET_NGINX_DIR=
  unset SLEET_TEST_NGINX_URL SLEET_TEST_NGINX_PREFIX
  if [[ -f "$dir/nginx.pid" ]]; then
    pid=$(cat "$dir/nginx.pid")
    if [[ -n "$pid" ]] && alive "$pid"; then
      kill -QUIT "$pid" 2>/dev/null
      for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
      done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -rf "$dir"
}
