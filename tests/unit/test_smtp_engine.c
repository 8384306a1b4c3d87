/*
 * test_smtp_engine.c: unit test of smtpd's SMTP engine (smtpd/engine.c)
 * driven as skel_net drives it: client bytes in, whole or in small
 * pieces, unused bytes kept for the next feed, every ask answered with a
 * verdict from the test's list, every frame decoded with the monitor's
 * decoders (smtpmsg.h).  Checks the replies, the frames asked and told,
 * the message octets, and what STARTTLS drops.  Runs as a plain program.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/authproto.h"
#include "common/base64.h"
#include "common/config.h"
#include "common/util.h"
#include "smtpd/engine.h"
#include "smtpd/smtpmsg.h"
#include "tests/unit/check.h"

#define BIG	(256 * 1024)

/* One client session, as the net role and the broker would see it. */
struct sess {
	void		*st;
	unsigned char	 in[BIG];	/* fed, not yet used */
	size_t		 inlen;
	char		 out[BIG];	/* every reply */
	size_t		 outlen;
	char		 ev[BIG];	/* the frames, one line each */
	size_t		 evlen;
	unsigned char	 msg[BIG];	/* DATA frames' octets */
	size_t		 msglen;
	int		 closed;
	int		 tls;		/* STARTTLS done */
	size_t		 dropped;	/* plaintext STARTTLS dropped */
	uint32_t	 verdicts[32];	/* answers to asks, in order */
	int		 nverdicts, nextv;
	uint32_t	 logins[8];	/* login results, in order */
	int		 nlogins, nextl;
	int		 bad;		/* a contract violation */
};

static void
ev(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ev(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->ev + s->evlen, sizeof(s->ev) - s->evlen, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(s->ev) - s->evlen)
		s->evlen += (size_t)n;
}

static void
take_output(struct sess *s)
{
	const char *o;
	size_t n;

	o = smtp_engine.output(s->st, &n);
	if (n > 0 && s->outlen + n < sizeof(s->out)) {
		memcpy(s->out + s->outlen, o, n);
		s->outlen += n;
		s->out[s->outlen] = '\0';
	}
}

/* record: decode the frame of an ask or tell as the broker would. */
static int
record(struct sess *s)
{
	const struct frame *f0 = smtp_engine.ask(s->st);
	struct smtpmsg_mail m;
	struct smtpmsg_rcpt r;
	struct smtpmsg_end e;
	struct frame f;
	const uint8_t *p;
	size_t n;

	if (frame_parse(&f, f0->buf, f0->len) == -1) {
		s->bad = 1;
		return -1;
	}
	switch (f.type) {
	case MSG_SMTP_MAIL:
		if (smtpmsg_mail_decode(&f, &m) == -1)
			break;
		ev(s, "MAIL %s helo=%s tls=%s from=<%s> size=%llu body=%u "
		    "flags=%u envid=%s\n", m.proto, m.helo, m.tls, m.sender,
		    (unsigned long long)m.size, m.body, m.flags, m.envid);
		return f.type;
	case MSG_SMTP_RCPT:
		if (smtpmsg_rcpt_decode(&f, &r) == -1)
			break;
		ev(s, "RCPT <%s> notify=%u orcpt=%s\n", r.addr, r.notify,
		    r.orcpt);
		return f.type;
	case MSG_SMTP_DATA:
		if (smtpmsg_data_decode(&f, &p, &n) == -1 ||
		    s->msglen + n > sizeof(s->msg))
			break;
		memcpy(s->msg + s->msglen, p, n);
		s->msglen += n;
		if (s->evlen < 5 || strcmp(s->ev + s->evlen - 5, "DATA\n") != 0)
			ev(s, "DATA\n");
		return f.type;
	case MSG_SMTP_END:
		if (smtpmsg_end_decode(&f, &e) == -1)
			break;
		ev(s, "END how=%u bytes=%llu\n", e.how,
		    (unsigned long long)e.bytes);
		return f.type;
	case MSG_SMTP_RSET:
		if (smtpmsg_rset_decode(&f) == -1)
			break;
		ev(s, "RSET\n");
		return f.type;
	}
	s->bad = 1;
	return -1;
}

static int
answer(struct sess *s, int type)
{
	struct smtpmsg_answer a;
	struct frame f, g;

	memset(&a, 0, sizeof(a));
	a.verdict = s->nextv < s->nverdicts ? s->verdicts[s->nextv++] :
	    SMTPV_OK;
	if (type == MSG_SMTP_END)
		strcpy(a.text, "0123456789abcdef");
	if (smtpmsg_answer_encode(&f, type, &a) == -1 ||
	    frame_parse(&g, f.buf, f.len) == -1) {
		s->bad = 1;
		return SKEL_QUIT;
	}
	return smtp_engine.answer(s->st, &g);
}

static int
login(struct sess *s)
{
	const struct role_login *l = smtp_engine.login(s->st);
	uint32_t st = s->nextl < s->nlogins ? s->logins[s->nextl++] :
	    AUTH_OK;

	ev(s, "LOGIN %s %s %.*s\n", l->mech, l->user, (int)l->secretlen,
	    (const char *)l->secret);
	return smtp_engine.login_result(s->st, st);
}

