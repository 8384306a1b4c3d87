/*
 * test_smtp_client.c: unit test of the relay's SMTP client engine
 * (smtpd/client*.c) by scripted dialogues: what the engine writes is
 * compared with the exact commands RFC 5321 and its extensions call for,
 * and the server's answers are fed in whole, split or byte by byte.
 * Covers pipelined and plain transactions, per-recipient 4xx/5xx, all
 * recipients refused (no DATA), 421 mid-session, malformed and
 * multi-line replies, EHLO refused (HELO), STARTTLS (and plaintext
 * injected after its 220), AUTH PLAIN, DSN parameters, the capability
 * checks (8BITMIME, SMTPUTF8, REQUIRETLS, SIZE), dot-stuffing, timeouts.
 * Runs as a plain program.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/client.h"
#include "tests/unit/check.h"

static struct relay_job job;
static struct relay_rcpt rcpt[RELAY_RCPT_MAX];
static char out[200000];
static int bytewise;

static void
setup(uint32_t nrcpt)
{
	uint32_t i;

	memset(&job, 0, sizeof(job));
	memset(rcpt, 0, sizeof(rcpt));
	strcpy(job.id, "0123456789abcdef");
	strcpy(job.sender, "alice@ours.test");
	strcpy(job.domain, "example.net");
	job.size = 1234;
	job.nrcpt = nrcpt;
	for (i = 0; i < nrcpt; i++)
		snprintf(rcpt[i].address, sizeof(rcpt[i].address),
		    "r%u@example.net", i);
}

static struct client *
start(enum client_tls tls, const char *user, const char *pass)
{
	struct client_params p;

	memset(&p, 0, sizeof(p));
	p.helo = "mx.ours.test";
	p.job = &job;
	p.rcpt = rcpt;
	p.tls = tls;
	p.auth_user = user;
	p.auth_pass = pass;
	return client_new(&p);
}

/* take: everything the engine wants written now, as a string. */
static const char *
take(struct client *c)
{
	const uint8_t *p;
	size_t len, n = 0;

	while (client_next(c) == CLIENT_WANT_WRITE) {
		client_output(c, &p, &len);
		/* Sent in two parts, as a short write would. */
		if (len > 1)
			len /= 2;
		if (n + len >= sizeof(out))
			break;
		memcpy(out + n, p, len);
		n += len;
		client_output_done(c, len);
	}
	out[n] = '\0';
	return out;
}

static void
feed(struct client *c, const char *s)
{
	size_t i, len = strlen(s);

	if (!bytewise) {
		client_input(c, (const uint8_t *)s, len);
		return;
	}
	for (i = 0; i < len; i++)
		client_input(c, (const uint8_t *)s + i, 1);
}

static void
body(struct client *c, const char *s)
{
	client_body(c, (const uint8_t *)s, strlen(s));
}

#define EHLO_PLAIN	"250-mx.example.net hi\r\n250-SIZE 100000\r\n" \
			"250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
#define EHLO_PIPE	"250-mx.example.net hi\r\n250-PIPELINING\r\n" \
			"250-SIZE\r\n250 8BITMIME\r\n"

