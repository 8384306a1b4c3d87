/*
 * test_authres.c: unit test of the Authentication-Results field
 * (common/authres.c) and the header walk under it (common/mailhdr.c):
 * the field built for each method, quoting of hostile identities,
 * folding at 78 columns with CRLF, and the finder of fields that claim
 * our authserv-id (case, comments, quotes, versions, obsolete syntax,
 * the body left alone).  Runs as a plain program.
 */
#include <stdio.h>
#include <string.h>

#include "common/authres.h"
#include "common/mailhdr.h"
#include "tests/unit/check.h"

/* Every line ends in CRLF, is at most 78 columns unless one word is
 * longer, and continuation lines start with a tab. */
static int
folded_ok(const char *s)
{
	const char *line = s, *crlf;

	while ((crlf = strstr(line, "\r\n")) != NULL) {
		size_t n = (size_t)(crlf - line);

		if (n > AUTHRES_WIDTH && memchr(line + 1, ' ', n - 1) != NULL)
			return 0;
		if (line != s && line[0] != '\t')
			return 0;
		if (memchr(line, '\n', n) != NULL || memchr(line, '\r', n) != NULL)
			return 0;
		line = crlf + 2;
	}
	return *line == '\0';
}

static void
test_build(void)
{
	struct authres_dkim dk[2];
	struct authres_input in;
	char out[AUTHRES_MAX];
	int n;

	memset(&in, 0, sizeof(in));
	in.authserv_id = "mx.example.net";
	n = authres_build(&in, out, sizeof(out));
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.net; none\r\n",
	    "nothing checked: none");
	CHECK_INT_EQ(n, (int)strlen(out), "length returned");

	in.spf_checked = 1;
	in.spf_result = "pass";
	in.spf_identity = "joe@example.com";
	authres_build(&in, out, sizeof(out));
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.net;\r\n"
	    "\tspf=pass smtp.mailfrom=joe@example.com\r\n", "SPF alone");

	memset(dk, 0, sizeof(dk));
	dk[0].result = AUTHRES_DKIM_PASS;
	snprintf(dk[0].domain, sizeof(dk[0].domain), "example.com");
	snprintf(dk[0].selector, sizeof(dk[0].selector), "s2026");
	snprintf(dk[0].b, sizeof(dk[0].b), "AbC+/9xy");
	dk[1].result = AUTHRES_DKIM_FAIL;
	snprintf(dk[1].domain, sizeof(dk[1].domain), "example.org");
	snprintf(dk[1].selector, sizeof(dk[1].selector), "sel");
	snprintf(dk[1].reason, sizeof(dk[1].reason), "body hash (bh) mismatch");
	in.dkim_checked = 1;
	in.dkim = dk;
	in.ndkim = 2;
	in.dmarc_checked = 1;
	in.dmarc_result = "pass";
	in.dmarc_policy = "reject";
	in.dmarc_action = "none";
	in.from_domain = "example.com";
	authres_build(&in, out, sizeof(out));
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.net;\r\n"
	    "\tspf=pass smtp.mailfrom=joe@example.com;\r\n"
	    "\tdkim=pass header.d=example.com header.s=s2026 header.b=\"AbC+/9xy\";\r\n"
	    "\tdkim=fail (body hash \\(bh\\) mismatch) header.d=example.org "
	    "header.s=sel;\r\n"
	    "\tdmarc=pass (p=reject dis=none) header.from=example.com\r\n",
	    "SPF, two DKIM results and DMARC");
	CHECK_TRUE(folded_ok(out), "folded at 78 with CRLF");

	in.ndkim = 0;
	in.spf_helo = 1;
	in.spf_result = "none";
	in.spf_identity = "helo.example.org";
	in.dmarc_checked = 0;
	authres_build(&in, out, sizeof(out));
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.net;\r\n"
	    "\tspf=none smtp.helo=helo.example.org;\r\n\tdkim=none\r\n",
	    "HELO identity, no signature");

	in.spf_helo = 0;
	in.dkim_checked = 0;
	in.spf_identity = "\"x;y\\z\"\r\nInjected: yes@example.com";
	authres_build(&in, out, sizeof(out));
	CHECK_TRUE(strstr(out, "\r\nInjected") == NULL,
	    "no line break from an identity");
	CHECK_TRUE(strstr(out, "smtp.mailfrom=\"\\\"x;y\\\\z\\\"Injected: "
	    "yes@example.com\"") != NULL, "a hostile local-part is quoted");
	CHECK_TRUE(folded_ok(out), "still folded");

	{
		char longdom[300];

		memset(longdom, 'a', sizeof(longdom));
		memcpy(longdom + 60, ".", 1);
		memcpy(longdom + 120, ".", 1);
		memcpy(longdom + 180, ".", 1);
		memcpy(longdom + 240, ".com", 5);
		in.spf_identity = longdom;
		in.dmarc_checked = 1;
		in.dmarc_result = "fail";
		in.dmarc_policy = "quarantine";
		in.dmarc_action = "quarantine";
		in.from_domain = longdom;
		CHECK_TRUE(authres_build(&in, out, sizeof(out)) > 0,
		    "long identities");
		CHECK_TRUE(folded_ok(out), "long words get their own line");
		CHECK_INT_EQ(authres_build(&in, out, 100), -1,
		    "a buffer too small refused");
	}
	in.authserv_id = "bad host";
	CHECK_INT_EQ(authres_build(&in, out, sizeof(out)), -1,
	    "a bad authserv-id refused");
}