/* act: what skel_net does with an action. */
static void
act(struct sess *s, int a)
{
	size_t n;
	int type;

	switch (a) {
	case SKEL_LOGIN:
		a = login(s);
		if (smtp_engine.login(s->st)->secretlen != 0)
			s->bad = 1;
		break;
	case SKEL_ASK:
		if ((type = record(s)) == -1)
			return;
		a = answer(s, type);
		break;
	case SKEL_TELL:
		record(s);
		(void)smtp_engine.output(s->st, &n);
		if (n != 0)
			s->bad = 1;
		return;
	case SKEL_STARTTLS:
		take_output(s);
		s->dropped = s->inlen;
		s->inlen = 0;
		s->tls = 1;
		smtp_engine.tls_started(s->st, "TLSv1.3 TEST");
		(void)smtp_engine.output(s->st, &n);
		if (n != 0)
			s->bad = 1;
		return;
	}
	take_output(s);
	if (a == SKEL_QUIT)
		s->closed = 1;
}

/* pump: feed what is buffered until the engine needs more. */
static void
pump(struct sess *s)
{
	size_t used, n;
	int a;

	while (!s->closed && s->inlen > 0 && !s->bad) {
		used = smtp_engine.feed(s->st, s->in, s->inlen, &a);
		if (used > s->inlen) {
			s->bad = 1;
			return;
		}
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
		if (a == SKEL_MORE) {
			(void)smtp_engine.output(s->st, &n);
			if (n != 0)
				s->bad = 1;
			if (used == 0)
				return;
			continue;
		}
		act(s, a);
	}
}

/* push: client bytes arrive, step octets at a time (0: all at once). */
static void
push(struct sess *s, const void *p, size_t n, size_t step)
{
	const unsigned char *b = p;
	size_t k;

	if (step == 0)
		step = n;
	while (n > 0 && !s->closed) {
		k = n < step ? n : step;
		if (s->inlen + k > sizeof(s->in)) {
			s->bad = 1;
			return;
		}
		memcpy(s->in + s->inlen, b, k);
		s->inlen += k;
		b += k;
		n -= k;
		pump(s);
	}
}

static void
says(struct sess *s, const char *text, size_t step)
{
	push(s, text, strlen(text), step);
}

static struct config cfg;

/* open_sess: port 465 (implicit TLS) or 25; the greeting is taken. */
static struct sess *
open_sess(int submission)
{
	struct sess *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->st = calloc(1, smtp_engine.state_size)) == NULL)
		abort();
	smtp_engine.configure(s->st, &cfg, submission);
	if (submission)
		smtp_engine.tls_started(s->st, "TLSv1.3 IMPLICIT");
	smtp_engine.init(s->st);
	take_output(s);
	return s;
}

static void
close_sess(struct sess *s)
{
	smtp_engine.wipe(s->st);
	free(s->st);
	free(s);
}

/* reset_out: forget the replies and frames so far. */
static void
reset_out(struct sess *s)
{
	s->outlen = 0;
	s->out[0] = '\0';
	s->evlen = 0;
	s->ev[0] = '\0';
	s->msglen = 0;
}

