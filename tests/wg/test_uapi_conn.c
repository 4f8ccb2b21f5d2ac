/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend's kept connection against a fake UAPI daemon
 * (uapi_fix.h): reused, replaced when the daemon closes it or restarts,
 * never shared with a forked child; "unchanged" only while no other
 * process talks to the daemon; the interface's identity.
 */
#include "../unit.h"
#include "uapi_fix.h"

/* Connections the fake for name accepted. */
static int conns(const char *name)
{
	char path[256];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "%s/%s.conns0", dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void expect_request(const char *name, int i, const char *prefix)
{
	char *req = request(name, i);

	if (!prefix) {
		if (req)
			fail_msg("%s: unexpected request %d: %.40s", name, i, req);
		return;
	}
	if (!req || strncmp(req, prefix, strlen(prefix)))
		fail_msg("%s: request %d: want \"%s...\", got \"%.40s\"", name, i, prefix,
			 req ? req : "(none)");
	free(req);
}

static void get_ok(const char *name)
{
	struct wg_device *dev = NULL;

	assert_int_equal(wg_userspace_ops.get_device(name, &dev), 0);
	assert_non_null(dev);
	wg_device_free(dev);
}

static void requests_share_one_connection(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x51, 1);
	struct fake f;

	fake_start(&f, "fkeep", "errno=0\n\n", FAKE_KEEP);
	get_ok("fkeep");
	assert_int_equal(wg_userspace_ops.apply("fkeep", &ch, 1), 0);
	get_ok("fkeep");
	fake_stop(&f);
	assert_int_equal(conns("fkeep"), 1);
	expect_request("fkeep", 0, "get=1\n\n");
	expect_request("fkeep", 1, "set=1\npublic_key=5151");
	expect_request("fkeep", 2, "get=1\n\n");
	expect_request("fkeep", 3, NULL);
}

static void closed_connection_reconnects(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x52, 1);
	struct fake f;

	/* The daemon closes after every reply: each call finds the kept
	 * connection dead and goes again, transparently, on a new one. */
	fake_start(&f, "fclose", "errno=0\n\n", FAKE_REPLY);
	get_ok("fclose");
	assert_int_equal(wg_userspace_ops.apply("fclose", &ch, 1), 0);
	get_ok("fclose");
	fake_stop(&f);
	assert_int_equal(conns("fclose"), 3);
	expect_request("fclose", 0, "get=1\n\n");
	expect_request("fclose", 1, "set=1\n");
	expect_request("fclose", 2, "get=1\n\n");
	expect_request("fclose", 3, NULL);

	/* Closed after reading a set=1, with no byte of reply: sent again. */
	fake_second_reply = "";
	fake_start(&f, "fdrop", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	assert_int_equal(wg_userspace_ops.apply("fdrop", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.apply("fdrop", &ch, 1), 0);
	fake_stop(&f);
	assert_int_equal(conns("fdrop"), 2);
	expect_request("fdrop", 2, "set=1\n");
	expect_request("fdrop", 3, NULL);

	/* A daemon that died: its stale socket file is -ENODEV, as before. */
	fake_start(&f, "fdead", "errno=0\n\n", FAKE_KEEP);
	get_ok("fdead");
	kill(f.pid, SIGKILL);
	waitpid(f.pid, NULL, 0);
	assert_int_equal(wg_userspace_ops.apply("fdead", &ch, 1), -ENODEV);
	fake_stop(&f);
}

static void cut_reply_is_not_resent(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x53, 1);
	struct fake f;

	/* Part of the reply came: the set may be applied; report, never resend. */
	fake_second_reply = "errno=";
	fake_start(&f, "fcut", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), -EPROTO);
	expect_request("fcut", 2, NULL);
	/* The broken connection was dropped: the next call connects afresh. */
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), 0);
	fake_stop(&f);
	assert_int_equal(conns("fcut"), 2);
	expect_request("fcut", 2, "set=1\n");
	expect_request("fcut", 3, NULL);
}

