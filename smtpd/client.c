/*
 * client.c: the SMTP client engine's session (client.h): which command
 * follows which answer, what each answer means for the recipients, and
 * when the host is given up for the next one.  Runs in the relay role.
 * The server is hostile (its replies are read by client_reply.c under
 * bounds); the job is the queue's, checked by relayproto's decoder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "smtpd/client_int.h"

static void	client_proceed(struct client *c);
static void	client_quit(struct client *c);
static void	client_set(struct client *c, size_t i, int code,
		    const char *dsn, const char *text);

struct client *
client_new(const struct client_params *p)
{
	struct client *c;
	size_t i;

	if (p->job->nrcpt < 1 || p->job->nrcpt > RELAY_RCPT_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->helo = p->helo;
	c->job = p->job;
	c->rcpt = p->rcpt;
	c->nrcpt = p->job->nrcpt;
	c->tls = p->tls;
	if (p->auth_user != NULL && p->auth_pass != NULL) {
		if (snprintf(c->auth_user, sizeof(c->auth_user), "%s",
		    p->auth_user) >= (int)sizeof(c->auth_user) ||
		    snprintf(c->auth_pass, sizeof(c->auth_pass), "%s",
		    p->auth_pass) >= (int)sizeof(c->auth_pass)) {
			client_free(c);
			return NULL;
		}
		c->has_auth = 1;
	}
	c->phase = p->implicit_tls ? CP_TLS : CP_REPLY;
	c->outcome = CLIENT_NEXT;
	c->expect[0] = CX_GREETING;
	c->expect_n = 1;
	c->bol = 1;
	for (i = 0; i < c->nrcpt; i++)
		client_set(c, i, 0, "4.4.1", "no answer from the server");
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c->auth_user, sizeof(c->auth_user));
	explicit_bzero(c->auth_pass, sizeof(c->auth_pass));
	explicit_bzero(c->out, c->outmax);
	free(c);
}

enum client_want
client_next(const struct client *c)
{
	if (c->outoff < c->outlen)
		return CLIENT_WANT_WRITE;
	switch (c->phase) {
	case CP_REPLY:
		return CLIENT_WANT_READ;
	case CP_TLS:
		return CLIENT_WANT_TLS;
	case CP_BODY:
		return CLIENT_WANT_BODY;
	default:
		return CLIENT_WANT_NOTHING;
	}
}

void
client_output(const struct client *c, const uint8_t **p, size_t *len)
{
	*p = c->out + c->outoff;
	*len = c->outlen - c->outoff;
}

void
client_output_done(struct client *c, size_t n)
{
	if (n > c->outlen - c->outoff)
		n = c->outlen - c->outoff;
	c->outoff += n;
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
}

void
client_out(struct client *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->phase == CP_OVER)
		return;
	va_start(ap, fmt);
	n = vsnprintf((char *)c->out + c->outlen, sizeof(c->out) - c->outlen,
	    fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(c->out) - c->outlen) {
		client_abort(c, "4.3.0", "internal error: command too long");
		return;
	}
	c->outlen += (size_t)n;
	if (c->outlen > c->outmax)
		c->outmax = c->outlen;
}

/* client_expect: the answer to a command just written comes next. */
static void
client_expect(struct client *c, enum client_cmd cmd, size_t idx)
{
	size_t at;

	if (c->expect_n >= CLIENT_EXPECT_MAX) {
		client_abort(c, "4.3.0", "internal error: too many commands");
		return;
	}
	at = (c->expect_head + c->expect_n) % CLIENT_EXPECT_MAX;
	c->expect[at] = (uint8_t)cmd;
	c->expect_rcpt[at] = (uint8_t)idx;
	c->expect_n++;
}

/* client_set: recipient i's result. */
static void
client_set(struct client *c, size_t i, int code, const char *dsn,
    const char *text)
{
	struct relay_rcpt_result *r = &c->res[i];

	r->status = dsn[0] == '2' ? RELAY_SENT : dsn[0] == '4' ? RELAY_TEMP :
	    RELAY_PERM;
	r->code = (uint32_t)code;
	(void)snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	(void)snprintf(r->text, sizeof(r->text), "%s", text);
}