static void
verdicts(struct sess *s, int n, const uint32_t *v)
{
	memcpy(s->verdicts, v, (size_t)n * sizeof(*v));
	s->nverdicts = n;
	s->nextv = 0;
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
test_greeting_ehlo(void)
{
	struct sess *s = open_sess(0);

	CHECK_STR_EQ(s->out, "220 mx.example.org ESMTP postern\r\n",
	    "greeting");
	reset_out(s);
	says(s, "EHLO client.example\r\n", 0);
	CHECK_TRUE(strncmp(s->out, "250-mx.example.org\r\n", 20) == 0,
	    "EHLO first line");
	CHECK_TRUE(has(s->out, "250-PIPELINING\r\n") &&
	    has(s->out, "250-SIZE 1000000\r\n") &&
	    has(s->out, "250-8BITMIME\r\n") && has(s->out, "250-CHUNKING\r\n") &&
	    has(s->out, "250-DSN\r\n") && has(s->out, "250-SMTPUTF8\r\n") &&
	    has(s->out, "250 ENHANCEDSTATUSCODES\r\n"), "EHLO keywords");
	CHECK_TRUE(has(s->out, "250-STARTTLS\r\n"), "STARTTLS before TLS");
	CHECK_TRUE(!has(s->out, "REQUIRETLS"), "no REQUIRETLS in plaintext");
	CHECK_TRUE(!has(s->out, "AUTH"), "no AUTH on port 25");
	reset_out(s);
	says(s, "HELO client.example\r\n", 0);
	CHECK_STR_EQ(s->out, "250 mx.example.org\r\n", "HELO");
	reset_out(s);
	says(s, "NOOP\r\nVRFY root\r\nEXPN staff\r\nHELP\r\n", 0);
	CHECK_STR_EQ(s->out, "250 2.0.0 Ok\r\n"
	    "252 2.5.0 Cannot VRFY user, but will accept message and attempt "
	    "delivery\r\n502 5.5.1 EXPN not available\r\n"
	    "214 2.0.0 See RFC 5321\r\n", "NOOP VRFY EXPN HELP");
	reset_out(s);
	says(s, "quit\r\nNOOP\r\n", 0);
	CHECK_STR_EQ(s->out, "221 2.0.0 Bye\r\n", "QUIT, nothing after");
	CHECK_INT_EQ(s->closed, 1, "QUIT closes");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
}

static const char envelope[] =
    "EHLO client.example\r\n"
    "MAIL FROM:<alice@remote.example> SIZE=60 BODY=8BITMIME\r\n"
    "RCPT TO:<bob@example.org>\r\n"
    "RCPT TO:<carol@example.org> NOTIFY=SUCCESS,FAILURE "
    "ORCPT=rfc822;carol+40example.org\r\n"
    "DATA\r\n"
    "Subject: hi\r\n\r\n..leading dot\r\n.x\r\nend\r\n.\r\n"
    "QUIT\r\n";

static void
check_envelope(struct sess *s, const char *how)
{
	char desc[128];

	snprintf(desc, sizeof(desc), "pipelined envelope replies (%s)", how);
	CHECK_STR_EQ(strstr(s->out, "250 2.1.0"), "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: queued as 0123456789abcdef\r\n"
	    "221 2.0.0 Bye\r\n", desc);
	snprintf(desc, sizeof(desc), "pipelined envelope frames (%s)", how);
	CHECK_STR_EQ(s->ev, "MAIL ESMTP helo=client.example tls= "
	    "from=<alice@remote.example> size=60 body=1 flags=0 envid=\n"
	    "RCPT <bob@example.org> notify=0 orcpt=\n"
	    "RCPT <carol@example.org> notify=6 "
	    "orcpt=rfc822;carol+40example.org\n"
	    "DATA\nEND how=0 bytes=37\n", desc);
	snprintf(desc, sizeof(desc), "message unstuffed (%s)", how);
	CHECK_TRUE(s->msglen == 37 && memcmp(s->msg, "Subject: hi\r\n\r\n"
	    ".leading dot\r\nx\r\nend\r\n", 37) == 0, desc);
	CHECK_INT_EQ(s->closed, 1, "closed after QUIT");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
}

static void
test_envelope(void)
{
	struct sess *s;
	size_t step;

	for (step = 0; step <= 7; step += 7) {
		s = open_sess(0);
		says(s, envelope, step);
		check_envelope(s, step == 0 ? "one feed" : "7 octets a time");
		close_sess(s);
	}
	s = open_sess(0);
	says(s, envelope, 1);
	check_envelope(s, "octet by octet");
	close_sess(s);
}

/* A smuggling attempt: a fake end, then a second transaction, then the
 * real end.  Only one MAIL may reach the broker. */
static void
smuggle(const char *fake, const char *desc)
{
	struct sess *s = open_sess(0);
	char buf[1024];

	snprintf(buf, sizeof(buf), "EHLO c\r\nMAIL FROM:<a@remote.example>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhello%s"
	    "MAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@example.org>\r\n"
	    "DATA\r\nFrom: admin@example.org\r\n\r\nsmuggled\r\n.\r\n"
	    "NOOP\r\n", fake);
	says(s, buf, 0);
	CHECK_INT_EQ(count(s->ev, "MAIL "), 1, desc);
	CHECK_TRUE(has(s->ev, "END how=1"), "message with bare newline "
	    "discarded");
	CHECK_TRUE(has(s->out, "554 5.6.0 Message refused: bare CR or LF"),
	    "refusal said");
	CHECK_TRUE(has(s->out, "554 5.6.0 Message refused: bare CR or LF in "
	    "message data\r\n250 2.0.0 Ok\r\n"), "the NOOP after is a command");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
}

static void
test_smuggling(void)
{
	smuggle("\n.\n", "LF.LF is not the end");
	smuggle("\n.\r\n", "LF.CRLF is not the end");
	smuggle("\r\n.\n", "CRLF.LF is not the end");
	smuggle("\r.\r", "CR.CR is not the end");
	smuggle("\r\n.\r", "CRLF.CR is not the end");
	smuggle("\r.\r\n", "CR.CRLF is not the end");
}

static void
test_data_limits(void)
{
	struct sess *s = open_sess(0);
	char *big = malloc(70000);
	size_t i;

	if (big == NULL)
		abort();
	says(s, "EHLO c\r\nMAIL FROM:<a@remote.example>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\n", 0);
	reset_out(s);
	for (i = 0; i < 2000; i++)
		says(s, "0123456789\r\n", 0);
	says(s, ".\r\nNOOP\r\n", 0);
	CHECK_STR_EQ(s->out, "552 5.3.4 Message size exceeds fixed maximum "
	    "message size\r\n250 2.0.0 Ok\r\n", "too big: read to the end");
	CHECK_STR_EQ(s->ev, "DATA\nEND how=1 bytes=24000\n",
	    "too big: discarded, counted");
	says(s, "MAIL FROM:<a@remote.example> SIZE=1000001\r\n", 0);
	CHECK_TRUE(has(s->out, "552 5.3.4"), "SIZE over the max refused");
	CHECK_TRUE(!has(s->ev, "MAIL"), "without asking");
	close_sess(s);
	/* a line longer than SMTP_DATA_LINE_MAX */
	cfg.smtp_max_message_size = 1000000;
	s = open_sess(0);
	says(s, "EHLO c\r\n", 0);
	says(s, "MAIL FROM:<a@remote.example>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\n", 0);
	reset_out(s);
	memset(big, 'a', 70000);
	push(s, big, 70000, 0);
	says(s, "\r\n.\r\n", 0);
	CHECK_STR_EQ(s->out, "554 5.6.0 Message refused: a line longer than "
	    "65536 octets\r\n", "long line refused");
	/* the empty message and a many-frame message */
	says(s, "MAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n.\r\n", 0);
	CHECK_TRUE(has(s->ev, "MAIL ESMTP helo=c tls= from=<> size=0"),
	    "null sender");
	CHECK_TRUE(has(s->ev, "END how=0 bytes=0\n"), "empty message");
	reset_out(s);
	says(s, "MAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", 0);
	for (i = 0; i < 60000; i++)
		big[i] = (i % 100 == 98) ? '\r' : (i % 100 == 99) ? '\n' : 'x';
	push(s, big, 60000, 0);
	says(s, ".\r\n", 0);
	CHECK_TRUE(s->msglen == 60000 && memcmp(s->msg, big, 60000) == 0,
	    "60000 octets through many DATA frames");
	CHECK_TRUE(has(s->ev, "END how=0 bytes=60000\n"), "all counted");
	reset_out(s);
	says(s, "MAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
	    "a\rb\r\n.\r\n", 0);
	CHECK_TRUE(has(s->out, "554 5.6.0 Message refused: bare CR"),
	    "bare CR refused");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	free(big);
	close_sess(s);
}

static void
test_errors(void)
{
	struct sess *s = open_sess(0);
	char line[3100];
	int i;

	reset_out(s);
	says(s, "RCPT TO:<b@example.org>\r\n", 0);
	CHECK_STR_EQ(s->out, "503 5.5.1 Need MAIL before RCPT\r\n",
	    "RCPT before MAIL");
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example>\r\n", 0);
	CHECK_STR_EQ(s->out, "503 5.5.1 Send HELO or EHLO first\r\n",
	    "MAIL before EHLO");
	reset_out(s);
	says(s, "EHLO c\r\n", 0);
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example>\r\nDATA\r\nRSET\r\n", 0);
	CHECK_STR_EQ(s->out, "250 2.1.0 Ok\r\n503 5.5.1 Need RCPT command\r\n"
	    "250 2.0.0 Ok\r\n", "DATA before RCPT");
	CHECK_STR_EQ(s->ev, "MAIL ESMTP helo=c tls= from=<a@b.example> "
	    "size=0 body=0 flags=0 envid=\nRSET\n", "RSET tells the broker");
	reset_out(s);
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + 3000, "\r\nNOOP\r\n", 8);
	push(s, line, 3008, 0);
	CHECK_STR_EQ(s->out, "500 5.5.6 Line too long\r\n250 2.0.0 Ok\r\n",
	    "a long line, then the next command");
	reset_out(s);
	memset(line, 'x', sizeof(line));
	memcpy(line + 3090, "\r\nNOOP\r\n", 8);
	push(s, line, 3098, 1);
	push(s, line, 3098, 0);
	CHECK_STR_EQ(s->out, "500 5.5.1 Command unrecognized\r\n250 2.0.0 Ok"
	    "\r\n500 5.5.1 Command unrecognized\r\n250 2.0.0 Ok\r\n",
	    "a long unknown line, any feeding");
	close_sess(s);
	s = open_sess(0);
	reset_out(s);
	push(s, "NO\0OP\r\n", 7, 0);
	says(s, "NOOP\n", 0);
	says(s, "NOOP\rx\r\n", 0);
	says(s, "FROB\r\n", 0);
	CHECK_STR_EQ(s->out, "500 5.5.2 Control character in command\r\n"
	    "500 5.5.2 Line must end with CRLF\r\n"
	    "500 5.5.2 Control character in command\r\n"
	    "500 5.5.1 Command unrecognized\r\n", "NUL, bare LF, CR, unknown");
	close_sess(s);
	s = open_sess(0);
	says(s, "EHLO c\r\nBOGUS\r\nBOGUS\r\nBOGUS\r\nBOGUS\r\nBOGUS\r\n"
	    "BOGUS\r\n", 0);
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example> FOO=1\r\n"
	    "MAIL FROM:<a@b.example> SIZE=1 SIZE=2\r\n"
	    "MAIL FROM:<a@b.example> SIZE\r\n"
	    "MAIL FROM:<a@b.example> BODY=9BIT\r\n", 0);
	CHECK_STR_EQ(s->out, "555 5.5.4 Unsupported parameter\r\n"
	    "501 5.5.4 Duplicate parameter\r\n"
	    "501 5.5.4 Syntax error in parameters\r\n"
	    "421 4.7.0 Too many errors\r\n", "parameters, then too many "
	    "errors");
	CHECK_INT_EQ(s->closed, 1, "closed after too many errors");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);

	s = open_sess(0);
	for (i = 0; i < 9; i++)
		says(s, "BOGUS\r\n", 0);
	CHECK_INT_EQ(s->closed, 0, "nine errors are allowed");
	says(s, "BOGUS\r\nNOOP\r\n", 0);
	CHECK_TRUE(has(s->out, "500 5.5.1 Command unrecognized\r\n421 4.7.0 "
	    "Too many errors\r\n"), "the tenth closes");
	CHECK_INT_EQ(s->closed, 1, "closed");
	close_sess(s);
}

