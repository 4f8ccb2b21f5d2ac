/* SPDX-License-Identifier: MIT */
/*
 * peers-render: the benchmark's figures for peers.json and /metrics at
 * 100,000 peers, which wireguard-go cannot hold (its device.MaxPeers is
 * 65,536). Fills a table of N entries (default 100,000; names, addresses
 * and keys distinct, counters large) in shuffled order and times, RUNS
 * times, peers_json() and metrics_text() with per-peer series: the
 * responder's whole share of each answer (copy out of the table, sort,
 * format). One line per run: "JSON_MS JSON_BYTES METRICS_MS METRICS_BYTES".
 * Not a test: nothing here judges the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/table.h"
#include "../fcgi/metrics.h"
#include "../fcgi/peers.h"

/* milliseconds on the monotonic clock since t0 (0: now) */
static double ms_since(double t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6 - t0;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t size = table_size(n), len, mlen;
	struct table_settings st;
	struct table_entry e;
	const char *why;
	void *table;
	uint32_t i, j;
	double jms, mms;
	char *out;

	if (!n || runs < 1 || !(table = aligned_alloc(64, (size + 63) / 64 * 64))) {
		fprintf(stderr, "usage: peers-render [ENTRIES [RUNS]]\n");
		return 2;
	}
	table_init(table, size, n);
	memset(&st, 0, sizeof(st));
	snprintf(st.interface, sizeof(st.interface), "wg-bench");
	st.metrics_per_peer = 1;
	table_write_settings(table, &st);
	for (i = 0; i < n; i++) {
		j = (uint32_t)(((uint64_t)i * 2654435761u) % n); /* a shuffled name order */
		memset(&e, 0, sizeof(e));
		e.flags = TABLE_ENTRY_USED;
		snprintf(e.name, sizeof(e.name), "device-%u.fleet.example", j);
		e.addr[0] = 0xfd;
		memcpy(e.addr + 8, &j, sizeof(j));
		e.addr[15] = 1;
		memcpy(e.key, &j, sizeof(j));
		e.key[31] = 0x42;
		e.created = 1764000000 + j;
		e.last_handshake = 1764600000 + j;
		e.rx_bytes = (uint64_t)j * 1234567;
		e.tx_bytes = (uint64_t)j * 7654321;
		table_write_entry(table, i, &e);
	}
	for (; runs > 0; runs--) {
		jms = ms_since(0);
		if (!peers_json(table, size, &out, &len, &why)) {
			fprintf(stderr, "peers-render: peers.json: %s\n", why);
			return 1;
		}
		jms = ms_since(jms);
		free(out);
		mms = ms_since(0);
		if (!metrics_text(table, size, &out, &mlen, &why)) {
			fprintf(stderr, "peers-render: metrics: %s\n", why);
			return 1;
		}
		mms = ms_since(mms);
		free(out);
		printf("%.1f %zu %.1f %zu\n", jms, len, mms, mlen);
	}
	free(table);
	return 0;
}
