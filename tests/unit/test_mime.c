/*
 * test_mime.c: unit test of common/mime*.c, common/charset.c and
 * common/strbuf.c: ENVELOPE and BODYSTRUCTURE of real-looking messages
 * against strings derived by hand from the RFC 3501 grammar, the same
 * message with LF, CRLF and mixed line ends, sections and partial
 * fetches in wire form, malformed mail, the bounds, RFC 2047 words,
 * base64 and quoted-printable, every charset family, case folding and
 * SEARCH; then every function on each message of the hostile corpus
 * (mime_corpus.h), in bounded time.  Runs as a plain program; trusts
 * nothing: it is the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/charset.h"
#include "common/mime.h"
#include "common/strbuf.h"
#include "tests/unit/check.h"
#include "tests/unit/imap_grammar.h"
#include "tests/unit/mime_corpus.h"

#define OUT_MAX	(64u << 20)

static struct strbuf out;

/* ---- helpers ---- */

static const char *
bs(const struct mime_msg *m, uint32_t i, int ext)
{
	strbuf_reset(&out);
	if (mime_body_write(m, i, ext, &out) == -1)
		return "(error)";
	return strbuf_str(&out);
}

static const char *
env(const struct mime_msg *m, uint32_t i)
{
	strbuf_reset(&out);
	if (mime_envelope_write(m, i, &out) == -1)
		return "(error)";
	return strbuf_str(&out);
}

static const char *
sect(const struct mime_msg *m, const char *spec, size_t start, size_t count)
{
	struct mime_section sec;

	strbuf_reset(&out);
	if (mime_section_parse(spec, strlen(spec), &sec) == -1)
		return "(bad section)";
	if (mime_section_write(m, &sec, start, count, &out) == -1)
		return "(error)";
	return strbuf_str(&out);
}

static void
to_crlf(const char *lf, struct strbuf *sb)
{
	for (; *lf != '\0'; lf++) {
		if (*lf == '\n')
			strbuf_addc(sb, '\r');
		strbuf_addc(sb, *lf);
	}
}

/* A string's wire form, computed the plain way: bytes + bare LFs. */
static size_t
naive_wire(const char *p, size_t off, size_t len)
{
	size_t i, n = len;

	for (i = off; i < off + len; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			n++;
	return n;
}

static size_t
naive_lines(const char *p, size_t off, size_t len)
{
	size_t i, n = 0;

	for (i = off; i < off + len; i++)
		n += p[i] == '\n';
	return n;
}

/* Invariants of every part: ranges nest, header then body, wire sizes
 * and line counts as counted directly. */
static int
part_invariants(const struct mime_msg *m)
{
	const struct mime_part *p, *par;
	uint32_t i;

	for (i = 0; i < m->nparts; i++) {
		p = &m->parts[i];
		if (p->hdr.off + p->hdr.len != p->body.off ||
		    p->body.off + p->body.len > m->len ||
		    p->hdr.wire_len != naive_wire(m->buf, p->hdr.off,
		    p->hdr.len) ||
		    p->body.wire_len != naive_wire(m->buf, p->body.off,
		    p->body.len) ||
		    p->hdr.wire_off != p->hdr.off + naive_wire(m->buf, 0,
		    p->hdr.off) - p->hdr.off ||
		    p->lines != naive_lines(m->buf, p->body.off, p->body.len))
			return 0;
		if (p->parent == MIME_NONE)
			continue;
		par = &m->parts[p->parent];
		if (p->hdr.off < par->body.off || p->body.off + p->body.len >
		    par->body.off + par->body.len || p->depth != par->depth + 1)
			return 0;
	}
	return m->wire_len == naive_wire(m->buf, 0, m->len);
}

/* ---- strbuf ---- */

static void
test_strbuf(void)
{
	struct strbuf sb;
	char big[3000];

	strbuf_init(&sb, 64);
	CHECK_STR_EQ(strbuf_str(&sb), "", "empty strbuf is \"\"");
	strbuf_add_imap_string(&sb, "a\"b\\c", 5);
	CHECK_STR_EQ(strbuf_str(&sb), "\"a\\\"b\\\\c\"", "quoted, escaped");
	strbuf_reset(&sb);
	strbuf_add_imap_string(&sb, "a\r\nb", 4);
	CHECK_STR_EQ(strbuf_str(&sb), "{4}\r\na\r\nb", "CRLF: literal");
	strbuf_reset(&sb);
	strbuf_add_imap_string(&sb, "J\xc3\xb6rg", 5);
	CHECK_STR_EQ(strbuf_str(&sb), "{5}\r\nJ\xc3\xb6rg", "8-bit: literal");
	strbuf_reset(&sb);
	strbuf_add_imap_string(&sb, "a\0b", 3);
	CHECK_STR_EQ(strbuf_str(&sb), "{3}\r\na\x80" "b", "NUL sent as 0x80");
	strbuf_reset(&sb);
	strbuf_add_imap_nstring(&sb, NULL, 0);
	strbuf_addc(&sb, ' ');
	strbuf_add_imap_nstring(&sb, "", 0);
	CHECK_STR_EQ(strbuf_str(&sb), "NIL \"\"", "NIL and empty string");
	strbuf_reset(&sb);
	CHECK_INT_EQ(strbuf_printf(&sb, "%d-%s", 42, "x"), 0, "printf");
	CHECK_STR_EQ(strbuf_str(&sb), "42-x", "printf content");
	CHECK_INT_EQ(strbuf_add(&sb, big, 61), -1, "cap refuses");
	CHECK_INT_EQ(sb.error, 1, "cap sets the error flag");
	CHECK_INT_EQ(strbuf_addc(&sb, 'y'), -1, "error sticks");
	CHECK_STR_EQ(strbuf_str(&sb), "42-x", "content kept after error");
	strbuf_free(&sb);
	strbuf_init(&sb, 10000);
	memset(big, 'a', sizeof(big));
	strbuf_add_imap_string(&sb, big, STRBUF_QUOTED_MAX + 1);
	CHECK_TRUE(strncmp(strbuf_str(&sb), "{1025}\r\naaa", 11) == 0,
	    "long string: literal");
	strbuf_reset(&sb);
	CHECK_INT_EQ(strbuf_printf(&sb, "%.2999s", big), 0, "long printf");
	CHECK_INT_EQ(sb.len, 2999, "long printf length");
	strbuf_free(&sb);
}

/* ---- RFC 3501's sample message ---- */

static const char msg1[] =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n"
    "From: Fred Foobar <foobar@Blurdybloop.example>\n"
    "Subject: afternoon meeting\n"
    "To: mooch@owatagu.siam.edu.example\n"
    "Message-Id: <B27397-0100000@Blurdybloop.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
    "\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\n";

static const char msg1_env[] =
    "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\" "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
    "((NIL NIL \"mooch\" \"owatagu.siam.edu.example\")) NIL NIL NIL "
    "\"<B27397-0100000@Blurdybloop.example>\")";

static void
test_sample(void)
{
	struct mime_msg m;
	struct strbuf crlf, mixed;
	const char *variants[3];
	size_t lens[3], i;

	strbuf_init(&crlf, 1 << 16);
	strbuf_init(&mixed, 1 << 16);
	to_crlf(msg1, &crlf);
	/* Mixed: CRLF in the header, LF in the body. */
	strbuf_add(&mixed, crlf.buf, 271);
	strbuf_adds(&mixed, msg1 + 263);
	variants[0] = msg1;
	lens[0] = sizeof(msg1) - 1;
	variants[1] = crlf.buf;
	lens[1] = crlf.len;
	variants[2] = mixed.buf;
	lens[2] = mixed.len;
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(mime_parse(&m, variants[i], lens[i]), 0, "parse");
		CHECK_STR_EQ(env(&m, 0), msg1_env, "RFC 3501 sample ENVELOPE");
		CHECK_STR_EQ(bs(&m, 0, 1), "(\"TEXT\" \"PLAIN\" (\"charset\" "
		    "\"US-ASCII\") NIL NIL \"7bit\" 55 1 NIL NIL NIL NIL)",
		    "sample BODYSTRUCTURE");
		CHECK_STR_EQ(bs(&m, 0, 0), "(\"TEXT\" \"PLAIN\" (\"charset\" "
		    "\"US-ASCII\") NIL NIL \"7bit\" 55 1)", "sample BODY");
		CHECK_INT_EQ(m.wire_len, 326, "RFC822.SIZE in wire octets");
		CHECK_INT_EQ(m.parts[0].hdr.wire_len, 271, "header size");
		CHECK_INT_EQ(m.nparts, 1, "one part");
		CHECK_TRUE(part_invariants(&m), "part invariants");
		mime_free(&m);
	}
	strbuf_free(&crlf);
	strbuf_free(&mixed);
}