static void
test_params(void)
{
	struct sess *s = open_sess(0);
	char envid[160];

	says(s, "EHLO c\r\n", 0);
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B1 "
	    "AUTH=<> SMTPUTF8\r\n", 0);
	CHECK_STR_EQ(s->ev, "MAIL UTF8SMTP helo=c tls= from=<a@b.example> "
	    "size=0 body=0 flags=9 envid=QQ+2B1\n", "MAIL parameters");
	reset_out(s);
	says(s, "RCPT TO:<Postmaster> NOTIFY=NEVER\r\n"
	    "RCPT TO:<b@example.org> NOTIFY=NEVER,DELAY\r\n"
	    "RCPT TO:<b@example.org> ORCPT=rfc822\r\n"
	    "RCPT TO:<b@example.org> XYZ\r\n"
	    "RCPT TO:<b@example.org> NOTIFY=DELAY NOTIFY=DELAY\r\n"
	    "RCPT TO:<\xc3\xa9l\xc3\xa8ve@example.org>\r\n", 0);
	CHECK_STR_EQ(s->out, "250 2.1.5 Ok\r\n"
	    "501 5.5.4 Syntax error in parameters\r\n"
	    "501 5.5.4 Syntax error in parameters\r\n"
	    "555 5.5.4 Unsupported parameter\r\n"
	    "501 5.5.4 Duplicate parameter\r\n250 2.1.5 Ok\r\n",
	    "RCPT parameters");
	CHECK_STR_EQ(s->ev, "RCPT <postmaster> notify=1 orcpt=\n"
	    "RCPT <\xc3\xa9l\xc3\xa8ve@example.org> notify=0 orcpt=\n",
	    "postmaster, and UTF-8 after SMTPUTF8");
	says(s, "RSET\r\n", 0);
	reset_out(s);
	memset(envid, 'e', sizeof(envid));
	memcpy(envid, "MAIL FROM:<a@b.example> ENVID=", 30);
	memcpy(envid + 30 + 101, "\r\n", 3);
	says(s, envid, 0);
	says(s, "MAIL FROM:<\xc3\xa9@b.example>\r\n", 0);
	says(s, "MAIL FROM:<a@b.example> REQUIRETLS\r\n", 0);
	says(s, "MAIL FROM:<a@b.example.>\r\n", 0);
	says(s, "MAIL FROM:<a@b.example>\r\nRCPT TO:<\xc3\xa9@example.org>\r\n",
	    0);
	CHECK_STR_EQ(s->out, "501 5.5.4 Syntax error in parameters\r\n"
	    "553 5.6.7 Non-ASCII sender address needs SMTPUTF8\r\n"
	    "530 5.7.10 REQUIRETLS needs a TLS connection\r\n"
	    "501 5.1.7 Bad sender address syntax\r\n250 2.1.0 Ok\r\n"
	    "553 5.6.7 Non-ASCII recipient address needs SMTPUTF8\r\n",
	    "ENVID too long, UTF-8 without SMTPUTF8, REQUIRETLS, trailing dot");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);

	s = open_sess(0);
	says(s, "HELO c\r\nMAIL FROM:<a@b.example> SIZE=10\r\n"
	    "MAIL FROM:<a@b.example>\r\n", 0);
	CHECK_TRUE(has(s->out, "555 5.5.4 Unsupported parameter\r\n"
	    "250 2.1.0 Ok\r\n"), "no parameters after HELO");
	CHECK_TRUE(has(s->ev, "MAIL SMTP helo=c"), "proto SMTP after HELO");
	close_sess(s);
}

