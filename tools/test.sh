#!/usr/bin/env bash
# Every test: a release build with warnings as errors, then the same suite
# under AddressSanitizer and UndefinedBehaviorSanitizer, the ABI check
# against abi/libci.abi, the threads test under ThreadSanitizer, then (with
# clang) each libFuzzer target for a bounded time.  The last line is
# "N passed, N failed", counting every test case run in every build, the ABI
# check and each fuzz target as one test.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh" || exit 1
cd "$LIBCI_ROOT"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

status=0
for spec in "build-test:-Dbuildtype=debugoptimized" \
            "build-asan:-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false"; do
  dir=${spec%%:*}
  # shellcheck disable=SC2086
  libci_configure "$dir" -Dwerror=true ${spec#*:} || { status=1; continue; }
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    cat "$dir.build.log" >&2
    echo "test: build failed in $dir" >&2
    status=1
    continue
  fi
  echo "== $dir" >&2
  meson test -C "$dir" --print-errorlogs --num-processes 2 >&2 || status=1
done

# The ABI against the last release's baseline (abi/libci.abi): counted as
# one test.
fuzz_results=$(mktemp "${TMPDIR:-/tmp}/libci-fuzz-results.XXXXXX")
if tools/abi-check.sh build-test >&2; then
  echo "abi ok" >>"$fuzz_results"
else
  echo "abi failed" >>"$fuzz_results"
fi

# ThreadSanitizer: only the threads test (tests/test_threads.c: objects
# shared by 8 threads), in its own build; a data race fails it.
tsan=build-tsan
if libci_configure "$tsan" -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=thread &&
   ninja -C "$tsan" tests/test_threads >"$tsan.build.log" 2>&1; then
  echo "== $tsan" >&2
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C "$tsan" --no-rebuild --print-errorlogs threads >&2 || status=1
else
  [ -f "$tsan.build.log" ] && cat "$tsan.build.log" >&2
  echo "test: build failed in $tsan" >&2
  status=1
fi

# Fuzzing (tests/fuzz/README.md): each target LIBCI_FUZZ_SECONDS seconds
# (default 60; 0 skips the stage), built with clang in build-fuzz, on a copy
# of its seed corpus and regression inputs so the tree is not modified.  A
# crashing input is kept in build-fuzz/fuzz-artifacts/.
fuzz_seconds=${LIBCI_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ] && command -v clang >/dev/null 2>&1; then
  fuzz_targets=(tokenizer lexicon theme_model snapshot records analyzer)
  if CC=clang libci_configure build-fuzz -Dfuzz=true -Dtests=false -Dcli=false -Dbenchmarks=false &&
     ninja -C build-fuzz "${fuzz_targets[@]/#/tests/fuzz/fuzz_}" >build-fuzz.build.log 2>&1; then
    fuzz_work=$(mktemp -d "${TMPDIR:-/tmp}/libci-fuzz.XXXXXX")
    for t in "${fuzz_targets[@]}"; do
      mkdir -p "$fuzz_work/$t/corpus" "$fuzz_work/$t/artifacts"
      cp tests/fuzz/corpus/"$t"/* "$fuzz_work/$t/corpus/"
      if [ -d tests/fuzz/regressions/"$t" ]; then
        cp tests/fuzz/regressions/"$t"/* "$fuzz_work/$t/corpus/"
      fi
      # a fixed seed (LIBCI_FUZZ_SEED) so that a CI run can be reproduced;
      # long random-seed runs are for developers (tests/fuzz/README.md)
      if build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
           -seed="${LIBCI_FUZZ_SEED:-1}" \
           -timeout=10 -print_final_stats=1 -artifact_prefix="$fuzz_work/$t/artifacts/" \
           "$fuzz_work/$t/corpus" >"$fuzz_work/$t/log" 2>&1; then
        echo "$t ok" >>"$fuzz_results"
        echo "== fuzz $t: ok, $(grep -E '^#[0-9]+[[:space:]]+DONE' "$fuzz_work/$t/log" | tail -1)" >&2
      else
        echo "$t failed" >>"$fuzz_results"
        mkdir -p build-fuzz/fuzz-artifacts
        cp "$fuzz_work/$t"/artifacts/* build-fuzz/fuzz-artifacts/ 2>/dev/null
        echo "== fuzz $t: FAILED (input kept in build-fuzz/fuzz-artifacts/)" >&2
        tail -n 60 "$fuzz_work/$t/log" >&2
      fi
    done
    rm -rf "$fuzz_work"
  else
    [ -f build-fuzz.build.log ] && tail -n 60 build-fuzz.build.log >&2
    echo "test: fuzz build failed in build-fuzz" >&2
    for t in "${fuzz_targets[@]}"; do echo "$t failed" >>"$fuzz_results"; done
  fi
fi

# Count test cases (TAP subtests, or 1 per non-TAP test) in every build,
# and each fuzz target.
python3 - "$LIBCI_ROOT" "$fuzz_results" <<'PY'
import json, os, re, sys
root = sys.argv[1]
passed = failed = skipped = 0
for line in open(sys.argv[2], encoding="utf-8"):
    if line.split()[1:] == ["ok"]:
        passed += 1
    elif line.strip():
        failed += 1
for d in ("build-test", "build-asan", "build-tsan"):
    log = os.path.join(root, d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        failed += 1
        continue
    for line in open(log, encoding="utf-8"):
        t = json.loads(line)
        out = t.get("stdout") or ""
        oks = re.findall(r"^(ok|not ok)\b(.*)$", out, re.M)
        if oks and t.get("result") not in ("TIMEOUT",):
            for verdict, rest in oks:
                if "# SKIP" in rest.upper():
                    skipped += 1
                elif verdict == "ok":
                    passed += 1
                else:
                    failed += 1
            # a crash after some cases still counts as a failure
            if t.get("result") in ("ERROR", "FAIL") and all(v == "ok" for v, _ in oks):
                failed += 1
        elif t.get("result") in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif t.get("result") == "SKIP":
            skipped += 1
        else:
            failed += 1
print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
sys.exit(1 if failed else 0)
PY
count_status=$?
rm -f "$fuzz_results"
[ $status -eq 0 ] && [ $count_status -eq 0 ]