/* ---- a multipart with everything ---- */

static const char msg2[] =
    "From: a@b.example\n"
    "To: \"Doe, John\" <john@x.example>, group: c@d.example, "
    "\"e f\"@g.example;, h@i.example (Comment Name)\n"
    "Subject: =?utf-8?q?caf=C3=A9?= test\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=E9 na=EFve\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "plain\n"
    "--inner\n"
    "Content-Type: text/html; charset=\"utf-8\"\n"
    "Content-Disposition: inline\n"
    "\n"
    "<p>html</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Disposition: attachment; filename=\"fwd.eml\"\n"
    "\n"
    "From: x@y.example\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--outer\n"
    "Content-Type: application/pdf; name*0=\"long\"; name*1=\"name.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Language: en, de\n"
    "Content-Location: http://example/x.pdf\n"
    "Content-MD5: abc=\n"
    "Content-ID: <id1@x>\n"
    "Content-Description: A PDF\n"
    "\n"
    "JVBERi0=\n"
    "--outer--\n"
    "epilogue\n";

#define TXT(n, l) "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL " \
	"\"7bit\" " #n " " #l " NIL NIL NIL NIL)"

static const char msg2_bs[] =
    "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL "
    "\"quoted-printable\" 14 0 NIL NIL NIL NIL)"
    "(" TXT(5, 0) "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
    "\"7bit\" 11 0 NIL (\"inline\" NIL) NIL NIL) \"alternative\" "
    "(\"boundary\" \"inner\") NIL NIL NIL)"
    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 47 (NIL \"inner\" "
    "((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) "
    "((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) " TXT(10, 0)
    " 3 NIL (\"attachment\" (\"filename\" \"fwd.eml\")) NIL NIL)"
    "(\"application\" \"pdf\" (\"name\" \"longname.pdf\") \"<id1@x>\" "
    "\"A PDF\" \"base64\" 8 \"abc=\" NIL (\"en\" \"de\") "
    "\"http://example/x.pdf\") "
    "\"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)";

static const char msg2_body[] =
    "((\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL "
    "\"quoted-printable\" 14 0)"
    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
    "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 11 0) "
    "\"alternative\")"
    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 47 (NIL \"inner\" "
    "((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) "
    "((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) "
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0)"
    " 3)"
    "(\"application\" \"pdf\" (\"name\" \"longname.pdf\") \"<id1@x>\" "
    "\"A PDF\" \"base64\" 8) \"mixed\")";

static const char msg2_env[] =
    "(NIL \"=?utf-8?q?caf=C3=A9?= test\" ((NIL NIL \"a\" \"b.example\")) "
    "((NIL NIL \"a\" \"b.example\")) ((NIL NIL \"a\" \"b.example\")) "
    "((\"Doe, John\" NIL \"john\" \"x.example\")(NIL NIL \"group\" NIL)"
    "(NIL NIL \"c\" \"d.example\")(NIL NIL \"e f\" \"g.example\")"
    "(NIL NIL NIL NIL)(\"Comment Name\" NIL \"h\" \"i.example\")) "
    "NIL NIL NIL NIL)";

static void
test_multipart(void)
{
	struct mime_msg m;
	struct strbuf crlf;
	const char *s;

	CHECK_INT_EQ(mime_parse(&m, msg2, sizeof(msg2) - 1), 0, "parse");
	CHECK_STR_EQ(bs(&m, 0, 1), msg2_bs, "multipart BODYSTRUCTURE");
	CHECK_TRUE(imap_grammar_body(out.buf, out.len, 1),
	    "BODYSTRUCTURE follows the grammar");
	CHECK_STR_EQ(bs(&m, 0, 0), msg2_body, "multipart BODY");
	CHECK_TRUE(imap_grammar_body(out.buf, out.len, 0),
	    "BODY follows the grammar");
	CHECK_STR_EQ(env(&m, 0), msg2_env, "ENVELOPE with group, comment");
	CHECK_TRUE(imap_grammar_envelope(out.buf, out.len),
	    "ENVELOPE follows the grammar");
	CHECK_INT_EQ(m.wire_len, 968, "RFC822.SIZE");
	CHECK_INT_EQ(m.nparts, 8, "eight parts");
	CHECK_TRUE(part_invariants(&m), "part invariants");
	CHECK_INT_EQ(mime_message_root(&m, 5), 6, "message root of 3");
	CHECK_INT_EQ(mime_message_root(&m, 1), MIME_NONE, "text: no root");
	mime_free(&m);

	strbuf_init(&crlf, 1 << 16);
	to_crlf(msg2, &crlf);
	CHECK_INT_EQ(mime_parse(&m, crlf.buf, crlf.len), 0, "parse CRLF");
	s = bs(&m, 0, 1);
	CHECK_STR_EQ(s, msg2_bs, "CRLF: same BODYSTRUCTURE");
	CHECK_STR_EQ(env(&m, 0), msg2_env, "CRLF: same ENVELOPE");
	CHECK_INT_EQ(m.wire_len, 968, "CRLF: same RFC822.SIZE");
	CHECK_TRUE(part_invariants(&m), "CRLF part invariants");
	mime_free(&m);
	strbuf_free(&crlf);
}

/* ---- sections ---- */

static const struct {
	const char *spec, *want;
} sections[] = {
	{ "1", "caf=E9 na=EFve" },
	{ "1.MIME", "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n" },
	{ "2.1", "plain" },
	{ "2.2", "<p>html</p>" },
	{ "2.2.MIME", "Content-Type: text/html; charset=\"utf-8\"\r\n"
	    "Content-Disposition: inline\r\n\r\n" },
	{ "3", "From: x@y.example\r\nSubject: inner\r\n\r\ninner body" },
	{ "3.HEADER", "From: x@y.example\r\nSubject: inner\r\n\r\n" },
	{ "3.TEXT", "inner body" },
	{ "3.1", "inner body" },
	{ "3.HEADER.FIELDS (subject)", "Subject: inner\r\n\r\n" },
	{ "4", "JVBERi0=" },
	{ "5", "" },
	{ "2.3", "" },
	{ "9.9.9", "" },
	{ "2.HEADER", "" },
	{ "1.TEXT", "" },
	{ "HEADER.FIELDS (From Subject)", "From: a@b.example\r\n"
	    "Subject: =?utf-8?q?caf=C3=A9?= test\r\n\r\n" },
	{ "header.fields (\"FROM\" x-none)", "From: a@b.example\r\n\r\n" },
	{ "HEADER.FIELDS (X-None)", "\r\n" },
	{ "HEADER.FIELDS.NOT (From Subject To)", "Content-Type: "
	    "multipart/mixed; boundary=\"outer\"\r\n\r\n" },
	{ "4.MIME", "Content-Type: application/pdf; name*0=\"long\"; "
	    "name*1=\"name.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Language: en, de\r\nContent-Location: "
	    "http://example/x.pdf\r\nContent-MD5: abc=\r\n"
	    "Content-ID: <id1@x>\r\nContent-Description: A PDF\r\n\r\n" },
};

static void
test_sections(void)
{
	struct mime_msg m, mc;
	struct mime_section sec;
	struct mime_range r;
	struct strbuf crlf, a;
	struct mime_wire w;
	char desc[96], chunk[3];
	size_t i, s, c, n;
	int ok;

	strbuf_init(&crlf, 1 << 16);
	strbuf_init(&a, 1 << 16);
	to_crlf(msg2, &crlf);
	mime_parse(&m, msg2, sizeof(msg2) - 1);
	mime_parse(&mc, crlf.buf, crlf.len);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		snprintf(desc, sizeof(desc), "BODY[%s]", sections[i].spec);
		CHECK_STR_EQ(sect(&m, sections[i].spec, 0, SIZE_MAX),
		    sections[i].want, desc);
		snprintf(desc, sizeof(desc), "BODY[%s] of the CRLF file",
		    sections[i].spec);
		CHECK_STR_EQ(sect(&mc, sections[i].spec, 0, SIZE_MAX),
		    sections[i].want, desc);
	}
	CHECK_STR_EQ(sect(&m, "", 0, SIZE_MAX), crlf.buf, "BODY[] is CRLF");
	CHECK_STR_EQ(sect(&m, "TEXT", 0, 10), "preamble\r\n",
	    "BODY[TEXT]<0.10>");
	CHECK_STR_EQ(sect(&m, "", 17, 3), "\r\nT", "partial across a bare LF");
	CHECK_STR_EQ(sect(&m, "", 18, 3), "\nTo", "partial inside a CRLF");
	CHECK_STR_EQ(sect(&m, "", 5000, 3), "", "partial past the end");
	CHECK_STR_EQ(sect(&m, "3.TEXT", 6, 100), "body", "BODY[3.TEXT]<6.>");
	CHECK_STR_EQ(sect(&m, "HEADER.FIELDS (From)", 4, 3), ": a",
	    "partial of HEADER.FIELDS");
	/* Every partial range of BODY[] and of part 3 against the plain
	 * conversion of the file. */
	ok = 1;
	for (s = 0; s <= crlf.len + 1 && ok; s++)
		for (c = 0; c < 5 && ok; c++) {
			strbuf_reset(&a);
			if (s < crlf.len)
				strbuf_add(&a, crlf.buf + s, s + c > crlf.len ?
				    crlf.len - s : c);
			ok = strcmp(sect(&m, "", s, c), strbuf_str(&a)) == 0 &&
			    strcmp(sect(&mc, "", s, c), strbuf_str(&a)) == 0;
		}
	CHECK_TRUE(ok, "every BODY[]<start.count> equals the CRLF bytes");
	for (c = 1; c <= 3; c++) {
		r.off = 0;
		r.len = m.len;
		mime_wire_open(&w, m.buf, &r, 0);
		strbuf_reset(&a);
		while ((n = mime_wire_read(&w, chunk, c)) > 0)
			strbuf_add(&a, chunk, n);
		snprintf(desc, sizeof(desc), "wire cursor, %zu byte reads", c);
		CHECK_STR_EQ(strbuf_str(&a), crlf.buf, desc);
	}
	mime_section_parse("3", 1, &sec);
	CHECK_INT_EQ(mime_section_locate(&m, &sec, &r), 1, "locate: plain");
	CHECK_INT_EQ(r.wire_len, 47, "locate: wire length of part 3");
	CHECK_INT_EQ(r.wire_off + r.wire_len, mc.parts[5].body.off +
	    mc.parts[5].body.len, "wire offset = CRLF file offset");
	mime_section_parse("HEADER.FIELDS (A)", 17, &sec);
	CHECK_INT_EQ(mime_section_locate(&m, &sec, &r), 0,
	    "locate: fields are filtered");
	mime_free(&m);
	mime_free(&mc);
	strbuf_free(&crlf);
	strbuf_free(&a);
}