/* test_policy: a DMARC refusal at the end of DATA is 550 5.7.1 with
 * the broker's reason; the next transaction goes on. */
static void
test_policy(void)
{
	static const uint32_t v[] = { SMTPV_OK, SMTPV_OK, SMTPV_POLICY,
	    SMTPV_OK, SMTPV_OK, SMTPV_OK };
	struct sess *s = open_sess(0);

	verdicts(s, 6, v);
	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<x@example.org>\r\n", 0);
	reset_out(s);
	says(s, "DATA\r\nhi\r\n.\r\n", 0);
	CHECK_STR_EQ(s->out, "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "550 5.7.1 0123456789abcdef\r\n", "the policy's refusal");
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.org>\r\n"
	    "DATA\r\nhi\r\n.\r\n", 0);
	CHECK_TRUE(has(s->out, "250 2.0.0 Ok: queued as 0123456789abcdef"),
	    "the next message goes through");
	close_sess(s);
}

static void
test_recipients(void)
{
	static const uint32_t v[] = { SMTPV_OK, SMTPV_NO_SUCH_USER,
	    SMTPV_RELAY_DENIED, SMTPV_OK, SMTPV_OK, 99, SMTPV_TEMP,
	    SMTPV_RATE_LIMIT };
	struct sess *s = open_sess(0);

	verdicts(s, 8, v);
	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\n", 0);
	reset_out(s);
	says(s, "RCPT TO:<x@example.org>\r\nRCPT TO:<y@elsewhere.example>\r\n"
	    "RCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\n"
	    "RCPT TO:<3@example.org>\r\nDATA\r\nhi\r\n.\r\n", 0);
	CHECK_STR_EQ(s->out, "550 5.1.1 No such user here\r\n"
	    "550 5.7.1 Relaying denied\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "452 4.5.3 Too many recipients\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "451 4.3.0 Try again later\r\n", "verdicts and the recipient "
	    "limit (2)");
	CHECK_TRUE(!has(s->ev, "3@example.org"), "the third not asked");
	reset_out(s);
	says(s, "MAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n"
	    "NOOP\r\n", 0);
	CHECK_STR_EQ(s->out, "451 4.3.0 Try again later\r\n"
	    "421 4.7.0 Too many messages from this address\r\n",
	    "MAIL TEMP, then RATE_LIMIT closes");
	CHECK_INT_EQ(s->closed, 1, "closed");
	close_sess(s);
}

