/*
 * test_mtasts.c: unit tests of the MTA-STS parsers and MX pattern match
 * (common/mtasts.c) and of the HTTP response parser of the policy fetch
 * (common/httpresp.c): good inputs in every accepted shape, and the
 * hostile ones each refused with its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/httpresp.h"
#include "common/mtasts.h"
#include "tests/unit/check.h"

static int
policy(const char *text, struct mtasts_policy *p, char *err)
{
	return mtasts_policy_parse(text, strlen(text), p, err, 128);
}

static void
test_policy_good(void)
{
	struct mtasts_policy p;
	char err[128];

	CHECK_INT_EQ(policy("version: STSv1\r\nmode: enforce\r\n"
	    "mx: mail.example.com\r\nmx: *.Example.NET\r\n"
	    "max_age: 604800\r\n", &p, err), 0, "policy: RFC 8461 example");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_ENFORCE, "policy: enforce");
	CHECK_INT_EQ(p.max_age, 604800, "policy: max_age");
	CHECK_INT_EQ(p.nmx, 2, "policy: two mx");
	CHECK_STR_EQ(p.mx[1], "*.example.net", "policy: mx lowercased");
	CHECK_INT_EQ(policy("version:STSv1\nmode:testing\nmax_age:\t86400 \n"
	    "mx: mx.example.com\nfoo: bar\n\n", &p, err), 0,
	    "policy: LF, no space, tab, unknown field, blank line");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_TESTING, "policy: testing");
	CHECK_INT_EQ(policy("version: STSv1\nmode: none\nmax_age: 99999999999"
	    , &p, err), -1, "policy: 11 digits of max_age refused");
	CHECK_INT_EQ(policy("version: STSv1\nmode: none\nmax_age: 9999999999",
	    &p, err), 0, "policy: mode none needs no mx, no final newline");
	CHECK_INT_EQ(p.max_age, MTASTS_MAX_AGE, "policy: max_age cut to a "
	    "year");
	CHECK_INT_EQ(policy("version: STSv1\nmode: enforce\nmode: none\n"
	    "max_age: 1\nmx: a.b\n", &p, err), 0, "policy: repeated mode");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_ENFORCE, "policy: the first counts");
}

static void
test_policy_bad(void)
{
	static const struct {
		const char	*text, *err;
	} bad[] = {
		{ "mode: enforce\nmax_age: 1\nmx: a.b\n", "no version" },
		{ "version: STSv2\nmode: enforce\nmax_age: 1\nmx: a.b\n",
		    "an unknown policy version" },
		{ "version: STSv1\nmax_age: 1\nmx: a.b\n", "no mode" },
		{ "version: STSv1\nmode: strict\nmax_age: 1\nmx: a.b\n",
		    "an unknown mode" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\n", "no max_age" },
		{ "version: STSv1\nmode: enforce\nmax_age: -1\nmx: a.b\n",
		    "a malformed max_age" },
		{ "version: STSv1\nmode: enforce\nmax_age: \nmx: a.b\n",
		    "a malformed max_age" },
		{ "version: STSv1\nmode: testing\nmax_age: 1\n",
		    "no mx in an enforce or testing policy" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a..b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.b.\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: *\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.*.b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode enforce\n", "a line without a field "
		    "name" },
		{ "version: STSv1\r\rmode: enforce\n", "a stray carriage "
		    "return" },
		{ "version: STSv1\nmode: enf\001orce\n", "a control character" },
	};
	struct mtasts_policy p;
	char err[128], text[4096];
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(err, "(none)");
		CHECK_INT_EQ(policy(bad[i].text, &p, err), -1, bad[i].err);
		CHECK_STR_EQ(err, bad[i].err, "policy: the reason");
	}
	CHECK_INT_EQ(mtasts_policy_parse("version: STSv1\0mode: none\n", 26,
	    &p, err, sizeof(err)), -1, "policy: a NUL refused");
	n = snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\n"
	    "max_age: 1\n");
	for (i = 0; i <= MTASTS_MX_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "mx: mx%zu.example.com\n", i);
	CHECK_INT_EQ(policy(text, &p, err), -1, "policy: too many mx");
	CHECK_INT_EQ(p.nmx, 0, "policy: zeroed on failure");
}

static void
test_txt(void)
{
	char id[MTASTS_ID_MAX + 1];
	const char *s;

	s = "v=STSv1; id=20160831085700Z;";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0, "txt: RFC example");
	CHECK_STR_EQ(id, "20160831085700Z", "txt: id");
	s = "v=STSv1 ;id=abc ; ext=x!y";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0,
	    "txt: spaces, an extension");
	CHECK_STR_EQ(id, "abc", "txt: id among others");
	s = "v=STSv1; id=12345678901234567890123456789012";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0, "txt: 32 id chars");
	s = "v=STSv1; id=123456789012345678901234567890123";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: 33 refused");
	s = "v=STSv1; id=ab-c";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1,
	    "txt: id not alphanumeric");
	s = "v=STSv1;";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: no id");
	s = "v=spf1 -all";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: not STS");
	s = "v=STSv10; id=1";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: STSv10");
	s = "id=1; v=STSv1";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: v first");
	s = "v=STSv1; id=1;; x=y";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: empty "
	    "field");
	CHECK_INT_EQ(mtasts_txt_parse("v=STSv1; id=1\0", 14, id), -1,
	    "txt: a NUL");
}

static void
test_match(void)
{
	struct mtasts_policy p;
	char err[128];

	CHECK_INT_EQ(mtasts_pattern_match("mail.example.com",
	    "MAIL.example.com."), 1, "match: same name, case, dot");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "mx.example.com"),
	    1, "match: wildcard");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "example.com"), 0,
	    "match: wildcard needs a label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "a.b.example.com"),
	    0, "match: wildcard is one label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", ".example.com"), 0,
	    "match: empty label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "*.example.com"), 0,
	    "match: a host is never a wildcard");
	CHECK_INT_EQ(mtasts_pattern_match("mail.example.com", "mail.example"),
	    0, "match: another name");
	CHECK_INT_EQ(policy("version: STSv1\nmode: enforce\nmax_age: 1\n"
	    "mx: a.example.com\nmx: *.b.example.com\n", &p, err), 0,
	    "match: a policy");
	CHECK_INT_EQ(mtasts_mx_match(&p, "x.b.example.com"), 1,
	    "match: the second pattern");
	CHECK_INT_EQ(mtasts_mx_match(&p, "b.example.com"), 0,
	    "match: no pattern");
}

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
		    "Content-Length: 2\r\n\r\n", "two different Content-Lengths" },
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
	test_policy_good();
	test_policy_bad();
	test_txt();
	test_match();
	test_http();
	return check_done();
}
