/*
 * test_smtp_check.c: unit test of the pure parts of the inbound checks:
 * smtpd/arstrip.c (our Authentication-Results fields removed from a
 * stream, folded lines too, whatever the chunking) and smtpd/checkproto.c
 * plus the queue's CHECKS frame and Authentication-Results text
 * (round trips, every refusal of the decoders).  Runs as a plain program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dkim.h"
#include "smtpd/arstrip.h"
#include "smtpd/checkproto.h"
#include "smtpd/queueproto.h"
#include "tests/unit/check.h"

/* strip: msg through a scanner for "mx.example.test", fed in chunks of
 * chunk bytes; the result in a static buffer. */
static const char *
strip(const char *msg, size_t chunk, unsigned *removed)
{
	static uint8_t out[65536];
	static struct arstrip s;
	size_t len = strlen(msg), off = 0, w = 0, n;

	arstrip_init(&s, "mx.example.test");
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		w += arstrip_feed(&s, (const uint8_t *)msg + off, n, out + w);
		off += n;
	}
	w += arstrip_finish(&s, out + w);
	out[w] = '\0';
	if (removed != NULL)
		*removed = s.removed;
	return (const char *)out;
}

/* strip_all: the same result whatever the chunking. */
static void
strip_check(const char *msg, const char *want, unsigned nremoved,
    const char *desc)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 100000 };
	char what[200];
	unsigned removed;
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		(void)snprintf(what, sizeof(what), "%s (chunks of %zu)", desc,
		    chunks[i]);
		CHECK_STR_EQ(strip(msg, chunks[i], &removed), want, what);
		CHECK_INT_EQ(removed, nremoved, what);
	}
}

static void
test_strip(void)
{
	char *big, *p;

	strip_check("Subject: hi\r\n\r\nbody\r\n",
	    "Subject: hi\r\n\r\nbody\r\n", 0, "nothing to remove");
	strip_check("Authentication-Results: mx.example.test; spf=pass\r\n"
	    "Subject: hi\r\n\r\nbody\r\n",
	    "Subject: hi\r\n\r\nbody\r\n", 1, "ours removed");
	strip_check("Subject: hi\r\nauthentication-RESULTS :  MX.Example.Test;"
	    "\r\n\tdkim=pass header.d=example.org\r\n (folded)\r\nTo: a\r\n"
	    "\r\nb\r\n",
	    "Subject: hi\r\nTo: a\r\n\r\nb\r\n", 1,
	    "any case, blank before the colon, folded lines go with it");
	strip_check("Authentication-Results: other.example.org; spf=fail\r\n"
	    "\tsmtp.mailfrom=x\r\n\r\nb\r\n",
	    "Authentication-Results: other.example.org; spf=fail\r\n"
	    "\tsmtp.mailfrom=x\r\n\r\nb\r\n", 0, "another's kept");
	strip_check("Authentication-Results: mx.example.test.evil; spf=pass"
	    "\r\n\r\n",
	    "Authentication-Results: mx.example.test.evil; spf=pass\r\n"
	    "\r\n", 0, "a longer id is not ours");
	strip_check("Authentication-Results:\r\n (c (nested) \\) x)\r\n "
	    "mx.example.test (and more); none\r\nX: y\r\n\r\n",
	    "X: y\r\n\r\n", 1, "the id after folding and nested comments");
	strip_check("Authentication-Results: \"mx.example.test\"; none\r\n"
	    "\r\n", "\r\n", 1, "a quoted id");
	strip_check("Authentication-Results: ; spf=pass\r\nA: b\r\n\r\n",
	    "A: b\r\n\r\n", 1, "no id: removed");
	strip_check("Authentication-Results: (only a comment)\r\nA: b\r\n"
	    "\r\n", "A: b\r\n\r\n", 1, "the field ends before its id");
	strip_check("Authentication-Resultsx: mx.example.test\r\n\r\n",
	    "Authentication-Resultsx: mx.example.test\r\n\r\n", 0,
	    "another name");
	strip_check("Authentication: mx.example.test\r\nAuth\r\n\r\n",
	    "Authentication: mx.example.test\r\nAuth\r\n\r\n", 0,
	    "a prefix of the name, a line without colon");
	strip_check("A: b\r\n\r\nAuthentication-Results: mx.example.test; "
	    "none\r\n",
	    "A: b\r\n\r\nAuthentication-Results: mx.example.test; none\r\n",
	    0, "in the body: kept");
	strip_check(" folded first\r\nAuthentication-Results: mx.example.test"
	    "\r\n", " folded first\r\n", 1,
	    "a continuation first; a field cut by the end");
	strip_check("Authentication-Results: mx.example.test\r\n",
	    "", 1, "the id ends at the line end");
	strip_check("Authentication-Results: other\nA: b\n\nbody\n",
	    "Authentication-Results: other\nA: b\n\nbody\n", 0,
	    "bare LF line ends");
	strip_check("Authentication-Results: mx.example.test; a\n b\nA: b\n\n",
	    "A: b\n\n", 1, "bare LF, folded, ours");
	strip_check("Authentication-Res", "Authentication-Res", 0,
	    "a name cut by the end is kept");

	/* A field whose id is beyond the bound is removed, and the bound
	 * holds. */
	big = malloc(8192);
	CHECK_TRUE(big != NULL, "memory");
	if (big == NULL)
		return;
	p = big + sprintf(big, "Authentication-Results: (");
	memset(p, 'x', 3000);
	p += 3000;
	sprintf(p, ") other.example.org; none\r\nA: b\r\n\r\n");
	strip_check(big, "A: b\r\n\r\n", 1, "unreadable within the bound");
	p = big + sprintf(big, "X-Long: ");
	memset(p, 'y', 5000);
	p += 5000;
	sprintf(p, "\r\n\r\n");
	CHECK_STR_EQ(strip(big, 13, NULL), big, "a long field kept whole");
	free(big);
}

