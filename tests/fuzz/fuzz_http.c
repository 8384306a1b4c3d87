/*
 * fuzz_http.c: libFuzzer target for the HTTP response parser of the
 * MTA-STS fetch (common/httpresp.c): the response a remote HTTPS server
 * sends.  The first input byte sets the size of the pieces it is fed in
 * (1..256), so every split of a line, a chunk header or a body is tried;
 * then the end of the connection.  Invariants: the result never changes
 * once final, a success has status 200, text/plain and a body within
 * HTTP_BODY_MAX, a refusal has a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/httpresp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct http_resp r;
	size_t step, i, n;
	int rc = 0;

	if (len == 0)
		return 0;
	step = (size_t)buf[0] + 1;
	buf++;
	len--;
	http_resp_init(&r);
	for (i = 0; i < len && rc == 0; i += n) {
		n = len - i < step ? len - i : step;
		rc = http_resp_feed(&r, buf + i, n);
	}
	if (rc == 0)
		rc = http_resp_eof(&r);
	if (http_resp_feed(&r, (const uint8_t *)"x", 1) != rc)
		abort();
	if (rc == 1 && (r.status != 200 || !r.text_plain ||
	    r.bodylen > HTTP_BODY_MAX || r.state != HTTP_DONE))
		abort();
	if (rc == -1 && (r.err[0] == '\0' || r.state != HTTP_FAILED))
		abort();
	return 0;
}
