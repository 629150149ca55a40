-- wrk script: FilmPage with a different existing slug on every request (the cache-miss path).
-- $SLUGS_FILE holds one slug per line; $QUERY_FILE the FilmPage document as a JSON string.
local slugs = {}
for line in io.lines(os.getenv("SLUGS_FILE")) do slugs[#slugs + 1] = line end
local q = assert(io.open(os.getenv("QUERY_FILE"), "rb")):read("*a")
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"
request = function()
  i = i % #slugs + 1
  local body = '{"query":' .. q .. ',"variables":{"slug":"' .. slugs[i] .. '"}}'
  return wrk.format(nil, nil, nil, body)
end
