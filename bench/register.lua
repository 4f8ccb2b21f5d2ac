-- wrk script: POST /v1/register with a fresh valid WireGuard public key
-- (32 random bytes, never all zero, canonical base64) every time, for device
-- names cycling over a fleet: PREFIX0 .. PREFIX<FLEET-1>. Thread t of T
-- sends names t, t+T, t+2T, ... so the first pass over the fleet registers
-- new names and every later one a new key for a known name, as a fleet does
-- after a restart. The name goes in X-Bench-CN; the bench nginx config turns
-- it into SSL_CLIENT_S_DN (bench only, never in conf/).
-- Environment: FLEET (names), PREFIX (name prefix), THREADS (wrk -t),
-- START (first index, so successive runs continue the cycle), CLOSE=1
-- (send "Connection: close": one TCP and TLS handshake per request).
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local fleet = tonumber(os.getenv("FLEET") or "10000")
local prefix = os.getenv("PREFIX") or "d"
local nthreads = tonumber(os.getenv("THREADS") or "1")
local start = tonumber(os.getenv("START") or "0")
local close = os.getenv("CLOSE") == "1"

-- 32 bytes -> 44 characters: ten 3-byte groups, then 2 bytes and "=".
local function base64(b)
	local out = {}
	local function put(n, chars)
		for j = 1, chars do
			local idx = math.floor(n / 2 ^ (6 * (4 - j))) % 64
			out[#out + 1] = b64:sub(idx + 1, idx + 1)
		end
	end
	for i = 1, 30, 3 do
		put(b[i] * 65536 + b[i + 1] * 256 + b[i + 2], 4)
	end
	put(b[31] * 65536 + b[32] * 256, 3) -- low 2 bits of the last char are 0
	out[#out + 1] = "="
	return table.concat(out)
end

local function random_key()
	local b, any = {}, false
	for i = 1, 32 do
		b[i] = math.random(0, 255)
		any = any or b[i] ~= 0
	end
	if not any then b[1] = 1 end
	return base64(b)
end

-- Main state: number the threads and give each its own seed.
local counter = 0
function setup(thread)
	thread:set("tid", counter)
	thread:set("seed", os.time() * 1000 + counter * 7919 + math.random(0, 999))
	counter = counter + 1
end

local k = 0
function init(args)
	math.randomseed(seed or os.time())
	k = 0
end

function request()
	local idx = (start + (tid or 0) + k * nthreads) % fleet
	k = k + 1
	local headers = { ["X-Bench-CN"] = prefix .. idx, ["Content-Type"] = "text/plain" }
	if close then headers["Connection"] = "close" end
	return wrk.format("POST", "/v1/register", headers, random_key())
end

-- One machine-readable line; run.sh parses it. Latencies in microseconds.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d connect_errors=%d\n",
		summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
		summary.duration, latency:percentile(50), latency:percentile(99), e.connect))
end