static void new_socket_file_means_new_connection(void **state)
{
	struct fake a, b;

	/* A restarted daemon binds a new socket file while our connection to
	 * the old one still works: the next request must go to the new one. */
	fake_tag = "fnew1";
	fake_start(&a, "fnew", "errno=0\n\n", FAKE_KEEP);
	get_ok("fnew");
	fake_tag = "fnew2";
	fake_start(&b, "fnew", "errno=0\n\n", FAKE_KEEP);
	fake_tag = NULL;
	get_ok("fnew");
	fake_stop(&a);
	fake_stop(&b);
	expect_request("fnew1", 0, "get=1\n\n");
	expect_request("fnew1", 1, NULL);
	expect_request("fnew2", 0, "get=1\n\n");
	assert_int_equal(conns("fnew2"), 1);
}

static void new_socket_file_reaches_sets_within_a_second(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x5e, 1);
	struct fake a, b;

	/* Sets skip the socket file's check for up to WG_UAPI_RECHECK_MS
	 * (1 s); after that a new file gets them. */
	fake_tag = "fsnew1";
	fake_start(&a, "fsnew", "errno=0\n\n", FAKE_KEEP);
	assert_int_equal(wg_userspace_ops.apply("fsnew", &ch, 1), 0);
	fake_tag = "fsnew2";
	fake_start(&b, "fsnew", "errno=0\n\n", FAKE_KEEP);
	fake_tag = NULL;
	usleep(1200 * 1000);
	assert_int_equal(wg_userspace_ops.apply("fsnew", &ch, 1), 0);
	fake_stop(&a);
	fake_stop(&b);
	expect_request("fsnew1", 1, NULL);
	expect_request("fsnew2", 0, "set=1\n");
	assert_int_equal(conns("fsnew2"), 1);
}