static void
test_plain(void)
{
	struct client *c;
	const struct relay_rcpt_result *r;

	setup(3);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_READ, "waits for greeting");
	CHECK_INT_EQ(client_timeout_ms(c), 300000, "greeting: 5 minutes");
	CHECK_STR_EQ(take(c), "", "nothing said before the greeting");
	CHECK_INT_EQ(client_greeted(c), 0, "not greeted yet");
	feed(c, "220 mx.example.net ESMTP\r\n");
	CHECK_INT_EQ(client_greeted(c), 1, "greeted");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n", "EHLO");
	feed(c, EHLO_PLAIN);
	CHECK_INT_EQ(client_caps(c) & CLIENT_CAP_SIZE, CLIENT_CAP_SIZE,
	    "SIZE seen");
	CHECK_TRUE(client_size_max(c) == 100000, "SIZE value");
	CHECK_INT_EQ(client_caps(c) & CLIENT_CAP_STARTTLS, 0, "no STARTTLS");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test> SIZE=1234\r\n",
	    "MAIL with SIZE");
	CHECK_INT_EQ(client_timeout_ms(c), 300000, "MAIL: 5 minutes");
	feed(c, "250 2.1.0 Ok\r\n");
	CHECK_STR_EQ(take(c), "RCPT TO:<r0@example.net>\r\n", "RCPT 0");
	feed(c, "250 2.1.5 Ok\r\n");
	CHECK_STR_EQ(take(c), "RCPT TO:<r1@example.net>\r\n", "RCPT 1");
	feed(c, "550 5.1.1 <r1@example.net>: no such user\r\n");
	CHECK_STR_EQ(take(c), "RCPT TO:<r2@example.net>\r\n", "RCPT 2");
	feed(c, "450 4.2.1 mailbox busy\r\n");
	CHECK_STR_EQ(take(c), "DATA\r\n", "DATA after an accepted RCPT");
	CHECK_INT_EQ(client_timeout_ms(c), 120000, "DATA: 2 minutes");
	feed(c, "354 go ahead\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_BODY, "wants the body");
	CHECK_INT_EQ(client_timeout_ms(c), 180000, "data block: 3 minutes");
	body(c, "Subject: x\r\n\r\nhello\r\n");
	CHECK_STR_EQ(take(c), "Subject: x\r\n\r\nhello\r\n", "body as is");
	CHECK_INT_EQ(client_data_sent(c), 0, "the body, not its end");
	client_body_end(c);
	CHECK_INT_EQ(client_data_sent(c), 0, "the end of data not yet out");
	CHECK_STR_EQ(take(c), ".\r\n", "end of data");
	CHECK_INT_EQ(client_data_sent(c), 1, "the end of data is out");
	CHECK_INT_EQ(client_answered(c), 0, "no answer yet");
	CHECK_INT_EQ(client_timeout_ms(c), 600000, "end of data: 10 minutes");
	feed(c, "250 2.0.0 Ok: queued as 12345\r\n");
	CHECK_INT_EQ(client_answered(c), 1, "answered before QUIT");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_SENT,
	    "r0 sent before QUIT");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "QUIT");
	CHECK_INT_EQ(client_answered(c), 1, "answered during QUIT");
	feed(c, "221 2.0.0 Bye\r\n");
	CHECK_INT_EQ(client_answered(c), 1, "answered at the end");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_NOTHING, "over");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "done");
	r = client_result(c, 0);
	CHECK_INT_EQ(r->status, RELAY_SENT, "r0 sent");
	CHECK_INT_EQ(r->code, 250, "r0 code");
	CHECK_STR_EQ(r->dsn, "2.0.0", "r0 dsn");
	CHECK_STR_EQ(r->text, "2.0.0 Ok: queued as 12345", "r0 text");
	r = client_result(c, 1);
	CHECK_INT_EQ(r->status, RELAY_PERM, "r1 refused");
	CHECK_INT_EQ(r->code, 550, "r1 code");
	CHECK_STR_EQ(r->dsn, "5.1.1", "r1 dsn");
	CHECK_STR_EQ(r->text, "5.1.1 <r1@example.net>: no such user",
	    "r1 text");
	r = client_result(c, 2);
	CHECK_INT_EQ(r->status, RELAY_TEMP, "r2 deferred");
	CHECK_STR_EQ(r->dsn, "4.2.1", "r2 dsn");
	client_free(c);
}