/* reparse: what a receiver sees of f. */
static int
reparse(struct frame *f, struct frame *g)
{
	return frame_parse(g, f->buf, f->len);
}

static void
test_msg(void)
{
	struct check_msg m, d;
	struct frame f, g;

	memset(&m, 0, sizeof(m));
	strcpy(m.address, "192.0.2.7");
	strcpy(m.helo, "mail.example.org");
	strcpy(m.sender, "b\xc3\xa9@example.org");
	m.from = CHECK_FROM_ONE;
	strcpy(m.from_domain, "example.org");
	m.checks = CHECK_ALL;
	m.nsig = 2;
	m.id = 0x80000001u;
	m.until = INT64_MAX;
	CHECK_INT_EQ(checkproto_msg_encode(&f, &m), 0, "msg encodes");
	CHECK_INT_EQ(reparse(&f, &g), 0, "msg frame");
	CHECK_INT_EQ(g.type, MSG_CHECK_MSG, "type");
	CHECK_INT_EQ(checkproto_msg_decode(&g, &d), 0, "msg decodes");
	CHECK_STR_EQ(d.sender, m.sender, "sender");
	CHECK_STR_EQ(d.from_domain, "example.org", "from domain");
	CHECK_INT_EQ(d.nsig, 2, "nsig");
	CHECK_TRUE(d.id == 0x80000001u, "the request's id");
	CHECK_TRUE(d.until == INT64_MAX, "until when the broker waits");

#define MSG_BAD(field_set, desc) do {					\
	struct check_msg b = m;						\
	field_set;							\
	CHECK_INT_EQ(checkproto_msg_encode(&f, &b), 0, desc);		\
	CHECK_INT_EQ(reparse(&f, &g), 0, desc);				\
	CHECK_INT_EQ(checkproto_msg_decode(&g, &d), -1, desc);		\
} while (0)
	MSG_BAD(b.nsig = DKIM_SIGS_MAX + 1, "too many signatures");
	MSG_BAD(b.checks = 0, "no check");
	MSG_BAD(b.checks = 8, "an unknown check");
	MSG_BAD(b.from = 4, "an unknown From state");
	MSG_BAD(b.from = CHECK_FROM_MANY, "a domain with MANY");
	MSG_BAD(b.from_domain[0] = '\0', "ONE without a domain");
	MSG_BAD(strcpy(b.helo, "a b"), "a blank in HELO");
	MSG_BAD(strcpy(b.sender, "a\tb@c"), "a control in the sender");
	MSG_BAD(b.until = -1, "a time before the clock's start");
	MSG_BAD(b.address[0] = '\0', "no address");
	MSG_BAD(strcpy(b.from_domain, "ex\x01.org"), "a control in the "
	    "domain");