static void
test_section_parse(void)
{
	static const char *bad[] = { "0", "1.", ".1", "MIME", "1.MIME.x",
	    "HEADER.FIELDS ()", "HEADER.FIELDS (a", "HEADER.FIELDS", "1.2x",
	    "4294967296", "TEXT ", "HEADERS", "1..2", "HEADER.FIELDS (a))" };
	struct mime_section sec;
	size_t i;
	char desc[64];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "section \"%s\" refused", bad[i]);
		CHECK_INT_EQ(mime_section_parse(bad[i], strlen(bad[i]), &sec),
		    -1, desc);
	}
	CHECK_INT_EQ(mime_section_parse("1.2.3.MIME", 10, &sec), 0,
	    "1.2.3.MIME");
	CHECK_INT_EQ(sec.nparts, 3, "three numbers");
	CHECK_INT_EQ(sec.part[2], 3, "third number");
	CHECK_INT_EQ(sec.what, MIME_SEC_MIME, "MIME");
	CHECK_INT_EQ(mime_section_parse("4294967295.text", 15, &sec), 0,
	    "largest number, lower case");
	CHECK_INT_EQ(sec.what, MIME_SEC_TEXT, "TEXT");
}

/* ---- addresses ---- */

static const struct {
	const char *value, *want;
} addrs[] = {
	{ "\"Doe, John\" <john@x.example>",
	    "((\"Doe, John\" NIL \"john\" \"x.example\"))" },
	{ "john@x.example (John Doe)",
	    "((\"John Doe\" NIL \"john\" \"x.example\"))" },
	{ "undisclosed-recipients:;",
	    "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))" },
	{ "<@a.example,@b.example:user@c.example>",
	    "((NIL \"@a.example,@b.example\" \"user\" \"c.example\"))" },
	{ "\"john smith\"@x.example",
	    "((NIL NIL \"john smith\" \"x.example\"))" },
	{ "Joe Q. Public <john.q.public@example.com>",
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\"))" },
	{ "foo bar", "((NIL NIL \"foo bar\" \"MISSING_DOMAIN\"))" },
	{ "<>", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))" },
	{ "   ", "NIL" },
	{ "a@b, , c@d,", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x>",
	    "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))" },
	{ "g: a@b", "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")"
	    "(NIL NIL NIL NIL))" },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    "((\"Pete\" NIL \"pete\" \"silly.test\"))" },
	{ "A Group(Some people):Chris Jones <c@(Chris's host.)public.example>,"
	    " joe@example.org, John <jdoe@one.test> (my dear friend); (end)",
	    "((NIL NIL \"A Group\" NIL)(\"Chris Jones\" NIL \"c\" "
	    "\"public.example\")(NIL NIL \"joe\" \"example.org\")(\"John\" NIL"
	    " \"jdoe\" \"one.test\")(NIL NIL NIL NIL))" },
	{ "\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	    "((\"Giant; \\\"Big\\\" Box\" NIL \"sysservices\" "
	    "\"example.net\"))" },
	{ "J\xc3\xb6rg <j@x>", "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x\"))" },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    "((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" "
	    "\"example.org\")(\"Who?\" NIL \"one\" \"y.test\"))" },
	{ "john@[192.0.2.1]", "((NIL NIL \"john\" \"[192.0.2.1]\"))" },
	{ "john@", "((NIL NIL \"john\" \"MISSING_DOMAIN\"))" },
	{ "<<<>>>@@,;:", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	    "(NIL NIL \"\" NIL)(NIL NIL NIL NIL))" },
	{ "a@b\n\t,\n c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))" },
};

