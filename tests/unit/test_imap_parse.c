/*
 * test_imap_parse.c: unit tests of imapd's client-facing parsing: the
 * command reader (imapd/reader.c: lines, the three kinds of literal,
 * external literals, limits, line mode, byte-at-a-time feeding), the
 * parser (imapd/parse*.c: every command form, search trees, sequence
 * sets, dates, malformed input with its BAD reason) and LIST pattern
 * matching (imapd/listmatch.c).  No daemon, no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapd/listmatch.h"
#include "imapd/parse.h"
#include "imapd/reader.h"
#include "tests/unit/check.h"

#define BUFSZ	(IMAP_LINE_MAX + IMAP_INLINE_MAX + 1)

static char rbuf[BUFSZ];

/* ---- reader: event traces --------------------------------------------- */

/*
 * trace: feed in (len octets) to a fresh reader in chunks of chunk octets
 * (0: all at once) and write what happened into out: "+" for CONTINUE,
 * "B<n>" LITERAL_BEGIN, "D<n>" for consecutive LITERAL_DATA (their
 * total), "C[<buf>/<lits>]" COMMAND, "L[<buf>]" LINE, "T[<why>|<tag>]"
 * TOOLONG, "G[<why>]" TOOBIG; events separated by spaces.  linemode
 * switches the reader to line mode at the start; refuse refuses every
 * external literal.
 */
struct trace_opts {
	size_t			 chunk;
	int			 linemode;
	int			 refuse;
	size_t			 bufsize;
	struct imap_reader_limits lim;
};

static void
trace_add(char *out, size_t outsz, const char *s)
{
	size_t n = strlen(out);

	snprintf(out + n, outsz - n, "%s%s", n > 0 ? " " : "", s);
}

/* trace_buf: the command, escaped; past 100 octets only the first 40 and
 * the length. */
static void
trace_buf(const struct imap_reader *r, char *dst, size_t dstsz)
{
	size_t i, n = 0, show = r->len > 100 ? 40 : r->len;

	for (i = 0; i < show && n + 5 < dstsz; i++) {
		unsigned char c = (unsigned char)r->buf[i];

		if (c >= 0x20 && c < 0x7f)
			dst[n++] = (char)c;
		else
			n += (size_t)snprintf(dst + n, dstsz - n, "\\%02x", c);
	}
	dst[n] = '\0';
	if (show < r->len)
		snprintf(dst + n, dstsz - n, "...(%zu)", r->len);
}

static void
trace(const char *in, size_t len, const struct trace_opts *o, char *out,
    size_t outsz)
{
	static struct imap_reader r;
	char ev[600], b[400], lits[120];
	size_t used, off = 0, chunk, datan = 0, i;
	int e;

	out[0] = '\0';
	imap_reader_init(&r, rbuf, o->bufsize ? o->bufsize : BUFSZ, &o->lim);
	if (o->linemode)
		imap_reader_line_mode(&r, 1);
	for (;;) {
		chunk = o->chunk && len - off > o->chunk ? o->chunk : len - off;
		e = imap_reader_feed(&r, in + off, chunk, &used);
		if (used > chunk) {
			trace_add(out, outsz, "USED>LEN");
			return;
		}
		off += used;
		if (e != IMAP_RD_LITERAL_DATA && datan > 0) {
			snprintf(ev, sizeof(ev), "D%zu", datan);
			trace_add(out, outsz, ev);
			datan = 0;
		}
		switch (e) {
		case IMAP_RD_MORE:
			if (off == len)
				return;
			continue;
		case IMAP_RD_CONTINUE:
			trace_add(out, outsz, "+");
			break;
		case IMAP_RD_LITERAL_BEGIN:
			snprintf(ev, sizeof(ev), "B%llu",
			    (unsigned long long)r.lit_size);
			trace_add(out, outsz, ev);
			if (o->refuse)
				imap_reader_refuse(&r, "refused");
			break;
		case IMAP_RD_LITERAL_DATA:
			if (r.data < in || r.data + r.datalen > in + len)
				trace_add(out, outsz, "DATA-OUTSIDE");
			datan += r.datalen;
			break;
		case IMAP_RD_COMMAND:
		case IMAP_RD_LINE:
			trace_buf(&r, b, sizeof(b));
			lits[0] = '\0';
			for (i = 0; i < r.nlits; i++) {
				size_t n = strlen(lits);

				snprintf(lits + n, sizeof(lits) - n,
				    "%s%zu:%zu%s%s", i ? "," : "/",
				    r.lits[i].off, r.lits[i].len,
				    r.lits[i].external ? "x" : "",
				    r.lits[i].sync ? "" : "+");
			}
			snprintf(ev, sizeof(ev), "%s[%s%s]",
			    e == IMAP_RD_LINE ? "L" : "C", b, lits);
			trace_add(out, outsz, ev);
			break;
		case IMAP_RD_TOOLONG:
		case IMAP_RD_TOOBIG: {
			char tag[IMAP_TAG_MAX + 1];

			imap_parse_tag(r.buf, r.len, tag);
			snprintf(ev, sizeof(ev), "%s[%s|%s]",
			    e == IMAP_RD_TOOLONG ? "T" : "G", r.why, tag);
			trace_add(out, outsz, ev);
			break;
		}
		default:
			trace_add(out, outsz, "BAD-EVENT");
			return;
		}
	}
}

static const struct imap_reader_limits lim_plus = {
	IMAP_LINE_MAX, IMAP_INLINE_MAX, 50000000, 50000000
};
static const struct imap_reader_limits lim_minus = {
	IMAP_LINE_MAX, IMAP_INLINE_MAX, 50000000, IMAP_LITERAL_MINUS_MAX
};

/* check_trace: the trace of in fed whole, then one octet at a time, then
 * in chunks of 7, must all be expect. */
static void
check_trace(const char *in, size_t len, struct trace_opts o,
    const char *expect, const char *desc)
{
	static char got[1 << 14];
	char d[200];
	size_t chunks[] = { 0, 1, 7, 4096 };
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		o.chunk = chunks[i];
		trace(in, len, &o, got, sizeof(got));
		snprintf(d, sizeof(d), "%s (chunks of %zu)", desc, chunks[i]);
		CHECK_STR_EQ(got, expect, d);
	}
}

static void
test_reader_basic(void)
{
	struct trace_opts o = { .lim = lim_plus };
	const char *s;

	s = "a NOOP\r\n";
	check_trace(s, strlen(s), o, "C[a NOOP]", "one command");
	s = "a NOOP\nb LOGOUT\r\n";
	check_trace(s, strlen(s), o, "C[a NOOP] C[b LOGOUT]",
	    "bare LF and pipelining");
	s = "\r\n";
	check_trace(s, strlen(s), o, "C[]", "empty line");
	s = "a NOOP\rx\r\n";
	check_trace(s, strlen(s), o, "C[a NOOP\\0dx]", "inner CR kept");
	s = "a LOGIN {5}\r\nalice {3}\r\npwd\r\n";
	check_trace(s, strlen(s), o, "+ + C[a LOGIN {5}alice {3}pwd/11:5,20:3]",
	    "synchronizing literals");
	s = "a LOGIN {5+}\r\nalice {3+}\r\npwd\r\n";
	check_trace(s, strlen(s), o,
	    "C[a LOGIN {5+}alice {3+}pwd/12:5+,22:3+]", "LITERAL+");
	s = "a LOGIN {0}\r\n {0+}\r\n\r\n";
	check_trace(s, strlen(s), o, "+ C[a LOGIN {0} {0+}/11:0,16:0+]",
	    "empty literals");
	s = "a APPEND x ~{3}\r\n\0\r\n\r\n";
	check_trace(s, 22, o, "+ C[a APPEND x ~{3}\\00\\0d\\0a/15:3]",
	    "literal8 with NUL, CR, LF");
	s = "a LOGIN {3-}\r\nabc\r\n";
	check_trace(s, strlen(s), o, "C[a LOGIN {3-}] C[abc]",
	    "{n-} is no literal");
	s = "a X {99999999999999999999}\r\n";
	check_trace(s, strlen(s), o, "C[a X {99999999999999999999}]",
	    "literal size over number64 is no literal");
	s = "a X {00000000000000000000000003}\r\nabc\r\n";
	check_trace(s, strlen(s), o,
	    "C[a X {00000000000000000000000003}] C[abc]",
	    "announcement longer than the tail is no literal");
	s = "a X {3}";
	check_trace(s, strlen(s), o, "", "incomplete command");
}

/* big: a command around n octets of literal, built in a static buffer. */
static char bigbuf[200000];

static size_t
big(const char *head, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);

	if (h + n + t > sizeof(bigbuf))
		abort();
	memcpy(bigbuf, head, h);
	memset(bigbuf + h, 'm', n);
	memcpy(bigbuf + h + n, tail, t);
	return h + n + t;
}

static void
test_reader_literals(void)
{
	struct trace_opts o = { .lim = lim_plus };
	size_t n;

	n = big("a APPEND INBOX (\\Seen) {70000}\r\n", 70000,
	    "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o,
	    "B70000 + D70000 C[a APPEND INBOX (\\Seen) {70000}/30:0x] "
	    "C[b NOOP]", "external literal, synchronizing");
	n = big("a append INBOX {70000+}\r\n", 70000, "\r\n");
	check_trace(bigbuf, n, o,
	    "B70000 D70000 C[a append INBOX {70000+}/23:0x+]",
	    "external literal, LITERAL+");
	n = big("a APPEND INBOX {65536}\r\n", 65536, "\r\n");
	check_trace(bigbuf, n, o, "+ C[a APPEND INBOX {65536}mmmmmmmmmmmmmmmmmm"
	    "...(65558)/22:65536]", "literal at the inline limit stays inline");
	/* A client that sends the octets after a refusal: they are a line. */
	n = big("a SEARCH TEXT {70000}\r\n", 70000, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "G[literal too large|a] T[line too long|*] "
	    "C[b NOOP]", "octets sent despite a refusal");
}

