/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend against a fake UAPI daemon (uapi_fix.h): what a
 * broken, stuck or hostile wireguard-go could send in reply to a dump, and
 * the exact text of the changes we send it.
 */
#include "../unit.h"
#include "uapi_fix.h"

static int get_with_reply(const char *name, const char *reply, struct wg_device **dev)
{
	struct fake f;
	int ret;

	*dev = NULL;
	fake_start(&f, name, reply, FAKE_REPLY);
	ret = wg_userspace_ops.get_device(name, dev);
	fake_stop(&f);
	return ret;
}

static void expect_get_error(const char *name, const char *reply, int want)
{
	struct wg_device *dev = (struct wg_device *)1;
	int ret = get_with_reply(name, reply, &dev);

	if (ret != want)
		fail_msg("reply \"%.60s...\": got %s, want %s", reply, strerror(-ret),
			 strerror(-want));
	assert_null(dev);
}

#define KEY_A "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define KEY_B "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

static void get_reads_device_and_peers(void **state)
{
	uint8_t priv[32], pub[32];
	char hex[65], reply[1024], *req;
	struct wg_device *dev = NULL;

	randombytes_buf(priv, sizeof(priv));
	crypto_scalarmult_base(pub, priv);
	sodium_bin2hex(hex, sizeof(hex), priv, sizeof(priv));
	snprintf(reply, sizeof(reply),
		 "private_key=%s\nlisten_port=51820\nfwmark=0\n"
		 "public_key=" KEY_A "\npreshared_key=%064d\nprotocol_version=1\n"
		 "endpoint=[fd00::1]:1234\nlast_handshake_time_sec=1700000000\n"
		 "last_handshake_time_nsec=5\ntx_bytes=456\nrx_bytes=123\n"
		 "persistent_keepalive_interval=25\nallowed_ip=10.1.0.0/16\n"
		 "allowed_ip=fd00:1::7/128\n"
		 "public_key=" KEY_B "\nsome_future_key=whatever\nerrno=0\n\n",
		 hex, 0);
	assert_int_equal(get_with_reply("fget", reply, &dev), 0);
	req = request("fget", 0);
	assert_non_null(req);
	assert_string_equal(req, "get=1\n\n");
	free(req);
	assert_string_equal(dev->ifname, "fget");
	assert_int_equal(dev->flags, WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY |
					 WG_DEVICE_HAS_LISTEN_PORT);
	assert_memory_equal(dev->public_key, pub, 32);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->n_peers, 2);
	assert_int_equal(dev->peers[0].key[0], 0x01);
	assert_int_equal(dev->peers[0].key[31], 0x20);
	assert_int_equal(dev->peers[0].last_handshake, 1700000000);
	assert_int_equal(dev->peers[0].rx_bytes, 123);
	assert_int_equal(dev->peers[0].tx_bytes, 456);
	assert_int_equal(dev->peers[0].n_ips, 2);
	assert_int_equal(dev->peers[0].ips[0].family, AF_INET);
	assert_int_equal(dev->peers[0].ips[0].cidr, 16);
	assert_memory_equal(dev->peers[0].ips[0].addr, "\x0a\x01\x00\x00", 4);
	assert_int_equal(dev->peers[0].ips[1].family, AF_INET6);
	assert_int_equal(dev->peers[0].ips[1].cidr, 128);
	assert_int_equal(dev->peers[0].ips[1].addr[15], 7);
	assert_int_equal(dev->peers[1].key[0], 0xa0);
	assert_int_equal(dev->peers[1].n_ips, 0);
	wg_device_free(dev);
}

static void get_without_private_key_has_no_key(void **state)
{
	struct wg_device *dev = NULL;

	assert_int_equal(get_with_reply("fnokey", "listen_port=1\nerrno=0\n\n", &dev), 0);
	assert_int_equal(dev->flags, WG_DEVICE_HAS_LISTEN_PORT);
	assert_int_equal(dev->n_peers, 0);
	wg_device_free(dev);
}

static void get_truncated_before_errno_is_eproto(void **state)
{
	expect_get_error("ftrunc", "listen_port=1\npublic_key=" KEY_A "\nallowed_ip=10.0.0.0/8\n",
			 -EPROTO);
	expect_get_error("ftrunc2", "listen_port=1\npublic_key=" KEY_A "\nallowed_i", -EPROTO);
}

static void get_without_final_blank_line_is_eproto(void **state)
{
	expect_get_error("fnoblank", "listen_port=1\nerrno=0\n", -EPROTO);
	expect_get_error("fempty", "", -EPROTO);
	expect_get_error("fnoerrno", "listen_port=1\n\n", -EPROTO);
}

static void get_remote_errno_is_returned(void **state)
{
	expect_get_error("ferrneg", "errno=-22\n\n", -EINVAL); /* wireguard-go */
	expect_get_error("ferrpos", "errno=5\n\n", -EIO);
	expect_get_error("ferrbig", "errno=99999\n\n", -EPROTO);
	expect_get_error("ferrtxt", "errno=x\n\n", -EPROTO);
}