static void
test_addresses(void)
{
	struct mime_msg m;
	struct strbuf msg;
	char want[2048], desc[96];
	size_t i;

	strbuf_init(&msg, 1 << 16);
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		strbuf_reset(&msg);
		strbuf_printf(&msg, "From: %s\nSender:\nTo: %s\n\nbody\n",
		    addrs[i].value, addrs[i].value);
		mime_parse(&m, msg.buf, msg.len);
		snprintf(want, sizeof(want), "(NIL NIL %s %s %s %s NIL NIL NIL "
		    "NIL)", addrs[i].want, addrs[i].want, addrs[i].want,
		    addrs[i].want);
		snprintf(desc, sizeof(desc), "address \"%.60s\"",
		    addrs[i].value);
		CHECK_STR_EQ(env(&m, 0), want, desc);
		CHECK_TRUE(imap_grammar_envelope(out.buf, out.len),
		    "envelope grammar");
		mime_free(&m);
	}
	strbuf_free(&msg);
}

/* ---- malformed structure ---- */

static const struct {
	const char *name, *msg, *want;
} malformed[] = {
	{ "no Content-Type", "Subject: x\n\nx\n", TXT(3, 1) },
	{ "Content-Type without a slash", "Content-Type: garbage\n\nx\n",
	    TXT(3, 1) },
	{ "empty Content-Type", "Content-Type:\n\nx\n", TXT(3, 1) },
	{ "text without charset", "Content-Type: text/plain; format=flowed"
	    "\n\nx\n", "(\"text\" \"plain\" (\"format\" \"flowed\" "
	    "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)" },
	{ "comments and folding in Content-Type", "Content-Type: (c) text "
	    "(d)/\n (e) html ; (f)\n charset = (g) \"a\\\"b\" (h)\n\nx",
	    "(\"text\" \"html\" (\"charset\" \"a\\\"b\") NIL NIL \"7bit\" "
	    "1 0 NIL NIL NIL NIL)" },
	{ "multipart without boundary", "Content-Type: multipart/mixed\n\n"
	    "x\n", "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 3"
	    " NIL NIL NIL NIL)" },
	{ "boundary that never comes", "Content-Type: multipart/mixed; "
	    "boundary=zz\n\n--yy\nfoo\n", "(" TXT(0, 0) " \"mixed\" "
	    "(\"boundary\" \"zz\") NIL NIL NIL)" },
	{ "multipart that never closes", "Content-Type: multipart/mixed; "
	    "boundary=a\n\n--a\nContent-Type: text/plain\n\nabc",
	    "(" TXT(3, 0) " \"mixed\" (\"boundary\" \"a\") NIL NIL NIL)" },
	{ "part cut inside its header", "Content-Type: multipart/mixed; "
	    "boundary=a\n\n--a\nContent-Type: text/html",
	    "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0"
	    " 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"a\") NIL NIL NIL)" },
	{ "inner boundary extends the outer", "Content-Type: multipart/mixed;"
	    " boundary=abc\n\n--abc\nContent-Type: multipart/mixed; boundary="
	    "abcd\n\n--abcd\n\none\n--abcd--\n--abc\n\ntwo\n--abc--\n",
	    "((" TXT(3, 0) " \"mixed\" (\"boundary\" \"abcd\") NIL NIL NIL)"
	    TXT(3, 0) " \"mixed\" (\"boundary\" \"abc\") NIL NIL NIL)" },
	{ "outer boundary extends the inner", "Content-Type: multipart/mixed;"
	    " boundary=abcd\n\n--abcd\nContent-Type: multipart/mixed; "
	    "boundary=abc\n\n--abc\n\none\n--abcd\n\ntwo\n--abcd--\n",
	    "((" TXT(3, 0) " \"mixed\" (\"boundary\" \"abc\") NIL NIL NIL)"
	    TXT(3, 0) " \"mixed\" (\"boundary\" \"abcd\") NIL NIL NIL)" },
	{ "boundary loop", "Content-Type: multipart/mixed; boundary=x\n\n--x"
	    "\nContent-Type: multipart/mixed; boundary=x\n\nin\n--x\n\ntwo\n"
	    "--x--\n", "((\"application\" \"octet-stream\" NIL NIL NIL "
	    "\"7bit\" 2 NIL NIL NIL NIL)" TXT(3, 0) " \"mixed\" (\"boundary\""
	    " \"x\") NIL NIL NIL)" },
	{ "boundary with blanks after it and text after close",
	    "Content-Type: multipart/mixed; boundary=q\n\n--q \t\n\na\n"
	    "--q--garbage\n--q\n\nb\n", "(" TXT(1, 0) " \"mixed\" "
	    "(\"boundary\" \"q\") NIL NIL NIL)" },
	{ "two delimiters in a row", "Content-Type: multipart/mixed; "
	    "boundary=q\n\n--q\n--q\n\nb\n--q--\n", "(" TXT(0, 0) TXT(1, 0)
	    " \"mixed\" (\"boundary\" \"q\") NIL NIL NIL)" },
	{ "digest default", "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nFrom: a@b\nSubject: s\n\nbody\n--d--\n",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 29 (NIL \"s\" ((NIL"
	    " NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\"))"
	    " NIL NIL NIL NIL NIL) " TXT(4, 0) " 3 NIL NIL NIL NIL) \"digest\""
	    " (\"boundary\" \"d\") NIL NIL NIL)" },
	{ "message/rfc822 in base64", "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\nRnJvbTogeAoKeA==\n",
	    "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 18 NIL "
	    "NIL NIL NIL)" },
	{ "empty message/rfc822", "Content-Type: message/global\n\n",
	    "(\"message\" \"global\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL "
	    "NIL NIL NIL NIL NIL NIL) " TXT(0, 0) " 0 NIL NIL NIL NIL)" },
	{ "RFC 2231 continuation with charset", "Content-Type: application/x;"
	    " name*0*=utf-8''%C3%A9; name*1=\" x\"\n\n",
	    "(\"application\" \"x\" (\"name*\" \"utf-8''%C3%A9%20x\") NIL NIL "
	    "\"7bit\" 0 NIL NIL NIL NIL)" },
	{ "RFC 2231 filename", "Content-Type: application/x\n"
	    "Content-Disposition: attachment; filename*=iso-8859-1''%E9t%E9."
	    "txt\n\n", "(\"application\" \"x\" NIL NIL NIL \"7bit\" 0 NIL "
	    "(\"attachment\" (\"filename*\" \"iso-8859-1''%E9t%E9.txt\")) NIL "
	    "NIL)" },
	{ "header without colon", "no colon\nContent-Type: text/x\n\nb\n",
	    "(\"text\" \"x\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 "
	    "NIL NIL NIL NIL)" },
	{ "8-bit and NUL in parameters", "Content-Type: text/plain; "
	    "name=\"\xe9\0\"\n\n", "(\"text\" \"plain\" (\"name\" {2}\r\n\xe9"
	    "\x80 \"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
	    "NIL)" },
	{ "empty message", "", TXT(0, 0) },
	{ "header only", "Subject: x", TXT(0, 0) },
};

static void
test_malformed(void)
{
	struct mime_msg m;
	size_t i, len;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		len = strlen(malformed[i].msg);
		if (strcmp(malformed[i].name, "8-bit and NUL in parameters")
		    == 0)
			len += 4;	/* the NUL and what follows */
		CHECK_INT_EQ(mime_parse(&m, malformed[i].msg, len), 0,
		    malformed[i].name);
		CHECK_STR_EQ(bs(&m, 0, 1), malformed[i].want,
		    malformed[i].name);
		CHECK_TRUE(imap_grammar_body(out.buf, out.len, 1),
		    "grammar of the malformed");
		CHECK_TRUE(part_invariants(&m), "invariants of the malformed");
		mime_free(&m);
	}
}

