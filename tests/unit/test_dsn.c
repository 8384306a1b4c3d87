/*
 * test_dsn.c: unit test of common/dsn.c: a bounce and a delay notice are
 * built and parsed back (the header fields, the boundary from the
 * Content-Type, the three parts and the closing delimiter, every field
 * of the delivery-status part per recipient), RET=FULL against the size
 * cap, and a hostile original header (NUL, lone CR, a line far beyond
 * 998 octets, no end of header, more than DSN_HDRS_MAX bytes) copied
 * bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dsn.h"
#include "common/log.h"
#include "tests/unit/check.h"

#define ORIG "Received: from x by y\r\nFrom: alice@example.test\r\n" \
	"Subject: hello\r\n\r\nthe body line\r\n"

/* A parsed notice: the boundary and the parts (pointers into the text,
 * which is changed in place). */
struct parsed {
	char	 boundary[128];
	char	*part[8];
	size_t	 nparts;
	int	 closed;	/* the closing delimiter came last */
};

/* header: the value of field name in the header section at text (up to
 * the first empty line), unfolded, or "" when absent. */
static void
header(const char *text, const char *name, char *out, size_t len)
{
	const char *end = strstr(text, "\r\n\r\n"), *p = text, *e;
	size_t n = strlen(name), o = 0;

	out[0] = '\0';
	if (end == NULL)
		end = text + strlen(text);
	while (p < end) {
		e = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			for (;;) {
				while (p < e && o + 1 < len)
					out[o++] = *p++;
				/* folded continuation */
				if (e[2] != ' ' && e[2] != '\t')
					break;
				p = e + 2;
				e = strstr(p, "\r\n");
			}
			out[o] = '\0';
			return;
		}
		p = e + 2;
	}
}

/* parse: split text (a notice) at its boundary. */
static int
parse(char *text, struct parsed *ps)
{
	char ct[512], delim[140], *b, *q, *p;

	memset(ps, 0, sizeof(*ps));
	header(text, "Content-Type", ct, sizeof(ct));
	if ((b = strstr(ct, "boundary=\"")) == NULL)
		return -1;
	b += 10;
	if ((q = strchr(b, '"')) == NULL || (size_t)(q - b) >= 100)
		return -1;
	memcpy(ps->boundary, b, (size_t)(q - b));
	snprintf(delim, sizeof(delim), "\r\n--%s", ps->boundary);
	p = strstr(text, delim);
	while (p != NULL) {
		*p = '\0';
		p += strlen(delim);
		if (strncmp(p, "--\r\n", 4) == 0) {
			ps->closed = p[4] == '\0';
			return 0;
		}
		if (strncmp(p, "\r\n", 2) != 0 || ps->nparts == 8)
			return -1;
		ps->part[ps->nparts++] = p + 2;
		p = strstr(p + 2, delim);
	}
	return -1;
}