static void
test_pipelined(void)
{
	struct client *c;

	setup(2);
	job.body = QUEUE_BODY_8BITMIME;
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, EHLO_PIPE);
	CHECK_TRUE(client_size_max(c) == 0, "SIZE without a number");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test> SIZE=1234 "
	    "BODY=8BITMIME\r\nRCPT TO:<r0@example.net>\r\n"
	    "RCPT TO:<r1@example.net>\r\nDATA\r\n", "one pipelined burst");
	feed(c, "250 ok\r\n250 ok\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_READ, "still reading");
	feed(c, "452 4.5.3 too many recipients\r\n354 go\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_BODY, "body");
	body(c, "x\r\n");
	client_body_end(c);
	CHECK_STR_EQ(take(c), "x\r\n.\r\n", "body and dot");
	feed(c, "250 queued\r\n");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "QUIT");
	feed(c, "221 bye\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "done");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_SENT, "r0 sent");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "2.0.0",
	    "no enhanced code: class.0.0");
	CHECK_INT_EQ(client_result(c, 1)->status, RELAY_TEMP, "r1 452");
	CHECK_STR_EQ(client_result(c, 1)->dsn, "4.5.3", "r1 dsn");
	client_free(c);

	/* Pipelined, every recipient refused: DATA is refused, no body. */
	setup(2);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, EHLO_PIPE);
	take(c);
	feed(c, "250 ok\r\n550 5.1.1 no\r\n551 5.1.6 moved\r\n"
	    "554 5.5.1 no valid recipients\r\n");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "QUIT after the refused DATA");
	feed(c, "221 bye\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "done");
	CHECK_INT_EQ(client_result(c, 0)->code, 550, "r0 550");
	CHECK_INT_EQ(client_result(c, 1)->code, 551, "r1 551");
	CHECK_INT_EQ(client_result(c, 1)->status, RELAY_PERM, "r1 perm");
	client_free(c);

	/* Pipelined, MAIL refused: every recipient gets its answer. */
	setup(2);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, EHLO_PIPE);
	take(c);
	feed(c, "553 5.7.1 sender refused\r\n503 5.5.1 no MAIL\r\n"
	    "503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "QUIT after MAIL refused");
	feed(c, "221 bye\r\n");
	CHECK_INT_EQ(client_result(c, 0)->code, 553, "r0 MAIL's code");
	CHECK_INT_EQ(client_result(c, 1)->code, 553, "r1 MAIL's code");
	CHECK_STR_EQ(client_result(c, 1)->text, "5.7.1 sender refused",
	    "MAIL's text");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "a final answer");
	client_free(c);

	/* A broken server answering 354 with no recipient: hang up. */
	setup(1);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, EHLO_PIPE);
	take(c);
	feed(c, "250 ok\r\n550 no\r\n354 go\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_NOTHING, "no body sent");
	CHECK_INT_EQ(client_result(c, 0)->code, 550, "the RCPT answer kept");
	client_free(c);
}

static void
test_all_refused_plain(void)
{
	struct client *c;

	setup(2);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, "250 hi\r\n");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test>\r\n",
	    "MAIL without extensions");
	feed(c, "250 ok\r\n");
	take(c);
	feed(c, "550 no\r\n");
	take(c);
	feed(c, "450 later\r\n");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "no DATA: QUIT");
	feed(c, "221 bye\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "done");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_PERM, "r0 perm");
	CHECK_INT_EQ(client_result(c, 1)->status, RELAY_TEMP, "r1 temp");
	CHECK_STR_EQ(client_result(c, 1)->text, "later", "r1 text");
	client_free(c);
}

static void
test_421(void)
{
	struct client *c;
	const struct relay_rcpt_result *r;

	setup(2);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, EHLO_PLAIN);
	take(c);
	feed(c, "250 ok\r\n");
	take(c);
	feed(c, "250 ok\r\n");
	take(c);
	feed(c, "421 4.3.2 shutting down\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_NOTHING, "421 ends it");
	CHECK_STR_EQ(take(c), "", "no QUIT after 421");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next host");
	CHECK_INT_EQ(client_answered(c), 0, "421: no answer to report");
	r = client_result(c, 0);
	CHECK_INT_EQ(r->status, RELAY_TEMP, "accepted one deferred too");
	CHECK_INT_EQ(r->code, 421, "code 421");
	CHECK_STR_EQ(r->dsn, "4.3.2", "dsn");
	CHECK_TRUE(strstr(r->text, "shutting down") != NULL, "text kept");
	client_free(c);

	/* 421 as the greeting. */
	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "421 busy\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "421 greeting: next");
	client_free(c);
	/* 554 as the greeting. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "554 no service\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "554 greeting: next");
	CHECK_INT_EQ(client_greeted(c), 0, "554 is no greeting");
	CHECK_INT_EQ(client_result(c, 0)->code, 554, "554 kept");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_PERM, "554 perm");
	client_free(c);
}

/* malformed: the session fed s after the greeting ends in CLIENT_NEXT
 * with 4.5.0. */
static void
malformed(const char *s, const char *desc)
{
	struct client *c;

	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, s);
	CHECK_TRUE(client_next(c) == CLIENT_WANT_NOTHING &&
	    client_outcome(c) == CLIENT_NEXT &&
	    strcmp(client_result(c, 0)->dsn, "4.5.0") == 0 &&
	    client_result(c, 0)->status == RELAY_TEMP, desc);
	client_free(c);
}