static void
test_envelope_edges(void)
{
	static const char m3[] = "Subject: a\0b\nSubject: second\n"
	    "From: a@b\nSender: \nReply-To: r@s\nIn-Reply-To: <x@y>\n"
	    "Message-ID:\n <id@z>\nDate: folded\n\tdate\n\n";
	struct mime_msg m;

	mime_parse(&m, m3, sizeof(m3) - 1);
	CHECK_STR_EQ(env(&m, 0), "(\"folded\tdate\" {3}\r\na\x80" "b "
	    "((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"r\" "
	    "\"s\")) NIL NIL NIL \"<x@y>\" \"<id@z>\")",
	    "first occurrence, NUL, folding, empty sender");
	mime_free(&m);
	mime_parse(&m, "", 0);
	CHECK_STR_EQ(env(&m, 0), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	    "empty message: all NIL");
	mime_free(&m);
	CHECK_INT_EQ(mime_header_size(msg1, sizeof(msg1) - 1), 263,
	    "header size, LF");
	CHECK_INT_EQ(mime_header_size("a: b\r\n\r\nx", 9), 8,
	    "header size, CRLF");
	CHECK_INT_EQ(mime_header_size("\nx", 2), 1, "empty header");
	CHECK_INT_EQ(mime_header_size("a: b\nc: d", 10), 10, "no body");
	CHECK_INT_EQ(mime_header_size("a: b\n\r", 6), 6, "CR at the end");
	mime_parse(&m, msg1, mime_header_size(msg1, sizeof(msg1) - 1));
	CHECK_STR_EQ(env(&m, 0), msg1_env, "ENVELOPE from the header alone");
	mime_free(&m);
}

/* ---- bounds ---- */

static void
test_limits(void)
{
	struct mime_msg m;
	struct strbuf sb;
	struct mime_section sec;
	char spec[256];
	int i;

	strbuf_init(&sb, OUT_MAX);
	mime_corpus_nested(&sb, 40, 1);
	mime_parse(&m, sb.buf, sb.len);
	CHECK_INT_EQ(m.nparts, MIME_DEPTH_MAX + 1, "depth bound: 33 parts");
	CHECK_INT_EQ(m.parts[MIME_DEPTH_MAX].kind, MIME_OPAQUE,
	    "the part at the bound is opaque");
	CHECK_INT_EQ(m.limited, 1, "limited is set");
	CHECK_TRUE(part_invariants(&m), "deep: invariants");
	bs(&m, 0, 1);
	CHECK_TRUE(imap_grammar_body(out.buf, out.len, 1), "deep: grammar");
	for (i = 0, spec[0] = '\0'; i < 32; i++)
		strcat(spec, i == 0 ? "1" : ".1");
	mime_section_parse(spec, strlen(spec), &sec);
	strbuf_reset(&out);
	mime_section_write(&m, &sec, 0, 19, &out);
	CHECK_STR_EQ(strbuf_str(&out), "--b32\r\nContent-Type",
	    "deepest numbered part holds the rest");
	mime_free(&m);

	strbuf_reset(&sb);
	mime_corpus_siblings(&sb, 1200);
	mime_parse(&m, sb.buf, sb.len);
	CHECK_INT_EQ(m.nparts, MIME_PARTS_MAX, "part bound");
	CHECK_INT_EQ(m.parts[0].nchildren, MIME_PARTS_MAX - 1, "999 children");
	CHECK_TRUE(part_invariants(&m), "siblings: invariants");
	CHECK_STR_EQ(sect(&m, "999", 0, SIZE_MAX), "part 998", "last part");
	CHECK_STR_EQ(sect(&m, "1000", 0, SIZE_MAX), "", "beyond the bound");
	mime_free(&m);

	for (i = MIME_BOUNDARY_MAX; i <= MIME_BOUNDARY_MAX + 1; i++) {
		strbuf_reset(&sb);
		strbuf_printf(&sb, "Content-Type: multipart/mixed; boundary="
		    "%0*d\n\n--%0*d\n\nA\n--%0*d--\n", i, 7, i, 7, i, 7);
		mime_parse(&m, sb.buf, sb.len);
		CHECK_INT_EQ(m.parts[0].kind, i == MIME_BOUNDARY_MAX ?
		    MIME_MULTIPART : MIME_OPAQUE, i == MIME_BOUNDARY_MAX ?
		    "longest boundary" : "boundary too long: opaque");
		mime_free(&m);
	}

	strbuf_reset(&sb);
	mime_corpus_nested_messages(&sb, 50);
	mime_parse(&m, sb.buf, sb.len);
	CHECK_INT_EQ(m.nparts, MIME_DEPTH_MAX + 1, "nested messages bound");
	CHECK_STR_EQ(sect(&m, "1.HEADER.FIELDS (Subject)", 0, SIZE_MAX),
	    "Subject: level 1\r\n\r\n", "1.HEADER of a message in a message");
	CHECK_STR_EQ(sect(&m, "1.1.HEADER.FIELDS (Subject)", 0, SIZE_MAX),
	    "Subject: level 2\r\n\r\n", "1.1.HEADER");
	mime_free(&m);
	strbuf_free(&sb);
}