static int
contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void
test_bounce(void)
{
	struct dsn_rcpt r[2] = {
		{ "bob@remote.test", "rfc822;Bob+2Bx@remote.test", 550,
		    "5.1.1", "mx1.remote.test", "<bob@remote.test>: no such "
		    "user\r\nInjected: header", 1764460100 },
		{ "carol@remote.test", "", 0, "", "", "no MX host answered",
		    0 },
	};
	struct dsn_msg d = { "mail.example.test", "0000000112345678",
		"alice@example.test", "env+2Bid+0A", 1764460000, 1764460200,
		DSN_FAILED, 0, 0, r, 2, ORIG, sizeof(ORIG) - 1, 1 };
	struct strbuf sb;
	struct parsed ps;
	char v[512], *text;
	int eight;

	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "bounce built");
	CHECK_INT_EQ(eight, 0, "7-bit");
	text = strdup(strbuf_str(&sb));
	header(text, "From", v, sizeof(v));
	CHECK_STR_EQ(v, "Mail Delivery System <MAILER-DAEMON@mail.example."
	    "test>", "From");
	header(text, "To", v, sizeof(v));
	CHECK_STR_EQ(v, "<alice@example.test>", "To: the envelope sender");
	header(text, "Auto-Submitted", v, sizeof(v));
	CHECK_STR_EQ(v, "auto-replied", "Auto-Submitted");
	header(text, "Subject", v, sizeof(v));
	CHECK_STR_EQ(v, "Undelivered Mail Returned to Sender", "Subject");
	header(text, "Date", v, sizeof(v));
	CHECK_STR_EQ(v, "Sat, 29 Nov 2025 23:50:00 +0000", "Date");
	header(text, "Content-Type", v, sizeof(v));
	CHECK_TRUE(strncmp(v, "multipart/report; report-type=delivery-status;",
	    46) == 0, "multipart/report");
	CHECK_INT_EQ(parse(text, &ps), 0, "parsed at its boundary");
	CHECK_INT_EQ(ps.nparts, 3, "three parts");
	CHECK_TRUE(ps.closed, "closing delimiter last");
	if (ps.nparts != 3) {
		free(text);
		strbuf_free(&sb);
		return;
	}
	header(ps.part[0], "Content-Type", v, sizeof(v));
	CHECK_STR_EQ(v, "text/plain; charset=us-ascii", "part 1 text/plain");
	CHECK_TRUE(contains(ps.part[0], "<bob@remote.test>:\r\n    host "
	    "mx1.remote.test said: 550 <bob@remote.test>: no such user??"
	    "Injected: header\r\n"), "bob's answer in words, one line");
	CHECK_TRUE(contains(ps.part[0], "<carol@remote.test>:\r\n    no MX "
	    "host answered\r\n"), "carol's reason");
	header(ps.part[1], "Content-Type", v, sizeof(v));
	CHECK_STR_EQ(v, "message/delivery-status", "part 2 delivery-status");
	CHECK_TRUE(contains(ps.part[1], "\r\n\r\nReporting-MTA: dns; "
	    "mail.example.test\r\nOriginal-Envelope-Id: env+id?\r\n"
	    "Arrival-Date: Sat, 29 Nov 2025 23:46:40 +0000\r\n\r\n"),
	    "per-message fields, ENVID decoded");
	CHECK_TRUE(contains(ps.part[1], "\r\n\r\nOriginal-Recipient: "
	    "rfc822;Bob+x@remote.test\r\nFinal-Recipient: rfc822; "
	    "bob@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	    "Remote-MTA: dns; mx1.remote.test\r\nDiagnostic-Code: smtp; 550 "
	    "<bob@remote.test>: no such user??Injected: header\r\n"
	    "Last-Attempt-Date: Sat, 29 Nov 2025 23:48:20 +0000\r\n"),
	    "bob's fields");
	CHECK_TRUE(contains(ps.part[1], "\r\n\r\nFinal-Recipient: rfc822; "
	    "carol@remote.test\r\nAction: failed\r\nStatus: 5.0.0\r\n"),
	    "carol's fields, the default status");
	CHECK_TRUE(!contains(ps.part[1], "Will-Retry-Until"),
	    "no Will-Retry-Until in a bounce");
	header(ps.part[2], "Content-Type", v, sizeof(v));
	CHECK_STR_EQ(v, "text/rfc822-headers", "part 3 the header only");
	CHECK_TRUE(contains(ps.part[2], "\r\n\r\nReceived: from x by y\r\n"
	    "From: alice@example.test\r\nSubject: hello\r\n"),
	    "the original header");
	CHECK_TRUE(!contains(ps.part[2], "the body line"), "not the body");
	free(text);
	strbuf_free(&sb);
}

static void
test_delay_full(void)
{
	struct dsn_rcpt r = { "bob@remote.test", "", 451, "4.7.1",
		"mx1.remote.test", "greylisted", 1764460100 };
	struct dsn_msg d = { "mail.example.test", "0000000112345678",
		"alice@example.test", "", 1764460000, 1764474400,
		DSN_DELAYED, 1764460000 + 5 * 86400, 1, &r, 1, ORIG,
		sizeof(ORIG) - 1, 1 };
	struct strbuf sb;
	struct parsed ps;
	char v[512], *text, *big;
	int eight;

	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "delay notice built");
	text = strdup(strbuf_str(&sb));
	header(text, "Subject", v, sizeof(v));
	CHECK_STR_EQ(v, "Delayed Mail (still being retried)", "Subject");
	CHECK_INT_EQ(parse(text, &ps), 0, "parsed");
	CHECK_INT_EQ(ps.nparts, 3, "three parts");
	if (ps.nparts == 3) {
		CHECK_TRUE(contains(ps.part[1], "Action: delayed\r\n"
		    "Status: 4.7.1\r\n"), "delayed, 4.7.1");
		CHECK_TRUE(contains(ps.part[1], "Will-Retry-Until: Thu, 04 Dec "
		    "2025 23:46:40 +0000\r\n"), "Will-Retry-Until");
		CHECK_TRUE(!contains(ps.part[1], "Original-Envelope-Id"),
		    "no ENVID given, no field");
		header(ps.part[2], "Content-Type", v, sizeof(v));
		CHECK_STR_EQ(v, "message/rfc822", "RET=FULL: the message");
		CHECK_TRUE(contains(ps.part[2], "Subject: hello\r\n\r\nthe "
		    "body line"), "with its body");
	}
	free(text);
	strbuf_free(&sb);

	/* beyond the cap: the header only */
	big = malloc(DSN_FULL_MAX + 100);
	memset(big, 'a', DSN_FULL_MAX + 100);
	memcpy(big, "Subject: big\r\n\r\n", 16);
	d.orig = big;
	d.origlen = DSN_FULL_MAX + 100;
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "built");
	text = strdup(strbuf_str(&sb));
	CHECK_INT_EQ(parse(text, &ps), 0, "parsed");
	if (ps.nparts == 3) {
		header(ps.part[2], "Content-Type", v, sizeof(v));
		CHECK_STR_EQ(v, "text/rfc822-headers", "too big: header only");
		CHECK_TRUE(contains(ps.part[0], "too large to be returned"),
		    "and the text says so");
	}
	free(text);
	strbuf_free(&sb);
	/* incomplete (the caller read a part only): header only */
	d.origlen = 100;
	d.orig_complete = 0;
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "built");
	CHECK_TRUE(contains(strbuf_str(&sb), "text/rfc822-headers"),
	    "an incomplete original: header only");
	strbuf_free(&sb);
	free(big);
}

