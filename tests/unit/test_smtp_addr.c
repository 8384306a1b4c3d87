/*
 * test_smtp_addr.c: unit test of smtpd's path parser (smtpd/addr.c) and
 * of the net <-> monitor codec (smtpd/smtpmsg.c): valid paths and their
 * one spelling, invalid ones, the relay-hack forms, the length limits,
 * SMTPUTF8 and strict UTF-8; every message round trip and the malformed
 * payloads the monitor's decoders must refuse.  Runs as a plain program.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/addr.h"
#include "smtpd/smtpmsg.h"
#include "tests/unit/check.h"

#define MAIL	SMTP_ADDR_MAIL
#define RCPT	SMTP_ADDR_RCPT
#define UTF8	SMTP_ADDR_UTF8

static struct smtp_addr a;

static int
parse(const char *s, int flags)
{
	return smtp_addr_parse(s, strlen(s), flags, &a);
}

/* ok: s parses to addr (and the octets it took are all of s, or up to
 * its first blank). */
static void
ok(const char *s, int flags, const char *addr, const char *desc)
{
	const char *sp = strstr(s, "> ");
	int want = sp != NULL ? (int)(sp - s + 1) : (int)strlen(s);

	CHECK_INT_EQ(parse(s, flags), want, desc);
	CHECK_STR_EQ(a.addr, addr, desc);
}

static void
bad(const char *s, int flags, int err, const char *desc)
{
	CHECK_INT_EQ(parse(s, flags), err, desc);
	CHECK_STR_EQ(a.addr, "", desc);
}

static void
test_valid(void)
{
	ok("<a@b.example>", RCPT, "a@b.example", "plain");
	CHECK_STR_EQ(a.local, "a", "local part");
	CHECK_STR_EQ(a.domain, "b.example", "domain");
	ok("<Jo.Doe@Example.COM>", MAIL, "Jo.Doe@example.com",
	    "domain lowercased, local part kept");
	ok("<a@b.example> SIZE=100", MAIL, "a@b.example",
	    "parameters are the caller's");
	ok("<@r1.example,@r2.example:u@d.example>", RCPT, "u@d.example",
	    "source route dropped");
	ok("<\"joe\"@x.example>", RCPT, "joe@x.example",
	    "needless quotes dropped");
	ok("<\"\\j\\oe\"@x.example>", RCPT, "joe@x.example",
	    "needless quoted pairs dropped");
	ok("<\"a@b\"@local.example>", RCPT, "\"a@b\"@local.example",
	    "a quoted @ stays quoted");
	CHECK_STR_EQ(a.local, "\"a@b\"", "quoted local part");
	ok("<\"a b\"@x.example>", RCPT, "\"a b\"@x.example", "quoted blank");
	ok("<\"a\\\"b\\\\\"@x.example>", RCPT, "\"a\\\"b\\\\\"@x.example",
	    "quote and backslash escaped");
	ok("<\".a\"@x.example>", RCPT, "\".a\"@x.example",
	    "not a Dot-string: stays quoted");
	ok("<u@[192.0.2.1]>", RCPT, "u@[192.0.2.1]", "IPv4 literal");
	ok("<u@[IPv6:2001:DB8::1]>", RCPT, "u@[ipv6:2001:db8::1]",
	    "IPv6 literal");
	ok("<>", MAIL, "", "null reverse-path");
	ok("<Postmaster>", RCPT, "postmaster", "postmaster without domain");
	CHECK_STR_EQ(a.domain, "", "no domain");
	ok("<a%b@c.example>", RCPT, "a%b@c.example",
	    "percent is a local-part character");
	CHECK_STR_EQ(a.domain, "c.example", "percent hack: our domain only");
	ok("<c!a@c.example>", RCPT, "c!a@c.example", "bang too");
	ok("<x-1_y+tag@a-b.c0.example>", RCPT, "x-1_y+tag@a-b.c0.example",
	    "atext and hyphens");
}

