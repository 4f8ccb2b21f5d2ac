-- wrk script: POST /v1/register, a fresh WireGuard public key every time
-- (random 32 bytes, canonical base64) for a random device name 0..9999.
-- With MODE=same each thread re-registers one fixed key (the helper's
-- idempotent path, no interface change): the responder's own cost.
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local mode = os.getenv("MODE") or "fresh"
local counter = 0
local fixed_key, fixed_cn

local function base64(bytes)
	local out = {}
	for i = 1, #bytes, 3 do
		local a, b, c = bytes:byte(i, i + 2)
		local n = a * 65536 + (b or 0) * 256 + (c or 0)
		local chars = 4 - (3 - (#bytes - i + 1 >= 3 and 3 or #bytes - i + 1))
		for j = 1, 4 do
			local idx = math.floor(n / 2 ^ (6 * (4 - j))) % 64
			out[#out + 1] = j <= chars and b64:sub(idx + 1, idx + 1) or "="
		end
	end
	return table.concat(out)
end

local function random_key()
	local t = {}
	for i = 1, 32 do t[i] = string.char(math.random(0, 255)) end
	t[32] = string.char(math.random(1, 255)) -- never all zero
	return base64(table.concat(t))
end

function init(args)
	math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
	fixed_key = random_key()
	fixed_cn = tostring(math.random(0, 9999))
end

function request()
	local key, cn = fixed_key, fixed_cn
	if mode ~= "same" then
		key, cn = random_key(), tostring(math.random(0, 9999))
	end
	return wrk.format("POST", "/v1/register",
		{ ["X-Bench-CN"] = cn, ["Content-Type"] = "text/plain" }, key)
end

local statuses = {}
function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	io.write(string.format("requests %d, errors %d, p50 %.1f ms, p99 %.1f ms\n",
		summary.requests, summary.errors.status + summary.errors.connect +
		summary.errors.read + summary.errors.write + summary.errors.timeout,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