/* client_set_reply: recipient i gets the server's answer r. */
static void
client_set_reply(struct client *c, size_t i, const struct client_reply *r)
{
	char dsn[RELAY_DSN_MAX];

	client_reply_dsn(r, dsn, sizeof(dsn));
	client_set(c, i, r->code, dsn, r->text);
}

/* client_end: the session is over; no more bytes either way. */
static void
client_end(struct client *c, enum client_outcome o)
{
	c->phase = CP_OVER;
	c->outcome = o;
	c->outoff = c->outlen = 0;
	c->expect_n = 0;
}

/* client_host_fail: this host will not take the message: every recipient
 * gets the reason (code 0 when it is ours); the caller tries the next
 * host.  After the end of the data, only the recipients the server had
 * accepted get it, as a temporary result: the message may have been
 * taken. */
static void
client_host_fail(struct client *c, int code, const char *dsn,
    const char *text)
{
	char tdsn[RELAY_DSN_MAX];
	size_t i;

	if (c->dot_sent) {
		(void)snprintf(tdsn, sizeof(tdsn), "4%s", dsn + 1);
		for (i = 0; i < c->nrcpt; i++)
			if (c->accepted[i])
				client_set(c, i, code, tdsn, text);
		client_end(c, CLIENT_DONE);
		return;
	}
	for (i = 0; i < c->nrcpt; i++)
		client_set(c, i, code, dsn, text);
	client_end(c, CLIENT_NEXT);
}

void
client_abort(struct client *c, const char *dsn, const char *text)
{
	client_host_fail(c, 0, dsn, text);
}

/* client_host_reply: the host failed us with the answer r. */
static void
client_host_reply(struct client *c, const struct client_reply *r,
    const char *what)
{
	char dsn[RELAY_DSN_MAX], text[QUEUE_TEXT_MAX];

	client_reply_dsn(r, dsn, sizeof(dsn));
	if (dsn[0] != '4' && dsn[0] != '5')
		(void)snprintf(dsn, sizeof(dsn), "4.5.0");
	if (snprintf(text, sizeof(text), "%s: %s", what, r->text) >=
	    (int)sizeof(text))
		text[sizeof(text) - 1] = '\0';
	client_host_fail(c, r->code, dsn, text);
}

/* client_auth_refused: the smarthost refused our credentials: every
 * recipient waits (the class made 4): the mail is not at fault, our
 * configuration is, and it may be fixed before the lifetime ends.  The
 * code and the server's text are kept for the administrator. */
static void
client_auth_refused(struct client *c, const struct client_reply *r)
{
	char dsn[RELAY_DSN_MAX], text[QUEUE_TEXT_MAX];

	client_reply_dsn(r, dsn, sizeof(dsn));
	dsn[0] = '4';
	if (snprintf(text, sizeof(text), "the smarthost refused AUTH: %s",
	    r->text) >= (int)sizeof(text))
		text[sizeof(text) - 1] = '\0';
	client_host_fail(c, r->code, dsn, text);
}

static void
client_ehlo(struct client *c)
{
	client_out(c, "EHLO %s\r\n", c->helo);
	client_expect(c, CX_EHLO, 0);
}

static void
client_quit(struct client *c)
{
	client_out(c, "QUIT\r\n");
	client_expect(c, CX_QUIT, 0);
}

