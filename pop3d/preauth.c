/*
 * preauth.c: the POP3 AUTHORIZATION state engine (see preauth.h).  Runs
 * in pop3d's net process on lines straight from the client, which it
 * trusts for nothing; it hands credentials to its caller and only learns
 * "ok", "try later" or "no" back, which is all it ever tells the client.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/sasl.h"
#include "common/util.h"
#include "pop3d/parse.h"
#include "pop3d/preauth.h"

static int
preauth_set(struct preauth *p, const char *text, int action)
{
	size_t n = strlen(text);

	if (n >= sizeof(p->out))
		fatalx("internal error: reply too long");
	memcpy(p->out, text, n + 1);
	p->outlen = n;
	if (action == PREAUTH_QUIT) {
		p->wait = PREAUTH_W_DONE;
		p->close = 1;
	}
	return action;
}

static int
preauth_ok(struct preauth *p, const char *text)
{
	p->errors = 0;
	return preauth_set(p, text, PREAUTH_REPLY);
}

/* preauth_err: "-ERR reason", or hang up after too many in a row. */
static int
preauth_err(struct preauth *p, const char *reason)
{
	char buf[PREAUTH_OUT_MAX];
	int n;

	if (++p->errors >= POP3_MAX_ERRORS)
		return preauth_set(p, "-ERR too many errors\r\n",
		    PREAUTH_QUIT);
	n = snprintf(buf, sizeof(buf), "-ERR %s\r\n", reason);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fatalx("internal error: error reply too long");
	return preauth_set(p, buf, PREAUTH_REPLY);
}

/* preauth_failed: a login failed; text is the reply unless that was the
 * last failure we allow. */
static int
preauth_failed(struct preauth *p, const char *reason)
{
	p->wait = PREAUTH_W_COMMAND;
	if (++p->failures >= PREAUTH_MAX_FAILURES)
		return preauth_set(p, "-ERR [AUTH] Too many failures\r\n",
		    PREAUTH_QUIT);
	return preauth_err(p, reason);
}

static void
preauth_forget(struct preauth *p)
{
	rolemsg_login_wipe(&p->cred);
}

void
preauth_init(struct preauth *p)
{
	memset(p, 0, sizeof(*p));
	pop3_line_init(&p->in, POP3_AUTH_LINE_MAX);
	p->wait = PREAUTH_W_COMMAND;
	preauth_set(p, "+OK postern POP3 server ready\r\n", PREAUTH_REPLY);
}

void
preauth_wipe(struct preauth *p)
{
	explicit_bzero(p, sizeof(*p));
}

static int
preauth_user(struct preauth *p, const struct pop3_cmd *c)
{
	if (!rolemsg_user_ok(c->arg, c->arglen))
		return preauth_err(p, "user name too long");
	memcpy(p->cred.user, c->arg, c->arglen);
	p->cred.user[c->arglen] = '\0';
	p->wait = PREAUTH_W_PASS;
	return preauth_ok(p, "+OK send PASS\r\n");
}

static int
preauth_pass(struct preauth *p, const struct pop3_cmd *c)
{
	if (c->arglen > sizeof(p->cred.secret)) {
		preauth_forget(p);
		return preauth_err(p, "password too long");
	}
	memcpy(p->cred.secret, c->arg, c->arglen);
	p->cred.secretlen = c->arglen;
	str_copy(p->cred.mech, "user", sizeof(p->cred.mech));
	p->wait = PREAUTH_W_RESULT;
	return PREAUTH_LOGIN;
}

/* preauth_plain: a SASL PLAIN response (RFC 4616) as base64. */
static int
preauth_plain(struct preauth *p, const char *b64, size_t len)
{
	char authzid[AUTH_USER_MAX];
	int rc;

	rc = sasl_plain_decode(b64, len, authzid, sizeof(authzid), p->cred.user,
	    sizeof(p->cred.user), p->cred.secret, sizeof(p->cred.secret), &p->cred.secretlen);
	explicit_bzero(authzid, sizeof(authzid));
	if (rc != 0 || !rolemsg_user_ok(p->cred.user, strlen(p->cred.user))) {
		preauth_forget(p);
		return preauth_failed(p, rc == SASL_OTHER_USER ?
		    "authorization identity must be empty or the user's own" :
		    "malformed SASL PLAIN response");
	}
	str_copy(p->cred.mech, "plain", sizeof(p->cred.mech));
	p->wait = PREAUTH_W_RESULT;
	return PREAUTH_LOGIN;
}