static void
test_starttls(void)
{
	struct sess *s;

	cfg.smtp_require_tls = 1;
	s = open_sess(0);
	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\n", 0);
	CHECK_TRUE(has(s->out, "530 5.7.0 Must issue a STARTTLS command "
	    "first\r\n"), "require tls");
	reset_out(s);
	says(s, "STARTTLS\r\nMAIL FROM:<evil@b.example>\r\n"
	    "RCPT TO:<x@example.org>\r\n", 0);
	CHECK_STR_EQ(s->out, "220 2.0.0 Ready to start TLS\r\n",
	    "STARTTLS ready");
	CHECK_INT_EQ(s->tls, 1, "STARTTLS action");
	CHECK_INT_EQ(s->dropped, 53, "pipelined plaintext left for dropping");
	CHECK_STR_EQ(s->ev, "", "nothing of it reached the broker");
	says(s, "MAIL FROM:<a@b.example>\r\n", 0);
	CHECK_TRUE(has(s->out, "503 5.5.1 Send HELO or EHLO first"),
	    "EHLO forgotten after TLS");
	reset_out(s);
	says(s, "EHLO c2\r\n", 0);
	CHECK_TRUE(!has(s->out, "STARTTLS") && has(s->out, "REQUIRETLS"),
	    "EHLO over TLS");
	says(s, "STARTTLS\r\n", 0);
	CHECK_TRUE(has(s->out, "503 5.5.1 TLS already active"),
	    "no second STARTTLS");
	says(s, "MAIL FROM:<a@b.example> REQUIRETLS\r\n", 0);
	CHECK_STR_EQ(s->ev, "MAIL ESMTPS helo=c2 tls=TLSv1.3 TEST "
	    "from=<a@b.example> size=0 body=0 flags=2 envid=\n",
	    "ESMTPS, the TLS description, REQUIRETLS");
	says(s, "STARTTLS\r\n", 0);
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
	cfg.smtp_require_tls = 0;

	s = open_sess(0);
	says(s, "STARTTLS\r\nEHLO c\r\nSTARTTLS x\r\nMAIL FROM:<a@b.example>\r\n"
	    "STARTTLS\r\n", 0);
	CHECK_TRUE(has(s->out, "503 5.5.1 Send EHLO first\r\n250-") &&
	    has(s->out, "501 5.5.4 Syntax: STARTTLS\r\n250 2.1.0 Ok\r\n"
	    "503 5.5.1 MAIL transaction in progress\r\n"),
	    "STARTTLS needs EHLO, no argument, no transaction");
	close_sess(s);
}

static char *
b64(const char *s, size_t n)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	base64_encode((const uint8_t *)s, n, buf[k], sizeof(buf[k]));
	return buf[k];
}