/* client_rcpt_cmd: RCPT for recipient i. */
static void
client_rcpt_cmd(struct client *c, size_t i)
{
	const struct relay_rcpt *r = &c->rcpt[i];
	static const char *const nw[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	char notify[64];
	size_t k, n = 0;

	notify[0] = '\0';
	for (k = 0; k < 4; k++)
		if (r->notify & (1u << k))
			n += (size_t)snprintf(notify + n, sizeof(notify) - n,
			    "%s%s", n > 0 ? "," : "", nw[k]);
	if (!(c->caps & CLIENT_CAP_DSN))
		client_out(c, "RCPT TO:<%s>\r\n", r->address);
	else
		client_out(c, "RCPT TO:<%s>%s%s%s%s\r\n", r->address,
		    notify[0] != '\0' ? " NOTIFY=" : "", notify,
		    r->orcpt[0] != '\0' ? " ORCPT=" : "", r->orcpt);
	client_expect(c, CX_RCPT, i);
}

static void
client_mail_cmd(struct client *c)
{
	const struct relay_job *j = c->job;
	char size[32] = "";
	int dsn = (c->caps & CLIENT_CAP_DSN) != 0;

	if (c->caps & CLIENT_CAP_SIZE)
		(void)snprintf(size, sizeof(size), " SIZE=%llu",
		    (unsigned long long)j->size);
	client_out(c, "MAIL FROM:<%s>%s%s%s%s%s%s%s\r\n", j->sender, size,
	    j->body == QUEUE_BODY_8BITMIME ? " BODY=8BITMIME" : "",
	    (j->flags & QUEUE_F_SMTPUTF8) ? " SMTPUTF8" : "",
	    (j->flags & QUEUE_F_REQUIRETLS) ? " REQUIRETLS" : "",
	    dsn && (j->flags & QUEUE_F_RET_FULL) ? " RET=FULL" :
	    dsn && (j->flags & QUEUE_F_RET_HDRS) ? " RET=HDRS" : "",
	    dsn && j->envid[0] != '\0' ? " ENVID=" : "",
	    dsn ? j->envid : "");
	client_expect(c, CX_MAIL, 0);
}

/* client_needs: what the message needs that the server lacks; 0 when it
 * may go, else the session ends (CLIENT_NEXT, permanent results). */
static int
client_needs(struct client *c)
{
	const struct relay_job *j = c->job;
	char text[96];

	if (j->body == QUEUE_BODY_BINARYMIME)
		client_abort(c, "5.6.3", "the message is binary (BINARYMIME) "
		    "and cannot be relayed");
	else if (j->body == QUEUE_BODY_8BITMIME &&
	    !(c->caps & CLIENT_CAP_8BITMIME))
		client_abort(c, "5.6.3", "the message needs 8BITMIME and the "
		    "server does not offer it");
	else if ((j->flags & QUEUE_F_SMTPUTF8) &&
	    !(c->caps & CLIENT_CAP_SMTPUTF8))
		client_abort(c, "5.6.7", "the message needs SMTPUTF8 and the "
		    "server does not offer it");
	else if ((j->flags & QUEUE_F_REQUIRETLS) &&
	    (!c->tls_active || !(c->caps & CLIENT_CAP_REQUIRETLS)))
		client_abort(c, "5.7.30", "the message requires TLS "
		    "(REQUIRETLS) and the server does not offer it");
	else if ((c->caps & CLIENT_CAP_SIZE) && c->size_max > 0 &&
	    j->size > c->size_max) {
		(void)snprintf(text, sizeof(text), "the message is bigger "
		    "than the server takes (SIZE %llu)",
		    (unsigned long long)c->size_max);
		client_abort(c, "5.3.4", text);
	} else
		return 0;
	return -1;
}

/* client_transaction: MAIL, and with PIPELINING the RCPTs and DATA. */
static void
client_transaction(struct client *c)
{
	size_t i;

	if (client_needs(c) == -1)
		return;
	client_mail_cmd(c);
	if (!(c->caps & CLIENT_CAP_PIPELINING))
		return;
	for (i = 0; i < c->nrcpt; i++)
		client_rcpt_cmd(c, i);
	c->next_rcpt = c->nrcpt;
	client_out(c, "DATA\r\n");
	client_expect(c, CX_DATA, 0);
}

/* client_auth: AUTH PLAIN with the initial response (RFC 4954, 4616). */
static void
client_auth(struct client *c)
{
	uint8_t raw[2 * CLIENT_CRED_MAX + 2];
	char b64[BASE64_LEN(sizeof(raw)) + 1];
	size_t ulen = strlen(c->auth_user), plen = strlen(c->auth_pass);

	raw[0] = '\0';
	memcpy(raw + 1, c->auth_user, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, c->auth_pass, plen);
	if (base64_encode(raw, 2 + ulen + plen, b64, sizeof(b64)) == 0) {
		explicit_bzero(raw, sizeof(raw));
		client_abort(c, "4.3.0", "internal error: credentials");
		return;
	}
	client_out(c, "AUTH PLAIN %s\r\n", b64);
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b64, sizeof(b64));
	client_expect(c, CX_AUTH, 0);
	c->has_auth = 0;
}

/* client_proceed: after the server's EHLO/HELO answer (or a refused
 * STARTTLS): TLS first, then AUTH, then the transaction. */
