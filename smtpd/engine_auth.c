/*
 * engine_auth.c: AUTH in smtpd's SMTP engine (RFC 4954, port 465 only):
 * PLAIN (RFC 4616, with or without an initial response) and LOGIN, taken
 * apart into the skeleton's login; the monitor decides.  Runs in smtpd's
 * net process on responses straight from the client, which it trusts for
 * nothing; every buffer that held a credential is wiped.
 */
#include <string.h>
#include <strings.h>

#include "common/authproto.h"
#include "common/base64.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/util.h"
#include "smtpd/engine_int.h"

/* base64 of "Username:" and "Password:" (RFC 4954 LOGIN, as deployed). */
#define SMTP_LOGIN_USER		"VXNlcm5hbWU6"
#define SMTP_LOGIN_PASS		"UGFzc3dvcmQ6"

/* engine_failed: a login failed, with this reply; 421 after the last. */
int
engine_failed(struct engine_state *e, const char *text)
{
	engine_forget(e);
	e->wait = SMTP_W_COMMAND;
	engine_say(e, "%s", text);
	if (++e->failures < SMTP_MAX_FAILURES)
		return SKEL_REPLY;
	return engine_quit(e, "421 4.7.0 Too many authentication failures");
}

static int
engine_login(struct engine_state *e, const char *mech)
{
	str_copy(e->cred.mech, mech, sizeof(e->cred.mech));
	e->cred.handoverlen = 0;
	e->sasl = 0;
	e->wait = SMTP_W_LOGIN;
	return SKEL_LOGIN;
}

/* engine_plain: a SASL PLAIN response (RFC 4616) in base64. */
static int
engine_plain(struct engine_state *e, const char *b64, size_t len)
{
	char authzid[AUTH_USER_MAX];
	int rc;

	rc = sasl_plain_decode(b64, len, authzid, sizeof(authzid),
	    e->cred.user, sizeof(e->cred.user), e->cred.secret,
	    sizeof(e->cred.secret), &e->cred.secretlen);
	explicit_bzero(authzid, sizeof(authzid));
	if (rc == SASL_OTHER_USER)
		return engine_failed(e, "535 5.7.8 Authentication credentials "
		    "invalid");
	if (rc != 0 || !rolemsg_user_ok(e->cred.user, strlen(e->cred.user)))
		return engine_failed(e, "501 5.5.2 Malformed SASL PLAIN "
		    "response");
	return engine_login(e, "plain");
}

/* engine_login_user: the LOGIN user name in base64; then the password
 * challenge. */
static int
engine_login_user(struct engine_state *e, const char *b64, size_t len)
{
	uint8_t buf[AUTH_USER_MAX];
	size_t n;

	if (base64_decode(b64, len, buf, sizeof(buf) - 1, &n) == -1 ||
	    !rolemsg_user_ok((const char *)buf, n) ||
	    memchr(buf, '\0', n) != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return engine_failed(e, "501 5.5.2 Malformed SASL LOGIN "
		    "response");
	}
	memcpy(e->cred.user, buf, n);
	e->cred.user[n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	e->sasl = SMTP_SASL_PASS;
	e->wait = SMTP_W_SASL;
	return engine_reply(e, "334 " SMTP_LOGIN_PASS);
}

static int
engine_login_pass(struct engine_state *e, const char *b64, size_t len)
{
	if (base64_decode(b64, len, e->cred.secret, sizeof(e->cred.secret),
	    &e->cred.secretlen) == -1 || e->cred.secretlen == 0)
		return engine_failed(e, "501 5.5.2 Malformed SASL LOGIN "
		    "response");
	return engine_login(e, "login");
}

int
engine_cmd_auth(struct engine_state *e, const char *arg, size_t n)
{
	const char *sp = memchr(arg, ' ', n), *ir = NULL;
	size_t mlen = sp != NULL ? (size_t)(sp - arg) : n, irlen = 0;

	if (!e->submission)
		return engine_error(e, "502 5.5.1 AUTH not available");
	if (n == 0)
		return engine_error(e, "501 5.5.4 Syntax: AUTH mechanism "
		    "[initial-response]");
	if (e->greet != SMTP_GREET_EHLO)
		return engine_error(e, "503 5.5.1 Send EHLO first");
	if (e->authed)
		return engine_error(e, "503 5.5.1 Already authenticated");
	if (e->mail)
		return engine_error(e, "503 5.5.1 AUTH not permitted during a "
		    "mail transaction");
	if (sp != NULL) {
		ir = sp + 1;
		irlen = n - mlen - 1;
		if (irlen == 0 || memchr(ir, ' ', irlen) != NULL)
			return engine_error(e, "501 5.5.4 Syntax: AUTH "
			    "mechanism [initial-response]");
	}
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0) {
		if (ir == NULL) {
			e->sasl = SMTP_SASL_PLAIN;
			e->wait = SMTP_W_SASL;
			return engine_reply(e, "334 ");
		}
		/* RFC 4954 4: "=" is an empty response; PLAIN has none. */
		if (irlen == 1 && ir[0] == '=')
			return engine_failed(e, "501 5.5.2 Malformed SASL "
			    "PLAIN response");
		return engine_plain(e, ir, irlen);
	}
	if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0) {
		if (ir != NULL)
			return engine_login_user(e, ir, irlen);
		e->sasl = SMTP_SASL_USER;
		e->wait = SMTP_W_SASL;
		return engine_reply(e, "334 " SMTP_LOGIN_USER);
	}
	return engine_error(e, "504 5.5.4 Unrecognized authentication type");
}

/* engine_sasl_line: the client's response to a 334. */
int
engine_sasl_line(struct engine_state *e, const char *s, size_t n)
{
	int kind = e->sasl;

	e->wait = SMTP_W_COMMAND;
	if (n == 1 && s[0] == '*') {
		engine_forget(e);
		return engine_error(e, "501 5.0.0 Authentication cancelled");
	}
	switch (kind) {
	case SMTP_SASL_PLAIN:
		return engine_plain(e, s, n);
	case SMTP_SASL_USER:
		return engine_login_user(e, s, n);
	case SMTP_SASL_PASS:
		return engine_login_pass(e, s, n);
	default:
		fatalx("internal error: SASL line in state %d", kind);
	}
}