static void
test_reader_limits(void)
{
	struct trace_opts o = { .lim = lim_plus };
	size_t n;

	/* A synchronizing literal too large outside APPEND: refused at
	 * once; the client sends nothing, so the next line is a command. */
	n = big("a SEARCH TEXT {70000}\r\n", 0, "b NOOP\r\n");
	check_trace(bigbuf, n, o, "G[literal too large|a] C[b NOOP]",
	    "synchronizing literal too large: no continuation");
	n = big("a SEARCH TEXT {70000+}\r\n", 70000, " ALL\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "G[literal too large|a] C[b NOOP]",
	    "non-synchronizing literal too large: octets skipped");
	n = big("a APPEND x {50000001}\r\n", 0, "b NOOP\r\n");
	check_trace(bigbuf, n, o, "G[literal too large|a] C[b NOOP]",
	    "APPEND over the external limit");
	n = big("a APPEND x {70000+}\r\n", 70000, " {70000}\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "B70000 D70000 G[only one large literal in "
	    "a command|a] C[b NOOP]", "second external literal refused");
	o.lim = lim_minus;
	n = big("a LOGIN x {4097+}\r\n", 4097, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "G[non-synchronizing literal too large|a] "
	    "C[b NOOP]", "LITERAL-: over 4096 octets skipped and refused");
	n = big("a LOGIN x {4096+}\r\n", 4096, "\r\n");
	check_trace(bigbuf, n, o, "C[a LOGIN x {4096+}mmmmmmmmmmmmmmmmmmmmmmm"
	    "...(4113)/17:4096+]", "LITERAL-: 4096 octets accepted");
	o.lim.inline_max = 10;
	o.lim.external_max = 0;
	n = big("a LOGIN {11}\r\n", 0, "b NOOP\r\n");
	check_trace(bigbuf, n, o, "G[literal too large|a] C[b NOOP]",
	    "inline limit from the caller");
	o.lim = lim_plus;

	/* Line too long: all of it read, then one report with the tag. */
	n = big("tag1 SEARCH TEXT ", 70000, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "T[line too long|tag1] C[b NOOP]",
	    "line too long");
	n = big("t SEARCH TEXT {3+}\r\nabc ", 65536, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "T[line too long|t] C[b NOOP]",
	    "text over the limit across lines");
	n = big("t2 X ", 70000, " {5+}\r\n)\r\n\n\n x\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "T[line too long|t2] C[b NOOP]",
	    "too long: a later non-synchronizing literal is skipped");
	n = big("t3 X ", 70000, " {5}\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "T[line too long|t3] C[b NOOP]",
	    "too long: the command ends at a synchronizing literal");
	n = big("", 70000, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "T[line too long|*] C[b NOOP]",
	    "too long without a tag");
	n = big("a X ", IMAP_LINE_MAX - 4, "\r\n");
	trace(bigbuf, n, &o, bigbuf + n, sizeof(bigbuf) - n);
	CHECK_TRUE(strncmp(bigbuf + n, "C[a X mmm", 9) == 0,
	    "a line of exactly the limit is a command");
	n = big("a X ", IMAP_LINE_MAX - 3, "\r\n");
	check_trace(bigbuf, n, o, "T[line too long|a]",
	    "one octet over the limit");

	/* The buffer: text and inline literals share it. */
	o.bufsize = 100;
	o.lim.line_max = 60;
	n = big("a LOGIN {50}\r\n", 50, " {40}\r\n"
	    "0123456789012345678901234567890123456789\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "+ G[command too large|a] "
	    "C[0123456789012345678901234567890123456789] C[b NOOP]",
	    "inline literal that does not fit the buffer");
	o.bufsize = 0;
	o.lim = lim_plus;

	/* Too many literals. */
	{
		char s[IMAP_LITERALS_MAX * 8 + 40];
		size_t k, m = 0;

		m += (size_t)sprintf(s, "a X");
		for (k = 0; k <= IMAP_LITERALS_MAX; k++)
			m += (size_t)sprintf(s + m, " {1+}\r\nx");
		m += (size_t)sprintf(s + m, "\r\nb NOOP\r\n");
		check_trace(s, m, o, "T[too many literals|a] C[b NOOP]",
		    "more than IMAP_LITERALS_MAX literals");
	}
}

static void
test_reader_modes(void)
{
	struct trace_opts o = { .lim = lim_plus };
	size_t n;
	const char *s;

	o.linemode = 1;
	s = "DONE\r\ndGVzdA== {3}\r\n";
	check_trace(s, strlen(s), o, "L[DONE] L[dGVzdA== {3}]",
	    "line mode: no literals");
	n = big("", 70000, "\r\nDONE\r\n");
	check_trace(bigbuf, n, o, "T[line too long|*] L[DONE]",
	    "line mode: too long");
	o.linemode = 0;
	o.refuse = 1;
	n = big("a APPEND x {70000}\r\n", 0, "b NOOP\r\n");
	check_trace(bigbuf, n, o, "B70000 G[refused|a] C[b NOOP]",
	    "refused synchronizing literal: no continuation");
	n = big("a APPEND x {70000+}\r\n", 70000, "\r\nb NOOP\r\n");
	check_trace(bigbuf, n, o, "B70000 G[refused|a] C[b NOOP]",
	    "refused non-synchronizing literal: skipped");
}

/* A reader switched to line mode after a command, as IDLE does. */
static void
test_reader_idle(void)
{
	struct imap_reader r;
	const char *s = "a IDLE\r\nDONE\r\nb NOOP\r\n";
	size_t used, off = 0, len = strlen(s);
	int e;

	imap_reader_init(&r, rbuf, BUFSZ, NULL);
	e = imap_reader_feed(&r, s, len, &used);
	CHECK_INT_EQ(e, IMAP_RD_COMMAND, "IDLE command");
	off += used;
	imap_reader_line_mode(&r, 1);
	e = imap_reader_feed(&r, s + off, len - off, &used);
	CHECK_INT_EQ(e, IMAP_RD_LINE, "DONE is a line");
	CHECK_STR_EQ(r.buf, "DONE", "DONE text");
	off += used;
	imap_reader_line_mode(&r, 0);
	e = imap_reader_feed(&r, s + off, len - off, &used);
	CHECK_INT_EQ(e, IMAP_RD_COMMAND, "back to commands");
	CHECK_STR_EQ(r.buf, "b NOOP", "next command");
	imap_reader_wipe(&r);
	CHECK_INT_EQ(r.len, 0, "wiped");
	CHECK_INT_EQ(rbuf[0], 0, "buffer wiped");
}

/* ---- parser ------------------------------------------------------------ */

static struct imap_cmd cmd;

static int bytewise_runs, bytewise_diffs;

/* frame_parse: frame s with a reader fed chunk octets at a time (0: all
 * at once), then parse the command in state into *c; returns
 * imap_parse's result, or 99 when the reader did not produce exactly one
 * command. */
static int
frame_parse(const char *s, size_t len, size_t chunk, int state, int flags,
    struct imap_cmd *c)
{
	static struct imap_reader r;
	size_t used, off = 0, n;
	int e;

	imap_reader_init(&r, rbuf, BUFSZ, &lim_plus);
	for (;;) {
		n = chunk > 0 && len - off > chunk ? chunk : len - off;
		e = imap_reader_feed(&r, s + off, n, &used);
		off += used;
		if (e == IMAP_RD_COMMAND)
			break;
		if (e == IMAP_RD_CONTINUE || e == IMAP_RD_LITERAL_BEGIN ||
		    e == IMAP_RD_LITERAL_DATA || (e == IMAP_RD_MORE &&
		    off < len))
			continue;
		return 99;
	}
	if (off != len)
		return 99;
	return imap_parse(r.buf, r.len, r.lits, r.nlits, state, flags, c);
}

/*
 * parse: frame and parse s into cmd, and again fed one octet at a time:
 * both MUST give the same structure, octet for octet (the strings point
 * into the same buffer, and imap_parse zeroes the structure first).
 */
static int
parse_flags(const char *s, size_t len, int state, int flags)
{
	static struct imap_cmd once;
	int rc, rc1;

	rc1 = frame_parse(s, len, 1, state, flags, &once);
	rc = frame_parse(s, len, 0, state, flags, &cmd);
	bytewise_runs++;
	if (rc != rc1 || memcmp(&once, &cmd, sizeof(cmd)) != 0) {
		bytewise_diffs++;
		printf("# fed octet by octet, \"%.*s\" parses differently\n",
		    (int)strcspn(s, "\r\n"), s);
	}
	return rc;
}

#define PARSEB(s, state, flags)	parse_flags((s), sizeof(s) - 1, (state), \
	(flags))

static int
parse(const char *s, int state)
{
	return parse_flags(s, strlen(s), state, 0);
}

#define NA	IMAP_S_NOTAUTH
#define AU	IMAP_S_AUTH
#define SE	IMAP_S_SELECTED

/* str: an imap_str's value as a C string (static). */
static const char *
str(const struct imap_str *s)
{
	static char b[4][300];
	static int i;

	i = (i + 1) % 4;
	if (s->kind == IMAP_STR_NIL)
		return "NIL";
	if (s->kind == IMAP_STR_NONE)
		return "(none)";
	if (s->kind == IMAP_STR_EXTERNAL)
		return "(external)";
	if (imap_str_copy(s, b[i], sizeof(b[i])) < 0)
		return "(copy failed)";
	return b[i];
}

struct errtest {
	int		 state;
	const char	*line;
	int		 rc;
	const char	*err;
	const char	*code;
};

