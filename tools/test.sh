#!/usr/bin/env bash
# Every test: a release build with warnings as errors, then the same suite
# under AddressSanitizer and UndefinedBehaviorSanitizer, then the threads test
# under ThreadSanitizer.  The last line is "N passed, N failed", counting
# every test case run in every build.
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

# Count test cases (TAP subtests, or 1 per non-TAP test) in every build.
python3 - "$LIBCI_ROOT" <<'PY'
import json, os, re, sys
root = sys.argv[1]
passed = failed = skipped = 0
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
[ $status -eq 0 ] && [ $count_status -eq 0 ]