static void stuck_kept_connection_times_out_once(void **state)
{
	struct wg_device *dev = NULL;
	struct timespec t0, t1;
	struct fake f;
	double s;
	int ret;

	fake_second_reply = fake_hang;
	fake_start(&f, "fkhang", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	get_ok("fkhang");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_userspace_ops.get_device("fkhang", &dev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fake_stop(&f);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(ret, -ETIMEDOUT);
	assert_null(dev);
	/* Not retried: a stuck daemon costs one timeout, not two. */
	if (s < 1.5 || s > 3)
		fail_msg("timed out after %.2f s, want about 2 s", s);
	assert_int_equal(conns("fkhang"), 1);
}

static void forked_child_opens_its_own_connection(void **state)
{
	struct fake f;
	int status = -1;
	pid_t pid;

	/* A child shares the parent's socket: using it would interleave the
	 * two processes' requests and replies on one stream. */
	fake_start(&f, "ffork", "errno=0\n\n", FAKE_KEEP);
	get_ok("ffork");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wg_device *dev = NULL;
		int ret = wg_userspace_ops.get_device("ffork", &dev);

		wg_device_free(dev);
		_exit(ret == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	get_ok("ffork");
	fake_stop(&f);
	assert_int_equal(conns("ffork"), 2);
	expect_request("ffork", 2, "get=1\n\n");
}

/* A connection to the fake's socket from this process, as wg(8) would make. */
static int connect_to(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.sock", dir, name);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static uint64_t get_gen(const char *name)
{
	struct wg_device *dev = NULL;
	uint64_t gen;

	assert_int_equal(wg_userspace_ops.get_device(name, &dev), 0);
	gen = dev->gen;
	wg_device_free(dev);
	assert_true(gen > 0);
	return gen;
}

/* After a dump read with no other connection to the daemon, the device
 * counts as unchanged, through our own sets, until another process connects
 * (wg set does); a connection open while a dump is read makes that dump
 * untrusted, since it may still change the device afterwards. */
static void unchanged_until_another_process_connects(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x61, 1);
	uint64_t gen, gen2;
	struct fake f;
	int fd;

	fake_start(&f, "fwatch", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwatch");
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 1);
	assert_int_equal(wg_userspace_ops.apply("fwatch", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 1);
	close(connect_to("fwatch"));
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	/* a dump is trusted again once the daemon is done with that connection */
	for (int i = 0; i < 50; i++) {
		gen2 = get_gen("fwatch");
		if (wg_userspace_ops.unchanged("fwatch", gen2) == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen2), 1);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", 0), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fother", gen2), 0);
	fd = connect_to("fwatch");
	gen = get_gen("fwatch");
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	close(fd);
	gen = get_gen("fwatch");
	fake_stop(&f);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
}

/* A new socket file (a restarted daemon) is not the one watched. */
static void unchanged_not_across_a_new_socket_file(void **state)
{
	struct fake f;
	uint64_t gen;

	fake_start(&f, "fwnew", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwnew");
	assert_int_equal(wg_userspace_ops.unchanged("fwnew", gen), 1);
	fake_stop(&f);
	fake_start(&f, "fwnew", "errno=0\n\n", FAKE_KEEP);
	assert_int_equal(wg_userspace_ops.unchanged("fwnew", gen), 0);
	fake_stop(&f);
}

/* Where connects leave atime alone there is nothing to watch: never
 * "unchanged", so every new key costs a dump. */
static void unchanged_never_on_a_noatime_mount(void **state)
{
	char saved[sizeof(dir)], sub[sizeof(dir) + 4];
	struct fake f;
	uint64_t gen;

	snprintf(saved, sizeof(saved), "%s", dir);
	snprintf(sub, sizeof(sub), "%s/na", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	if (mount("tmpfs", sub, "tmpfs", MS_NOATIME, "size=1m") < 0)
		fail_msg("mount a noatime tmpfs on %s: %s", sub, strerror(errno));
	assert_true(strlen(sub) < sizeof(dir));
	memcpy(dir, sub, strlen(sub) + 1);
	setenv("WG_SOCKET_DIR", dir, 1);
	fake_start(&f, "fwna", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwna");
	assert_int_equal(wg_userspace_ops.unchanged("fwna", gen), 0);
	gen = get_gen("fwna");
	assert_int_equal(wg_userspace_ops.unchanged("fwna", gen), 0);
	fake_stop(&f);
	snprintf(dir, sizeof(dir), "%s", saved);
	setenv("WG_SOCKET_DIR", dir, 1);
	assert_int_equal(umount(sub), 0);
}

/* "lo" exists in every namespace: the interface is there, and so is the
 * socket file of whichever fake daemon serves it. */
static void identity_is_the_index_and_the_socket_file(void **state)
{
	struct wg_identity none, first, again, second, gone;
	struct fake a, b;

	wg_userspace_ops.identity("lo", &none);
	assert_false(none.exists); /* an interface, but no daemon's socket */
	fake_start(&a, "lo", "errno=0\n\n", FAKE_KEEP);
	wg_userspace_ops.identity("lo", &first);
	wg_userspace_ops.identity("lo", &again);
	assert_true(first.exists);
	assert_int_equal(first.ifindex, if_nametoindex("lo"));
	assert_memory_equal(&first, &again, sizeof(first));
	/* a restarted daemon binds a new socket file: another identity */
	fake_start(&b, "lo", "errno=0\n\n", FAKE_KEEP);
	wg_userspace_ops.identity("lo", &second);
	assert_true(second.exists);
	assert_true(second.sock_ino != first.sock_ino || second.sock_dev != first.sock_dev);
	fake_stop(&a);
	fake_stop(&b);
	wg_userspace_ops.identity("lo", &gone);
	assert_false(gone.exists);
	wg_kernel_ops.identity("lo", &first);
	assert_true(first.exists);
	assert_int_equal(first.ifindex, if_nametoindex("lo"));
	wg_kernel_ops.identity("nosuchif0", &gone);
	assert_false(gone.exists);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T("uapi: get, set, get over one kept connection", requests_share_one_connection),
	    T("uapi: a connection the daemon closed is replaced transparently",
	      closed_connection_reconnects),
	    T("uapi: a set whose reply was cut is not sent again", cut_reply_is_not_resent),
	    T("uapi: a new socket file (restarted daemon) gets a new connection",
	      new_socket_file_means_new_connection),
	    T("uapi: a new socket file gets the sets too, within a second",
	      new_socket_file_reaches_sets_within_a_second),
	    T("uapi: a kept connection to a stuck daemon times out once, in about 2 s",
	      stuck_kept_connection_times_out_once),
	    T("uapi: a forked child does not use its parent's connection",
	      forked_child_opens_its_own_connection),
	    T("uapi unchanged: after a lone dump, until another process connects",
	      unchanged_until_another_process_connects),
	    T("uapi unchanged: not across a new socket file",
	      unchanged_not_across_a_new_socket_file),
	    T("uapi unchanged: never on a noatime mount", unchanged_never_on_a_noatime_mount),
	    T("identity: the interface's index and, for userspace, its socket file",
	      identity_is_the_index_and_the_socket_file),
	};

	return uapi_fix_run(tests, sizeof(tests) / sizeof(tests[0]));
}
