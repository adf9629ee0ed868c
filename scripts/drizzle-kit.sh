#!/usr/bin/env bash
# Installs drizzle-kit and drizzle-orm from npm into DIR (default
# build/node-kit), for spec/kit_drizzle_spec.lua: sleet-kit and the real
# drizzle-kit working on one migrations folder in turn. Nothing goes into
# the repository; a second run with the same versions does nothing.
# Exit status 0 when DIR/node_modules/.bin/drizzle-kit runs, else 1 with
# the reason on stderr (no node or npm, no registry).
set -uo pipefail

DIR=${1:-build/node-kit}
KIT=drizzle-kit@0.31.11
ORM=drizzle-orm@0.45.4

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "drizzle-kit: node and npm are not installed" >&2
  exit 1
fi
mkdir -p "$DIR" || exit 1
cd "$DIR" || exit 1
stamp="$KIT $ORM"
if [[ -x node_modules/.bin/drizzle-kit && -f .installed &&
  $(cat .installed) == "$stamp" ]]; then
  exit 0
fi
[[ -f package.json ]] ||
  echo '{"name":"sleet-drizzle-kit","private":true}' >package.json
if ! npm install --no-audit --no-fund --loglevel=error "$KIT" "$ORM" \
  >npm.log 2>&1; then
  echo "drizzle-kit: npm install failed (see $DIR/npm.log)" >&2
  exit 1
fi
if ! node_modules/.bin/drizzle-kit --version >/dev/null 2>&1; then
  echo "drizzle-kit: installed but does not run (see $DIR/npm.log)" >&2
  exit 1
fi
echo "$stamp" >.installed
