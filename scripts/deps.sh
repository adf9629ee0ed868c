#!/usr/bin/env bash
# Installs the Debian packages that building and testing sleet need, and only
# those that are missing. `apt-get update` runs once, and only when something
# has to be installed. Extra packages can be named as arguments.
#
# The client libraries of the PostgreSQL and MySQL drivers come with their
# headers (libpq-dev, libmariadb-dev); the throwaway servers of the specs
# need the server binaries (mariadb-server; PostgreSQL's initdb and pg_ctl,
# from the postgresql package unless a server is installed already).
# The request specs run in nginx with OpenResty's Lua module (it links
# luajit2, which excludes Debian's other luajit package), and drive it with
# curl and ab (apache2-utils).
# The fuzz targets need clang with libFuzzer's runtime (libclang-rt-14-dev,
# only recommended by clang). A spec runs a child process under a German
# locale: the locales package, and de_DE.UTF-8 generated when missing.
#
#   scripts/deps.sh [PKG...]           everything `make test` needs
#   scripts/deps.sh --build [PKG...]   only what building and running the
#                                      modules needs (`make example`)
set -euo pipefail

build=(
  gcc make pkg-config libc6-dev
  lua5.4 liblua5.4-dev
  libsqlite3-dev libjansson-dev libssl-dev
  libpq-dev libmariadb-dev
)
only_build=0
if [[ ${1:-} == --build ]]; then
  only_build=1
  shift
  packages=("${build[@]}" "$@")
else
  packages=(
    "${build[@]}"
    lua-busted lua-check luarocks lua-socket lua-cqueues
    luajit2 libluajit2-5.1-dev
    nginx libnginx-mod-http-lua lua-resty-core lua-cjson apache2-utils curl
    mariadb-server
    valgrind clang-format
    graphviz
    lua-http chromium
    clang libclang-rt-14-dev
    locales
    "$@"
  )
fi

# de_DE.UTF-8 for the locale spec, generated once (`locale -a` spells it
# de_DE.utf8).
ensure_locale() {
  ((only_build == 0)) || return 0
  local have
  have=$(locale -a 2>/dev/null || true)
  if grep -qix 'de_DE\.utf-\?8' <<<"$have"; then
    return 0
  fi
  echo "deps: generating the locale de_DE.UTF-8"
  local out
  if ! out=$("${run[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8 2>&1); then
    echo "$out" >&2
    echo "deps: could not generate de_DE.UTF-8" >&2
    return 1
  fi
}

run=()
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1; then
  run=(sudo)
fi

missing=()
if ((only_build == 0)) &&
  ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing+=(postgresql)
fi
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  ((only_build)) || echo "deps: all ${#packages[@]} packages present"
  ensure_locale
  exit
fi

echo "deps: installing ${missing[*]}"
if [[ "$(id -u)" != 0 && ${#run[@]} == 0 ]]; then
  echo "deps: missing packages and not root: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq "${missing[@]}"
ensure_locale