static const struct errtest errtests[] = {
	{ NA, "\r\n", IMAP_PARSE_BAD, "empty command at octet 0", NULL },
	{ NA, "+ NOOP\r\n", IMAP_PARSE_BAD,
	    "bad tag at octet 0 (near \"+\")", NULL },
	{ NA, "a\r\n", IMAP_PARSE_BAD, "expected SP after tag at octet 1",
	    NULL },
	{ NA, "a  NOOP\r\n", IMAP_PARSE_BAD,
	    "expected a command at octet 2 (near \" NOOP\")", NULL },
	{ NA, "a FOO\r\n", IMAP_PARSE_BAD,
	    "unknown command at octet 2 (near \"FOO\")", NULL },
	{ NA, "a STARTTLS\r\n", IMAP_PARSE_BAD,
	    "unknown command at octet 2 (near \"STARTTLS\")", NULL },
	{ NA, "a SELECT INBOX\r\n", IMAP_PARSE_BAD,
	    "SELECT: not logged in at octet 2 (near \"SELECT\")",
	    NULL },
	{ AU, "a LOGIN x y\r\n", IMAP_PARSE_BAD,
	    "LOGIN: already logged in at octet 2", NULL },
	{ AU, "a FETCH 1 FLAGS\r\n", IMAP_PARSE_BAD,
	    "FETCH: no mailbox selected at octet 2 (near \"FETCH\")",
	    NULL },
	{ NA, "a NOOP x\r\n", IMAP_PARSE_BAD,
	    "NOOP: command takes no arguments at octet 6 (near \" x\")",
	    NULL },
	{ NA, "a NOOP \r\n", IMAP_PARSE_BAD,
	    "NOOP: command takes no arguments at octet 6 (near \" \")", NULL },
	{ SE, "a UID NOOP\r\n", IMAP_PARSE_BAD,
	    "unknown UID command at octet 6 (near \"NOOP\")", NULL },
	{ NA, "a LOGIN alice\r\n", IMAP_PARSE_BAD,
	    "LOGIN: LOGIN needs a user name and a password at octet 13",
	    NULL },
	{ NA, "a LOGIN alice \"se\\cret\"\r\n", IMAP_PARSE_BAD,
	    "LOGIN: bad escape in quoted string at octet 18", NULL },
	{ NA, "a LOGIN alice \"s\xe9\"\r\n", IMAP_PARSE_BAD,
	    "LOGIN: 8-bit character in quoted string at octet 16", NULL },
	{ NA, "a LOGIN alice \"sec\r\n", IMAP_PARSE_BAD,
	    "LOGIN: unterminated quoted string at octet 18", NULL },
	{ NA, "a LOGIN alice {3} \r\n", IMAP_PARSE_BAD,
	    "LOGIN: literal announcement not at end of line at octet 17",
	    NULL },
	{ NA, "a LOGIN alice pw\x80\r\n", IMAP_PARSE_BAD,
	    "LOGIN: unexpected text after arguments at octet 16", NULL },
	{ NA, "a AUTHENTICATE PLAIN abc\r\n", IMAP_PARSE_BAD,
	    "AUTHENTICATE: bad base64 in initial response at octet 21", NULL },
	{ NA, "a AUTHENTICATE PLAIN ab=c\r\n", IMAP_PARSE_BAD,
	    "AUTHENTICATE: bad base64 in initial response at octet 21", NULL },
	{ AU, "a SELECT INBOX (FOO)\r\n", IMAP_PARSE_BAD,
	    "SELECT: unknown SELECT parameter at octet 16 (near \"FOO)\")",
	    NULL },
	{ AU, "a SELECT INBOX (QRESYNC (0 5))\r\n", IMAP_PARSE_BAD,
	    "SELECT: number must not be zero at octet 25 (near \"0\")",
	    NULL },
	{ AU, "a SELECT INBOX (QRESYNC (1 5 1:*))\r\n", IMAP_PARSE_BAD,
	    "SELECT: \"*\" not allowed here at octet 31 (near \"*))\")",
	    NULL },
	{ AU, "a CREATE x (USE (\\Foo))\r\n", IMAP_PARSE_NO,
	    "CREATE: unknown use attribute at octet 17 (near \"?Foo))\")",
	    "USEATTR" },
	{ AU, "a LIST (RECURSIVEMATCH) \"\" *\r\n", IMAP_PARSE_BAD,
	    "LIST: RECURSIVEMATCH needs another selection option at octet 23 "
	    "(near \" ??\")", NULL },
	{ AU, "a LIST \"\" * RETURN (FOO)\r\n", IMAP_PARSE_BAD,
	    "LIST: unknown LIST return option at octet 20 (near \"FOO)\")",
	    NULL },
	{ AU, "a LIST \"\" *x(\r\n", IMAP_PARSE_BAD,
	    "LIST: unexpected text after arguments at octet 12 (near \"(\")",
	    NULL },
	{ AU, "a STATUS INBOX (MESSAGES FOO)\r\n", IMAP_PARSE_BAD,
	    "STATUS: unknown status item at octet 25 (near \"FOO)\")", NULL },
	{ AU, "a STATUS INBOX ()\r\n", IMAP_PARSE_BAD,
	    "STATUS: expected a status item at octet 16 (near \")\")", NULL },
	{ AU, "a APPEND INBOX \"x\"\r\n", IMAP_PARSE_BAD,
	    "APPEND: bad date-time (dd-Mon-yyyy hh:mm:ss +zzzz) at octet 16 "
	    "(near \"x?\")", NULL },
	{ AU, "a APPEND INBOX \"30-Feb-2020 10:00:00 +0000\" {1}\r\nx\r\n",
	    IMAP_PARSE_BAD, "APPEND: bad date-time (dd-Mon-yyyy hh:mm:ss "
	    "+zzzz) at octet 16 (near \"30-Feb-2020\")", NULL },
	{ AU, "a APPEND INBOX abc\r\n", IMAP_PARSE_BAD,
	    "APPEND: APPEND message must be a literal at octet 15 "
	    "(near \"abc\")", NULL },
	{ AU, "a APPEND INBOX (\\Recent) {1}\r\nx\r\n", IMAP_PARSE_BAD,
	    "APPEND: \\Recent cannot be set at octet 16 (near \"?Recent)\")",
	    NULL },
	{ SE, "a STORE 1 FLAGS (\\Bogus)\r\n", IMAP_PARSE_BAD,
	    "STORE: unknown system flag at octet 17 (near \"?Bogus)\")", NULL },
	{ SE, "a STORE 1 XFLAGS (\\Seen)\r\n", IMAP_PARSE_BAD,
	    "STORE: expected FLAGS or FLAGS.SILENT at octet 10 "
	    "(near \"XFLAGS\")", NULL },
	{ SE, "a STORE 0 FLAGS \\Seen\r\n", IMAP_PARSE_BAD,
	    "STORE: message number must be non-zero, without leading zeros "
	    "at octet 8 (near \"0\")",
	    NULL },
	{ SE, "a FETCH 1:4294967296 FLAGS\r\n", IMAP_PARSE_BAD,
	    "FETCH: number too large at octet 10 (near \"4294967296\")",
	    NULL },
	{ SE, "a FETCH 1, FLAGS\r\n", IMAP_PARSE_BAD,
	    "FETCH: expected a number at octet 10 (near \" FLAGS\")", NULL },
	{ SE, "a FETCH $,1 FLAGS\r\n", IMAP_PARSE_BAD,
	    "FETCH: expected SP after sequence set at octet 9 "
	    "(near \",1\")", NULL },
	{ SE, "a FETCH 1 BODYX\r\n", IMAP_PARSE_BAD,
	    "FETCH: unknown fetch item at octet 10 (near \"BODYX\")", NULL },
	{ SE, "a FETCH 1 BODY[HEADER.FIELDS ()]\r\n", IMAP_PARSE_BAD,
	    "FETCH: expected an atom or a string at octet 30 (near \")]\")",
	    NULL },
	{ SE, "a FETCH 1 BODY[HEADER.FIELDS (a:b)]\r\n", IMAP_PARSE_BAD,
	    "FETCH: bad header field name at octet 33 (near \")]\")", NULL },
	{ SE, "a FETCH 1 BODY[MIME]\r\n", IMAP_PARSE_BAD,
	    "FETCH: bad section at octet 15 (near \"MIME]\")", NULL },
	{ SE, "a FETCH 1 BODY[1.]\r\n", IMAP_PARSE_BAD,
	    "FETCH: bad section at octet 17 (near \"]\")", NULL },
	{ SE, "a FETCH 1 BINARY[1.TEXT]\r\n", IMAP_PARSE_BAD,
	    "FETCH: bad binary section at octet 19 (near \"TEXT]\")", NULL },
	{ SE, "a FETCH 1 BINARY.SIZE[1]<0.5>\r\n", IMAP_PARSE_BAD,
	    "FETCH: partial not allowed here at octet 24 (near \"<0.5>\")",
	    NULL },
	{ SE, "a FETCH 1 BODY[]<0.0>\r\n", IMAP_PARSE_BAD,
	    "FETCH: number must not be zero at octet 19 (near \"0>\")", NULL },
	{ SE, "a FETCH 1 (FLAGS ALL)\r\n", IMAP_PARSE_BAD,
	    "FETCH: unknown fetch item at octet 17 (near \"ALL)\")", NULL },
	{ SE, "a FETCH 1 FLAGS (VANISHED)\r\n", IMAP_PARSE_BAD,
	    "FETCH: VANISHED needs UID FETCH at octet 25 (near \")\")", NULL },
	{ SE, "a UID FETCH 1 FLAGS (VANISHED)\r\n", IMAP_PARSE_BAD,
	    "FETCH: VANISHED needs CHANGEDSINCE at octet 30", NULL },
	{ SE, "a SEARCH FOO\r\n", IMAP_PARSE_BAD,
	    "SEARCH: unknown search key at octet 9 (near \"FOO\")", NULL },
	{ SE, "a SEARCH CHARSET KOI8-R TEXT x\r\n", IMAP_PARSE_NO,
	    "SEARCH: unsupported charset at octet 17 (near \"KOI8-R\")",
	    "BADCHARSET (UTF-8 US-ASCII)" },
	{ SE, "a SEARCH SINCE 31-Apr-2020\r\n", IMAP_PARSE_BAD,
	    "SEARCH: bad date (d-Mon-yyyy) at octet 15 (near \"31-Apr-2020\")",
	    NULL },
	{ SE, "a SEARCH OR SEEN\r\n", IMAP_PARSE_BAD,
	    "SEARCH: OR needs two search keys at octet 16", NULL },
	{ SE, "a SEARCH (SEEN\r\n", IMAP_PARSE_BAD,
	    "SEARCH: expected \")\" after search keys at octet 14", NULL },
	{ SE, "a SEARCH ()\r\n", IMAP_PARSE_BAD,
	    "SEARCH: expected a search key at octet 10 (near \")\")", NULL },
	{ SE, "a SEARCH LARGER -1\r\n", IMAP_PARSE_BAD,
	    "SEARCH: expected a number at octet 16 (near \"-1\")", NULL },
	{ SE, "a SEARCH RETURN (BOGUS) ALL\r\n", IMAP_PARSE_BAD,
	    "SEARCH: unknown search return option at octet 17 "
	    "(near \"BOGUS)\")", NULL },
	{ SE, "a SEARCH MODSEQ \"/flags/x\" bogus 5\r\n", IMAP_PARSE_BAD,
	    "SEARCH: bad MODSEQ entry type at octet 27 (near \"bogus\")",
	    NULL },
	{ AU, "a ID (\"name\")\r\n", IMAP_PARSE_BAD,
	    "ID: ID field needs a value at octet 12 (near \")\")", NULL },
	{ AU, "a ENABLE\r\n", IMAP_PARSE_BAD,
	    "ENABLE: expected SP before argument at octet 8", NULL },
	{ AU, "a SETQUOTA \"\" (STORAGE)\r\n", IMAP_PARSE_BAD,
	    "SETQUOTA: resource needs a limit at octet 22 (near \")\")", NULL },
	{ SE, "a UID EXPUNGE\r\n", IMAP_PARSE_BAD,
	    "EXPUNGE: UID EXPUNGE needs a UID set at octet 13", NULL },
	{ SE, "a EXPUNGE 1\r\n", IMAP_PARSE_BAD,
	    "EXPUNGE: unexpected text after arguments at octet 9 "
	    "(near \" 1\")", NULL },
	{ SE, "a COPY 1:2\r\n", IMAP_PARSE_BAD,
	    "COPY: expected SP before mailbox at octet 10", NULL },
	{ SE, "a SEARCH TEXT {3}\r\nabc)\r\n", IMAP_PARSE_BAD,
	    "SEARCH: unexpected text after arguments at octet 20 "
	    "(near \")\")", NULL },
	{ SE, "a SEARCH TEXT x{3}\r\nabc\r\n", IMAP_PARSE_BAD,
	    "SEARCH: unexpected text after arguments at octet 15 "
	    "(near \"{3}\")", NULL },
	{ SE, "a SEARCH TEXT \"x{3}\r\nab\"\r\n", IMAP_PARSE_BAD,
	    "SEARCH: unterminated quoted string at octet 19", NULL },
};