static void get_malformed_lines_are_eproto(void **state)
{
	char longline[700];

	expect_get_error("fnoeq", "listen_port=1\ngarbage\nerrno=0\n\n", -EPROTO);
	expect_get_error("fcidr", "public_key=" KEY_A "\nallowed_ip=fd00::1/129\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("fcidr4", "public_key=" KEY_A "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("faddr", "public_key=" KEY_A "\nallowed_ip=10.0.0/8\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("fkey", "public_key=0102\nerrno=0\n\n", -EPROTO);
	expect_get_error("fkeyx", "public_key=" KEY_A "x\nerrno=0\n\n", -EPROTO);
	expect_get_error("fport", "listen_port=65536\nerrno=0\n\n", -EPROTO);
	expect_get_error("frx", "public_key=" KEY_A "\nrx_bytes=-1\nerrno=0\n\n", -EPROTO);
	expect_get_error("fafter", "errno=0\nlisten_port=1\n\n", -EPROTO);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "x=", 2);
	memcpy(longline + sizeof(longline) - 12, "\nerrno=0\n\n", 11);
	expect_get_error("flong", longline, -EPROTO);
}

static void stuck_daemon_times_out(void **state)
{
	struct wg_device *dev = NULL;
	struct timespec t0, t1;
	struct fake f;
	double s;
	int ret;

	fake_start(&f, "fhang", "", FAKE_HANG);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_userspace_ops.get_device("fhang", &dev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fake_stop(&f);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(ret, -ETIMEDOUT);
	assert_null(dev);
	if (s < 1.5 || s > 4)
		fail_msg("timed out after %.2f s, want about 2 s", s);
}

static void missing_or_stale_socket_is_enodev(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct wg_device *dev = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_int_equal(wg_userspace_ops.get_device("fnone", &dev), -ENODEV);
	/* A socket file nobody listens on: what a crashed daemon leaves. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/fstale.sock", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(wg_userspace_ops.get_device("fstale", &dev), -ENODEV);
	unlink(addr.sun_path);
	assert_null(dev);
}

static void apply_sends_exact_text(void **state)
{
	struct wg_change ch[2] = {change(WG_CHANGE_REMOVE, 0x11, 0),
				  change(WG_CHANGE_SET, 0x22, 5)};
	struct fake f;
	char *req;

	fake_start(&f, "fset", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fset", ch, 2), 0);
	fake_stop(&f);
	req = request("fset", 0);
	assert_non_null(req);
	assert_string_equal(
	    req, "set=1\n"
		 "public_key=1111111111111111111111111111111111111111111111111111111111111111\n"
		 "remove=true\n"
		 "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
		 "replace_allowed_ips=true\n"
		 "allowed_ip=fd00::5/128\n"
		 "\n");
	free(req);
}

static void apply_remote_error_is_returned(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x33, 1);
	struct fake f;

	fake_start(&f, "fseterr", "errno=-22\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fseterr", &ch, 1), -EINVAL);
	fake_stop(&f);
	fake_start(&f, "fsetjunk", "listen_port=1\nerrno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fsetjunk", &ch, 1), -EPROTO);
	fake_stop(&f);
	fake_start(&f, "fsetcut", "errno=0\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fsetcut", &ch, 1), -EPROTO);
	fake_stop(&f);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void apply_splits_large_lists(void **state)
{
	enum { N = 2500 };
	struct wg_change *ch = calloc(N, sizeof(*ch));
	const int want[] = {1000, 1000, 500};
	struct fake f;

	assert_non_null(ch);
	for (int i = 0; i < N; i++)
		ch[i] = change(WG_CHANGE_SET, (uint8_t)i, (uint16_t)i);
	fake_start(&f, "fbig", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fbig", ch, N), 0);
	fake_stop(&f);
	for (int i = 0; i < 3; i++) {
		char *req = request("fbig", i);

		assert_non_null(req);
		assert_int_equal(count(req, "public_key="), want[i]);
		assert_int_equal(strncmp(req, "set=1\n", 6), 0);
		free(req);
	}
	assert_null(request("fbig", 3));
	free(ch);
}

static void apply_refuses_unknown_op_before_sending(void **state)
{
	struct wg_change ch[2] = {change(WG_CHANGE_SET, 0x44, 1), change(WG_CHANGE_SET, 0x45, 2)};
	struct fake f;

	ch[1].op = (enum wg_change_op)7;
	fake_start(&f, "fbadop", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_apply(&wg_userspace_ops, "fbadop", ch, 2), -EINVAL);
	fake_stop(&f);
	assert_null(request("fbadop", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T("uapi get: device key, port, peers, allowed IPs, stats", get_reads_device_and_peers),
	    T("uapi get: no private key, no key flags", get_without_private_key_has_no_key),
	    T("uapi get: reply cut before errno= is -EPROTO, never a partial list",
	      get_truncated_before_errno_is_eproto),
	    T("uapi get: reply without its final blank line is -EPROTO",
	      get_without_final_blank_line_is_eproto),
	    T("uapi get: errno=N from the daemon is returned as -N", get_remote_errno_is_returned),
	    T("uapi get: malformed or overlong lines are -EPROTO", get_malformed_lines_are_eproto),
	    T("uapi: a daemon that never answers times out in about 2 s", stuck_daemon_times_out),
	    T("uapi: missing or stale socket is -ENODEV", missing_or_stale_socket_is_enodev),
	    T("uapi apply: REMOVE and SET as the exact UAPI text", apply_sends_exact_text),
	    T("uapi apply: errno from the daemon, junk or a cut reply fail",
	      apply_remote_error_is_returned),
	    T("uapi apply: 2500 changes go as 1000, 1000 and 500", apply_splits_large_lists),
	    T("wg_apply: an unknown op is refused before anything reaches the daemon",
	      apply_refuses_unknown_op_before_sending),
	};

	return uapi_fix_run(tests, sizeof(tests) / sizeof(tests[0]));
}
