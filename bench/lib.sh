# What the HTTP benchmark scripts share, sourced after `cd` to the repository: a temporary
# directory ($work) removed on exit with every server still running; servers started pinned to
# core 0 and stopped; wrk pinned to core 1. CONNS (default 32) sets wrk's connections.

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
conns="${CONNS:-32}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts a server (the command line given, its paths absolute) pinned to core 0, in a
# directory of its own (so that two servers never share the review database the server opens
# in its working directory by default), and sets $url from its one `listening on` line.
start() {
  local out="$work/out.$RANDOM" dir
  dir="$(mktemp -d -p "$work")"
  : >"$out"
  (cd "$dir" && exec taskset -c 0 "$@") >"$out" 2>/dev/null &
  pids+=("$!")
  for _ in $(seq 1 600); do
    url="$(sed -n 's/^listening on //p' "$out")"
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "bench: the server did not start: $*" >&2
  exit 1
}

# Stops the server started last.
stop() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

# Loads URL $1 for $secs seconds with wrk's script $2 and prints "rps p50 p99" (ms), failing
# on any answer that is not 2xx or 3xx. The report is read once wrk has finished: a parser
# started alongside (as the right side of a pipe) spends its start-up on one of the two cores
# while the load runs, which put the p99 of both servers at 1.5-2 ms where it is 0.3-1 ms.
load() {
  local url="$1" script="$2" report
  report="$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$script" "$url")"
  python3 -c '
import re, sys
text = sys.stdin.read()
def ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit("bench: %s non-2xx responses" % errors.group(1))
print("%.0f %.3f %.3f" % (rps, ms(lat["50"]), ms(lat["99"])))
' <<<"$report"
}

# The ratio to a ceiling, as bench/run.sh and bench/reviews.sh report it, one table line per
# operation, from $rounds rounds of each server in turn (the caller sets $rounds).

# Loads our server ($1) and the ceiling ($2) in turn, $rounds times each, with wrk's script
# $3, and prints three lines: our medians, the ceiling's, and the median of the ratios.
pair() {
  local ours="$1" ceil="$2" script="$3" i
  for i in $(seq 1 "$rounds"); do
    load "$ours" "$script" >>"$work/ours.rounds"
    load "$ceil" "$script" >>"$work/ceil.rounds"
  done
  medians
}

# Prints the median round of ours, then of the ceiling, as "rps p50 p99", from the rounds
# `pair` collected, then the median of the rounds' ratios: each round of ours is divided by
# the ceiling's round that came right after it, so that a drift of the machine over the
# rounds moves both sides of each ratio alike.
medians() {
  python3 -c '
import statistics, sys
ours, ceil = ([line.split() for line in open(f)] for f in sys.argv[1:])
for rounds in (ours, ceil):
    print("%.0f %.3f %.3f" % tuple(statistics.median_low(float(r[i]) for r in rounds) for i in range(3)))
print("%.2f" % statistics.median_low(float(o[0]) / float(c[0]) for o, c in zip(ours, ceil)))' \
    "$work/ours.rounds" "$work/ceil.rounds"
  rm "$work/ours.rounds" "$work/ceil.rounds"
}

# Prints the table's head. The ceiling's p99 is there to tell the machine's hiccups from ours.
header() {
  printf '%-14s %-5s %10s %8s %8s %10s %8s %6s\n' operation path "req/s" "p50 ms" "p99 ms" \
    "ceiling" "its p99" ratio
}
# Prints one line from `medians`' three: ours, the ceiling's and the ratio.
report() {
  local name="$1" path="$2" both="$3" rps p50 p99 crps cp99
  read -r rps p50 p99 <<<"$(sed -n 1p <<<"$both")"
  read -r crps _ cp99 <<<"$(sed -n 2p <<<"$both")"
  printf '%-14s %-5s %10s %8s %8s %10s %8s %6s\n' "$name" "$path" "$rps" "$p50" "$p99" "$crps" \
    "$cp99" "$(sed -n 3p <<<"$both")"
}