static void
test_auth(void)
{
	struct sess *s;
	char line[1024];

	s = open_sess(1);
	says(s, "AUTH PLAIN\r\n", 0);
	CHECK_TRUE(has(s->out, "503 5.5.1 Send EHLO first"),
	    "AUTH before EHLO");
	reset_out(s);
	says(s, "EHLO c\r\n", 0);
	CHECK_TRUE(has(s->out, "250-AUTH PLAIN LOGIN\r\n") &&
	    has(s->out, "250-REQUIRETLS\r\n") && !has(s->out, "STARTTLS\r\n"),
	    "EHLO on 465");
	reset_out(s);
	says(s, "MAIL FROM:<u@example.org>\r\n", 0);
	CHECK_STR_EQ(s->out, "530 5.7.0 Authentication required\r\n",
	    "MAIL before AUTH");
	reset_out(s);
	snprintf(line, sizeof(line), "AUTH PLAIN %s\r\nMAIL FROM:<u@example.org>"
	    "\r\n", b64("\0u@example.org\0secret pw", 24));
	says(s, line, 0);
	CHECK_STR_EQ(s->ev, "LOGIN plain u@example.org secret pw\n"
	    "MAIL ESMTPSA helo=c tls=TLSv1.3 IMPLICIT from=<u@example.org> "
	    "size=0 body=0 flags=0 envid=\n", "PLAIN with initial response");
	CHECK_STR_EQ(s->out, "235 2.7.0 Authentication successful\r\n"
	    "250 2.1.0 Ok\r\n", "235, then MAIL");
	reset_out(s);
	says(s, "RSET\r\nAUTH PLAIN\r\nEHLO c\r\n", 0);
	CHECK_TRUE(has(s->out, "503 5.5.1 Already authenticated\r\n") &&
	    !has(s->out, "AUTH PLAIN LOGIN"), "no second AUTH");
	close_sess(s);

	s = open_sess(1);
	says(s, "EHLO c\r\nAUTH PLAIN\r\n", 0);
	CHECK_TRUE(has(s->out, "334 \r\n"), "PLAIN continuation");
	snprintf(line, sizeof(line), "%s\r\n", b64("u@example.org\0"
	    "u@example.org\0pw", 30));
	says(s, line, 1);
	CHECK_STR_EQ(s->ev, "LOGIN plain u@example.org pw\n",
	    "PLAIN after 334, authzid equal");
	close_sess(s);

	s = open_sess(1);
	s->logins[0] = AUTH_FAIL_PERM;
	s->logins[1] = AUTH_FAIL_TEMP;
	s->nlogins = 2;
	says(s, "EHLO c\r\nAUTH LOGIN\r\n", 0);
	reset_out(s);
	snprintf(line, sizeof(line), "%s\r\n%s\r\n", b64("u@example.org", 13),
	    b64("pw1", 3));
	says(s, line, 0);
	CHECK_STR_EQ(s->out, "334 UGFzc3dvcmQ6\r\n535 5.7.8 Authentication "
	    "credentials invalid\r\n", "LOGIN, refused");
	CHECK_STR_EQ(s->ev, "LOGIN login u@example.org pw1\n",
	    "LOGIN credentials");
	reset_out(s);
	snprintf(line, sizeof(line), "AUTH LOGIN %s\r\n%s\r\n",
	    b64("u@example.org", 13), b64("pw2", 3));
	says(s, line, 0);
	CHECK_STR_EQ(s->out, "334 UGFzc3dvcmQ6\r\n454 4.7.0 Temporary "
	    "authentication failure\r\n", "LOGIN with initial response, "
	    "temporary failure");
	CHECK_STR_EQ(s->ev, "LOGIN login u@example.org pw2\n",
	    "LOGIN initial response credentials");
	reset_out(s);
	says(s, "AUTH LOGIN\r\n*\r\n", 0);
	CHECK_STR_EQ(s->out, "334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication "
	    "cancelled\r\n", "cancelled");
	reset_out(s);
	says(s, "AUTH PLAIN !!!!\r\nNOOP\r\n", 0);
	CHECK_STR_EQ(s->out, "501 5.5.2 Malformed SASL PLAIN response\r\n"
	    "421 4.7.0 Too many authentication failures\r\n",
	    "the third failure closes");
	CHECK_INT_EQ(s->closed, 1, "closed");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);

	s = open_sess(0);
	says(s, "EHLO c\r\nAUTH PLAIN\r\nAUTH CRAM-MD5\r\n", 0);
	CHECK_TRUE(has(s->out, "502 5.5.1 AUTH not available\r\n502"),
	    "no AUTH on port 25");
	close_sess(s);
	s = open_sess(1);
	says(s, "EHLO c\r\nAUTH CRAM-MD5\r\n", 0);
	CHECK_TRUE(has(s->out, "504 5.5.4 Unrecognized authentication type"),
	    "unknown mechanism");
	close_sess(s);
}

static const char binscript[] = "EHLO c\r\nBDAT 6\r\nQUIT\r\n"
    "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\n"
    "DATA\r\nBDAT 4 LAST\r\n\n\r\0.RSET\r\n";

static void
test_bdat(void)
{
	struct sess *s;
	size_t step;
	const char *script = "EHLO c\r\nMAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<b@example.org>\r\nBDAT 7\r\nhello\r\nBDAT 0\r\n"
	    "BDAT 9 LAST\r\nworld\r\n\r\nNOOP\r\n";

	for (step = 0; step <= 3; step += 1) {
		if (step == 2)
			continue;
		s = open_sess(0);
		says(s, script, step);
		CHECK_STR_EQ(strstr(s->out, "250 2.1.0"), "250 2.1.0 Ok\r\n"
		    "250 2.1.5 Ok\r\n250 2.0.0 7 octets received\r\n"
		    "250 2.0.0 0 octets received\r\n"
		    "250 2.0.0 Ok: queued as 0123456789abcdef\r\n"
		    "250 2.0.0 Ok\r\n", "BDAT chunks, any feeding");
		CHECK_TRUE(s->msglen == 16 &&
		    memcmp(s->msg, "hello\r\nworld\r\n\r\n", 16) == 0,
		    "BDAT octets");
		CHECK_TRUE(has(s->ev, "DATA\nEND how=0 bytes=16\n"),
		    "told, then END");
		CHECK_INT_EQ(s->bad, 0, "contract kept");
		close_sess(s);
	}

	s = open_sess(0);
	push(s, binscript, sizeof(binscript) - 1, 0);
	CHECK_TRUE(has(s->out, "250 ENHANCEDSTATUSCODES\r\n"
	    "503 5.5.1 Need MAIL command\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "503 5.5.1 BINARYMIME needs BDAT\r\n"
	    "250 2.0.0 Ok: queued as 0123456789abcdef\r\n"), "BDAT discarded "
	    "when out of order, BINARYMIME only with BDAT");
	CHECK_INT_EQ(s->closed, 0, "the discarded chunk was no QUIT");
	CHECK_TRUE(s->msglen == 4 && memcmp(s->msg, "\n\r\0.", 4) == 0,
	    "BINARYMIME octets raw");
	close_sess(s);

	cfg.smtp_max_message_size = 10;
	s = open_sess(0);
	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<b@example.org>"
	    "\r\nBDAT 6\r\n1234\r\nBDAT 20\r\n01234567890123456789"
	    "BDAT 2 LAST\r\nxx"
	    "DATA\r\nRSET\r\nMAIL FROM:<a@b.example>\r\n", 0);
	CHECK_STR_EQ(strstr(s->out, "250 2.1.5 Ok\r\n") + 14,
	    "250 2.0.0 6 octets received\r\n"
	    "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
	    "503 5.5.1 A BDAT of this transaction failed, send RSET\r\n"
	    "503 5.5.1 DATA after BDAT\r\n250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n",
	    "BDAT too big, then the transaction failed until RSET");
	CHECK_TRUE(has(s->ev, "END how=1 bytes=26\nMAIL"),
	    "discarded; the RSET after it needs no frame");
	close_sess(s);
	cfg.smtp_max_message_size = 1000000;

	s = open_sess(0);
	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<b@example.org>"
	    "\r\nBDAT 3 LAST\r\na\nb", 0);
	CHECK_TRUE(has(s->out, "554 5.6.0 Message refused: bare CR or LF"),
	    "bare LF in BDAT without BINARYMIME");
	CHECK_TRUE(has(s->ev, "END how=1 bytes=3"), "discarded");
	says(s, "BDAT 1x\r\n", 0);
	CHECK_TRUE(has(s->out, "421 4.5.4 Malformed BDAT"), "bad BDAT size");
	CHECK_INT_EQ(s->closed, 1, "closes");
	close_sess(s);
}