static void
test_find(void)
{
	static const char hdr[] =
	    "Received: from x\r\n"
	    "Authentication-Results: mx.example.net; spf=pass\r\n"
	    "Authentication-Results: other.example; spf=fail\r\n"
	    "authentication-results:   MX.Example.NET 1;\r\n\tdkim=pass\r\n"
	    "Authentication-Results: (forged) \"mx.example.net\"; dmarc=pass\r\n"
	    "Authentication-Results : mx.example.net; none\r\n"
	    "Authentication-Results: mx.example.net.evil; none\r\n"
	    "Authentication-Results:\r\n mx.example.net\r\n"
	    "Authentication-Results: (unterminated mx.example.net; x\r\n"
	    "X-Authentication-Results: mx.example.net; none\r\n"
	    "Authentication-Results: mx.example.net(c); none\n"
	    "Subject: hi\r\n"
	    "\r\n"
	    "Authentication-Results: mx.example.net; in the body\r\n";
	static const char *want[] = {
	    "Authentication-Results: mx.example.net; spf=pass\r\n",
	    "authentication-results:   MX.Example.NET 1;\r\n\tdkim=pass\r\n",
	    "Authentication-Results: (forged) \"mx.example.net\"; dmarc=pass\r\n",
	    "Authentication-Results : mx.example.net; none\r\n",
	    "Authentication-Results:\r\n mx.example.net\r\n",
	    "Authentication-Results: mx.example.net(c); none\n",
	};
	struct authres_span sp[8];
	char desc[80], got[128];
	size_t n, i;

	n = authres_find_ours(hdr, sizeof(hdr) - 1, "mx.example.net", sp, 8);
	CHECK_INT_EQ(n, 6, "six fields claim our name");
	for (i = 0; i < n && i < 6; i++) {
		snprintf(desc, sizeof(desc), "claiming field %zu", i);
		snprintf(got, sizeof(got), "%.*s", (int)sp[i].len,
		    hdr + sp[i].off);
		CHECK_STR_EQ(got, want[i], desc);
	}
	CHECK_INT_EQ(authres_find_ours(hdr, sizeof(hdr) - 1, "mx.example.net",
	    sp, 2), 6, "the count goes past max");
	CHECK_INT_EQ(authres_find_ours(hdr, sizeof(hdr) - 1, "other.example",
	    sp, 8), 1, "another host's field");
	CHECK_INT_EQ(authres_find_ours(hdr, 30, "mx.example.net", sp, 8), 0,
	    "a cut block");
	CHECK_INT_EQ(authres_find_ours("", 0, "mx.example.net", sp, 8), 0,
	    "an empty block");
	CHECK_INT_EQ(authres_find_ours("Authentication-Results: mx.example.net",
	    38, "mx.example.net", sp, 8), 1, "no final line end");
	CHECK_INT_EQ(sp[0].len, 38, "the whole unterminated field");
}

static void
test_walk(void)
{
	static const char hdr[] = " lead\r\nA: 1\r\n 2\r\nB:3\nnoname\r\n\r\nC: 4\r\n";
	struct mailhdr_field f;
	size_t pos = 0;

	CHECK_INT_EQ(mailhdr_next(hdr, sizeof(hdr) - 1, &pos, &f), 1, "lead");
	CHECK_INT_EQ(f.namelen, 0, "a leading continuation has no name");
	CHECK_INT_EQ(mailhdr_next(hdr, sizeof(hdr) - 1, &pos, &f), 1, "A");
	CHECK_TRUE(mailhdr_name_is(&f, "a"), "name A");
	CHECK_INT_EQ(f.valuelen, 6, "folded value \" 1\\r\\n 2\"");
	CHECK_INT_EQ(mailhdr_next(hdr, sizeof(hdr) - 1, &pos, &f), 1, "B");
	CHECK_TRUE(mailhdr_name_is(&f, "B") && f.valuelen == 1, "B:3 with LF");
	CHECK_INT_EQ(mailhdr_next(hdr, sizeof(hdr) - 1, &pos, &f), 1, "noname");
	CHECK_INT_EQ(f.namelen, 0, "a line without colon has no name");
	CHECK_INT_EQ(mailhdr_next(hdr, sizeof(hdr) - 1, &pos, &f), 0,
	    "the empty line ends the block");
	pos = 0;
	CHECK_INT_EQ(mailhdr_next("\r", 1, &pos, &f), 0, "a lone CR ends it");
}

int
main(void)
{
	test_build();
	test_find();
	test_walk();
	return check_done();
}