static void
test_parse_errors(void)
{
	char d[300];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(errtests) / sizeof(errtests[0]); i++) {
		const struct errtest *t = &errtests[i];

		rc = parse(t->line, t->state);
		snprintf(d, sizeof(d), "error for \"%.*s\"",
		    (int)strcspn(t->line, "\r\n"), t->line);
		CHECK_INT_EQ(rc, t->rc, d);
		CHECK_STR_EQ(cmd.err, t->err, d);
		CHECK_STR_EQ(cmd.code, t->code, d);
	}
	parse("a SEARCH TEXT \"x{3}\r\nab\"\r\n", SE);
	CHECK_STR_EQ(cmd.tag, "a", "tag kept for BAD");
	parse("+ NOOP\r\n", SE);
	CHECK_STR_EQ(cmd.tag, "", "no tag: untagged BAD");
}

static void
test_parse_preauth(void)
{
	CHECK_INT_EQ(parse("A001 CAPABILITY\r\n", NA), IMAP_PARSE_OK,
	    "CAPABILITY");
	CHECK_STR_EQ(cmd.tag, "A001", "tag");
	CHECK_INT_EQ(cmd.verb, IMAP_CAPABILITY, "verb");
	CHECK_INT_EQ(parse("x.y-z] noop\r\n", SE), IMAP_PARSE_OK,
	    "NOOP lower case, tag with ] . -");
	CHECK_STR_EQ(cmd.tag, "x.y-z]", "odd tag");
	CHECK_INT_EQ(parse("a LOGOUT\r\n", AU), IMAP_PARSE_OK, "LOGOUT");
	CHECK_INT_EQ(parse("a LOGIN alice@example.org \"p a\\\"s\\\\s\"\r\n",
	    NA), IMAP_PARSE_OK, "LOGIN atom and quoted");
	CHECK_STR_EQ(str(&cmd.u.login.user), "alice@example.org", "user");
	CHECK_STR_EQ(str(&cmd.u.login.pass), "p a\"s\\s", "unescaped pass");
	CHECK_INT_EQ(cmd.u.login.pass.size, 7, "pass size");
	CHECK_INT_EQ(parse("a LOGIN {5}\r\nalice {3+}\r\np w\r\n", NA),
	    IMAP_PARSE_OK, "LOGIN literals");
	CHECK_STR_EQ(str(&cmd.u.login.user), "alice", "literal user");
	CHECK_STR_EQ(str(&cmd.u.login.pass), "p w", "literal pass");
	CHECK_INT_EQ(cmd.u.login.pass.kind, IMAP_STR_LITERAL, "literal kind");
	CHECK_INT_EQ(parse("a AUTHENTICATE PLAIN\r\n", NA), IMAP_PARSE_OK,
	    "AUTHENTICATE");
	CHECK_STR_EQ(str(&cmd.u.auth.mech), "PLAIN", "mechanism");
	CHECK_INT_EQ(cmd.u.auth.ir.kind, IMAP_STR_NONE, "no initial response");
	CHECK_INT_EQ(parse("a AUTHENTICATE plain AGFsaWNlAHB3\r\n", NA),
	    IMAP_PARSE_OK, "SASL-IR");
	CHECK_STR_EQ(str(&cmd.u.auth.ir), "AGFsaWNlAHB3", "initial response");
	CHECK_INT_EQ(parse("a AUTHENTICATE PLAIN =\r\n", NA), IMAP_PARSE_OK,
	    "SASL-IR empty");
	CHECK_STR_EQ(str(&cmd.u.auth.ir), "=", "empty initial response");
	CHECK_INT_EQ(parse("a AUTHENTICATE PLAIN AGE=\r\n", NA), IMAP_PARSE_OK,
	    "SASL-IR padded");
	CHECK_INT_EQ(parse("a ID NIL\r\n", NA), IMAP_PARSE_OK, "ID NIL");
	CHECK_INT_EQ(cmd.u.id.n, 0, "ID NIL: no pairs");
	CHECK_INT_EQ(parse("a ID (\"name\" \"mutt\" \"os\" NIL)\r\n", NA),
	    IMAP_PARSE_OK, "ID list");
	CHECK_INT_EQ(cmd.u.id.n, 2, "ID pairs");
	CHECK_STR_EQ(str(&cmd.u.id.value[0]), "mutt", "ID value");
	CHECK_STR_EQ(str(&cmd.u.id.value[1]), "NIL", "ID NIL value");
	CHECK_INT_EQ(parse("a ID ()\r\n", NA), IMAP_PARSE_OK, "ID ()");
	CHECK_INT_EQ(parse("a ENABLE CONDSTORE\r\n", NA), IMAP_PARSE_BAD,
	    "ENABLE before login (RFC 5161)");
	CHECK_INT_EQ(parse("a ENABLE CONDSTORE\r\n", SE), IMAP_PARSE_BAD,
	    "ENABLE with a mailbox selected");
	CHECK_STR_EQ(cmd.err, "ENABLE: not valid with a mailbox selected at "
	    "octet 2 (near \"ENABLE\")", "ENABLE selected reason");
	CHECK_INT_EQ(parse("a ENABLE QRESYNC UTF8=ACCEPT\r\n", AU),
	    IMAP_PARSE_OK, "ENABLE");
	CHECK_INT_EQ(cmd.u.enable.n, 2, "ENABLE count");
	CHECK_STR_EQ(str(&cmd.u.enable.cap[1]), "UTF8=ACCEPT", "ENABLE cap");
}