static void
test_malformed(void)
{
	char big[CLIENT_LINE_MAX + 16];
	static char many[(CLIENT_LINES_MAX + 2) * 8];
	size_t i, n = 0;

	malformed("25O ok\r\n", "letter in the code");
	malformed("ok\r\n", "no code");
	malformed("25\r\n", "short code");
	malformed("650 what\r\n", "code 6xx");
	malformed("260 what\r\n", "second digit 6");
	malformed("250_x\r\n", "bad separator");
	malformed("250-a\r\n251 b\r\n", "codes differ across lines");
	malformed("354 what\r\n", "354 to EHLO");
	malformed("250 hi\r\n250 ok\r\n250 ok\r\n250 taken?\r\n",
	    "2xx to DATA");
	malformed("250 hi\r\n250 ok\r\n250 ok\r\n355 go\r\n",
	    "355 to DATA");
	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	big[sizeof(big) - 1] = '\0';
	malformed(big, "line too long");
	for (i = 0; i < CLIENT_LINES_MAX + 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "250-x\r\n");
	snprintf(many + n, sizeof(many) - n, "250 x\r\n");
	malformed(many, "too many lines");
}

static void
test_multiline(void)
{
	struct client *c;

	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220-first\r\n220-second\r\n220 third\r\n");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n", "multi-line greeting");
	feed(c, EHLO_PLAIN);
	take(c);
	feed(c, "250 ok\r\n");
	take(c);
	feed(c, "550-5.1.1 line one\r\n550-5.1.1 line\001two\r\n550\r\n");
	CHECK_STR_EQ(take(c), "QUIT\r\n", "QUIT");
	CHECK_STR_EQ(client_result(c, 0)->text,
	    "5.1.1 line one 5.1.1 line?two ", "lines joined, sanitized");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.1.1", "dsn");
	client_free(c);

	/* An EHLO reply whose last line is a bare "250" (found by
	 * fuzz_smtpreply: its keyword was read from before the line). */
	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, "250-hi\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
	    "250\r\n");
	CHECK_INT_EQ(client_caps(c) & (CLIENT_CAP_PIPELINING |
	    CLIENT_CAP_AUTH_PLAIN), CLIENT_CAP_PIPELINING |
	    CLIENT_CAP_AUTH_PLAIN, "bare last EHLO line: the rest kept");
	CHECK_TRUE(strncmp(take(c), "MAIL FROM:<alice@ours.test>\r\n",
	    29) == 0, "and the transaction goes on");
	client_free(c);

	/* An enhanced code of another class than the reply's is ignored. */
	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n550 4.1.1 odd\r\n");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.0.0", "class mismatch");
	client_free(c);

	/* A long text is cut, a 2 KiB line still taken. */
	{
		char line[CLIENT_LINE_MAX];

		setup(1);
		c = start(CLIENT_TLS_NO, NULL, NULL);
		feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n");
		memset(line, 'z', sizeof(line));
		memcpy(line, "550 ", 4);
		memcpy(line + sizeof(line) - 3, "\r\n", 3);
		feed(c, line);
		CHECK_INT_EQ(strlen(client_result(c, 0)->text),
		    QUEUE_TEXT_MAX - 1, "text bounded");
		CHECK_INT_EQ(client_result(c, 0)->code, 550, "long line taken");
		client_free(c);
	}
}

static void
test_helo(void)
{
	struct client *c;

	setup(1);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 old server\r\n");
	take(c);
	feed(c, "500 5.5.1 what is EHLO\r\n");
	CHECK_STR_EQ(take(c), "HELO mx.ours.test\r\n", "HELO after 5xx");
	feed(c, "250 hello\r\n");
	CHECK_INT_EQ(client_caps(c), 0, "HELO: no extension");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test>\r\n", "MAIL");
	client_free(c);

	/* 8-bit message to a HELO server: no downgrade. */
	setup(1);
	job.body = QUEUE_BODY_8BITMIME;
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 old\r\n502 no\r\n250 hello\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "8bit: next host");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.6.3", "5.6.3");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_PERM, "permanent");
	client_free(c);

	/* EHLO 4xx: next host, no HELO. */
	setup(1);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, "450 later\r\n");
	CHECK_STR_EQ(take(c), "", "no HELO after 4xx");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next");
	client_free(c);
}