static void
client_proceed(struct client *c)
{
	if (!c->tls_active && !c->starttls_skip && c->tls != CLIENT_TLS_NO &&
	    (c->caps & CLIENT_CAP_STARTTLS)) {
		client_out(c, "STARTTLS\r\n");
		client_expect(c, CX_STARTTLS, 0);
		return;
	}
	if (!c->tls_active && c->tls == CLIENT_TLS_MUST) {
		client_abort(c, "4.7.5", "TLS is required and the server "
		    "does not offer STARTTLS");
		return;
	}
	if (c->has_auth) {
		if (!c->tls_active)
			client_abort(c, "4.7.5", "the smarthost's credentials "
			    "are sent only over TLS");
		else if (!(c->caps & CLIENT_CAP_AUTH_PLAIN))
			client_abort(c, "4.7.8", "the smarthost does not "
			    "offer AUTH PLAIN");
		else
			client_auth(c);
		return;
	}
	client_transaction(c);
}

/* client_after_rcpts: every RCPT answered without PIPELINING. */
static void
client_after_rcpts(struct client *c)
{
	if (c->naccepted == 0) {
		client_quit(c);
		return;
	}
	client_out(c, "DATA\r\n");
	client_expect(c, CX_DATA, 0);
}

static void
client_on_greeting(struct client *c, const struct client_reply *r)
{
	if (r->code / 100 != 2) {
		client_host_reply(c, r, "greeting refused");
		return;
	}
	c->greeted = 1;
	client_ehlo(c);
}

static void
client_on_ehlo(struct client *c, enum client_cmd cmd,
    const struct client_reply *r)
{
	if (r->code / 100 == 2) {
		c->caps = cmd == CX_EHLO ? (r->caps | CLIENT_CAP_EHLO) : 0;
		c->size_max = cmd == CX_EHLO ? r->size_max : 0;
		client_proceed(c);
		return;
	}
	/* RFC 5321 §3.2: a server that does not know EHLO says 5xx. */
	if (cmd == CX_EHLO && r->code / 100 == 5 && !c->tls_active) {
		client_out(c, "HELO %s\r\n", c->helo);
		client_expect(c, CX_HELO, 0);
		return;
	}
	client_host_reply(c, r, cmd == CX_EHLO ? "EHLO refused" :
	    "HELO refused");
}

static void
client_on_starttls(struct client *c, const struct client_reply *r)
{
	if (r->code == 220) {
		c->phase = CP_TLS;
		return;
	}
	if (c->tls == CLIENT_TLS_MUST) {
		client_host_reply(c, r, "STARTTLS refused");
		return;
	}
	c->starttls_skip = 1;
	client_proceed(c);
}

static void
client_on_mail(struct client *c, const struct client_reply *r)
{
	size_t i;

	if (r->code / 100 == 2) {
		if (!(c->caps & CLIENT_CAP_PIPELINING)) {
			c->next_rcpt = 1;
			client_rcpt_cmd(c, 0);
		}
		return;
	}
	c->mail_failed = 1;
	for (i = 0; i < c->nrcpt; i++)
		client_set_reply(c, i, r);
	if (!(c->caps & CLIENT_CAP_PIPELINING))
		client_quit(c);
}

static void
client_on_rcpt(struct client *c, size_t i, const struct client_reply *r)
{
	if (!c->mail_failed) {
		if (r->code / 100 == 2) {
			c->accepted[i] = 1;
			c->naccepted++;
		} else
			client_set_reply(c, i, r);
	}
	if (c->caps & CLIENT_CAP_PIPELINING)
		return;
	if (c->next_rcpt < c->nrcpt)
		client_rcpt_cmd(c, c->next_rcpt++);
	else
		client_after_rcpts(c);
}

static void
client_on_data(struct client *c, const struct client_reply *r)
{
	size_t i;

	if (c->mail_failed || c->naccepted == 0) {
		/* RFC 2920 §3.1: the server refuses DATA then; one that
		 * would take a message without recipients is broken. */
		if (r->code == 354)
			client_end(c, CLIENT_DONE);
		else
			client_quit(c);
		return;
	}
	if (r->code == 354) {
		c->phase = CP_BODY;
		return;
	}
	for (i = 0; i < c->nrcpt; i++)
		if (c->accepted[i])
			client_set_reply(c, i, r);
	client_quit(c);
}

