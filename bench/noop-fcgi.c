/* SPDX-License-Identifier: MIT */
/*
 * noop-fcgi: the benchmark's ceiling. A FastCGI responder that does nothing:
 * the same libfcgi loop as autowg-fcgi (FCGX_Accept_r on fd 0 under
 * spawn-fcgi), reads the body, and answers a fixed registration reply of
 * the same shape and size. No helper, no parsing, no identity: what nginx
 * plus libfcgi cost by themselves, so autowg's rate can be compared with it
 * in the same run. Links libfcgi only. Never install it.
 */
#include <fcgiapp.h>
#include <stdio.h>

#define NOOP_BODY_MAX 4096 /* bytes read from the request body */

/* The shape and size of a real registration answer (docs/design.md, the contract). */
static const char reply[] = "Status: 200 OK\r\n"
			    "Content-Type: text/plain\r\n"
			    "\r\n"
			    "endpoint=vpn.example.com:53092\n"
			    "pubkey=K0Dd1OxowpmoUiNFfpZYokU8DOuB3xr7NXiGAdBZKzA=\n"
			    "route=fde3:25fb:7f6c::/48\n"
			    "ip=fde3:25fb:7f6c:1:9a1c:4c1e:77d2:e1f5\n"
			    "keepalive=25\n";

int main(void)
{
	char body[NOOP_BODY_MAX];
	FCGX_Request req;

	if (FCGX_Init() || FCGX_InitRequest(&req, 0, 0)) {
		fprintf(stderr, "noop-fcgi: cannot initialise libfcgi\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(body, sizeof(body), req.in) > 0)
			;
		FCGX_PutStr(reply, sizeof(reply) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
