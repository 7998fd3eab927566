#!/bin/sh
# SPDX-License-Identifier: MIT
# Run one example on its sample data and check what it prints; the tests
# (tests/meson.build) call this for the shared and the static builds.
#
#     examples/check_example.sh NAME PROGRAM EXAMPLES_DIR
#
# NAME is ticket_hook, batch_csv, custom_lexicon or sdk_link.  Scores are
# not compared to the digit (lexicon tuning moves them); what each example
# exists to show is: the routes, the counts, the direction of a change.
# shellcheck disable=SC2016  # the check conditions are awk code, for awk to expand
set -eu

name=$1
prog=$2
dir=$3
data=$dir/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/libci-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM # through the EXIT trap: a timed-out test leaves nothing
fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout" >&2
  cat "$tmp/out" >&2 2>/dev/null || true
  echo "--- stderr" >&2
  cat "$tmp/err" >&2 2>/dev/null || true
  exit 1
}
# expect PATTERN [FILE]: an extended regular expression some line must match.
expect() {
  grep -Eq -- "$1" "${2:-$tmp/out}" || fail "no line matches: $1"
}

case $name in
ticket_hook)
  "$prog" <"$data/incoming_tickets.tsv" >"$tmp/out" 2>"$tmp/err" || fail "exit status $?"
  # Every ticket's route, account and reason, in order.
  awk '{print $1, $2, $NF}' "$tmp/out" >"$tmp/routes"
  diff -u "$data/incoming_tickets.expected" "$tmp/routes" >"$tmp/diff" ||
    fail "routes differ from incoming_tickets.expected: $(cat "$tmp/diff")"
  expect '^URGENT +globex .*intents=urgency why=urgency$'
  # hooli said it will not renew (line 4); its next, neutral ticket goes to
  # retention because of that history.
  expect '^CHURN-RISK +hooli .*intents=churn why=stated-churn$'
  expect '^CHURN-RISK +hooli .*account_risk=0\.[4-9][0-9] intents=- why=account-risk$'
  expect '^15 tickets: 5 churn-risk, 3 urgent, 7 normal$' "$tmp/err"
  # A malformed ticket is reported and skipped; the hook goes on.
  printf 'no tab on this line\nacme-robotics\tThis is urgent, the API is down\n' |
    "$prog" >"$tmp/out" 2>"$tmp/err" || fail "exit status $? on a malformed ticket"
  expect '^line 1: expected' "$tmp/err"
  expect '^URGENT +acme-robotics '
  ;;
batch_csv)
  "$prog" "$data/export_small.csv" "$tmp/export.cisnap" >"$tmp/out" 2>"$tmp/err" ||
    fail "exit status $?"
  expect '^60 rows added, 0 skipped$'
  expect '^\(all\) +60 '
  expect '^tier=enterprise +33 '
  # The planted problem: every enterprise account in EMEA is unhappy.
  expect '^tier=enterprise, region=EMEA +15 +-[0-9]'
  expect '^1\. NPS in tier=enterprise, region=EMEA is -[0-9.]+, [0-9.]+ points below the rest'
  expect "^snapshot .*export\\.cisnap: 60 signals, verified$"
  [ -s "$tmp/export.cisnap" ] || fail "no snapshot written"
  # Bad rows are reported with their line and skipped; the job completes.
  {
    echo 'created_at,account_id,tier,region,nps,text'
    echo '2026-09-01T10:00:00Z,acme,growth,NA,9,Great, thanks'
    echo '2026-09-31T10:00:00Z,acme,growth,NA,9,no such day'
    echo '2026-09-02T10:00:00Z,acme,growth,NA,11,out of range'
    echo '2026-09-03T10:00:00Z,acme,growth,NA,,Export is broken'
  } >"$tmp/bad.csv"
  "$prog" "$tmp/bad.csv" "$tmp/bad.cisnap" >"$tmp/out" 2>"$tmp/err" || fail "exit status $? on bad rows"
  expect '^2 rows added, 2 skipped$'
  expect ':3: malformed row' "$tmp/err"
  expect ':4: .*nps' "$tmp/err"
  # A file with other columns is refused outright.
  printf 'account_id,created_at\n' >"$tmp/other.csv"
  if "$prog" "$tmp/other.csv" "$tmp/other.cisnap" >"$tmp/out" 2>"$tmp/err"; then
    fail "accepted a file with other columns"
  fi
  expect 'expected the header' "$tmp/err"
  ;;
custom_lexicon)
  "$prog" "$data/fintech_lexicon.tsv" >"$tmp/out" 2>"$tmp/err" || fail "exit status $?"
  expect '^chargeback: -1\.6 -> -2\.8$' "$tmp/err"
  # Columns: builtin domain builtin-intents domain-intents text.  Each
  # check names a text by a word in it and how the domain file moves it.
  check() { # WORD CONDITION (awk, on $1 builtin, $2 domain, $3 and $4 intents)
    awk -v w="$1" 'index($0, w) { found = 1; if (!('"$2"')) bad = 1 }
                   END { exit !(found && !bad) }' "$tmp/out" ||
      fail "'$1': expected $2"
  }
  check 'chargeback' '$2 < $1'   # a merchant's lost money weighs more
  check 'KYC hold' '$2 < $1'     # unknown to the built-in lexicon
  check 'verified' '$2 > $1'     # good news in payments words
  check 'in our favour' '$2 > $1'
  check 'another processor' '$2 < $1 && $3 !~ /churn/ && $4 ~ /churn/' # the @intent lines
  check 'dashboard' '$2 == $1'   # general language is untouched
  # Texts on the command line replace the samples.
  "$prog" "$data/fintech_lexicon.tsv" 'Our KYC hold is lifted' 'We filed a chargeback' \
    >"$tmp/out" 2>"$tmp/err" || fail "exit status $? with text arguments"
  [ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "expected a header and two lines"
  check 'KYC hold' '$2 < $1'
  check 'filed a chargeback' '$2 < $1' # a built-in phrase, overridden too
  # A bad lexicon line fails the load and is named.
  printf 'chargeback\t-2.8\nrefund\tlots\n' >"$tmp/bad.tsv"
  if "$prog" "$tmp/bad.tsv" >"$tmp/out" 2>"$tmp/err"; then
    fail "accepted a malformed lexicon"
  fi
  expect 'line 2' "$tmp/err"
  ;;
sdk_link)
  "$prog" >"$tmp/out" 2>"$tmp/err" || fail "exit status $?"
  expect '^libci [0-9]+\.[0-9]+\.[0-9]+: compound -0\.[0-9]+$'
  ;;
*)
  echo "unknown example '$name'" >&2
  exit 2
  ;;
esac
echo "ok: $name"