static int
preauth_auth(struct preauth *p, const struct pop3_cmd *c)
{
	if (c->nargs == 0) {
		p->errors = 0;
		return preauth_set(p, "+OK\r\nPLAIN\r\n.\r\n", PREAUTH_REPLY);
	}
	if (c->arglen != 5 || strncasecmp(c->arg, "PLAIN", 5) != 0)
		return preauth_err(p, "unsupported authentication mechanism");
	if (c->nargs == 1) {
		/* RFC 5034 section 4: an empty challenge is "+ ". */
		p->wait = PREAUTH_W_SASL;
		return preauth_set(p, "+ \r\n", PREAUTH_REPLY);
	}
	/* "=" is an empty initial response; PLAIN cannot be empty. */
	if (c->arg2len == 1 && c->arg2[0] == '=')
		return preauth_failed(p, "malformed SASL PLAIN response");
	return preauth_plain(p, c->arg2, c->arg2len);
}

static int
preauth_command(struct preauth *p, const char *line, size_t len)
{
	struct pop3_cmd c;
	const char *err;
	int after_user = p->wait == PREAUTH_W_PASS;

	/* RFC 1939 section 7: PASS only directly after a successful USER. */
	p->wait = PREAUTH_W_COMMAND;
	if (pop3_parse(line, len, POP3_AUTHORIZATION, &c, &err) == -1) {
		preauth_forget(p);
		return preauth_err(p, err);
	}
	if (c.verb != POP3_PASS)
		preauth_forget(p);
	switch (c.verb) {
	case POP3_CAPA:
		p->errors = 0;
		return preauth_set(p, pop3_capa(POP3_AUTHORIZATION),
		    PREAUTH_REPLY);
	case POP3_QUIT:
		return preauth_set(p, "+OK postern POP3 server signing off\r\n",
		    PREAUTH_QUIT);
	case POP3_USER:
		return preauth_user(p, &c);
	case POP3_PASS:
		if (!after_user) {
			preauth_forget(p);
			return preauth_err(p, "PASS must follow USER");
		}
		return preauth_pass(p, &c);
	case POP3_AUTH:
		return preauth_auth(p, &c);
	default:
		fatalx("internal error: verb %d in AUTHORIZATION", c.verb);
	}
}

int
preauth_line(struct preauth *p, const char *line, size_t len)
{
	switch (p->wait) {
	case PREAUTH_W_COMMAND:
	case PREAUTH_W_PASS:
		return preauth_command(p, line, len);
	case PREAUTH_W_SASL:
		p->wait = PREAUTH_W_COMMAND;
		if (len > POP3_AUTH_LINE_MAX)
			return preauth_err(p, "line too long");
		/* RFC 5034 section 4: "*" cancels the exchange. */
		if (len == 1 && line[0] == '*')
			return preauth_err(p, "authentication cancelled");
		return preauth_plain(p, line, len);
	default:
		fatalx("internal error: a line in wait state %d", p->wait);
	}
}

int
preauth_toolong(struct preauth *p)
{
	if (p->wait != PREAUTH_W_COMMAND && p->wait != PREAUTH_W_PASS &&
	    p->wait != PREAUTH_W_SASL)
		fatalx("internal error: a long line in wait state %d", p->wait);
	preauth_forget(p);
	p->wait = PREAUTH_W_COMMAND;
	return preauth_err(p, "line too long");
}

int
preauth_login_result(struct preauth *p, uint32_t status)
{
	if (p->wait != PREAUTH_W_RESULT)
		fatalx("internal error: a login result with no login "
		    "outstanding");
	preauth_forget(p);
	if (status == AUTH_OK) {
		p->wait = PREAUTH_W_DONE;
		p->out[0] = '\0';
		p->outlen = 0;
		return PREAUTH_AUTHED;
	}
	/* RFC 2449 section 8.1.2 and RFC 3206: codes, never reasons. */
	if (status == AUTH_FAIL_PERM)
		return preauth_failed(p, "[AUTH] Authentication failed");
	return preauth_failed(p, "[SYS/TEMP] Try again later");
}

size_t
preauth_feed(struct preauth *p, const unsigned char *in, size_t len,
    int *action)
{
	size_t used;

	switch (pop3_line_feed(&p->in, (const char *)in, len, &used)) {
	case POP3_LINE_OK:
		*action = preauth_line(p, p->in.buf, p->in.len);
		pop3_line_wipe(&p->in);
		break;
	case POP3_LINE_LONG:
		*action = preauth_toolong(p);
		break;
	default:
		*action = PREAUTH_MORE;
		break;
	}
	return used;
}

const char *
preauth_output(struct preauth *p, size_t *len)
{
	*len = p->outlen;
	p->outlen = 0;
	return p->out;
}
