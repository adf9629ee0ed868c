#!/usr/bin/env bash
# Installs playwright-core from npm into DIR (default build/node-studio),
# for spec/studio_browser_spec.lua: the studio page driven in Debian's
# headless Chromium (/usr/bin/chromium; playwright-core downloads no
# browser). Nothing goes into the repository; a second run with the same
# version does nothing. Exit status 0 when the module loads and Chromium
# is there, else 1 with the reason on stderr.
set -uo pipefail

DIR=${1:-build/node-studio}
PKG=playwright-core@1.65.1

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "studio-browser: node and npm are not installed" >&2
  exit 1
fi
if [[ ! -x /usr/bin/chromium ]]; then
  echo "studio-browser: /usr/bin/chromium is not installed" >&2
  exit 1
fi
mkdir -p "$DIR" || exit 1
cd "$DIR" || exit 1
if [[ -f .installed && $(cat .installed) == "$PKG" ]]; then
  exit 0
fi
[[ -f package.json ]] ||
  echo '{"name":"sleet-studio-browser","private":true}' >package.json
if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund \
  --loglevel=error "$PKG" >npm.log 2>&1; then
  echo "studio-browser: npm install failed (see $DIR/npm.log)" >&2
  exit 1
fi
if ! node -e 'require("playwright-core")' >/dev/null 2>&1; then
  echo "studio-browser: playwright-core does not load (see $DIR/npm.log)" >&2
  exit 1
fi
echo "$PKG" >.installed