static void
client_on_dot(struct client *c, const struct client_reply *r)
{
	size_t i;

	for (i = 0; i < c->nrcpt; i++)
		if (c->accepted[i])
			client_set_reply(c, i, r);
	client_quit(c);
}

void
client_reply_done(struct client *c, enum client_cmd cmd, size_t idx,
    const struct client_reply *r)
{
	/* 421 at any point (RFC 5321 §3.8): the server is closing. */
	if (r->code == 421 && cmd != CX_QUIT && cmd != CX_DOT) {
		client_host_reply(c, r, "the server is closing");
		return;
	}
	/* Only DATA is answered 354; a 2xx to DATA would be a server that
	 * takes a message it has not seen. */
	if ((r->code / 100 == 3 && !(cmd == CX_DATA && r->code == 354)) ||
	    (cmd == CX_DATA && r->code / 100 == 2)) {
		client_host_reply(c, r, "unexpected reply");
		return;
	}
	switch (cmd) {
	case CX_GREETING:
		client_on_greeting(c, r);
		break;
	case CX_EHLO:
	case CX_HELO:
		client_on_ehlo(c, cmd, r);
		break;
	case CX_STARTTLS:
		client_on_starttls(c, r);
		break;
	case CX_AUTH:
		if (r->code == 235)
			client_transaction(c);
		else
			client_auth_refused(c, r);
		break;
	case CX_MAIL:
		client_on_mail(c, r);
		break;
	case CX_RCPT:
		client_on_rcpt(c, idx, r);
		break;
	case CX_DATA:
		client_on_data(c, r);
		break;
	case CX_DOT:
		client_on_dot(c, r);
		break;
	case CX_QUIT:
		client_end(c, CLIENT_DONE);
		break;
	}
}

/* client_line: one complete line (CRLF stripped) of the reply that
 * answers the head command. */
static void
client_line(struct client *c, const char *line, size_t len)
{
	const char *why = NULL;
	enum client_cmd cmd;
	size_t idx;
	int rc;

	if (c->expect_n == 0) {
		client_abort(c, "4.5.0", "the server sent data out of turn");
		return;
	}
	cmd = (enum client_cmd)c->expect[c->expect_head];
	rc = client_reply_line(&c->reply, line, len, cmd == CX_EHLO, &why);
	if (rc == -1) {
		client_abort(c, "4.5.0", why);
		return;
	}
	if (rc == 0)
		return;
	idx = c->expect_rcpt[c->expect_head];
	c->expect_head = (c->expect_head + 1) % CLIENT_EXPECT_MAX;
	c->expect_n--;
	client_reply_done(c, cmd, idx, &c->reply);
	memset(&c->reply, 0, sizeof(c->reply));
}

void
client_input(struct client *c, const uint8_t *p, size_t len)
{
	size_t i, n;

	for (i = 0; i < len && c->phase != CP_OVER; i++) {
		if (c->phase != CP_REPLY) {
			/* After STARTTLS's 220 every byte must come through
			 * TLS: plaintext left over would be an injection
			 * (CVE-2011-0411's kind). */
			client_abort(c, "4.5.0", c->phase == CP_TLS ?
			    "the server sent data after its STARTTLS answer" :
			    "the server sent data out of turn");
			return;
		}
		if (p[i] != '\n') {
			if (c->linelen >= sizeof(c->line) - 1) {
				client_abort(c, "4.5.0",
				    "reply line too long from the server");
				return;
			}
			c->line[c->linelen++] = (char)p[i];
			continue;
		}
		n = c->linelen;
		if (n > 0 && c->line[n - 1] == '\r')
			n--;
		c->line[n] = '\0';
		c->linelen = 0;
		client_line(c, c->line, n);
	}
	if (c->phase == CP_TLS && c->linelen > 0)
		client_abort(c, "4.5.0",
		    "the server sent data after its STARTTLS answer");
}