static void
test_hostile(void)
{
	struct dsn_rcpt r = { "bob@remote.test", "", 550, "5.1.1", "", "x",
		0 };
	struct dsn_msg d = { "mail.example.test", "0000000112345678",
		"alice@example.test", "", 1764460000, 1764460200, DSN_FAILED,
		0, 0, &r, 1, NULL, 0, 1 };
	struct strbuf sb;
	struct parsed ps;
	char *orig, *text, *p;
	size_t n = DSN_HDRS_MAX * 2, i, maxline = 0, len;
	int eight;

	orig = malloc(n);
	memset(orig, 'h', n);
	memcpy(orig, "X-Nul: a\0b\rc\n", 13);
	memcpy(orig + 13, "X-Eight: \xc3\xa9\r\n", 13);
	/* then one line of 2 * 64K, no end of header: bounded */
	d.orig = orig;
	d.origlen = n;
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "built");
	CHECK_INT_EQ(eight, 1, "8-bit header: 8bit");
	len = sb.len;
	text = malloc(len + 1);
	memcpy(text, sb.buf, len + 1);
	CHECK_TRUE(memchr(text, '\0', len) == NULL, "no NUL in the notice");
	for (i = 0, p = text; i < len; i++) {
		if (text[i] == '\r')
			CHECK_TRUE(i + 1 < len && text[i + 1] == '\n',
			    "every CR is a CRLF");
		if (text[i] == '\n') {
			if ((size_t)(text + i - p) > maxline)
				maxline = (size_t)(text + i - p);
			p = text + i + 1;
		}
	}
	CHECK_TRUE(maxline <= 999, "no line beyond 998 octets");
	CHECK_TRUE(len < 64 * 1024, "the endless line is not copied");
	CHECK_INT_EQ(parse(text, &ps), 0, "still parses");
	CHECK_INT_EQ(ps.nparts, 3, "three parts");
	if (ps.nparts == 3) {
		CHECK_TRUE(contains(ps.part[2], "Content-Transfer-Encoding: "
		    "8bit\r\n"), "declared 8bit");
		CHECK_TRUE(contains(ps.part[2], "X-Nul: a?b?c\r\nX-Eight: "
		    "\xc3\xa9\r\n"), "NUL and lone CR made '?'");
	}
	free(text);
	strbuf_free(&sb);

	/* a header of short lines beyond DSN_HDRS_MAX: cut at a line end */
	for (i = 0; i + 10 <= n; i += 10)
		memcpy(orig + i, "X-A: 1234\n", 10);
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), 0, "built");
	CHECK_TRUE(sb.len < DSN_HDRS_MAX + 16384 && sb.len > DSN_HDRS_MAX,
	    "header copied up to the bound");
	CHECK_TRUE(contains(strbuf_str(&sb), "X-A: 1234\r\n\r\n--"),
	    "ends on a whole line");
	strbuf_free(&sb);

	/* unusable input */
	d.sender = "";
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), -1, "no bounce to <>");
	strbuf_free(&sb);
	d.sender = "alice@example.test";
	d.nrcpt = 0;
	strbuf_init(&sb, DSN_MAX);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), -1, "no recipient");
	strbuf_free(&sb);
	d.nrcpt = 1;
	strbuf_init(&sb, 1000);
	CHECK_INT_EQ(dsn_build(&d, &sb, &eight), -1, "the cap is enforced");
	strbuf_free(&sb);
	free(orig);
}

static void
test_xtext(void)
{
	char out[16];

	dsn_xtext_decode("a+2Bb+3D", out, sizeof(out));
	CHECK_STR_EQ(out, "a+b=", "xtext decoded");
	dsn_xtext_decode("a+2", out, sizeof(out));
	CHECK_STR_EQ(out, "a+2", "a short escape kept");
	dsn_xtext_decode("+0D+0A+00x", out, sizeof(out));
	CHECK_STR_EQ(out, "???x", "control bytes made '?', NUL ends nothing");
	dsn_xtext_decode("0123456789abcdefghij", out, sizeof(out));
	CHECK_STR_EQ(out, "0123456789abcde", "truncated to the buffer");
}

int
main(void)
{
	log_init("test_dsn", 1, 0);
	test_bounce();
	test_delay_full();
	test_hostile();
	test_xtext();
	return check_done();
}