static void
test_parse_mailbox_cmds(void)
{
	CHECK_INT_EQ(parse("a SELECT INBOX\r\n", AU), IMAP_PARSE_OK, "SELECT");
	CHECK_TRUE(imap_str_eq(&cmd.u.select.mailbox, "inbox"), "INBOX");
	CHECK_INT_EQ(parse("a EXAMINE \"&AOQ-b\" (CONDSTORE)\r\n", SE),
	    IMAP_PARSE_OK, "EXAMINE CONDSTORE");
	CHECK_INT_EQ(cmd.verb, IMAP_EXAMINE, "EXAMINE verb");
	CHECK_STR_EQ(str(&cmd.u.select.mailbox), "&AOQ-b", "raw name");
	CHECK_INT_EQ(cmd.u.select.condstore, 1, "condstore");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (67890007 20050715194045000 "
	    "41,43:211,214:541))\r\n", AU), IMAP_PARSE_OK, "QRESYNC uids");
	CHECK_INT_EQ(cmd.u.select.uidvalidity, 67890007, "uidvalidity");
	CHECK_TRUE(cmd.u.select.modseq == 20050715194045000ULL, "modseq");
	CHECK_INT_EQ(cmd.u.select.known_uids.nranges, 3, "known uids");
	CHECK_INT_EQ(cmd.u.select.match_seq.len, 0, "no seq match");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (1 2 1:10 (1,5 2,9)) "
	    "CONDSTORE)\r\n", AU), IMAP_PARSE_OK, "QRESYNC full");
	CHECK_INT_EQ(cmd.u.select.match_uid.nranges, 2, "uid match");
	CHECK_INT_EQ(cmd.u.select.qresync, 1, "qresync");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (1 2 (1 9)))\r\n", AU),
	    IMAP_PARSE_OK, "QRESYNC match without known uids");
	CHECK_INT_EQ(cmd.u.select.known_uids.len, 0, "no known uids");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (1 2(1 9)))\r\n", AU),
	    IMAP_PARSE_BAD, "QRESYNC without SP before seq-match-data");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (1 2 1:9 x))\r\n", AU),
	    IMAP_PARSE_BAD, "QRESYNC junk after known uids");
	CHECK_INT_EQ(parse("a SELECT x (QRESYNC (1 2))\r\n", AU),
	    IMAP_PARSE_OK, "QRESYNC minimal");
	CHECK_INT_EQ(parse("a CREATE Sent (USE (\\Sent))\r\n", AU),
	    IMAP_PARSE_OK, "CREATE USE");
	CHECK_INT_EQ(cmd.u.create.use, IMAP_USE_SENT, "use sent");
	CHECK_INT_EQ(parse("a CREATE a/b (USE (\\Junk \\Trash))\r\n", AU),
	    IMAP_PARSE_OK, "CREATE USE two");
	CHECK_INT_EQ(cmd.u.create.use, IMAP_USE_JUNK | IMAP_USE_TRASH, "uses");
	CHECK_INT_EQ(parse("a CREATE x (USE ())\r\n", AU), IMAP_PARSE_OK,
	    "CREATE USE ()");
	CHECK_INT_EQ(parse("a DELETE {3}\r\na b\r\n", AU), IMAP_PARSE_OK,
	    "DELETE literal");
	CHECK_STR_EQ(str(&cmd.u.mailbox), "a b", "literal name");
	CHECK_INT_EQ(parse("a RENAME a \"b c\"\r\n", AU), IMAP_PARSE_OK,
	    "RENAME");
	CHECK_STR_EQ(str(&cmd.u.rename.to), "b c", "rename to");
	CHECK_INT_EQ(parse("a SUBSCRIBE x]y\r\n", AU), IMAP_PARSE_OK,
	    "SUBSCRIBE with ]");
	CHECK_INT_EQ(parse("a UNSUBSCRIBE x\r\n", AU), IMAP_PARSE_OK,
	    "UNSUBSCRIBE");
	CHECK_INT_EQ(parse("a NAMESPACE\r\n", AU), IMAP_PARSE_OK, "NAMESPACE");
	CHECK_INT_EQ(parse("a IDLE\r\n", SE), IMAP_PARSE_OK, "IDLE");
	CHECK_INT_EQ(parse("a STATUS INBOX (MESSAGES UIDNEXT UNSEEN SIZE "
	    "HIGHESTMODSEQ DELETED RECENT UIDVALIDITY APPENDLIMIT "
	    "MAILBOXID)\r\n", AU), IMAP_PARSE_OK, "STATUS");
	CHECK_INT_EQ(cmd.u.status.items, 0x3ff, "all status items");
	CHECK_INT_EQ(parse("a GETQUOTA \"\"\r\n", AU), IMAP_PARSE_OK,
	    "GETQUOTA");
	CHECK_INT_EQ(parse("a GETQUOTAROOT INBOX\r\n", AU), IMAP_PARSE_OK,
	    "GETQUOTAROOT");
	CHECK_INT_EQ(parse("a SETQUOTA \"\" (STORAGE 512 MESSAGE 100)\r\n",
	    AU), IMAP_PARSE_OK, "SETQUOTA");
	CHECK_INT_EQ(cmd.u.quota.n, 2, "quota resources");
	CHECK_TRUE(cmd.u.quota.limit[1] == 100, "quota limit");
	CHECK_INT_EQ(parse("a CHECK\r\n", SE), IMAP_PARSE_OK, "CHECK");
	CHECK_INT_EQ(parse("a CLOSE\r\n", SE), IMAP_PARSE_OK, "CLOSE");
	CHECK_INT_EQ(parse("a UNSELECT\r\n", SE), IMAP_PARSE_OK, "UNSELECT");
	CHECK_INT_EQ(parse("a EXPUNGE\r\n", SE), IMAP_PARSE_OK, "EXPUNGE");
	CHECK_INT_EQ(parse("a UID EXPUNGE 3:5,9\r\n", SE), IMAP_PARSE_OK,
	    "UID EXPUNGE");
	CHECK_INT_EQ(cmd.uid, 1, "uid flag");
	CHECK_INT_EQ(cmd.u.set.nranges, 2, "uid expunge set");
	CHECK_INT_EQ(parse("a COPY 1:* Trash\r\n", SE), IMAP_PARSE_OK, "COPY");
	CHECK_INT_EQ(cmd.u.copy.set.star, 1, "star");
	CHECK_INT_EQ(parse("a uid move $ Archive\r\n", SE), IMAP_PARSE_OK,
	    "UID MOVE $");
	CHECK_INT_EQ(cmd.verb, IMAP_MOVE, "move");
	CHECK_INT_EQ(cmd.u.copy.set.saved, 1, "saved set");
}

static void
test_parse_list(void)
{
	CHECK_INT_EQ(parse("a LIST \"\" %\r\n", AU), IMAP_PARSE_OK, "LIST");
	CHECK_INT_EQ(cmd.u.list.extended, 0, "basic LIST");
	CHECK_STR_EQ(str(&cmd.u.list.pat[0]), "%", "pattern");
	CHECK_INT_EQ(parse("a LIST \"\" a/*]%\r\n", AU), IMAP_PARSE_OK,
	    "LIST list-chars");
	CHECK_INT_EQ(parse("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX "
	    "\"Sent\" *) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES "
	    "UNSEEN))\r\n", AU), IMAP_PARSE_OK, "LIST-EXTENDED");
	CHECK_INT_EQ(cmd.u.list.extended, 1, "extended");
	CHECK_INT_EQ(cmd.u.list.select, IMAP_LS_SUBSCRIBED |
	    IMAP_LS_RECURSIVEMATCH, "selection");
	CHECK_INT_EQ(cmd.u.list.npat, 3, "patterns");
	CHECK_STR_EQ(str(&cmd.u.list.pat[1]), "Sent", "quoted pattern");
	CHECK_INT_EQ(cmd.u.list.ret, IMAP_LR_CHILDREN | IMAP_LR_SPECIALUSE |
	    IMAP_LR_STATUS, "return options");
	CHECK_INT_EQ(cmd.u.list.status, IMAP_ST_MESSAGES | IMAP_ST_UNSEEN,
	    "list-status");
	CHECK_INT_EQ(parse("a LIST () \"\" % RETURN ()\r\n", AU),
	    IMAP_PARSE_OK, "LIST empty options");
	CHECK_INT_EQ(parse("a LIST (SPECIAL-USE REMOTE) \"\" *\r\n", AU),
	    IMAP_PARSE_OK, "LIST SPECIAL-USE");
	CHECK_INT_EQ(parse("a LSUB \"\" *\r\n", AU), IMAP_PARSE_OK, "LSUB");
	CHECK_INT_EQ(cmd.verb, IMAP_LSUB, "lsub verb");
}

static void
test_parse_append(void)
{
	size_t n;

	CHECK_INT_EQ(parse("a APPEND saved-messages (\\Seen $Forwarded) "
	    "\" 7-Feb-1994 21:52:25 -0800\" {5}\r\nHello\r\n", AU),
	    IMAP_PARSE_OK, "APPEND full");
	CHECK_INT_EQ(cmd.u.append.flags.sys, IMAP_F_SEEN, "seen");
	CHECK_INT_EQ(cmd.u.append.flags.nkw, 1, "keyword");
	CHECK_STR_EQ(str(&cmd.u.append.flags.kw[0]), "$Forwarded", "kw");
	CHECK_INT_EQ(cmd.u.append.has_date, 1, "date");
	CHECK_TRUE(cmd.u.append.date == 760686745, "date value UTC");
	CHECK_STR_EQ(str(&cmd.u.append.msg), "Hello", "message");
	CHECK_INT_EQ(parse("a APPEND x {3+}\r\nabc\r\n", AU), IMAP_PARSE_OK,
	    "APPEND LITERAL+");
	n = strlen("a APPEND x () ~{3}\r\n");
	CHECK_INT_EQ(parse_flags("a APPEND x () ~{3}\r\na\0c\r\n", n + 5, AU,
	    0), IMAP_PARSE_OK, "APPEND literal8 with NUL");
	CHECK_INT_EQ(cmd.u.append.msg.binary, 1, "binary");
	CHECK_INT_EQ(cmd.u.append.msg.size, 3, "binary size");
	n = big("a APPEND INBOX (\\Draft) {100000}\r\n", 100000, "\r\n");
	CHECK_INT_EQ(parse_flags(bigbuf, n, AU, 0), IMAP_PARSE_OK,
	    "APPEND external");
	CHECK_INT_EQ(cmd.u.append.msg.kind, IMAP_STR_EXTERNAL, "external");
	CHECK_TRUE(cmd.u.append.msg.size == 100000, "external size");
	CHECK_INT_EQ(cmd.u.append.msg.lit, 0, "external literal index");
	CHECK_INT_EQ(parse("a APPEND INBOX \"1-Jan-2000 00:00:00 +0000\" "
	    "{1}\r\nx\r\n", AU), IMAP_PARSE_BAD, "date-time day needs 2 "
	    "characters");
}

static void
test_parse_store(void)
{
	CHECK_INT_EQ(parse("a STORE 2:4 +FLAGS (\\Deleted)\r\n", SE),
	    IMAP_PARSE_OK, "STORE +FLAGS");
	CHECK_INT_EQ(cmd.u.store.op, '+', "op +");
	CHECK_INT_EQ(cmd.u.store.flags.sys, IMAP_F_DELETED, "deleted");
	CHECK_INT_EQ(parse("a UID STORE 1 -FLAGS.SILENT \\Seen \\Answered "
	    "junk\r\n", SE), IMAP_PARSE_OK, "STORE bare flags");
	CHECK_INT_EQ(cmd.u.store.op, '-', "op -");
	CHECK_INT_EQ(cmd.u.store.silent, 1, "silent");
	CHECK_INT_EQ(cmd.u.store.flags.sys, IMAP_F_SEEN | IMAP_F_ANSWERED,
	    "two flags");
	CHECK_INT_EQ(cmd.u.store.flags.nkw, 1, "junk keyword");
	CHECK_INT_EQ(parse("a STORE 1 (UNCHANGEDSINCE 12345) FLAGS ()\r\n",
	    SE), IMAP_PARSE_OK, "STORE UNCHANGEDSINCE, empty list");
	CHECK_INT_EQ(cmd.u.store.op, '=', "replace");
	CHECK_INT_EQ(cmd.u.store.has_unchangedsince, 1, "unchangedsince");
	CHECK_TRUE(cmd.u.store.unchangedsince == 12345, "modseq value");
}