static void
test_invalid(void)
{
	bad("a@b.example", RCPT, SMTP_ADDR_ESYNTAX, "no angle brackets");
	bad("<a@b.example", RCPT, SMTP_ADDR_ESYNTAX, "no closing bracket");
	bad("<a@>", RCPT, SMTP_ADDR_ESYNTAX, "no domain");
	bad("<@b.example>", RCPT, SMTP_ADDR_ESYNTAX, "no local part");
	bad("<a>", RCPT, SMTP_ADDR_ESYNTAX, "no @");
	bad("<a@b.example.>", RCPT, SMTP_ADDR_ESYNTAX, "trailing dot");
	bad("<a@b..example>", RCPT, SMTP_ADDR_ESYNTAX, "empty label");
	bad("<.a@b.example>", RCPT, SMTP_ADDR_ESYNTAX, "leading dot");
	bad("<a.@b.example>", RCPT, SMTP_ADDR_ESYNTAX, "dot before @");
	bad("<a..b@c.example>", RCPT, SMTP_ADDR_ESYNTAX, "double dot");
	bad("<a@-b.example>", RCPT, SMTP_ADDR_ESYNTAX, "label starts with -");
	bad("<a@b-.example>", RCPT, SMTP_ADDR_ESYNTAX, "label ends with -");
	bad("<a b@c.example>", RCPT, SMTP_ADDR_ESYNTAX, "blank");
	bad("<a@b@c.example>", RCPT, SMTP_ADDR_ESYNTAX, "two @");
	bad("<a@[1.2.3]>", RCPT, SMTP_ADDR_ESYNTAX, "short IPv4");
	bad("<a@[1.2.3.256]>", RCPT, SMTP_ADDR_ESYNTAX, "IPv4 over 255");
	bad("<a@[IPv6:zz::1]>", RCPT, SMTP_ADDR_ESYNTAX, "bad IPv6");
	bad("<a@[IPv6:fe80::1%eth0]>", RCPT, SMTP_ADDR_ESYNTAX, "IPv6 zone");
	CHECK_INT_EQ(smtp_addr_parse("<a@[IPv6:2001:DB8::\0x]>", 23, RCPT, &a),
	    SMTP_ADDR_ESYNTAX, "NUL in an IPv6 literal (found by fuzz_smtpaddr)");
	bad("<a@[tag:xyz]>", RCPT, SMTP_ADDR_ESYNTAX,
	    "general address literal");
	bad("<\"\"@x.example>", RCPT, SMTP_ADDR_ESYNTAX, "empty quoted");
	bad("<\"a@x.example>", RCPT, SMTP_ADDR_ESYNTAX, "open quote");
	bad("<a\x01@b.example>", RCPT, SMTP_ADDR_ESYNTAX, "control char");
	bad("<a@b.exa\x7fmple>", RCPT, SMTP_ADDR_ESYNTAX, "DEL");
	CHECK_INT_EQ(smtp_addr_parse("<a\0@b.example>", 14, RCPT, &a),
	    SMTP_ADDR_ESYNTAX, "NUL");
	bad("<>", RCPT, SMTP_ADDR_ESYNTAX, "null path only for MAIL");
	bad("<postmaster>", MAIL, SMTP_ADDR_ESYNTAX,
	    "postmaster alone only for RCPT");
	bad("<@a.example:>", RCPT, SMTP_ADDR_ESYNTAX, "route, no mailbox");
	bad("<@a.example,b.example:u@c.example>", RCPT, SMTP_ADDR_ESYNTAX,
	    "route without @");
	bad("<@a.example u@c.example>", RCPT, SMTP_ADDR_ESYNTAX,
	    "route without colon");
	bad("", RCPT, SMTP_ADDR_ESYNTAX, "empty");
}

