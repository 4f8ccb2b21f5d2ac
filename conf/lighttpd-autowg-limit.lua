-- autowg behind lighttpd: at most RATE requests a minute per client
-- certificate, in bursts of BURST, as conf/nginx-autowg.conf's limit_req.
-- lighttpd has no request rate limit of its own (mod_evasive, where built,
-- counts open connections per IP address, not requests, and knows nothing
-- of certificates), so this runs in mod_magnet (Debian package
-- lighttpd-modules-lua), from conf/lighttpd-autowg.conf's
-- magnet.attract-raw-url-to. Beyond the limit the answer is 429 with
-- Retry-After, and the request never reaches autowg; the helper limits key
-- changes per device on its own (--min-rekey-interval).
--
-- A certificate is its serial number (SSL_CLIENT_M_SERIAL, which mod_openssl
-- sets once the handshake verified it; lighttpd 1.4.69 passes no issuer, but
-- serials are random and every certificate here is the fleet CA's). Its
-- state is one integer in lighttpd's plugin_stats (GCRA: the second its
-- next request is due, counted from EPOCH: plugin_stats keep 32 bits),
-- kept until lighttpd restarts: about 100 bytes a certificate.
local RATE, BURST = 10, 10
local INTERVAL = 60 // RATE -- seconds a request earns back
local EPOCH = 1700000000 -- 2023-11-14: the seconds since fit 31 bits until 2091

local r = lighty.r
local serial = r.req_env["SSL_CLIENT_M_SERIAL"]
if not serial then
	return 0 -- no verified certificate: the handshake or the responder refuses it
end
local now = lighty.c.hrtime() - EPOCH
local stats = lighty.server.plugin_stats
local key = "autowg.limit." .. serial
local due = math.max(stats[key] or 0, now) + INTERVAL
if due - now > BURST * INTERVAL then
	-- The body first: over HTTP/2 an answer while it is still coming ends
	-- the stream with an error instead of the 429 (lighttpd runs this
	-- again once it is read; nothing was counted yet).
	if not r.req_body.collect then
		return lighty.RESTART_REQUEST
	end
	local wait = due - now - BURST * INTERVAL
	r.resp_header["Retry-After"] = tostring(wait)
	r.resp_header["Content-Type"] = "text/plain"
	r.resp_body.set({ "too many requests from this certificate\n" })
	return 429
end
stats[key] = due
return 0