#undef MSG_BAD

	/* A trailing byte and a cut frame. */
	CHECK_INT_EQ(checkproto_msg_encode(&f, &m), 0, "again");
	f.buf[f.len++] = 0;
	f.buf[3]++;
	CHECK_INT_EQ(reparse(&f, &g), 0, "longer frame");
	CHECK_INT_EQ(checkproto_msg_decode(&g, &d), -1, "trailing byte");
	CHECK_INT_EQ(checkproto_msg_encode(&f, &m), 0, "again");
	f.len -= 2;
	f.buf[3] -= 2;
	CHECK_INT_EQ(reparse(&f, &g), 0, "shorter frame");
	CHECK_INT_EQ(checkproto_msg_decode(&g, &d), -1, "cut");
}

static void
test_sig(void)
{
	static struct dkim_sig s, d, b;
	struct frame f, g;

	memset(&s, 0, sizeof(s));
	s.result = DKIM_PENDING;
	strcpy(s.domain, "example.org");
	strcpy(s.selector, "sel_1");
	strcpy(s.auid, "user@example.org");
	s.head_relaxed = 1;
	s.length = -1;
	s.timestamp = 1700000000;
	s.expire = -1;
	memset(s.bh, 0x22, sizeof(s.bh));
	memset(s.hhash, 0x11, sizeof(s.hhash));
	memset(s.b, 0x33, DKIM_SIG_BYTES_MAX);
	s.blen = DKIM_SIG_BYTES_MAX;
	CHECK_INT_EQ(checkproto_sig_encode(&f, &s), 0, "sig encodes");
	CHECK_INT_EQ(reparse(&f, &g), 0, "sig frame");
	CHECK_INT_EQ(checkproto_sig_decode(&g, &d), 0, "sig decodes");
	CHECK_TRUE(memcmp(&d, &s, sizeof(s)) == 0, "the same signature");
	CHECK_INT_EQ(d.length, -1, "no l=");

	b = s;
	b.result = DKIM_FAIL;
	strcpy(b.reason, "body hash did not verify");
	CHECK_INT_EQ(checkproto_sig_encode(&f, &b), 0, "a decided one");
	CHECK_INT_EQ(reparse(&f, &g), 0, "decided");
	CHECK_INT_EQ(checkproto_sig_decode(&g, &d), 0, "decodes");
	CHECK_STR_EQ(d.reason, "body hash did not verify", "its reason");
	b.domain[0] = b.selector[0] = '\0';
	b.blen = 0;
	b.result = DKIM_PERMERROR;
	CHECK_INT_EQ(checkproto_sig_encode(&f, &b), 0, "unparsed");
	CHECK_INT_EQ(reparse(&f, &g), 0, "unparsed");
	CHECK_INT_EQ(checkproto_sig_decode(&g, &d), 0, "a permerror without "
	    "domain decodes");

#define SIG_BAD(field_set, desc) do {					\
	b = s;								\
	field_set;							\
	CHECK_INT_EQ(checkproto_sig_encode(&f, &b), 0, desc);		\
	CHECK_INT_EQ(reparse(&f, &g), 0, desc);				\
	CHECK_INT_EQ(checkproto_sig_decode(&g, &d), -1, desc);		\
} while (0)
	SIG_BAD(b.result = DKIM_PERMERROR + 1, "an unknown result");
	SIG_BAD(b.blen = 0, "PENDING without b=");
	SIG_BAD(strcpy(b.domain, "-bad-.org"), "PENDING with a bad d=");
	SIG_BAD(b.selector[0] = '\0', "PENDING without s=");
	SIG_BAD(strcpy(b.reason, "a\nb"), "a line break in the reason");
	SIG_BAD(strcpy(b.auid, "a\tb@example.org"), "a tab in i=");
	SIG_BAD(b.body_relaxed = 2, "c= out of range");
	SIG_BAD(b.length = -2, "l= below -1");