/* ---- the hostile corpus ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
corpus_run(const struct mime_msg *m, struct charset_match *cm)
{
	static const char *specs[] = { "", "HEADER", "TEXT", "1", "1.1",
	    "1.MIME", "2", "1.2.HEADER", "HEADER.FIELDS (From Subject)",
	    "HEADER.FIELDS.NOT (Subject)",
	    ("1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
	    "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.TEXT") };
	struct mime_section sec;
	uint32_t i;
	size_t k;
	int ok = 1;

	for (i = 0; i < m->nparts; i++) {
		if (i != 0 && mime_message_root(m, i) == MIME_NONE)
			continue;
		strbuf_reset(&out);
		ok &= mime_envelope_write(m, mime_message_root(m, i), &out) == 0
		    && imap_grammar_envelope(out.buf, out.len);
	}
	strbuf_reset(&out);
	ok &= mime_body_write(m, 0, 1, &out) == 0 &&
	    imap_grammar_body(out.buf, out.len, 1);
	strbuf_reset(&out);
	ok &= mime_body_write(m, 0, 0, &out) == 0 &&
	    imap_grammar_body(out.buf, out.len, 0);
	for (k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		ok &= mime_section_parse(specs[k], strlen(specs[k]), &sec) == 0;
		strbuf_reset(&out);
		ok &= mime_section_write(m, &sec, 0, SIZE_MAX, &out) == 0;
		if (k == 0)
			ok &= out.len == m->wire_len;
		strbuf_reset(&out);
		ok &= mime_section_write(m, &sec, 7, 100, &out) == 0;
	}
	mime_search_header(m, 0, "subject", cm);
	mime_search_body(m, cm);
	mime_search_text(m, cm);
	return ok;
}

/* The time bound of one corpus message: every function on a message of
 * a few MB takes well under a second in a normal build; sanitizers slow
 * everything down about tenfold. */
#if defined(__SANITIZE_ADDRESS__)
#define CORPUS_SECONDS	30.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORPUS_SECONDS	30.0
#endif
#endif
#ifndef CORPUS_SECONDS
#define CORPUS_SECONDS	3.0
#endif

static void
test_corpus(void)
{
	struct mime_msg m;
	struct strbuf sb;
	struct charset_match cm;
	char desc[128];
	double t;
	size_t i;

	charset_match_init(&cm, "needle-\xc3\xa9", 8);
	strbuf_init(&sb, OUT_MAX);
	for (i = 0; i < MIME_CORPUS_N; i++) {
		strbuf_reset(&sb);
		mime_corpus[i].make(&sb);
		t = now_s();
		CHECK_INT_EQ(mime_parse(&m, sb.buf != NULL ? sb.buf : "",
		    sb.len), 0, mime_corpus[i].name);
		snprintf(desc, sizeof(desc), "%s: every function answers",
		    mime_corpus[i].name);
		CHECK_TRUE(corpus_run(&m, &cm), desc);
		t = now_s() - t;
		snprintf(desc, sizeof(desc), "%s (%zu bytes, %u parts): %.3f s",
		    mime_corpus[i].name, sb.len, m.nparts, t);
		CHECK_TRUE(t < CORPUS_SECONDS, desc);
		snprintf(desc, sizeof(desc), "%s: part invariants",
		    mime_corpus[i].name);
		CHECK_TRUE(part_invariants(&m), desc);
		mime_free(&m);
	}
	strbuf_free(&sb);
	charset_match_free(&cm);
}

/* ---- decoding ---- */

static const char *
hdr_decode(const char *v)
{
	strbuf_reset(&out);
	mime_header_decode(v, strlen(v), &out);
	return strbuf_str(&out);
}

static void
test_encoded_words(void)
{
	CHECK_STR_EQ(hdr_decode("=?utf-8?q?caf=C3=A9?= test"), "caf\xc3\xa9 test",
	    "Q word then text");
	CHECK_STR_EQ(hdr_decode("=?utf-8?q?caf=C3=A9?= =?UTF-8?B?w6k=?="),
	    "caf\xc3\xa9\xc3\xa9", "adjacent words joined");
	CHECK_STR_EQ(hdr_decode("=?utf-8?b?ww==?=\n =?utf-8?b?qQ==?="),
	    "\xc3\xa9", "a character split over two folded words");
	CHECK_STR_EQ(hdr_decode("=?iso-8859-1?q?a_b?=  c"), "a b  c",
	    "underscore; blanks before text kept");
	CHECK_STR_EQ(hdr_decode("=?utf-8?x?abc?= =?utf-8?q?"),
	    "=?utf-8?x?abc?= =?utf-8?q?", "not words: as they are");
	CHECK_STR_EQ(hdr_decode("plain \xe4"), "plain \xc3\xa4",
	    "8-bit text outside words: Windows-1252");
	CHECK_STR_EQ(hdr_decode("=?koi8-r?b?8NLJ18XU?="),
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "KOI8-R word");
	CHECK_STR_EQ(hdr_decode("=?utf-8*en?q?hi?="), "hi",
	    "RFC 2231 language in a word");
	CHECK_STR_EQ(hdr_decode("x=?iso-8859-2?Q?=B1?=y"), "x\xc4\x85y",
	    "word inside text");
	CHECK_STR_EQ(hdr_decode("=?utf-8?q?=ZZ=?="), "=ZZ=",
	    "broken escapes kept");
	CHECK_STR_EQ(hdr_decode("  \r\n a  "), "a", "blanks trimmed");
}

static const char *
cte_decode(enum mime_cte cte, const char *in, size_t step)
{
	struct mime_decoder d;
	unsigned char buf[256];
	size_t n;

	strbuf_reset(&out);
	mime_decoder_init(&d, cte, in, strlen(in));
	while ((n = mime_decoder_read(&d, buf, step)) > 0)
		strbuf_add(&out, buf, n);
	return strbuf_str(&out);
}

static void
test_transfer_decoding(void)
{
	static const char qp[] = "caf=E9=\nna=efve=3D=\r\nx= \t\ny=ZZ=4";
	static const char qp_want[] = "caf\xe9na\xefve=xy=ZZ=4";

	CHECK_STR_EQ(cte_decode(MIME_CTE_BASE64, "aGVs\nbG8=\n", 256), "hello",
	    "base64");
	CHECK_STR_EQ(cte_decode(MIME_CTE_BASE64, "aGV@sb G8", 256), "hello",
	    "base64: junk skipped");
	CHECK_STR_EQ(cte_decode(MIME_CTE_BASE64, "aGk=aGk=", 1), "hihi",
	    "base64: padding in the middle, one byte at a time");
	CHECK_STR_EQ(cte_decode(MIME_CTE_QP, qp, 256), qp_want,
	    "quoted-printable");
	CHECK_STR_EQ(cte_decode(MIME_CTE_QP, qp, 1), qp_want,
	    "quoted-printable one byte at a time");
	CHECK_STR_EQ(cte_decode(MIME_CTE_QP, "a=", 256), "a",
	    "quoted-printable: '=' at the end");
	CHECK_STR_EQ(cte_decode(MIME_CTE_IDENTITY, "a=b", 2), "a=b",
	    "identity");
	CHECK_INT_EQ(mime_cte_parse(" (c) BASE64 ", 12), MIME_CTE_BASE64,
	    "CTE name with a comment");
	CHECK_INT_EQ(mime_cte_parse("Quoted-Printable", 16), MIME_CTE_QP,
	    "CTE QP");
	CHECK_INT_EQ(mime_cte_parse("x-uuencode", 10), MIME_CTE_IDENTITY,
	    "unknown CTE");
}