static void
test_needs(void)
{
	struct client *c;

	setup(1);
	job.flags = QUEUE_F_SMTPUTF8;
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n" EHLO_PLAIN);
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.6.7", "SMTPUTF8 missing");
	client_free(c);

	setup(1);
	job.size = 100001;
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n" EHLO_PLAIN);
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.3.4", "too big for SIZE");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next host may take it");
	client_free(c);

	setup(1);
	job.flags = QUEUE_F_REQUIRETLS;
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 REQUIRETLS\r\n");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.7.30",
	    "REQUIRETLS without TLS");
	client_free(c);

	setup(1);
	job.body = QUEUE_BODY_BINARYMIME;
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n" EHLO_PLAIN);
	CHECK_STR_EQ(client_result(c, 0)->dsn, "5.6.3", "BINARYMIME");
	client_free(c);

	/* Everything offered: the parameters go out. */
	setup(2);
	job.flags = QUEUE_F_SMTPUTF8 | QUEUE_F_RET_HDRS;
	strcpy(job.envid, "QQ+2B1");
	rcpt[0].notify = 0x06;
	strcpy(rcpt[0].orcpt, "rfc822;R0@example.net");
	rcpt[1].notify = 0x01;
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250-SMTPUTF8\r\n250-DSN\r\n"
	    "250 PIPELINING\r\n");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n"
	    "MAIL FROM:<alice@ours.test> SMTPUTF8 "
	    "RET=HDRS ENVID=QQ+2B1\r\n"
	    "RCPT TO:<r0@example.net> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;R0@example.net\r\n"
	    "RCPT TO:<r1@example.net> NOTIFY=NEVER\r\nDATA\r\n",
	    "DSN parameters with DSN offered");
	client_free(c);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n"
	    "MAIL FROM:<alice@ours.test> SMTPUTF8\r\n"
	    "RCPT TO:<r0@example.net>\r\nRCPT TO:<r1@example.net>\r\n"
	    "DATA\r\n", "no DSN parameters without DSN");
	client_free(c);
}

static void
test_starttls(void)
{
	struct client *c;

	setup(1);
	job.flags = QUEUE_F_REQUIRETLS;
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n");
	take(c);
	feed(c, "250-hi\r\n250-STARTTLS\r\n250 SIZE 10\r\n");
	CHECK_STR_EQ(take(c), "STARTTLS\r\n", "STARTTLS when offered");
	feed(c, "220 2.0.0 ready\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_TLS, "handshake wanted");
	client_tls_done(c, 1, NULL);
	CHECK_INT_EQ(client_caps(c), 0, "capabilities forgotten");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n", "EHLO again");
	feed(c, "250-hi\r\n250-REQUIRETLS\r\n250 STARTTLS\r\n");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test> REQUIRETLS\r\n",
	    "no second STARTTLS; REQUIRETLS");
	client_free(c);

	/* Plaintext after the 220: an injection, the session ends. */
	setup(1);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n");
	take(c);
	feed(c, "220 ready\r\n250 injected\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_NOTHING, "injection ends");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next host");
	CHECK_TRUE(strstr(client_result(c, 0)->text, "STARTTLS") != NULL,
	    "says why");
	client_free(c);
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n");
	take(c);
	feed(c, "220 ready\r\n2");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "one byte is enough");
	client_free(c);

	/* Handshake failure. */
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n220 go\r\n");
	client_tls_done(c, 0, "no TLSA record matches");
	CHECK_INT_EQ(client_tls_failed(c), 1, "TLS failure recorded");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "4.7.5", "4.7.5");
	CHECK_STR_EQ(client_result(c, 0)->text,
	    "TLS handshake failed: no TLSA record matches",
	    "the result names why the handshake failed");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next");
	client_free(c);

	/* STARTTLS refused: opportunistic goes on in plaintext ... */
	c = start(CLIENT_TLS_TRY, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n");
	take(c);
	feed(c, "454 4.7.0 no TLS now\r\n");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test>\r\n",
	    "opportunistic: on without TLS");
	client_free(c);
	/* ... required does not. */
	c = start(CLIENT_TLS_MUST, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n");
	take(c);
	feed(c, "454 4.7.0 no TLS now\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "required: next");
	client_free(c);
	c = start(CLIENT_TLS_MUST, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "4.7.5",
	    "required, not offered");
	client_free(c);
	/* Never: not even when offered. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n"
	    "MAIL FROM:<alice@ours.test>\r\n", "TLS off: no STARTTLS");
	client_free(c);
}

static void
test_auth(void)
{
	struct client *c;

	setup(1);
	c = start(CLIENT_TLS_MUST, "user", "pass");
	feed(c, "220 hi\r\n250-hi\r\n250-AUTH LOGIN PLAIN\r\n"
	    "250 STARTTLS\r\n");
	take(c);
	feed(c, "220 go\r\n");
	client_tls_done(c, 1, NULL);
	take(c);
	feed(c, "250-hi\r\n250 AUTH=LOGIN PLAIN\r\n");
	CHECK_STR_EQ(take(c), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
	    "AUTH PLAIN with the initial response");
	feed(c, "235 2.7.0 ok\r\n");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test>\r\n",
	    "MAIL after AUTH");
	client_free(c);

	c = start(CLIENT_TLS_MUST, "user", "pass");
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n220 go\r\n");
	client_tls_done(c, 1, NULL);
	feed(c, "250-hi\r\n250 AUTH PLAIN\r\n535 5.7.8 bad credentials\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "AUTH refused");
	CHECK_INT_EQ(client_result(c, 0)->code, 535, "535 kept");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_TEMP,
	    "a refused AUTH is temporary (our credentials)");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "4.7.8", "4.7.8");
	CHECK_TRUE(strstr(client_result(c, 0)->text, "bad credentials") !=
	    NULL, "the server's text kept");
	client_free(c);

	c = start(CLIENT_TLS_MUST, "user", "pass");
	feed(c, "220 hi\r\n250-hi\r\n250 STARTTLS\r\n220 go\r\n");
	client_tls_done(c, 1, NULL);
	feed(c, "250-hi\r\n250 AUTH LOGIN\r\n");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "4.7.8", "no PLAIN offered");
	client_free(c);

	/* Never in plaintext, even with TLS merely tried. */
	c = start(CLIENT_TLS_TRY, "user", "pass");
	feed(c, "220 hi\r\n250-hi\r\n250 AUTH PLAIN\r\n");
	CHECK_TRUE(strstr(take(c), "AUTH") == NULL, "no AUTH in the clear");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "refused");
	client_free(c);
}