#undef SIG_BAD
	b = s;
	b.blen = DKIM_SIG_BYTES_MAX + 1;
	CHECK_INT_EQ(checkproto_sig_encode(&f, &b), -1, "b= too long");
	frame_init(&f, MSG_CHECK_SIG);
	frame_add_u32(&f, DKIM_PENDING);
	frame_add_str(&f, "");
	frame_add_str(&f, "example.org");
	frame_add_str(&f, "sel");
	frame_add_str(&f, "");
	frame_add_u32(&f, 0);
	frame_add_u32(&f, 0);
	frame_add_u64(&f, 0);
	frame_add_u64(&f, 0);
	frame_add_u64(&f, 0);
	frame_add_bytes(&f, s.bh, 31);
	frame_add_bytes(&f, s.hhash, 32);
	frame_add_bytes(&f, s.b, 10);
	CHECK_INT_EQ(frame_finish(&f), 0, "a short bh=");
	CHECK_INT_EQ(reparse(&f, &g), 0, "short bh=");
	CHECK_INT_EQ(checkproto_sig_decode(&g, &d), -1, "bh= of 31 bytes");
}

static void
test_result(void)
{
	static struct check_result r, d, b;
	struct frame f, g;

	memset(&r, 0, sizeof(r));
	r.id = 7;
	r.disposition = CHECK_REJECT;
	strcpy(r.reason, "Rejected by the DMARC policy of example.org");
	strcpy(r.authres, "mx.example.test; spf=fail smtp.mailfrom=example.org;"
	    " dkim=none; dmarc=fail header.from=example.org");
	CHECK_INT_EQ(checkproto_result_encode(&f, &r), 0, "result encodes");
	CHECK_INT_EQ(reparse(&f, &g), 0, "result frame");
	CHECK_INT_EQ(g.type, MSG_CHECK_RUN, "the answer has RUN's type");
	CHECK_INT_EQ(checkproto_result_decode(&g, &d), 0, "result decodes");
	CHECK_STR_EQ(d.authres, r.authres, "authres");
	CHECK_INT_EQ(d.disposition, CHECK_REJECT, "disposition");
	CHECK_INT_EQ(d.id, 7, "the id of its request");

#define RES_BAD(field_set, desc) do {					\
	b = r;								\
	field_set;							\
	CHECK_INT_EQ(checkproto_result_encode(&f, &b), 0, desc);	\
	CHECK_INT_EQ(reparse(&f, &g), 0, desc);				\
	CHECK_INT_EQ(checkproto_result_decode(&g, &d), -1, desc);	\
} while (0)
	RES_BAD(b.disposition = CHECK_DEFER + 1, "an unknown disposition");
	RES_BAD(strcpy(b.reason, "a\r\nb"), "a line break in the reason");
	RES_BAD(b.authres[0] = '\0', "no authres");
	RES_BAD(strcpy(b.authres, "x; spf=pass\r\nBcc: y"),
	    "a line break in authres");
	RES_BAD(strcpy(b.authres, " x; none"), "authres starting blank");
#undef RES_BAD
}