static void
utf8_put(void *ctx, uint32_t cp)
{
	char u[4];

	strbuf_add(ctx, u, charset_utf8_encode(cp, u));
}

static const char *
cs_decode(const char *charset, const char *in, size_t len)
{
	struct charset_sink sink = { utf8_put, &out };
	struct charset_dec d;
	size_t i;

	strbuf_reset(&out);
	charset_dec_init(&d, charset_find(charset, strlen(charset)));
	for (i = 0; i < len; i++)	/* byte by byte: state across feeds */
		charset_dec_feed(&d, (const unsigned char *)in + i, 1, &sink);
	charset_dec_flush(&d, &sink);
	return strbuf_str(&out);
}

static const struct {
	const char *charset, *in, *want;
} charsets[] = {
	{ "iso-8859-1", "caf\xe9", "caf\xc3\xa9" },
	{ "ISO_8859-1:1987", "\xff", "\xc3\xbf" },
	{ "latin1", "\xe9", "\xc3\xa9" },
	{ "iso-8859-2", "\xb1", "\xc4\x85" },
	{ "latin2", "\xb1", "\xc4\x85" },
	{ "iso-8859-3", "\xa5", "\xef\xbf\xbd" },
	{ "iso-8859-4", "\xa1", "\xc4\x84" },
	{ "iso-8859-5", "\xd0", "\xd0\xb0" },
	{ "iso-8859-6", "\xc7", "\xd8\xa7" },
	{ "iso-8859-7", "\xc1", "\xce\x91" },
	{ "iso-8859-8", "\xe0", "\xd7\x90" },
	{ "iso-8859-9", "\xfd", "\xc4\xb1" },
	{ "latin5", "\xfd", "\xc4\xb1" },
	{ "iso-8859-10", "\xa1", "\xc4\x84" },
	{ "iso-8859-11", "\xa1", "\xe0\xb8\x81" },
	{ "iso-8859-13", "\xa1", "\xe2\x80\x9d" },
	{ "iso-8859-14", "\xa1", "\xe1\xb8\x82" },
	{ "iso-8859-15", "\xa4", "\xe2\x82\xac" },
	{ "latin9", "\xa4", "\xe2\x82\xac" },
	{ "iso-8859-16", "\xa1", "\xc4\x84" },
	{ "windows-1250", "\x8a", "\xc5\xa0" },
	{ "windows-1251", "\xc0", "\xd0\x90" },
	{ "cp1252", "\x80", "\xe2\x82\xac" },
	{ "windows-1253", "\xc1", "\xce\x91" },
	{ "windows-1254", "\xd0", "\xc4\x9e" },
	{ "windows-1255", "\xe0", "\xd7\x90" },
	{ "windows-1256", "\xc7", "\xd8\xa7" },
	{ "windows-1257", "\xc0", "\xc4\x84" },
	{ "x-cp1258", "\xd2", "\xcc\x89" },
	{ "koi8-r", "\xc1\xf0", "\xd0\xb0\xd0\x9f" },
	{ "KOI8-U", "\xa4", "\xd1\x94" },
	{ "us-ascii", "a\x80", "a\xe2\x82\xac" },
	{ "utf-8", "a\xffz\xc3", "a\xef\xbf\xbdz\xef\xbf\xbd" },
	{ "utf-8", "\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98"
	    "\x80" },
	{ "utf-8", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "x-unknown", "caf\xc3\xa9 \xe9\x81", "caf\xc3\xa9 \xc3\xa9\xc2\x81" },
	{ "iso-8859-12", "\xe9", "\xc3\xa9" },
	{ "\"UTF-8\"", "\xc3\xa9", "\xc3\xa9" },
};

static void
test_charsets(void)
{
	char desc[64];
	size_t i;

	for (i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
		snprintf(desc, sizeof(desc), "charset %s", charsets[i].charset);
		CHECK_STR_EQ(cs_decode(charsets[i].charset, charsets[i].in,
		    strlen(charsets[i].in)), charsets[i].want, desc);
	}
	CHECK_INT_EQ(charset_find("iso-8859-12", 11), CHARSET_UNKNOWN,
	    "there is no ISO-8859-12");
	CHECK_INT_EQ(charset_find("utf-8", 5), CHARSET_UTF8, "utf-8 found");
}

static int
match(const char *needle, const char *hay)
{
	struct charset_match cm;
	struct charset_dec d;
	int found;

	if (charset_match_init(&cm, needle, strlen(needle)) == -1)
		return -1;
	charset_dec_init(&d, CHARSET_UTF8);
	charset_dec_feed(&d, (const unsigned char *)hay, strlen(hay),
	    &cm.sink);
	found = cm.found;
	charset_match_free(&cm);
	return found;
}

static void
test_fold(void)
{
	char big[CHARSET_NEEDLE_MAX + 2];
	struct charset_match cm;

	CHECK_INT_EQ(match("\xc3\x84\xc3\x96\xc3\x9c", "x\xc3\xa4\xc3\xb6"
	    "\xc3\xbcy"), 1, "Latin-1: ÄÖÜ");
	CHECK_INT_EQ(match("\xc5\x81\xc3\xb3\x64\xc5\xba",
	    "\xc5\x81\xc3\x93\x44\xc5\xb9"), 1, "Latin Extended-A: Łódź");
	CHECK_INT_EQ(match("\xc7\x84", "\xc7\x86"), 1, "Latin Extended-B: DŽ");
	CHECK_INT_EQ(match("\xce\xa3\xce\x8a\xce\xa3\xce\xa5\xce\xa6\xce\x9f"
	    "\xce\xa3", "\xcf\x83\xce\xaf\xcf\x83\xcf\x85\xcf\x86\xce\xbf"
	    "\xcf\x82"), 1, "Greek with final sigma");
	CHECK_INT_EQ(match("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc"), 1,
	    "Cyrillic");
	CHECK_INT_EQ(match("\xd1\xa3", "\xd1\xa2"), 1, "Cyrillic yat");
	CHECK_INT_EQ(match("\xc2\xb5", "\xce\x9c"), 1, "micro sign is mu");
	CHECK_INT_EQ(match("GR\xc3\x9c\xe1\xba\x9e" "E", "gr\xc3\xbc\xc3\x9f"
	    "e"), 1, "capital sharp s");
	CHECK_INT_EQ(match("stra\xc3\x9f" "e", "STRASSE"), 0,
	    "simple fold: no ß = ss");
	CHECK_INT_EQ(match("aab", "aaab"), 1, "KMP: restart inside a match");
	CHECK_INT_EQ(match("abab", "abaabab"), 1, "KMP: overlap");
	CHECK_INT_EQ(match("abc", "abd"), 0, "no match");
	CHECK_INT_EQ(charset_fold(0x1e9e), 0xdf, "fold U+1E9E");
	CHECK_INT_EQ(charset_fold(0x3a3), 0x3c3, "fold sigma");
	CHECK_INT_EQ(charset_fold(0x3c2), 0x3c3, "fold final sigma");
	CHECK_INT_EQ(charset_fold(0x10400), 0x10400, "beyond the BMP as is");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT_EQ(charset_match_init(&cm, big, strlen(big)), -1,
	    "needle too long");
}