static void
test_reset(void)
{
	struct sess *s = open_sess(0);

	says(s, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nEHLO d\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n", 1);
	CHECK_TRUE(has(s->ev, "envid=\nRSET\nMAIL ESMTP helo=d") &&
	    has(s->ev, "RCPT <b@example.org> notify=0 orcpt=\nRSET\n"),
	    "EHLO and QUIT in a transaction tell RSET");
	CHECK_TRUE(has(s->out, "250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n"), "221");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
}

static void
test_quoted(void)
{
	struct sess *s = open_sess(0);

	says(s, "EHLO c\r\nMAIL FROM:<\"x y\"@b.example>\r\n"
	    "RCPT TO:<\"a b\"@example.org>\r\nRCPT TO:<\"a@b\"@example.org>\r\n",
	    0);
	CHECK_TRUE(has(s->ev, "from=<\"x y\"@b.example>") &&
	    has(s->ev, "RCPT <\"a b\"@example.org>") &&
	    has(s->ev, "RCPT <\"a@b\"@example.org>"),
	    "quoted local parts reach the broker quoted (found by fuzz_smtp)");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
}

static void
test_more_errors(void)
{
	struct sess *s = open_sess(1);
	char line[5000];

	says(s, "EHLO\r\nHELO \r\nEHLO c\r\nAUTH\r\nAUTH PLAIN =\r\n"
	    "AUTH PLAIN a b\r\nRSET x\r\nQUIT x\r\nDATA x\r\n", 0);
	CHECK_STR_EQ(strstr(s->out, "250 ENHANCEDSTATUSCODES\r\n") + 25,
	    "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n"
	    "501 5.5.2 Malformed SASL PLAIN response\r\n"
	    "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n"
	    "501 5.5.4 Syntax: RSET\r\n501 5.5.4 Syntax: QUIT\r\n"
	    "501 5.5.4 Syntax: DATA\r\n", "argument errors");
	CHECK_TRUE(has(s->out, "501 5.5.4 Syntax: EHLO hostname\r\n"
	    "501 5.5.4 Syntax: HELO hostname\r\n"), "EHLO, HELO need a name");
	close_sess(s);

	s = open_sess(1);
	says(s, "EHLO c\r\nAUTH LOGIN\r\n", 0);
	reset_out(s);
	memset(line, 'A', sizeof(line));
	memcpy(line + 4990, "\r\nNOOP\r\n", 8);
	push(s, line, 4998, 0);
	CHECK_STR_EQ(s->out, "500 5.5.6 Line too long\r\n250 2.0.0 Ok\r\n",
	    "a SASL response too long ends the exchange");
	CHECK_STR_EQ(s->ev, "", "no login");
	says(s, "AUTH PLAIN\r\n", 0);
	snprintf(line, sizeof(line), "%s\r\n", b64("other@example.org\0"
	    "u@example.org\0pw", 34));
	says(s, line, 0);
	CHECK_TRUE(has(s->out, "334 \r\n535 5.7.8 Authentication "
	    "credentials invalid\r\n"), "authzid of another user");
	says(s, "AUTH PLAIN\r\n", 0);
	snprintf(line, sizeof(line), "%s\r\nMAIL FROM:<u@example.org>\r\n"
	    "AUTH PLAIN\r\n", b64("\0u@example.org\0pw", 17));
	says(s, line, 0);
	CHECK_TRUE(has(s->out, "235 2.7.0 Authentication successful\r\n"
	    "250 2.1.0 Ok\r\n503 5.5.1 Already authenticated\r\n"),
	    "no AUTH after the login");
	CHECK_INT_EQ(s->bad, 0, "contract kept");
	close_sess(s);
}

int
main(void)
{
	memset(&cfg, 0, sizeof(cfg));
	str_copy(cfg.hostname, "mx.example.org", sizeof(cfg.hostname));
	cfg.smtp_max_message_size = 1000000;
	cfg.smtp_max_recipients = 2;
	test_greeting_ehlo();
	test_envelope();
	test_smuggling();
	cfg.smtp_max_message_size = 20000;
	test_data_limits();
	cfg.smtp_max_message_size = 1000000;
	test_errors();
	test_params();
	test_recipients();
	test_policy();
	test_starttls();
	test_auth();
	test_bdat();
	test_reset();
	test_quoted();
	test_more_errors();
	return check_done();
}