static void
test_utf8(void)
{
	ok("<\xc3\xa9l\xc3\xa8ve@\xc3\xa9""cole.example>", RCPT | UTF8,
	    "\xc3\xa9l\xc3\xa8ve@\xc3\xa9""cole.example", "UTF-8 with SMTPUTF8");
	CHECK_INT_EQ(a.utf8, 1, "marked UTF-8");
	ok("<u@EX\xc3\x84MPLE.org>", RCPT | UTF8, "u@ex\xc3\x84mple.org",
	    "only ASCII is lowercased");
	ok("<\"\xc3\xa9 x\"@a.example>", RCPT | UTF8,
	    "\"\xc3\xa9 x\"@a.example", "UTF-8 in a quoted string");
	bad("<\xc3\xa9@a.example>", RCPT, SMTP_ADDR_EUTF8,
	    "UTF-8 without SMTPUTF8");
	bad("<a@\xc3\xa9.example>", MAIL, SMTP_ADDR_EUTF8,
	    "UTF-8 domain without SMTPUTF8");
	bad("<\xc0\xaf@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX, "overlong");
	bad("<\xe0\x80\xaf@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX,
	    "overlong, three octets");
	bad("<\xed\xa0\x80@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX,
	    "surrogate");
	bad("<\xf4\x90\x80\x80@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX,
	    "past U+10FFFF");
	bad("<\xc3@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX, "truncated");
	bad("<\x80@a.example>", RCPT | UTF8, SMTP_ADDR_ESYNTAX,
	    "lone continuation");
	ok("<\xf0\x9f\x93\xa7@a.example>", RCPT | UTF8,
	    "\xf0\x9f\x93\xa7@a.example", "four octets");
}

static void
test_lengths(void)
{
	char buf[600];

	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	memset(buf + 1, 'l', 64);
	strcpy(buf + 65, "@x.example>");
	CHECK_INT_EQ(parse(buf, RCPT), 76, "local part of 64");
	buf[0] = '<';
	memset(buf + 1, 'l', 65);
	strcpy(buf + 66, "@x.example>");
	CHECK_INT_EQ(parse(buf, RCPT), SMTP_ADDR_ELONG, "local part of 65");
	memcpy(buf, "<u@", 3);
	memset(buf + 3, 'd', 63);
	strcpy(buf + 66, ".example>");
	CHECK_INT_EQ(parse(buf, RCPT), 75, "label of 63");
	memset(buf + 3, 'd', 64);
	strcpy(buf + 67, ".example>");
	CHECK_INT_EQ(parse(buf, RCPT), SMTP_ADDR_ELONG, "label of 64");
	/* "<" 64 "@" 189 ">": 256 octets in all */
	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	memset(buf + 1, 'l', 64);
	buf[65] = '@';
	memset(buf + 66, 'd', 189);
	buf[66 + 60] = buf[66 + 120] = buf[66 + 180] = '.';
	buf[255] = '>';
	CHECK_INT_EQ(parse(buf, RCPT), 256, "a path of 256");
	memmove(buf + 67, buf + 66, 190);
	buf[66] = 'd';
	CHECK_INT_EQ(parse(buf, RCPT), SMTP_ADDR_ELONG, "a path of 257");
}

/* raw: a frame of type t with the fields a test builds by hand. */
static struct frame f, g;

static int
reparse(void)
{
	if (frame_finish(&f) == -1)
		return -1;
	return frame_parse(&g, f.buf, f.len);
}

static void
mail_fields(const char *proto, const char *helo, const char *sender,
    uint32_t body, uint32_t flags, const char *envid, int extra)
{
	frame_init(&f, MSG_SMTP_MAIL);
	frame_add_str(&f, proto);
	frame_add_str(&f, helo);
	frame_add_str(&f, "TLSv1.3 X");
	frame_add_str(&f, sender);
	frame_add_u64(&f, 0);
	frame_add_u32(&f, body);
	frame_add_u32(&f, flags);
	frame_add_str(&f, envid);
	if (extra)
		frame_add_u32(&f, 0);
}

static int
mail_decodes(const char *proto, const char *helo, const char *sender,
    uint32_t body, uint32_t flags, const char *envid, int extra)
{
	struct smtpmsg_mail m;

	mail_fields(proto, helo, sender, body, flags, envid, extra);
	if (reparse() == -1)
		return -2;
	return smtpmsg_mail_decode(&g, &m);
}

static int
rcpt_decodes(const char *addr, uint32_t notify, const char *orcpt)
{
	struct smtpmsg_rcpt r;

	frame_init(&f, MSG_SMTP_RCPT);
	frame_add_str(&f, addr);
	frame_add_u32(&f, notify);
	frame_add_str(&f, orcpt);
	if (reparse() == -1)
		return -2;
	return smtpmsg_rcpt_decode(&g, &r);
}

static void
test_codec(void)
{
	struct smtpmsg_mail m, m2;
	struct smtpmsg_rcpt r, r2;
	struct smtpmsg_end e, e2;
	struct smtpmsg_answer an, an2;
	const uint8_t *p;
	size_t n;

	memset(&m, 0, sizeof(m));
	strcpy(m.proto, "UTF8SMTPSA");
	strcpy(m.helo, "client.example");
	strcpy(m.tls, "TLSv1.3 TLS_AES_128_GCM_SHA256");
	strcpy(m.sender, "\xc3\xa9@a.example");
	m.size = 12345;
	m.body = SMTPMSG_BODY_8BITMIME;
	m.flags = SMTPMSG_SMTPUTF8 | SMTPMSG_RET_HDRS;
	strcpy(m.envid, "ab+2Bcd");
	CHECK_INT_EQ(smtpmsg_mail_encode(&f, &m), 0, "MAIL encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "MAIL frames");
	CHECK_INT_EQ(smtpmsg_mail_decode(&g, &m2), 0, "MAIL decodes");
	CHECK_TRUE(memcmp(&m, &m2, sizeof(m)) == 0, "MAIL round trip");
	CHECK_INT_EQ(smtpmsg_rcpt_decode(&g, &r), -1, "MAIL is no RCPT");

	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0, "", 0), 0,
	    "a minimal MAIL");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "", 0, 0, "", 0), 0,
	    "the null sender");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0, "", 1), -1,
	    "trailing bytes");
	CHECK_INT_EQ(mail_decodes("LMTP", "h", "a@b", 0, 0, "", 0), -1,
	    "unknown proto");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h x", "a@b", 0, 0, "", 0), -1,
	    "blank in helo");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a\r@b", 0, 0, "", 0), -1,
	    "CR in sender");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "\xc3\xa9@b", 0, 0, "", 0), -1,
	    "UTF-8 sender without the flag");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 3, 0, "", 0), -1,
	    "unknown body");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0x10, "", 0), -1,
	    "unknown flag");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0,
	    SMTPMSG_RET_FULL | SMTPMSG_RET_HDRS, "", 0), -1, "both RET");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0, "a+2b", 0), -1,
	    "xtext hex is uppercase");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0, "a=b", 0), -1,
	    "no = in xtext");
	CHECK_INT_EQ(mail_decodes("ESMTP", "h", "a@b", 0, 0, "ab+2", 0), -1,
	    "truncated xtext escape");

	memset(&r, 0, sizeof(r));
	strcpy(r.addr, "\"a b\"@x.example");
	r.notify = SMTPMSG_NOTIFY_SUCCESS | SMTPMSG_NOTIFY_DELAY;
	strcpy(r.orcpt, "rfc822;a+20b@x.example");
	CHECK_INT_EQ(smtpmsg_rcpt_encode(&f, &r), 0, "RCPT encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "RCPT frames");
	CHECK_INT_EQ(smtpmsg_rcpt_decode(&g, &r2), 0,
	    "a blank in a quoted local part passes");
	memset(r.addr, 0, sizeof(r.addr));
	strcpy(r.addr, "postmaster");
	CHECK_INT_EQ(smtpmsg_rcpt_encode(&f, &r), 0, "RCPT encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "RCPT frames");
	CHECK_INT_EQ(smtpmsg_rcpt_decode(&g, &r2), 0, "RCPT decodes");
	CHECK_TRUE(memcmp(&r, &r2, sizeof(r)) == 0, "RCPT round trip");
	CHECK_INT_EQ(rcpt_decodes("", 0, ""), -1, "empty address");
	CHECK_INT_EQ(rcpt_decodes("a@b", SMTPMSG_NOTIFY_NEVER |
	    SMTPMSG_NOTIFY_DELAY, ""), -1, "NEVER with DELAY");
	CHECK_INT_EQ(rcpt_decodes("a@b", 0x10, ""), -1, "unknown notify");
	CHECK_INT_EQ(rcpt_decodes("a@b", 0, "rfc822"), -1, "ORCPT without ;");
	CHECK_INT_EQ(rcpt_decodes("a@b", 0, ";a@b"), -1, "ORCPT without type");
	CHECK_INT_EQ(rcpt_decodes("a@b", 0, "utf-8;a@b"), 0, "ORCPT type");

	e.how = SMTPMSG_END_ABORT;
	e.bytes = 1ULL << 40;
	CHECK_INT_EQ(smtpmsg_end_encode(&f, &e), 0, "END encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "END frames");
	CHECK_INT_EQ(smtpmsg_end_decode(&g, &e2), 0, "END decodes");
	CHECK_TRUE(e2.how == e.how && e2.bytes == e.bytes, "END round trip");
	e.how = 2;
	smtpmsg_end_encode(&f, &e);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_end_decode(&g, &e2), -1, "END how 2");

	CHECK_INT_EQ(smtpmsg_data_encode(&f, "abc", 3), 0, "DATA encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_data_decode(&g, &p, &n), 0, "DATA decodes");
	CHECK_TRUE(n == 3 && memcmp(p, "abc", 3) == 0, "DATA round trip");
	CHECK_INT_EQ(smtpmsg_data_encode(&f, "", 0), -1, "empty DATA");
	CHECK_INT_EQ(smtpmsg_data_encode(&f, g.buf, SMTPMSG_DATA_MAX + 1), -1,
	    "DATA over the max");
	CHECK_INT_EQ(smtpmsg_data_encode(&f, g.buf, SMTPMSG_DATA_MAX), 0,
	    "DATA of the max fits a frame");
	CHECK_INT_EQ(smtpmsg_rset_encode(&f), 0, "RSET encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_rset_decode(&g), 0, "RSET decodes");
	frame_init(&f, MSG_SMTP_RSET);
	frame_add_u32(&f, 1);
	reparse();
	CHECK_INT_EQ(smtpmsg_rset_decode(&g), -1, "RSET with a field");

	an.verdict = SMTPV_OK;
	strcpy(an.text, "0123456789abcdef");
	CHECK_INT_EQ(smtpmsg_answer_encode(&f, MSG_SMTP_END, &an), 0,
	    "answer encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_answer_decode(&g, MSG_SMTP_RCPT, &an2), -1,
	    "answer of another type");
	g.pos = FRAME_HDR + 1;
	CHECK_INT_EQ(smtpmsg_answer_decode(&g, MSG_SMTP_END, &an2), 0,
	    "answer decodes");
	CHECK_STR_EQ(an2.text, "0123456789abcdef", "answer text");
	CHECK_INT_EQ(smtpmsg_answer_encode(&f, MSG_SMTP_DATA, &an), -1,
	    "DATA has no answer");
	strcpy(an.text, "Message refused by the DMARC policy of b.example");
	smtpmsg_answer_encode(&f, MSG_SMTP_END, &an);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_answer_decode(&g, MSG_SMTP_END, &an2), 0,
	    "blanks in an answer's text");
	strcpy(an.text, "bad\r\n250 injected");
	smtpmsg_answer_encode(&f, MSG_SMTP_END, &an);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(smtpmsg_answer_decode(&g, MSG_SMTP_END, &an2), -1,
	    "CRLF in answer text");
	CHECK_INT_EQ(smtpmsg_xtext_ok("", 0), 1, "empty xtext");
	CHECK_INT_EQ(smtpmsg_xtext_ok("a b", 3), 0, "blank in xtext");
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_utf8();
	test_lengths();
	test_codec();
	return check_done();
}