static void
test_queue_checks(void)
{
	static struct queue_checks c, d;
	static struct deliver_req r, dr;
	struct frame f, g;

	memset(&c, 0, sizeof(c));
	strcpy(c.authres, "mx.example.test; dmarc=fail (p=quarantine) "
	    "header.from=b\xc3\xa9.example.org");
	c.junk = 1;
	CHECK_INT_EQ(queueproto_checks_encode(&f, &c), 0, "checks encode");
	CHECK_INT_EQ(reparse(&f, &g), 0, "checks frame");
	CHECK_INT_EQ(queueproto_checks_decode(&g, &d), 0, "checks decode");
	CHECK_STR_EQ(d.authres, c.authres, "UTF-8 kept");
	CHECK_INT_EQ(d.junk, 1, "junk");
	c.junk = 2;
	CHECK_INT_EQ(queueproto_checks_encode(&f, &c), 0, "junk 2");
	CHECK_INT_EQ(reparse(&f, &g), 0, "junk 2");
	CHECK_INT_EQ(queueproto_checks_decode(&g, &d), -1, "junk 2 refused");
	c.junk = 0;
	strcpy(c.authres, "a\tb");
	CHECK_INT_EQ(queueproto_checks_encode(&f, &c), 0, "a tab");
	CHECK_INT_EQ(reparse(&f, &g), 0, "a tab");
	CHECK_INT_EQ(queueproto_checks_decode(&g, &d), -1, "a tab refused");
	CHECK_INT_EQ(queueproto_authres_valid("x; none"), 1, "valid");
	CHECK_INT_EQ(queueproto_authres_valid(""), 0, "empty");
	CHECK_INT_EQ(queueproto_authres_valid("x\x7f"), 0, "DEL");

	memset(&r, 0, sizeof(r));
	strcpy(r.key, "0123456789abcdef-0");
	strcpy(r.user, "bob@example.test");
	strcpy(r.rcpt, "bob@example.test");
	r.size = 10;
	CHECK_INT_EQ(queueproto_deliver_encode(&f, &r), 0, "no authres");
	CHECK_INT_EQ(reparse(&f, &g), 0, "deliver");
	CHECK_INT_EQ(queueproto_deliver_decode(&g, &dr), 0, "decodes");
	CHECK_STR_EQ(dr.authres, "", "empty authres");
	strcpy(r.authres, "mx.example.test; spf=pass");
	r.junk = 1;
	CHECK_INT_EQ(queueproto_deliver_encode(&f, &r), 0, "with authres");
	CHECK_INT_EQ(reparse(&f, &g), 0, "deliver");
	CHECK_INT_EQ(queueproto_deliver_decode(&g, &dr), 0, "decodes");
	CHECK_STR_EQ(dr.authres, r.authres, "authres");
	CHECK_INT_EQ(dr.junk, 1, "junk");
	strcpy(r.authres, "x\ny");
	CHECK_INT_EQ(queueproto_deliver_encode(&f, &r), 0, "bad authres");
	CHECK_INT_EQ(reparse(&f, &g), 0, "deliver");
	CHECK_INT_EQ(queueproto_deliver_decode(&g, &dr), -1, "refused");
}

static void
test_field(void)
{
	static char out[2 * QUEUE_AUTHRES_MAX + 32], v[QUEUE_AUTHRES_MAX];

	CHECK_INT_EQ(queueproto_authres_field(out, sizeof(out),
	    "mx.example.test; spf=pass smtp.mailfrom=a.example; dkim=fail "
	    "reason=\"bad; sig\" (x; y) header.d=a.example", 0), 0, "folds");
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.test;\n\t"
	    "spf=pass smtp.mailfrom=a.example;\n\tdkim=fail reason=\"bad; "
	    "sig\" (x; y) header.d=a.example\n",
	    "after each ';' outside quotes and comments");
	CHECK_INT_EQ(queueproto_authres_field(out, sizeof(out),
	    "mx.example.test; spf=pass", 1), 0, "CRLF");
	CHECK_STR_EQ(out, "Authentication-Results: mx.example.test;\r\n\t"
	    "spf=pass\r\n", "for the wire");
	CHECK_INT_EQ(queueproto_authres_field(out, 30, "mx.example.test; "
	    "none", 0), -1, "too small");
	memset(v, 'a', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	v[950] = ' ';
	v[1900] = ' ';
	CHECK_INT_EQ(queueproto_authres_field(out, sizeof(out), v, 1), 0,
	    "the longest");
	CHECK_TRUE(strchr(out, '\t') != NULL && strlen(strchr(out, '\t')) <
	    1200, "a long line folded at a blank");
	memset(v, ';', sizeof(v) - 1);
	for (size_t i = 1; i < sizeof(v) - 1; i += 2)
		v[i] = ' ';
	CHECK_INT_EQ(queueproto_authres_field(out, sizeof(out), v, 1), 0,
	    "every other byte folded: 2 x QUEUE_AUTHRES_MAX + 32 suffice");
}

int
main(void)
{
	test_field();
	test_strip();
	test_msg();
	test_sig();
	test_result();
	test_queue_checks();
	return check_done();
}
