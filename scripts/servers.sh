#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers on loopback, for the specs.
#
# Sourced by scripts/test.sh, which calls start_postgresql, start_mysql and
# (from its EXIT trap) stop_servers. Each server gets a fresh data directory
# under /tmp, a free high port on 127.0.0.1 and a unix socket in its own
# directory; nothing reads /etc/postgresql or /etc/mysql. A started server
# exports the variables spec/support/dialects.lua reads:
#
#   SLEET_TEST_PG_URL     postgres://postgres@127.0.0.1:PORT/postgres
#   SLEET_TEST_PG_CTL     a command taking `stop` or `start` that stops or
#                         starts that same server (spec/pg_restart_spec.lua)
#   SLEET_TEST_PG_MD5_URL, SLEET_TEST_PG_SCRAM_URL, SLEET_TEST_PG_PASSWORD_URL
#                         the same server as users that must authenticate
#                         with md5, scram-sha-256 and a cleartext password
#                         (password "sleet-pw"; the wire driver's tests)
#   SLEET_TEST_MYSQL_URL  mysql://root@127.0.0.1:PORT/sleet_test
#   SLEET_TEST_MYSQL_SOCKET  the unix socket of that same server
#   SLEET_TEST_MYSQL_PW_URL  a user of that server with a password
#                         (mysql_native_password), for the auth specs
#
# stop_servers stops exactly the servers started here, by data directory
# (pg_ctl -D) and by pid (mariadbd), never by process name, and removes
# their directories.
#
# Run directly (`bash scripts/servers.sh`), it starts both servers, prints
# the variables to export and keeps them running until interrupted.

SLEET_PG_DIR=
SLEET_MY_DIR=
SLEET_MY_PID=

# Tools run as the servers' own users when we are root (PostgreSQL refuses
# to run as root); otherwise as ourselves.
if [[ "$(id -u)" == 0 ]]; then
  SLEET_AS_PG=(runuser -u postgres --)
  SLEET_MY_USER=(--user=mysql)
else
  SLEET_AS_PG=()
  SLEET_MY_USER=()
fi

# Exits 0 when nothing accepts connections on 127.0.0.1:$1.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a port in 20000-59999 that nothing listens on. Another process may
# still take it before the server binds, so callers retry on a bind error.
pick_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if port_free "$port"; then
      echo "$port"
      return 0
    fi
  done
  echo "servers: no free port found" >&2
  return 1
}

# True while pid $1 runs (a zombie, exited but not yet reaped, does not
# count).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat%% *}" != Z ]]
}