static void
test_parse_fetch(void)
{
	const struct imap_fetch_att *a;

	CHECK_INT_EQ(parse("a FETCH 1:* ALL\r\n", SE), IMAP_PARSE_OK, "ALL");
	CHECK_INT_EQ(cmd.u.fetch.macro, IMAP_FM_ALL, "macro ALL");
	CHECK_INT_EQ(cmd.u.fetch.natts, 4, "ALL items");
	CHECK_INT_EQ(cmd.u.fetch.atts[3].kind, IMAP_FA_ENVELOPE, "envelope");
	CHECK_INT_EQ(parse("a FETCH 1 fast\r\n", SE), IMAP_PARSE_OK, "FAST");
	CHECK_INT_EQ(cmd.u.fetch.natts, 3, "FAST items");
	CHECK_INT_EQ(parse("a FETCH 1 FULL\r\n", SE), IMAP_PARSE_OK, "FULL");
	CHECK_INT_EQ(cmd.u.fetch.atts[4].kind, IMAP_FA_BODY, "FULL has BODY");
	CHECK_INT_EQ(parse("a FETCH 2,4 (UID RFC822.SIZE FLAGS "
	    "BODY.PEEK[HEADER.FIELDS (From Subject \"To\")] BODYSTRUCTURE "
	    "INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ ENVELOPE "
	    "BODY)\r\n", SE), IMAP_PARSE_OK, "many items");
	CHECK_INT_EQ(cmd.u.fetch.natts, 12, "item count");
	a = &cmd.u.fetch.atts[3];
	CHECK_INT_EQ(a->kind, IMAP_FA_SECTION, "section");
	CHECK_INT_EQ(a->peek, 1, "peek");
	CHECK_INT_EQ(a->text, IMAP_SEC_HEADER_FIELDS, "header.fields");
	CHECK_INT_EQ(a->nhdrs, 3, "3 names");
	CHECK_STR_EQ(str(&cmd.u.fetch.hdrs[a->hdr_first + 2]), "To",
	    "quoted header name");
	CHECK_INT_EQ(parse("a FETCH 1 (BODY[1.2.MIME] BODY[3.HEADER.FIELDS.NOT "
	    "(X-A X-B)]<10.20> BODY[] BODY[TEXT]<0.100> BINARY.PEEK[1.2]<5.6> "
	    "BINARY.SIZE[2] BINARY[] BODY[4.TEXT] BODY[5] BODY[HEADER])\r\n",
	    SE), IMAP_PARSE_OK, "sections");
	a = &cmd.u.fetch.atts[0];
	CHECK_INT_EQ(a->nparts, 2, "parts 1.2");
	CHECK_INT_EQ(a->part[1], 2, "part 2");
	CHECK_INT_EQ(a->text, IMAP_SEC_MIME, "MIME");
	a = &cmd.u.fetch.atts[1];
	CHECK_INT_EQ(a->text, IMAP_SEC_HEADER_FIELDS_NOT, "fields.not");
	CHECK_INT_EQ(a->partial, 1, "partial");
	CHECK_INT_EQ(a->origin, 10, "origin");
	CHECK_INT_EQ(a->count, 20, "count");
	CHECK_INT_EQ(a->hdr_first, 0, "hdr first");
	CHECK_INT_EQ(cmd.u.fetch.atts[2].text, IMAP_SEC_ALL, "BODY[]");
	CHECK_INT_EQ(cmd.u.fetch.atts[2].peek, 0, "BODY[] sets seen");
	CHECK_INT_EQ(cmd.u.fetch.atts[4].kind, IMAP_FA_BINARY, "binary");
	CHECK_INT_EQ(cmd.u.fetch.atts[4].peek, 1, "binary peek");
	CHECK_INT_EQ(cmd.u.fetch.atts[5].kind, IMAP_FA_BINARY_SIZE,
	    "binary.size");
	CHECK_INT_EQ(cmd.u.fetch.atts[8].nparts, 1, "BODY[5]");
	CHECK_INT_EQ(cmd.u.fetch.atts[9].text, IMAP_SEC_HEADER, "HEADER");
	CHECK_INT_EQ(parse("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 "
	    "VANISHED)\r\n", SE), IMAP_PARSE_OK, "CHANGEDSINCE VANISHED");
	CHECK_INT_EQ(cmd.u.fetch.vanished, 1, "vanished");
	CHECK_TRUE(cmd.u.fetch.changedsince == 12345, "changedsince");
	CHECK_INT_EQ(parse("a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\n", SE),
	    IMAP_PARSE_OK, "CHANGEDSINCE 0");
	CHECK_INT_EQ(parse("a FETCH 1 BODY[HEADER.FIELDS ({4}\r\nDate)]\r\n",
	    SE), IMAP_PARSE_OK, "header name as literal");
	CHECK_STR_EQ(str(&cmd.u.fetch.hdrs[0]), "Date", "literal header name");
}

