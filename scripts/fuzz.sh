#!/usr/bin/env bash
# Runs the libFuzzer targets of spec/fuzz/ (built by `make fuzz-build` into
# build/fuzz/) one after the other, each for a bounded time:
#
#   render    statement trees built from fuzz bytes, rendered for the three
#             dialects as SQL, as DDL text and in a migration statement
#   snapshot  snapshot documents (drizzle-kit's and sleet's) parsed and
#             diffed against each other and the empty snapshot, answering
#             the diff's rename questions
#   nested    nested-row JSON cells decoded with a fuzzed result shape in a
#             Lua 5.4 state
#   mywire    a MySQL/MariaDB server's bytes read by the wire driver
#             (drivers/mywire.c, ext/sl_mywire.c): login, statements, spool,
#             transaction, session reset
#   pgwire    what a PostgreSQL server sends, into the wire engine's
#             handshake and the pgwire driver's statements, batches and
#             resets, split at any byte
#
#   scripts/fuzz.sh [-s SECONDS] [-w WORKDIR] [TARGET...]
#
# Each target first runs every input of its seed corpus
# (spec/fuzz/corpus/TARGET/, never written to), then mutates for SECONDS
# (FUZZ_SECONDS, 60 by default). New inputs go to WORKDIR/corpus/TARGET
# (build/fuzz by default, kept between runs), a crashing input to
# WORKDIR/crash-TARGET-*. A crash, a leak, a sanitizer report or an input
# running over 10 s fails the target. The last lines are executions and
# executions per second of each target, then `N passed, N failed` (one test
# per target); the exit status is non-zero when any failed.
# FUZZ_BIN_DIR names another directory holding the built targets.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
seconds=${FUZZ_SECONDS:-60}
work=build/fuzz
bin=${FUZZ_BIN_DIR:-build/fuzz}
while getopts 's:w:' opt; do
  case $opt in
    s) seconds=$OPTARG ;;
    w) work=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]} > 0)) || targets=(render snapshot nested pgwire mywire)

# Inputs may be larger than the seeds: snapshots reach several KiB, and
# nested JSON must be able to nest past the decoder's depth limit.
declare -A max_len=([render]=4096 [snapshot]=16384 [nested]=8192 \
  [pgwire]=8192 [mywire]=8192)

passed=0
failed=0
total_execs=0
summary=()
for t in "${targets[@]}"; do
  exe=$bin/${t}_fuzz
  if [[ ! -x $exe ]]; then
    echo "fuzz: $exe is not built (make fuzz-build)"
    failed=$((failed + 1))
    summary+=("$(printf '%-9s not built' "$t")")
    continue
  fi
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  dict=()
  if [[ -f spec/fuzz/$t.dict ]]; then
    dict=(-dict="spec/fuzz/$t.dict")
  fi
  log=$(mktemp)
  echo "== $t: $exe -max_total_time=$seconds $corpus spec/fuzz/corpus/$t"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$exe" -max_total_time="$seconds" -timeout=10 -max_len="${max_len[$t]:-4096}" \
    -print_final_stats=1 -artifact_prefix="$work/crash-$t-" "${dict[@]}" \
    "$corpus" "spec/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  # the progress lines are many; keep the start, the end and any report
  grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|^[[:space:]]+NEW_FUNC|Uses: ' "$log" |
    tail -n 40
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  rm -f "$log"
  if ((rc == 0)) && [[ -n $execs ]]; then
    passed=$((passed + 1))
    total_execs=$((total_execs + execs))
    summary+=("$(printf '%-9s %10d execs %7d execs/s' "$t" "$execs" "$rate")")
  else
    failed=$((failed + 1))
    summary+=("$(printf '%-9s FAILED (exit status %d)' "$t" "$rc")")
  fi
done

echo
for line in "${summary[@]}"; do
  echo "$line"
done
echo "total     $total_execs execs in ${#targets[@]} targets, ${seconds}s each"
echo "$passed passed, $failed failed"
((failed == 0))