/* Implicit TLS (a smarthost on 465): the handshake before any byte. */
static void
test_implicit_tls(void)
{
	struct client_params p;
	struct client *c;

	setup(1);
	memset(&p, 0, sizeof(p));
	p.helo = "mx.ours.test";
	p.job = &job;
	p.rcpt = rcpt;
	p.tls = CLIENT_TLS_MUST;
	p.implicit_tls = 1;
	p.auth_user = "user";
	p.auth_pass = "pass";
	c = client_new(&p);
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_TLS, "TLS first");
	client_tls_done(c, 1, NULL);
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_READ, "then the greeting");
	feed(c, "220 hi\r\n");
	CHECK_STR_EQ(take(c), "EHLO mx.ours.test\r\n", "EHLO after it");
	feed(c, "250-hi\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
	CHECK_STR_EQ(take(c), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
	    "no STARTTLS inside TLS: AUTH");
	feed(c, "235 2.7.0 ok\r\n");
	CHECK_STR_EQ(take(c), "MAIL FROM:<alice@ours.test>\r\n",
	    "MAIL after AUTH");
	client_free(c);

	c = client_new(&p);
	client_tls_done(c, 0, "refused");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_NOTHING, "failed handshake");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "next host");
	CHECK_STR_EQ(client_result(c, 0)->dsn, "4.7.5", "4.7.5");
	CHECK_INT_EQ(client_greeted(c), 0, "never greeted");
	client_free(c);
}

static void
test_stuffing(void)
{
	struct client *c;

	setup(1);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_WRITE, "commands first");
	take(c);
	body(c, ".hello\nworld\r\n..x\r");
	CHECK_STR_EQ(take(c), "..hello\r\nworld\r\n...x", "stuffed, LF fixed");
	body(c, "\n.");
	CHECK_STR_EQ(take(c), "\r\n..", "CR LF split across chunks");
	body(c, "\rbare CR\r");
	CHECK_STR_EQ(take(c), "\r\nbare CR", "a bare CR is a line end");
	client_body_end(c);
	CHECK_STR_EQ(take(c), "\r\n.\r\n", "last line ended, dot");
	feed(c, "250 ok\r\n");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_SENT, "sent");
	client_free(c);

	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	take(c);
	body(c, "no newline");
	client_body_end(c);
	CHECK_STR_EQ(take(c), "no newline\r\n.\r\n", "unterminated last line");
	client_free(c);

	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	take(c);
	body(c, ".\r\n");
	client_body_end(c);
	CHECK_STR_EQ(take(c), "..\r\n.\r\n", "a lone dot line");
	client_free(c);
}

