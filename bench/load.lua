-- wrk script for bench/bench_load.py. Reads its request from the environment:
--   LOAD_METHOD, LOAD_PATH, LOAD_AUTH (an Authorization header value), LOAD_BATCH (events per
--   POST /batch/ body, 0 for a plain request) and LOAD_TOKEN (the project token for capture).
-- Prints one `WRK_RESULT {json}` line at the end with latency percentiles and every error count.

local method = os.getenv("LOAD_METHOD") or "GET"
local path = os.getenv("LOAD_PATH") or "/"
local auth = os.getenv("LOAD_AUTH")
local batch = tonumber(os.getenv("LOAD_BATCH") or "0")
local token = os.getenv("LOAD_TOKEN") or ""

local counter = 1
local threads = {}

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function init(args)
   -- Distinct seeds per thread: every captured event gets its own uuid.
   math.randomseed(os.time() * 100 + id)
   wrk.headers["Connection"] = "keep-alive"
   if auth then wrk.headers["Authorization"] = auth end
end

local function uuid4()
   return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
      math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
      0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

local function batch_body()
   local events = {}
   for i = 1, batch do
      events[i] = string.format(
         '{"event":"load event %d","distinct_id":"user-%d","uuid":"%s","properties":{"$browser":"Chrome","$os":"Linux","plan":"pro","seats":%d,"$current_url":"https://shop.example/p/%d"}}',
         math.random(0, 49), math.random(0, 9999), uuid4(), math.random(1, 500), math.random(0, 4999))
   end
   return '{"api_key":"' .. token .. '","batch":[' .. table.concat(events, ",") .. ']}'
end

function request()
   if batch > 0 then
      return wrk.format("POST", path, {["Content-Type"] = "application/json"}, batch_body())
   end
   return wrk.format(method, path)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