/* Build "a FETCH 1 (FLAGS FLAGS ...)" with n items. */
static void
test_parse_limits(void)
{
	static char s[20000];
	size_t i, n;

	n = (size_t)sprintf(s, "a FETCH 1 (");
	for (i = 0; i < IMAP_FETCH_ATTS_MAX; i++)
		n += (size_t)sprintf(s + n, "%sUID", i ? " " : "");
	sprintf(s + n, ")\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_OK, "fetch items at the limit");
	sprintf(s + n, " UID)\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "fetch items over");
	CHECK_STR_EQ(cmd.code, "LIMIT", "LIMIT code");
	CHECK_TRUE(strstr(cmd.err, "too many fetch items") != NULL,
	    "fetch limit reason");

	n = (size_t)sprintf(s, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX; i++)
		n += (size_t)sprintf(s + n, " NOT");
	sprintf(s + n, " SEEN\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "NOT NOT ... too deep");
	CHECK_TRUE(strstr(cmd.err, "nested too deeply") != NULL,
	    "depth reason");
	n = (size_t)sprintf(s, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX - 1; i++)
		n += (size_t)sprintf(s + n, " NOT");
	sprintf(s + n, " SEEN\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_OK, "NOT at the depth limit");
	n = (size_t)sprintf(s, "a SEARCH ");
	for (i = 0; i < 5000; i++)
		s[n++] = '(';
	sprintf(s + n, "SEEN\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "5000 parentheses");
	CHECK_STR_EQ(cmd.code, "LIMIT", "parentheses LIMIT");
	n = (size_t)sprintf(s, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_NODES_MAX; i++)
		n += (size_t)sprintf(s + n, " SEEN");
	sprintf(s + n, "\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "too many search nodes");
	CHECK_TRUE(strstr(cmd.err, "too many search keys") != NULL,
	    "node reason");
	sprintf(s + n - 5, "\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_OK, "search nodes at the limit");

	n = (size_t)sprintf(s, "a STORE 1 FLAGS (");
	for (i = 0; i <= IMAP_FLAGS_MAX; i++)
		n += (size_t)sprintf(s + n, "%sk%zu", i ? " " : "", i);
	sprintf(s + n, ")\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "too many flags");
	n = (size_t)sprintf(s, "a FETCH 1 BODY[HEADER.FIELDS (");
	for (i = 0; i <= IMAP_HDRS_MAX; i++)
		n += (size_t)sprintf(s + n, "%sh%zu", i ? " " : "", i);
	sprintf(s + n, ")]\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "too many header names");
	n = (size_t)sprintf(s, "a FETCH 1 BODY[");
	for (i = 0; i <= IMAP_PART_DEPTH_MAX; i++)
		n += (size_t)sprintf(s + n, "%s1", i ? "." : "");
	sprintf(s + n, "]\r\n");
	CHECK_INT_EQ(parse(s, SE), IMAP_PARSE_BAD, "part too deep");
	n = (size_t)sprintf(s, "a LIST \"\" (");
	for (i = 0; i <= IMAP_LIST_PATTERNS_MAX; i++)
		n += (size_t)sprintf(s + n, "%sp", i ? " " : "");
	sprintf(s + n, ")\r\n");
	CHECK_INT_EQ(parse(s, AU), IMAP_PARSE_BAD, "too many patterns");
	n = (size_t)sprintf(s, "a LIST \"\" ");
	memset(s + n, 'x', IMAP_PATTERN_MAX + 1);
	sprintf(s + n + IMAP_PATTERN_MAX + 1, "\r\n");
	CHECK_INT_EQ(parse(s, AU), IMAP_PARSE_BAD, "pattern too long");
	n = (size_t)sprintf(s, "a ENABLE");
	for (i = 0; i <= IMAP_ENABLE_MAX; i++)
		n += (size_t)sprintf(s + n, " X%zu", i);
	sprintf(s + n, "\r\n");
	CHECK_INT_EQ(parse(s, AU), IMAP_PARSE_BAD, "too many capabilities");
	n = (size_t)sprintf(s, "a ID (");
	for (i = 0; i <= IMAP_ID_MAX; i++)
		n += (size_t)sprintf(s + n, "%s\"f%zu\" NIL", i ? " " : "", i);
	sprintf(s + n, ")\r\n");
	CHECK_INT_EQ(parse(s, NA), IMAP_PARSE_BAD, "too many ID pairs");
	memset(s, 'a', IMAP_TAG_MAX + 1);
	sprintf(s + IMAP_TAG_MAX + 1, " NOOP\r\n");
	CHECK_INT_EQ(parse(s, NA), IMAP_PARSE_BAD, "tag too long");
	CHECK_STR_EQ(cmd.tag, "", "long tag not used");
	sprintf(s + IMAP_TAG_MAX, " NOOP\r\n");
	CHECK_INT_EQ(parse(s, NA), IMAP_PARSE_OK, "tag at the limit");
}

/* walk: the search tree below node i as text, e.g. "AND(SEEN,NOT(UID))". */
static void
walk(int i, char *out, size_t outsz)
{
	static const char *names[] = { "AND", "OR", "NOT", "ALL", "ANSWERED",
	    "BCC", "BEFORE", "BODY", "CC", "DELETED", "DRAFT", "FLAGGED",
	    "FROM", "HEADER", "KEYWORD", "LARGER", "NEW", "OLD", "ON",
	    "RECENT", "SEEN", "SENTBEFORE", "SENTON", "SENTSINCE", "SINCE",
	    "SMALLER", "SUBJECT", "TEXT", "TO", "UID", "UNANSWERED",
	    "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNKEYWORD", "UNSEEN",
	    "SEQSET", "MODSEQ" };
	const struct imap_snode *n = &cmd.u.search.nodes[i];
	size_t l = strlen(out);
	int c;

	snprintf(out + l, outsz - l, "%s", names[n->key]);
	if (n->child == -1)
		return;
	l = strlen(out);
	snprintf(out + l, outsz - l, "(");
	for (c = n->child; c != -1; c = cmd.u.search.nodes[c].next) {
		walk(c, out, outsz);
		if (cmd.u.search.nodes[c].next != -1) {
			l = strlen(out);
			snprintf(out + l, outsz - l, ",");
		}
	}
	l = strlen(out);
	snprintf(out + l, outsz - l, ")");
}

static void
check_search(const char *line, const char *tree, const char *desc)
{
	char got[600] = "";

	if (!CHECK_INT_EQ(parse(line, SE), IMAP_PARSE_OK, desc))
		printf("# %s\n", cmd.err);
	else {
		walk(0, got, sizeof(got));
		CHECK_STR_EQ(got, tree, desc);
	}
}

static void
test_parse_search(void)
{
	const struct imap_snode *n;

	check_search("a SEARCH ALL\r\n", "AND(ALL)", "ALL");
	check_search("a SEARCH ANSWERED BCC x BEFORE 1-Feb-2020 BODY \"y z\" "
	    "CC c DELETED DRAFT FLAGGED FROM f HEADER X-Spam yes KEYWORD $J "
	    "LARGER 10 NEW NOT SEEN OLD ON 02-Mar-2021 OR SEEN UNSEEN RECENT "
	    "SEEN SENTBEFORE 1-Jan-2000 SENTON 1-jan-2000 SENTSINCE 1-JAN-2000 "
	    "SINCE 1-Jan-2000 SMALLER 5 SUBJECT s TEXT t TO t UID 1:5 "
	    "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $K UNSEEN 1,2:* "
	    "MODSEQ 7\r\n",
	    "AND(ANSWERED,BCC,BEFORE,BODY,CC,DELETED,DRAFT,FLAGGED,FROM,"
	    "HEADER,KEYWORD,LARGER,NEW,NOT(SEEN),OLD,ON,OR(SEEN,UNSEEN),"
	    "RECENT,SEEN,SENTBEFORE,SENTON,SENTSINCE,SINCE,SMALLER,SUBJECT,"
	    "TEXT,TO,UID,UNANSWERED,UNDELETED,UNDRAFT,UNFLAGGED,UNKEYWORD,"
	    "UNSEEN,SEQSET,MODSEQ)", "every key");
	n = &cmd.u.search.nodes[10];
	CHECK_STR_EQ(str(&n->s1), "X-Spam", "header name");
	CHECK_STR_EQ(str(&n->s2), "yes", "header value");
	n = &cmd.u.search.nodes[3];
	CHECK_TRUE(n->date == 1580515200, "BEFORE date");
	n = &cmd.u.search.nodes[4];
	CHECK_STR_EQ(str(&n->s1), "y z", "BODY string");
	check_search("a SEARCH OR (FROM a TO b) NOT (SEEN OR 1 2)\r\n",
	    "AND(OR(AND(FROM,TO),NOT(AND(SEEN,OR(SEQSET,SEQSET)))))",
	    "nesting");
	check_search("a SEARCH NOT NOT NOT DELETED\r\n",
	    "AND(NOT(NOT(NOT(DELETED))))", "NOT NOT NOT");
	check_search("a UID SEARCH CHARSET UTF-8 TEXT {4}\r\n\xc3\xa4\xc3\xb6"
	    "\r\n", "AND(TEXT)", "CHARSET UTF-8 with literal");
	CHECK_STR_EQ(str(&cmd.u.search.charset), "UTF-8", "charset");
	check_search("a SEARCH CHARSET \"us-ascii\" ALL\r\n", "AND(ALL)",
	    "CHARSET quoted us-ascii");
	check_search("a SEARCH RETURN (MIN MAX COUNT SAVE) $\r\n",
	    "AND(SEQSET)", "RETURN options, $");
	CHECK_INT_EQ(cmd.u.search.ret, IMAP_SR_MIN | IMAP_SR_MAX |
	    IMAP_SR_COUNT | IMAP_SR_SAVE, "return mask");
	CHECK_INT_EQ(cmd.u.search.nodes[1].set.saved, 1, "saved set");
	check_search("a SEARCH RETURN () ALL\r\n", "AND(ALL)", "RETURN ()");
	CHECK_INT_EQ(cmd.u.search.ret, IMAP_SR_ALL, "RETURN () is ALL");
	CHECK_INT_EQ(cmd.u.search.ret_given, 1, "return given");
	check_search("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n",
	    "AND(MODSEQ)", "MODSEQ with entry");
	n = &cmd.u.search.nodes[1];
	CHECK_INT_EQ(n->etype, IMAP_ET_ALL, "entry type");
	CHECK_TRUE(n->num == 620162338, "modseq");
	CHECK_STR_EQ(str(&n->s1), "/flags/\\draft", "entry name");
	check_search("a SEARCH SINCE \"1-Feb-2020\" LARGER 99999999999\r\n",
	    "AND(SINCE,LARGER)", "quoted date, number64");
	CHECK_TRUE(cmd.u.search.nodes[2].num == 99999999999ULL, "large");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT \"\xc3\xa4\"\r\n", SE,
	    IMAP_PF_UTF8), IMAP_PARSE_OK, "UTF-8 quoted with UTF8=ACCEPT");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT \"\xc3\xa4\"\r\n", SE, 0),
	    IMAP_PARSE_BAD, "UTF-8 quoted without UTF8=ACCEPT");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT \"\xc3\"\r\n", SE, IMAP_PF_UTF8),
	    IMAP_PARSE_BAD, "broken UTF-8 quoted");
	CHECK_STR_EQ(cmd.err, "SEARCH: bad UTF-8 in quoted string at octet 15 "
	    "(near \"??\")", "broken UTF-8 reason");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT \"\xed\xa0\x80\"\r\n", SE,
	    IMAP_PF_UTF8), IMAP_PARSE_BAD, "UTF-8 surrogate");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT \"\xc0\xaf\"\r\n", SE,
	    IMAP_PF_UTF8), IMAP_PARSE_BAD, "overlong UTF-8");
	CHECK_INT_EQ(PARSEB("a SEARCH TEXT {3}\r\na\0b\r\n", SE, 0),
	    IMAP_PARSE_BAD, "NUL in a literal");
	CHECK_STR_EQ(cmd.err, "SEARCH: NUL octet in literal at octet 17",
	    "NUL reason");
}

static void
test_seqset(void)
{
	struct imap_seq_iter it;
	struct imap_range r[8];
	struct imap_seqset *set = &cmd.u.fetch.set;
	uint32_t lo, hi;
	long nr;

	CHECK_INT_EQ(parse("a FETCH 5:3,*,10,1:4294967295 UID\r\n", SE),
	    IMAP_PARSE_OK, "set parsed");
	CHECK_INT_EQ(set->nranges, 4, "ranges");
	imap_seq_iter_init(&it, set, 20);
	CHECK_TRUE(imap_seq_next(&it, &lo, &hi) && lo == 3 && hi == 5,
	    "5:3 in order");
	CHECK_TRUE(imap_seq_next(&it, &lo, &hi) && lo == 20 && hi == 20,
	    "* is max");
	CHECK_TRUE(imap_seq_next(&it, &lo, &hi) && lo == 10 && hi == 10,
	    "10");
	CHECK_TRUE(imap_seq_next(&it, &lo, &hi) && lo == 1 &&
	    hi == 4294967295U, "full range, not expanded");
	CHECK_INT_EQ(imap_seq_next(&it, &lo, &hi), 0, "end");
	CHECK_INT_EQ(parse("a FETCH 7:*,2,4:3 UID\r\n", SE), IMAP_PARSE_OK,
	    "set 2");
	CHECK_INT_EQ(imap_seq_contains(set, 9, 8), 1, "8 in 7:*");
	CHECK_INT_EQ(imap_seq_contains(set, 9, 5), 0, "5 not in");
	CHECK_INT_EQ(imap_seq_contains(set, 5, 6), 1, "* below 7: 5:7");
	CHECK_INT_EQ(imap_seq_contains(set, 5, 8), 0, "* below 7: not 8");
	nr = imap_seq_ranges(set, 9, r, 8);
	CHECK_INT_EQ(nr, 2, "merged ranges");
	CHECK_TRUE(r[0].lo == 2 && r[0].hi == 4 && r[1].lo == 7 &&
	    r[1].hi == 9, "sorted merged");
	CHECK_INT_EQ(imap_ranges_contains(r, 2, 3), 1, "3 in ranges");
	CHECK_INT_EQ(imap_ranges_contains(r, 2, 6), 0, "6 not in ranges");
	CHECK_INT_EQ(imap_ranges_contains(r, 2, 9), 1, "9 in ranges");
	CHECK_INT_EQ(imap_seq_ranges(set, 9, r, 2), -1, "out too small");
	CHECK_INT_EQ(parse("a FETCH 4294967295:4294967295,1 UID\r\n", SE),
	    IMAP_PARSE_OK, "max uid");
	nr = imap_seq_ranges(set, 4294967295U, r, 8);
	CHECK_TRUE(nr == 2 && r[1].lo == 4294967295U, "no overflow at max");
	CHECK_INT_EQ(parse("a FETCH $ UID\r\n", SE), IMAP_PARSE_OK, "$");
	imap_seq_iter_init(&it, set, 9);
	CHECK_INT_EQ(imap_seq_next(&it, &lo, &hi), 0, "$ not iterated");
}