# The newest PostgreSQL server installation: initdb and pg_ctl.
pg_bindir() {
  local dir best=
  for dir in /usr/lib/postgresql/*/bin; do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      if [[ -z "$best" ]] || [[ "${dir#/usr/lib/postgresql/}" > \
        "${best#/usr/lib/postgresql/}" ]]; then
        best=$dir
      fi
    fi
  done
  if [[ -z "$best" ]] && command -v pg_ctl >/dev/null 2>&1; then
    best=$(dirname "$(command -v pg_ctl)")
  fi
  [[ -n "$best" ]] && echo "$best"
}

# Writes $SLEET_PG_DIR/pgctl, a script taking `start` or `stop` that runs
# pg_ctl as postgres on this run's data directory with the port $1. The
# specs run it from a process that may have the sanitizer runtimes
# preloaded; they must not leak into the server.
# shellcheck disable=SC2016 # the script's own $1, $0 and $* stay literal
write_pgctl() { # port bindir [dir]
  local port=$1 bindir=$2 dir=${3:-$SLEET_PG_DIR}
  local opts="-p $port -c listen_addresses=127.0.0.1"
  opts+=" -c unix_socket_directories=$dir -c fsync=off"
  opts+=" -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC"
  {
    echo '#!/usr/bin/env bash'
    echo '# Starts or stops the throwaway PostgreSQL server of one test run.'
    echo 'unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS'
    printf 'cd %q || exit 1\n' "$dir"
    echo 'case "${1:-}" in'
    printf '  start) set -- -D data -l server.log -w -t 30 -o %q start ;;\n' \
      "$opts"
    echo '  stop) set -- -D data -m fast -w -t 30 stop ;;'
    echo '  *) echo "usage: $0 start|stop" >&2; exit 2 ;;'
    echo 'esac'
    printf 'if ! %s %q "$@" >>pg_ctl.log 2>&1; then\n' \
      "${SLEET_AS_PG[*]}" "$bindir/pg_ctl"
    echo '  echo "$0: pg_ctl ${*: -1} failed; pg_ctl.log and server.log:" >&2'
    echo '  tail -n 15 pg_ctl.log server.log >&2'
    echo '  exit 1'
    echo 'fi'
  } >"$dir/pgctl"
  chmod 755 "$dir/pgctl"
}

# The authentication matrix of the wire driver: one user per method, each
# with password "sleet-pw" stored the way its method needs (md5 needs an md5
# hash), and pg_hba.conf lines for them placed before the trust lines (the
# first matching line wins), then a reload. Exports the three URLs.
pg_auth_users() { # port bindir
  local port=$1 bindir=$2 dir=$SLEET_PG_DIR hba
  hba=$dir/data/pg_hba.conf
  if ! "${SLEET_AS_PG[@]}" "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" \
    -U postgres -d postgres -v ON_ERROR_STOP=1 >"$dir/auth-users.log" 2>&1 <<'SQL'
set password_encryption = 'md5';
create role sleet_md5 login password 'sleet-pw';
create role sleet_password login password 'sleet-pw';
set password_encryption = 'scram-sha-256';
create role sleet_scram login password 'sleet-pw';
SQL
  then
    echo "servers: could not create the authentication users:" >&2
    cat "$dir/auth-users.log" >&2
    return 1
  fi
  {
    echo "host all sleet_md5 127.0.0.1/32 md5"
    echo "host all sleet_scram 127.0.0.1/32 scram-sha-256"
    echo "host all sleet_password 127.0.0.1/32 password"
    cat "$hba"
  } >"$hba.new" && mv "$hba.new" "$hba" &&
    chown --reference="$dir/data" "$hba" &&
    "${SLEET_AS_PG[@]}" "$bindir/pg_ctl" -D "$dir/data" reload >/dev/null || {
    echo "servers: could not reload pg_hba.conf" >&2
    return 1
  }
  export SLEET_TEST_PG_MD5_URL="postgres://sleet_md5:sleet-pw@127.0.0.1:$port/postgres"
  export SLEET_TEST_PG_SCRAM_URL="postgres://sleet_scram:sleet-pw@127.0.0.1:$port/postgres"
  export SLEET_TEST_PG_PASSWORD_URL="postgres://sleet_password:sleet-pw@127.0.0.1:$port/postgres"
}

# Starts PostgreSQL and exports SLEET_TEST_PG_URL and SLEET_TEST_PG_CTL (and
# the authentication matrix's URLs).
# Returns non-zero, with the reason on stderr, when it cannot.
start_postgresql() {
  local bindir port attempt
  bindir=$(pg_bindir) || {
    echo "servers: PostgreSQL server binaries (initdb, pg_ctl) not found;" \
      "install the postgresql package" >&2
    return 1
  }
  SLEET_PG_DIR=$(mktemp -d /tmp/sleet-pg.XXXXXX) || return 1
  if ((${#SLEET_AS_PG[@]} > 0)); then
    chown postgres: "$SLEET_PG_DIR" || return 1
  fi
  echo "servers: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}')" \
    "in $SLEET_PG_DIR"
  if ! (cd "$SLEET_PG_DIR" && "${SLEET_AS_PG[@]}" "$bindir/initdb" -D data \
    -A trust -U postgres -E UTF8 --locale=C --no-sync >initdb.log 2>&1); then
    echo "servers: initdb failed:" >&2
    tail -n 20 "$SLEET_PG_DIR/initdb.log" >&2
    return 1
  fi
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(pick_port) || return 1
    write_pgctl "$port" "$bindir"
    if "$SLEET_PG_DIR/pgctl" start 2>/dev/null; then
      export SLEET_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
      export SLEET_TEST_PG_CTL="$SLEET_PG_DIR/pgctl"
      echo "servers: PostgreSQL listens on 127.0.0.1:$port"
      pg_auth_users "$port" "$bindir" || return 1
      return 0
    fi
    # Only a port taken since pick_port is worth another try.
    if ! grep -q 'could not bind' "$SLEET_PG_DIR/server.log" 2>/dev/null; then
      break
    fi
    echo "servers: port $port was taken, trying another"
  done
  echo "servers: PostgreSQL did not start:" >&2
  tail -n 20 "$SLEET_PG_DIR/pg_ctl.log" "$SLEET_PG_DIR/server.log" >&2
  return 1
}

# Starts MariaDB, creates the database sleet_test and exports
# SLEET_TEST_MYSQL_URL. Returns non-zero, with the reason on stderr, when it
# cannot. Every tool gets --no-defaults so that no my.cnf is read.
start_mysql() {
  local dir port attempt i
  local tool
  for tool in mariadb-install-db mariadbd mariadb-admin mariadb; do
    if ! command -v "$tool" >/dev/null 2>&1 &&
      [[ ! -x "/usr/sbin/$tool" ]]; then
      echo "servers: $tool not found; install the mariadb-server package" >&2
      return 1
    fi
  done
  local mariadbd
  mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  SLEET_MY_DIR=$(mktemp -d /tmp/sleet-mysql.XXXXXX) || return 1
  dir=$SLEET_MY_DIR
  if ((${#SLEET_MY_USER[@]} > 0)); then
    chown mysql: "$dir" || return 1
  fi
  local version
  version=$("$mariadbd" --no-defaults --version 2>/dev/null | awk '{print $3}')
  echo "servers: MariaDB ${version%%-*} in $dir"
  if ! (cd "$dir" && mariadb-install-db --no-defaults "${SLEET_MY_USER[@]}" \
    --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >install-db.log 2>&1); then
    echo "servers: mariadb-install-db failed:" >&2
    tail -n 20 "$dir/install-db.log" >&2
    return 1
  fi
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(pick_port) || return 1
    # A background job of a script ignores SIGINT: a Ctrl-C reaches the
    # script, whose trap then stops the server.
    "$mariadbd" --no-defaults "${SLEET_MY_USER[@]}" --datadir="$dir/data" \
      --socket="$dir/sock" --port="$port" --bind-address=127.0.0.1 \
      --pid-file="$dir/pid" --skip-log-bin --skip-name-resolve \
      --innodb-flush-log-at-trx-commit=0 --character-set-server=utf8mb4 \
      </dev/null >"$dir/server.log" 2>&1 &
    SLEET_MY_PID=$!
    for ((i = 0; i < 300; i++)); do
      if mariadb-admin --no-defaults --socket="$dir/sock" -uroot \
        --connect-timeout=2 ping >/dev/null 2>&1; then
        break
      fi
      alive "$SLEET_MY_PID" || break
      sleep 0.1
    done
    if alive "$SLEET_MY_PID" && ((i < 300)); then
      if ! mariadb --no-defaults --socket="$dir/sock" -uroot \
        -e 'create database sleet_test' 2>"$dir/create.log"; then
        echo "servers: could not create database sleet_test:" >&2
        cat "$dir/create.log" >&2
        return 1
      fi
      # a user with a password, for the auth matrix of the wire driver
      if mariadb --no-defaults --socket="$dir/sock" -uroot -e "CREATE USER \
        'sleet_pw'@'%' IDENTIFIED VIA mysql_native_password USING \
        PASSWORD('sleet-pw'); GRANT ALL ON sleet_test.* TO 'sleet_pw'@'%'" \
        2>>"$dir/create.log"; then
        export SLEET_TEST_MYSQL_PW_URL="mysql://sleet_pw:sleet-pw@127.0.0.1:$port/sleet_test"
      fi
      export SLEET_TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/sleet_test"
      export SLEET_TEST_MYSQL_SOCKET="$dir/sock"
      echo "servers: MariaDB listens on 127.0.0.1:$port"
      return 0
    fi
    stop_mysql
    if ! grep -q 'Address already in use' "$dir/server.log" 2>/dev/null; then
      break
    fi
    echo "servers: port $port was taken, trying another"
  done
  echo "servers: MariaDB did not start:" >&2
  tail -n 20 "$dir/server.log" >&2
  return 1
}

# Stops PostgreSQL if this run started it (fast shutdown, then immediate,
# then SIGKILL to the postmaster named in its own pid file) and removes its
# directory.
# Stops the PostgreSQL server of directory $1 (fast, then immediate, then
# SIGKILL) and removes the directory.
stop_pg_dir() {
  local dir=$1 pid
  [[ -n "$dir" && -d "$dir" ]] || return 0
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    if ! "$dir/pgctl" stop 2>/dev/null; then
      "${SLEET_AS_PG[@]}" "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate \
        -w -t 10 stop >/dev/null 2>&1
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -rf "$dir"
}

stop_postgresql() {
  stop_pg_dir "${SLEET_PG_DIR:-}"
  SLEET_PG_DIR=
  unset SLEET_TEST_PG_URL SLEET_TEST_PG_CTL SLEET_TEST_PG_MD5_URL \
    SLEET_TEST_PG_SCRAM_URL SLEET_TEST_PG_PASSWORD_URL
}

# Starts a streaming replica of the PostgreSQL server (pg_basebackup of it,
# hot standby) on another loopback port and, once it serves reads, exports
# SLEET_TEST_PG_REPLICA_URL and SLEET_TEST_PG_REPLICA_CTL (its pgctl). A
# replication slot keeps the WAL the standby has not received: the specs
# restart the primary, and without one the standby could fall behind for
# good. Returns non-zero, with the reason on stderr, when it cannot.
start_pg_replica() {
  local bindir port primary attempt i dir
  if [[ -z ${SLEET_TEST_PG_URL:-} ]]; then
    echo "servers: no PostgreSQL server to replicate" >&2
    return 1
  fi
  bindir=$(pg_bindir) || return 1
  primary=${SLEET_TEST_PG_URL##*:}
  primary=${primary%%/*}
  SLEET_PG_REPLICA_DIR=$(mktemp -d /tmp/sleet-pgr.XXXXXX) || return 1
  dir=$SLEET_PG_REPLICA_DIR
  if ((${#SLEET_AS_PG[@]} > 0)); then
    chown postgres: "$dir" || return 1
  fi
  if ! (cd "$dir" && timeout 120 "${SLEET_AS_PG[@]}" "$bindir/pg_basebackup" \
    -h 127.0.0.1 -p "$primary" -U postgres -D data -R -X stream -c fast \
    -C -S "sleet_replica_$$" \
    --no-sync >basebackup.log 2>&1); then
    echo "servers: pg_basebackup failed:" >&2
    tail -n 20 "$dir/basebackup.log" >&2
    return 1
  fi
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(pick_port) || return 1
    write_pgctl "$port" "$bindir" "$dir"
    if "$dir/pgctl" start 2>/dev/null; then
      # a hot standby answers once it has replayed to a consistent state
      for ((i = 0; i < 100; i++)); do
        if [[ $(env -u LD_PRELOAD "$bindir/psql" -h 127.0.0.1 -p "$port" \
          -U postgres -d postgres -Atc 'select pg_is_in_recovery()' \
          2>/dev/null) == t ]]; then
          export SLEET_TEST_PG_REPLICA_URL="postgres://postgres@127.0.0.1:$port/postgres"
          export SLEET_TEST_PG_REPLICA_CTL="$dir/pgctl"
          echo "servers: PostgreSQL replica listens on 127.0.0.1:$port"
          return 0
        fi
        sleep 0.1
      done
      echo "servers: the PostgreSQL replica does not answer as a standby" >&2
      tail -n 20 "$dir/server.log" >&2
      return 1
    fi
    if ! grep -q 'could not bind' "$dir/server.log" 2>/dev/null; then
      break
    fi
    echo "servers: port $port was taken, trying another"
  done
  echo "servers: the PostgreSQL replica did not start:" >&2
  tail -n 20 "$dir/pg_ctl.log" "$dir/server.log" >&2
  return 1
}

stop_pg_replica() {
  stop_pg_dir "${SLEET_PG_REPLICA_DIR:-}"
  SLEET_PG_REPLICA_DIR=
  unset SLEET_TEST_PG_REPLICA_URL SLEET_TEST_PG_REPLICA_CTL
}

# Stops the MariaDB server this run started: SIGTERM to its pid, SIGKILL
# after 30 s. Its directory stays (start_mysql retries in it);
# stop_servers removes it.
stop_mysql() {
  local pid=$SLEET_MY_PID i
  if [[ -n "$pid" ]]; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "servers: MariaDB (pid $pid) did not stop in 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    SLEET_MY_PID=
  fi
  unset SLEET_TEST_MYSQL_URL SLEET_TEST_MYSQL_SOCKET SLEET_TEST_MYSQL_PW_URL
}

# Stops both servers and removes their directories; safe to call again.
stop_servers() {
  stop_pg_replica
  stop_postgresql
  stop_mysql
  if [[ -n "$SLEET_MY_DIR" ]]; then
    rm -rf "$SLEET_MY_DIR"
    SLEET_MY_DIR=
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -uo pipefail
  sleeper=
  trap '[[ -z "$sleeper" ]] || kill "$sleeper" 2>/dev/null; stop_servers' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  start_postgresql || exit 1
  start_pg_replica || exit 1
  start_mysql || exit 1
  echo
  echo "export SLEET_TEST_PG_URL=$SLEET_TEST_PG_URL"
  echo "export SLEET_TEST_PG_REPLICA_URL=$SLEET_TEST_PG_REPLICA_URL"
  echo "export SLEET_TEST_PG_REPLICA_CTL=$SLEET_TEST_PG_REPLICA_CTL"
  echo "export SLEET_TEST_PG_CTL=$SLEET_TEST_PG_CTL"
  echo "export SLEET_TEST_PG_MD5_URL=$SLEET_TEST_PG_MD5_URL"
  echo "export SLEET_TEST_PG_SCRAM_URL=$SLEET_TEST_PG_SCRAM_URL"
  echo "export SLEET_TEST_PG_PASSWORD_URL=$SLEET_TEST_PG_PASSWORD_URL"
  echo "export SLEET_TEST_MYSQL_URL=$SLEET_TEST_MYSQL_URL"
  echo "export SLEET_TEST_MYSQL_SOCKET=$SLEET_TEST_MYSQL_SOCKET"
  echo
  echo "servers: running until interrupted (Ctrl-C stops and removes them)"
  # `wait` returns as soon as a trapped signal arrives; a foreground sleep
  # would delay the trap until it ends.
  while :; do
    sleep 3600 &
    sleeper=$!
    wait "$sleeper"
  done
fi
