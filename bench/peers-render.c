/* SPDX-License-Identifier: MIT */
/*
 * peers-render: the benchmark's figure for peers.json at 100,000 peers,
 * which wireguard-go cannot hold (its device.MaxPeers is 65,536). Fills a
 * table of N entries (default 100,000; names, addresses and keys distinct,
 * counters large) in shuffled order and times peers_json() on it RUNS
 * times: the responder's whole share of a peers.json answer (copy out of
 * the table, sort, format). Prints one line per run, milliseconds. Not a
 * test: nothing here judges the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/table.h"
#include "../fcgi/peers.h"

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t size = table_size(n), len;
	struct timespec a, b;
	struct table_entry e;
	const char *why;
	void *table;
	uint32_t i, j;
	char *out;

	if (!n || runs < 1 || !(table = calloc(1, size))) {
		fprintf(stderr, "usage: peers-render [ENTRIES [RUNS]]\n");
		return 2;
	}
	table_init(table, size, n);
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
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (!peers_json(table, size, &out, &len, &why)) {
			fprintf(stderr, "peers-render: %s\n", why);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.1f %zu\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6,
		       len);
		free(out);
	}
	free(table);
	return 0;
}