static const struct {
	const char *hdr, *want;
} filenames[] = {
	{ "Content-Disposition: attachment; filename*0*=utf-8''caf%C3%A9;\n"
	    " filename*1=\" menu.pdf\"", "caf\xc3\xa9 menu.pdf" },
	{ "Content-Disposition: attachment;\n filename*=iso-8859-1'en'"
	    "%E9t%E9.txt", "\xc3\xa9t\xc3\xa9.txt" },
	{ "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9"
	    "?=.pdf\"", "r\xc3\xa9sum\xc3\xa9.pdf" },
	{ "Content-Disposition: inline; filename=plain.txt; "
	    "filename*=utf-8''%E2%82%AC.txt", "\xe2\x82\xac.txt" },
	{ "Content-Disposition: inline; filename=\"a\\\"b\"\n"
	    "Content-Type: text/plain; name=other", "a\"b" },
	{ "Content-Type: text/plain; name*1=b; name*0=a; name*3=d", "ab" },
	{ "Content-Disposition: attachment; filename*=%ZZ%41", "%ZZA" },
};

static void
test_filenames(void)
{
	struct mime_msg m;
	struct strbuf msg;
	size_t i;

	strbuf_init(&msg, 4096);
	for (i = 0; i < sizeof(filenames) / sizeof(filenames[0]); i++) {
		strbuf_reset(&msg);
		strbuf_printf(&msg, "%s\n\nbody\n", filenames[i].hdr);
		mime_parse(&m, msg.buf, msg.len);
		strbuf_reset(&out);
		CHECK_INT_EQ(mime_part_filename(&m, 0, &out), 1,
		    filenames[i].want);
		CHECK_STR_EQ(strbuf_str(&out), filenames[i].want,
		    "RFC 2231 / 2047 file name");
		mime_free(&m);
	}
	mime_parse(&m, msg2, sizeof(msg2) - 1);
	strbuf_reset(&out);
	CHECK_INT_EQ(mime_part_filename(&m, 1, &out), 0, "no file name");
	CHECK_INT_EQ(mime_part_filename(&m, 5, &out), 1, "fwd.eml found");
	CHECK_STR_EQ(strbuf_str(&out), "fwd.eml", "fwd.eml");
	mime_free(&m);
	strbuf_free(&msg);
}

/* ---- search ---- */

static int
search(const struct mime_msg *m, int what, const char *field,
    const char *needle)
{
	struct charset_match cm;
	int r;

	if (charset_match_init(&cm, needle, strlen(needle)) == -1)
		return -1;
	r = what == 0 ? mime_search_header(m, 0, field, &cm) :
	    what == 1 ? mime_search_body(m, &cm) : mime_search_text(m, &cm);
	charset_match_free(&cm);
	return r;
}

static void
test_search(void)
{
	static const char m4[] = "From: x@y\nSubject: =?windows-1251?b?z/Do"
	    "4uXy?=\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\nR3LDvMOfZSwgV2VsdA==\n--b\n"
	    "Content-Type: text/plain; charset=windows-1251\n\n\xcc\xe8\xf0\n"
	    "--b--\n";
	struct mime_msg m;

	mime_parse(&m, msg2, sizeof(msg2) - 1);
	CHECK_INT_EQ(search(&m, 0, "subject", "CAF\xc3\x89"), 1,
	    "SEARCH SUBJECT: encoded word, folded");
	CHECK_INT_EQ(search(&m, 0, "subject", "tea"), 0, "subject: no");
	CHECK_INT_EQ(search(&m, 0, "To", "doe, john"), 1, "SEARCH TO");
	CHECK_INT_EQ(search(&m, 0, "x-none", ""), 0, "HEADER absent \"\"");
	CHECK_INT_EQ(search(&m, 0, "subject", ""), 1, "HEADER present \"\"");
	CHECK_INT_EQ(search(&m, 1, NULL, "NA\xc3\x8fVE"), 1,
	    "BODY: quoted-printable Latin-1");
	CHECK_INT_EQ(search(&m, 1, NULL, "inner BODY"), 1,
	    "BODY: encapsulated message");
	CHECK_INT_EQ(search(&m, 1, NULL, "x@y.example"), 1,
	    "BODY: encapsulated header");
	CHECK_INT_EQ(search(&m, 1, NULL, "a@b.example"), 0,
	    "BODY: not the message header");
	CHECK_INT_EQ(search(&m, 1, NULL, "JVBERi0"), 0,
	    "BODY: application/pdf not searched");
	CHECK_INT_EQ(search(&m, 1, NULL, "preamble"), 0,
	    "BODY: preamble not searched");
	CHECK_INT_EQ(search(&m, 1, NULL, "<P>HTML"), 1, "BODY: html part");
	CHECK_INT_EQ(search(&m, 2, NULL, "a@b.example"), 1, "TEXT: header");
	CHECK_INT_EQ(search(&m, 2, NULL, "content-type: multipart"), 1,
	    "TEXT: field name and value");
	CHECK_INT_EQ(search(&m, 2, NULL, "plain"), 1, "TEXT: body");
	CHECK_INT_EQ(search(&m, 2, NULL, "nowhere"), 0, "TEXT: no");
	CHECK_INT_EQ(search(&m, 1, NULL, "na\xc3\xafveplain"), 0,
	    "no match across parts");
	CHECK_INT_EQ(search(&m, 0, NULL, "b.exampleTo"), 0,
	    "no match across header fields");
	CHECK_INT_EQ(search(&m, 0, NULL, "to: \"doe"), 1,
	    "any header: name and raw value");
	mime_free(&m);
	mime_parse(&m, m4, sizeof(m4) - 1);
	CHECK_INT_EQ(search(&m, 0, "subject", "\xd0\xbf\xd1\x80\xd0\xb8\xd0"
	    "\xb2\xd0\xb5\xd1\x82"), 1, "windows-1251 encoded word");
	CHECK_INT_EQ(search(&m, 1, NULL, "GR\xc3\x9c\xe1\xba\x9e" "E, WELT"),
	    1, "base64 UTF-8 body, capital sharp s");
	CHECK_INT_EQ(search(&m, 1, NULL, "\xd0\x9c\xd0\x98\xd0\xa0"), 1,
	    "windows-1251 body");
	CHECK_INT_EQ(search(&m, 1, NULL, "R3LDvMOf"), 0,
	    "base64 text is not searched raw");
	mime_free(&m);
}

int
main(void)
{
	strbuf_init(&out, OUT_MAX);
	test_strbuf();
	test_sample();
	test_multipart();
	test_sections();
	test_section_parse();
	test_addresses();
	test_malformed();
	test_envelope_edges();
	test_limits();
	test_corpus();
	test_encoded_words();
	test_transfer_decoding();
	test_charsets();
	test_filenames();
	test_fold();
	test_search();
	strbuf_free(&out);
	return check_done();
}
