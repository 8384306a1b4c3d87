/*
 * test_httpresp.c: unit tests of the HTTP response parser of the MTA-STS
 * policy fetch (common/httpresp.c): each accepted shape fed in every
 * piece size, and each hostile response refused with its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/httpresp.h"
#include "tests/unit/check.h"

/* feed: all of s into a fresh r, in pieces of step bytes, then EOF when
 * eof is set; the last result. */
static int
feed(struct http_resp *r, const char *s, size_t step, int eof)
{
	size_t i, n, len = strlen(s);
	int rc = 0;

	http_resp_init(r);
	for (i = 0; i < len && rc == 0; i += n) {
		n = len - i < step ? len - i : step;
		rc = http_resp_feed(r, (const unsigned char *)s + i, n);
	}
	if (rc == 0 && eof)
		rc = http_resp_eof(r);
	return rc;
}

static void
test_http(void)
{
	static struct http_resp r;
	static char big[HTTP_BODY_MAX + 200];
	const char *s;
	size_t step;
	int ok = 1, n;

	s = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\n\r\nhelloEXTRA";
	for (step = 1; step < 64; step++)
		ok &= feed(&r, s, step, 0) == 1 && r.bodylen == 5 &&
		    memcmp(r.body, "hello", 5) == 0;
	CHECK_TRUE(ok, "http: Content-Length, fed in every piece size");
	s = "HTTP/1.1 200 OK\nContent-Type: TEXT/PLAIN; charset=utf-8\n"
	    "Transfer-Encoding: Chunked\n\n3;x=y\nhel\n2\r\nlo\r\n0\n"
	    "Trailer: 1\n\n";
	ok = 1;
	for (step = 1; step < 64; step++)
		ok &= feed(&r, s, step, 0) == 1 && r.bodylen == 5 &&
		    memcmp(r.body, "hello", 5) == 0;
	CHECK_TRUE(ok, "http: chunked with LF ends, extension, trailer");
	s = "HTTP/1.0 200\r\nContent-Type: text/plain\r\n\r\nuntil close";
	CHECK_INT_EQ(feed(&r, s, 7, 1), 1, "http: delimited by the close");
	CHECK_INT_EQ(r.bodylen, 11, "http: the whole body");
	s = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 0\r\n\r\n";
	CHECK_INT_EQ(feed(&r, s, 100, 0), 1, "http: an empty body");

	static const struct {
		const char	*text, *err;
	} bad[] = {
		{ "HTTP/1.1 404 Not Found\r\n\r\n", "the server answered 404" },
		{ "HTTP/1.1 301 Moved\r\nLocation: x\r\n\r\n",
		    "a redirect (301), which MTA-STS does not follow" },
		{ "HTTP/2 200\r\n\r\n", "not an HTTP/1 response" },
		{ "HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1 response" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
		    "a Content-Type other than text/plain" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		    "a Content-Type other than text/plain" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plainx\r\n\r\n",
		    "a Content-Type other than text/plain" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		    "a transfer coding other than chunked" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		    "a transfer coding other than chunked" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		    "both Content-Length and chunked" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n",
		    "two different Content-Lengths" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		    "a malformed Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 65537\r\n\r\n",
		    "a body larger than 65536 bytes" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n10001\r\n",
		    "a body larger than 65536 bytes" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\n\r\nffffffffff\r\n",
		    "a malformed chunk size" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
		    "a malformed chunk size" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
		    "a chunk longer than its size" },
		{ "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		    "a folded header line" },
		{ "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		    "a malformed header line" },
		{ "HTTP/1.1 200 OK\r\nContent-Type : text/plain\r\n\r\n",
		    "a space before a header's colon" },
		{ "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
		    "a stray CR or NUL in a line" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 9\r\n\r\nshort", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT_EQ(feed(&r, bad[i].text, 3, 1), -1,
		    bad[i].err ? bad[i].err : "http: cut short");
		CHECK_STR_EQ(r.err, bad[i].err ? bad[i].err :
		    "the connection ended before the response did",
		    "http: the reason");
	}
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	memset(big + n, 'a', HTTP_LINE_MAX + 1);
	big[n + HTTP_LINE_MAX + 1] = '\0';
	CHECK_INT_EQ(feed(&r, big, 4096, 1), -1, "http: a line too long");
	CHECK_STR_EQ(r.err, "a line longer than 4096 bytes", "http: said so");
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i <= HTTP_HEADERS_MAX; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "X: y\r\n");
	CHECK_INT_EQ(feed(&r, big, 4096, 1), -1, "http: too many headers");
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n\r\n");
	memset(big + n, 'a', HTTP_BODY_MAX + 1);
	big[n + HTTP_BODY_MAX + 1] = '\0';
	CHECK_INT_EQ(feed(&r, big, 4096, 1), -1, "http: a body too large "
	    "until the close");
	CHECK_STR_EQ(r.err, "a body larger than 65536 bytes", "http: said so");
	big[n + HTTP_BODY_MAX] = '\0';
	CHECK_INT_EQ(feed(&r, big, 4096, 1), 1, "http: 64 KiB exactly");
}

int
main(void)
{
	test_http();
	return check_done();
}