void
client_tls_done(struct client *c, int ok, const char *why)
{
	char text[QUEUE_TEXT_MAX];

	if (c->phase != CP_TLS)
		return;
	c->phase = CP_REPLY;
	if (!ok) {
		c->tls_failed = 1;
		if (why == NULL || why[0] == '\0')
			why = "no reason given";
		if (snprintf(text, sizeof(text), "TLS handshake failed: %s",
		    why) >= (int)sizeof(text))
			text[sizeof(text) - 1] = '\0';
		client_abort(c, "4.7.5", text);
		return;
	}
	c->tls_active = 1;
	c->caps = 0;
	c->size_max = 0;
	/* Implicit TLS: the greeting is next, through TLS. */
	if (c->greeted)
		client_ehlo(c);
}

int
client_tls_failed(const struct client *c)
{
	return c->tls_failed;
}

/* client_compact: move the bytes not yet sent to the buffer's start. */
static void
client_compact(struct client *c)
{
	if (c->outoff == 0)
		return;
	memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
	c->outlen -= c->outoff;
	c->outoff = 0;
}

void
client_body(struct client *c, const uint8_t *p, size_t len)
{
	if (c->phase != CP_BODY)
		return;
	client_compact(c);
	client_data_stuff(c, p, len);
}

void
client_body_end(struct client *c)
{
	if (c->phase != CP_BODY)
		return;
	client_compact(c);
	client_data_end(c);
	if (c->phase != CP_BODY)
		return;
	c->phase = CP_REPLY;
	c->dot_sent = 1;
	client_expect(c, CX_DOT, 0);
}

void
client_fail(struct client *c, const char *why)
{
	char text[QUEUE_TEXT_MAX];

	if (c->phase == CP_OVER)
		return;
	if (c->expect_n > 0 && c->expect[c->expect_head] == CX_QUIT) {
		client_end(c, CLIENT_DONE);
		return;
	}
	(void)snprintf(text, sizeof(text), "%s while %s", why,
	    client_state_name(c));
	client_abort(c, "4.4.2", text);
}

int64_t
client_timeout_ms(const struct client *c)
{
	const int64_t min = 60 * 1000;

	if (c->phase == CP_BODY || (c->outoff < c->outlen && c->dot_sent &&
	    c->expect_n > 0 && c->expect[c->expect_head] == CX_DOT))
		return 3 * min;
	if (c->expect_n == 0)
		return 5 * min;
	switch (c->expect[c->expect_head]) {
	case CX_QUIT:
		/* RFC 5321 gives none; the answers are with the queue
		 * already, and a server that stalls here would hold the
		 * relay process for nothing. */
		return 10 * 1000;
	case CX_DATA:
		return 2 * min;
	case CX_DOT:
		return 10 * min;
	default:
		return 5 * min;
	}
}

enum client_outcome
client_outcome(const struct client *c)
{
	return c->outcome;
}

const struct relay_rcpt_result *
client_result(const struct client *c, size_t i)
{
	return &c->res[i < c->nrcpt ? i : 0];
}

unsigned
client_caps(const struct client *c)
{
	return c->caps;
}

uint64_t
client_size_max(const struct client *c)
{
	return c->size_max;
}

int
client_data_sent(const struct client *c)
{
	return c->dot_sent && c->outoff == c->outlen;
}

/* Every QUIT the engine sends follows the transaction's answer (or its
 * end without one: no recipient accepted, MAIL refused). */
int
client_answered(const struct client *c)
{
	if (c->phase == CP_OVER)
		return c->outcome == CLIENT_DONE;
	return c->expect_n > 0 && c->expect[c->expect_head] == CX_QUIT;
}

int
client_greeted(const struct client *c)
{
	return c->greeted;
}

const char *
client_state_name(const struct client *c)
{
	static const char *const names[] = {
		"waiting for the greeting", "waiting for the EHLO answer",
		"waiting for the HELO answer",
		"waiting for the STARTTLS answer",
		"waiting for the AUTH answer", "waiting for the MAIL answer",
		"waiting for a RCPT answer", "waiting for the DATA answer",
		"waiting for the answer to the end of data",
		"waiting for the QUIT answer"
	};

	switch (c->phase) {
	case CP_TLS:
		return "in the TLS handshake";
	case CP_BODY:
		return "sending the message";
	case CP_OVER:
		return "after the session";
	default:
		break;
	}
	if (c->expect_n == 0)
		return "sending";
	return names[c->expect[c->expect_head]];
}
