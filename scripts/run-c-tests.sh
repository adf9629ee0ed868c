#!/usr/bin/env bash
# Runs the C unit test programs given as arguments and prints, as the last
# line, the summed `N passed, N failed`. A program that ends its output with
# such a line contributes its counts; any other program counts as one test,
# passed when it exits with status 0. A program that exits non-zero always
# contributes at least one failure.
set -uo pipefail

summary_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
passed=0
failed=0
skipped=0
status=0

for prog in "$@"; do
  echo "== $prog"
  out=$(mktemp)
  "$prog" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  last=$(tail -n 1 "$out")
  rm -f "$out"
  if [[ "$last" =~ $summary_re ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
    if ((rc != 0 && f == 0)); then
      f=1
    fi
  elif ((rc == 0)); then
    p=1 f=0 s=0
  else
    p=0 f=1 s=0
  fi
  if ((rc != 0)); then
    echo "$prog: exit status $rc"
    status=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
done

if ((skipped > 0)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $((status || failed > 0))