static void
test_failures(void)
{
	struct client *c;

	setup(2);
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n");
	client_fail(c, "timeout");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "timeout: next host");
	CHECK_STR_EQ(client_result(c, 1)->dsn, "4.4.2", "4.4.2");
	CHECK_STR_EQ(client_result(c, 1)->text,
	    "timeout while waiting for a RCPT answer", "says where");
	client_free(c);

	/* After the end of data: the accepted ones are deferred, the
	 * refused ones keep their answer, no next host. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n550 5.1.1 no\r\n"
	    "354 go\r\n");
	take(c);
	body(c, "x\r\n");
	client_body_end(c);
	take(c);
	CHECK_INT_EQ(client_answered(c), 0, "waiting for the answer");
	client_fail(c, "connection closed");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "no next host after dot");
	CHECK_INT_EQ(client_answered(c), 1, "its results are final");
	CHECK_INT_EQ(client_data_sent(c), 1, "the remote may have it");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_TEMP, "r0 deferred");
	CHECK_INT_EQ(client_result(c, 1)->code, 550, "r1 keeps 550");
	client_free(c);

	/* During QUIT: over, results kept. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n");
	take(c);
	client_body_end(c);
	take(c);
	feed(c, "250 ok\r\n");
	CHECK_INT_EQ(client_timeout_ms(c), 10000, "QUIT: 10 seconds");
	client_fail(c, "connection closed");
	CHECK_INT_EQ(client_outcome(c), CLIENT_DONE, "done");
	CHECK_INT_EQ(client_result(c, 0)->status, RELAY_SENT, "r0 sent");
	CHECK_INT_EQ(client_result(c, 1)->status, RELAY_SENT, "r1 sent");
	client_free(c);

	/* No greeting at all. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	client_fail(c, "connection closed");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "no greeting: next");
	CHECK_STR_EQ(client_result(c, 0)->text,
	    "connection closed while waiting for the greeting", "text");
	client_free(c);

	/* Out of turn: a reply nobody asked for. */
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n");
	take(c);
	feed(c, "250 what\r\n");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "data during the body");
	client_free(c);

	setup(0);
	CHECK_TRUE(start(CLIENT_TLS_NO, NULL, NULL) == NULL, "no recipient");
	setup(1);
	job.nrcpt = RELAY_RCPT_MAX + 1;
	CHECK_TRUE(start(CLIENT_TLS_NO, NULL, NULL) == NULL,
	    "too many recipients");
}

/* A full pipelined transaction of RELAY_RCPT_MAX recipients with the
 * largest parameters fits the output buffer. */
static void
test_largest(void)
{
	struct client *c;
	size_t i;

	setup(RELAY_RCPT_MAX);
	memset(job.sender, 's', QUEUE_ADDR_MAX - 1);
	memset(job.envid, 'e', QUEUE_ENVID_MAX - 1);
	for (i = 0; i < RELAY_RCPT_MAX; i++) {
		memset(rcpt[i].address, 'a', QUEUE_ADDR_MAX - 1);
		memset(rcpt[i].orcpt, 'o', QUEUE_ORCPT_MAX - 1);
		rcpt[i].notify = 0x0e;
	}
	c = start(CLIENT_TLS_NO, NULL, NULL);
	feed(c, "220 hi\r\n250-hi\r\n250-DSN\r\n250-SIZE\r\n"
	    "250 PIPELINING\r\n");
	take(c);
	CHECK_TRUE(strstr(out, "DATA\r\n") != NULL, "the whole burst fits");
	CHECK_INT_EQ(client_outcome(c), CLIENT_NEXT, "not ended yet");
	CHECK_INT_EQ(client_next(c), CLIENT_WANT_READ, "reading");
	client_free(c);
}

int
main(void)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bytewise = pass;
		printf("# %s\n", pass ? "byte by byte" : "whole replies");
		test_plain();
		test_pipelined();
		test_all_refused_plain();
		test_421();
		test_malformed();
		test_multiline();
		test_helo();
		test_needs();
		test_starttls();
		test_auth();
		test_implicit_tls();
		test_stuffing();
		test_failures();
	}
	test_largest();
	return check_done();
}
