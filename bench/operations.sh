# The frontend operations as the benchmarks send them: each one's variables, and the request
# body made from its file in tests/operations. Sourced by bench/run.sh and bench/callgrind.sh.

declare -A vars=(
  [FilmPage]='{"slug":"leap"}'
  [AlbumPage]='{"slug":"leap-soundtrack"}'
  [PersonPage]='{"slug":"peter-chan"}'
  [TeamPage]='{"slug":"china-women"}'
  [NodeLookup]='{"id":"RmlsbTpsZWFw","ids":["RmlsbTpsZWFw","UGVyc29uOmdvbmctbGk"]}'
  [Search]='{"text":"leap"}'
  [Catalogue]='{}'
  [MatchTimeline]='{}'
)

# The request body of an operation file with its variables.
body() {
  python3 - "$1" "$2" <<'PY'
import json, sys
print(json.dumps({"query": open(sys.argv[1]).read(), "variables": json.loads(sys.argv[2])}))
PY
}
