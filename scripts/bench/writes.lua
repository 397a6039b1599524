-- The write load of `make bench`: BENCH_WRITE=favorite toggles favorites (POST then DELETE
-- /api/articles/:slug/favorite, over the slugs in the file BENCH_SLUGS, each thread from its
-- own place in the list); BENCH_WRITE=comment posts comments. BENCH_TOKEN authenticates.
local slugs = {}
for line in io.lines(os.getenv("BENCH_SLUGS")) do
  slugs[#slugs + 1] = line
end
local mode = os.getenv("BENCH_WRITE")
local headers = {
  ["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}
local threads = 0

function setup(thread)
  thread:set("first", threads * 7919)
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local slug = slugs[((first or 0) + math.floor((n - 1) / 2)) % #slugs + 1]
  if mode == "favorite" then
    local method = (n % 2 == 1) and "POST" or "DELETE"
    return wrk.format(method, "/api/articles/" .. slug .. "/favorite", headers)
  end
  local body = '{"comment":{"body":"A benchmark comment, number ' .. n .. '."}}'
  return wrk.format("POST", "/api/articles/" .. slug .. "/comments", headers, body)
end

dofile(os.getenv("BENCH_REPORT"))