static void
test_dates(void)
{
	int64_t t;

	CHECK_INT_EQ(imap_date_parse("1-Jan-1970", 10, &t), 0, "epoch");
	CHECK_INT_EQ(t, 0, "epoch value");
	CHECK_INT_EQ(imap_date_parse("29-Feb-2024", 11, &t), 0, "leap day");
	CHECK_INT_EQ(t, 1709164800, "leap day value");
	CHECK_INT_EQ(imap_date_parse("29-Feb-2023", 11, &t), -1, "not leap");
	CHECK_INT_EQ(imap_date_parse("29-Feb-1900", 11, &t), -1, "1900");
	CHECK_INT_EQ(imap_date_parse("29-Feb-2000", 11, &t), 0, "2000");
	CHECK_INT_EQ(imap_date_parse("31-Dec-9999", 11, &t), 0, "9999");
	CHECK_INT_EQ(imap_date_parse("0-Jan-2000", 10, &t), -1, "day 0");
	CHECK_INT_EQ(imap_date_parse("32-Jan-2000", 11, &t), -1, "day 32");
	CHECK_INT_EQ(imap_date_parse("1-Jan-0000", 10, &t), -1, "year 0");
	CHECK_INT_EQ(imap_date_parse("1-Foo-2000", 10, &t), -1, "month");
	CHECK_INT_EQ(imap_date_parse("001-Jan-2000", 12, &t), -1, "3 digits");
	CHECK_INT_EQ(imap_date_parse("1-Jan-20001", 11, &t), -1, "5-digit year");
	CHECK_INT_EQ(imap_date_parse("1-Jan-200", 9, &t), -1, "short year");
	CHECK_INT_EQ(imap_date_parse("1/Jan/2000", 10, &t), -1, "slashes");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996 02:44:25 -0700", 26, &t),
	    0, "RFC example");
	CHECK_INT_EQ(t, 837596665, "RFC example UTC");
	CHECK_INT_EQ(imap_datetime_parse(" 7-Feb-1994 21:52:25 +0100", 26, &t),
	    0, "space day, east zone");
	CHECK_INT_EQ(t, 760654345, "east zone UTC");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996 24:00:00 +0000", 26, &t),
	    -1, "hour 24");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996 23:60:00 +0000", 26, &t),
	    -1, "minute 60");
	CHECK_INT_EQ(imap_datetime_parse("31-Dec-2016 23:59:60 +0000", 26, &t),
	    0, "leap second");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996 02:44:25 +0760", 26, &t),
	    -1, "zone minutes");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996 02:44:25 0700", 25, &t),
	    -1, "zone sign");
	CHECK_INT_EQ(imap_datetime_parse("17-Jul-1996  2:44:25 +0000", 26, &t),
	    -1, "space hour");
	CHECK_INT_EQ(imap_datetime_parse("00-Jul-1996 02:44:25 +0000", 26, &t),
	    -1, "day 00");
}

static void
test_strings(void)
{
	char b[4];

	CHECK_INT_EQ(parse("a LOGIN \"\" \"abcd\"\r\n", NA), IMAP_PARSE_OK,
	    "empty quoted user");
	CHECK_INT_EQ(cmd.u.login.user.size, 0, "empty");
	CHECK_INT_EQ(imap_str_copy(&cmd.u.login.pass, b, sizeof(b)), -1,
	    "copy does not fit");
	CHECK_STR_EQ(b, "", "dst emptied");
	CHECK_INT_EQ(imap_str_copy(&cmd.u.login.user, b, sizeof(b)), 0,
	    "empty copy");
	CHECK_INT_EQ(parse("a LOGIN \"\\\\\\\"\" x\r\n", NA), IMAP_PARSE_OK,
	    "escapes only");
	CHECK_INT_EQ(imap_str_copy(&cmd.u.login.user, b, sizeof(b)), 2,
	    "two unescaped");
	CHECK_STR_EQ(b, "\\\"", "backslash quote");
	CHECK_INT_EQ(imap_str_eq(&cmd.u.login.user, "\\\""), 1, "eq escaped");
	CHECK_INT_EQ(parse("a LOGIN \"a\tb\" x\r\n", NA), IMAP_PARSE_OK,
	    "TAB in quoted string (TEXT-CHAR)");
	CHECK_INT_EQ(parse("a LOGIN a\tb x\r\n", NA), IMAP_PARSE_BAD,
	    "TAB in atom");
	CHECK_INT_EQ(parse("a LOGIN a%b x\r\n", NA), IMAP_PARSE_BAD,
	    "% in astring");
	CHECK_INT_EQ(parse("a LOGIN NIL NIL\r\n", NA), IMAP_PARSE_OK,
	    "NIL is an atom in astring");
	CHECK_STR_EQ(str(&cmd.u.login.user), "NIL", "NIL astring");
	{
		struct imap_literal bad = { 5, 10, 10, 0, 1 };

		CHECK_INT_EQ(imap_parse("a NOOP", 6, &bad, 1, NA, 0, &cmd),
		    IMAP_PARSE_BAD, "literal records outside the buffer");
		CHECK_STR_EQ(cmd.err, "internal error: bad literal records "
		    "at octet 0 (near \"a\")", "records refused");
	}
	CHECK_INT_EQ(parse("a  LOGIN alice secret\r\n", NA), IMAP_PARSE_BAD,
	    "bad verb position");
	CHECK_TRUE(strstr(cmd.err, "secret") == NULL &&
	    strstr(cmd.err, "alice") == NULL, "no argument quoted");
}

static void
test_listmatch(void)
{
	static char pat[LISTMATCH_PATTERN_MAX + 2], name[2000];
	clock_t t0;
	size_t i;

	CHECK_INT_EQ(listmatch("*", 1, "a/b/c", 5, '/'), 1, "* all");
	CHECK_INT_EQ(listmatch("%", 1, "a/b", 3, '/'), 0, "% stops at /");
	CHECK_INT_EQ(listmatch("%", 1, "ab", 2, '/'), 1, "% level");
	CHECK_INT_EQ(listmatch("a/%", 3, "a/b", 3, '/'), 1, "a/%");
	CHECK_INT_EQ(listmatch("a/%", 3, "a/b/c", 5, '/'), 0, "a/% deep");
	CHECK_INT_EQ(listmatch("a*c", 3, "abc", 3, '/'), 1, "a*c");
	CHECK_INT_EQ(listmatch("a*c", 3, "abcd", 4, '/'), 0, "a*c tail");
	CHECK_INT_EQ(listmatch("*a%b", 4, "a/ab", 4, '/'), 1,
	    "backtracking case");
	CHECK_INT_EQ(listmatch("", 0, "", 0, '/'), 1, "empty");
	CHECK_INT_EQ(listmatch("", 0, "a", 1, '/'), 0, "empty pattern");
	CHECK_INT_EQ(listmatch("%%", 2, "", 0, '/'), 1, "%% empty");
	CHECK_INT_EQ(listmatch("INBOX", 5, "inbox", 5, '/'), 0,
	    "exact octets (caller folds INBOX)");
	CHECK_INT_EQ(listmatch_children("%", 1, "a", 1, '/'), 0,
	    "% has no children match");
	CHECK_INT_EQ(listmatch_children("*", 1, "a", 1, '/'), 1, "* children");
	CHECK_INT_EQ(listmatch_children("a/%", 3, "a", 1, '/'), 1,
	    "a/% children of a");
	CHECK_INT_EQ(listmatch_children("a/%", 3, "b", 1, '/'), 0,
	    "not b");
	CHECK_INT_EQ(listmatch_children("a/", 2, "a", 1, '/'), 0,
	    "a/ matches no child");
	memset(pat, 'x', sizeof(pat));
	CHECK_INT_EQ(listmatch(pat, LISTMATCH_PATTERN_MAX + 1, "x", 1, '/'),
	    -1, "pattern too long");
	/* "*a*a*a...*b" against "aaaa...": exponential for a backtracker. */
	for (i = 0; i < LISTMATCH_PATTERN_MAX - 1; i += 2) {
		pat[i] = '*';
		pat[i + 1] = 'a';
	}
	pat[LISTMATCH_PATTERN_MAX - 1] = 'b';
	memset(name, 'a', sizeof(name));
	t0 = clock();
	CHECK_INT_EQ(listmatch(pat, LISTMATCH_PATTERN_MAX, name, sizeof(name),
	    '/'), 0, "*a*a*a...*b does not match");
	CHECK_TRUE(clock() - t0 < CLOCKS_PER_SEC, "and fast");
	name[sizeof(name) - 1] = 'b';
	CHECK_INT_EQ(listmatch(pat, LISTMATCH_PATTERN_MAX, name, sizeof(name),
	    '/'), 1, "*a*a*a...*b matches");
}

int
main(void)
{
	test_reader_basic();
	test_reader_literals();
	test_reader_limits();
	test_reader_modes();
	test_reader_idle();
	test_parse_errors();
	test_parse_preauth();
	test_parse_mailbox_cmds();
	test_parse_list();
	test_parse_append();
	test_parse_store();
	test_parse_fetch();
	test_parse_limits();
	test_parse_search();
	test_seqset();
	test_dates();
	test_strings();
	test_listmatch();
	printf("# %d commands fed octet by octet\n", bytewise_runs);
	CHECK_TRUE(bytewise_runs > 150, "many commands also fed octet by octet");
	CHECK_INT_EQ(bytewise_diffs, 0, "octet-by-octet feeding changes nothing");
	return check_done();
}
