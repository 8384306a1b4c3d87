/*
 * preauth.c: the IMAP not-authenticated state engine (see preauth.h).
 * Runs in imapd's net process on bytes straight from the client, which
 * it trusts for nothing; it hands credentials to its caller and only
 * learns "ok", "try later" or "no" back, which is all it tells the
 * client.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/util.h"
#include "common/version.h"
#include "imapd/capa.h"
#include "imapd/preauth.h"

/* imap_pre_say: append one formatted line to the output; the engine's
 * replies are short and fixed in shape, so not fitting is a bug. */
static void __attribute__((format(printf, 2, 3)))
imap_pre_say(struct imap_pre *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->out + p->outlen, sizeof(p->out) - p->outlen, fmt,
	    ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(p->out) - p->outlen)
		fatalx("internal error: pre-auth reply too long");
	p->outlen += (size_t)n;
}

static int
imap_pre_ok(struct imap_pre *p, const char *text)
{
	p->errors = 0;
	imap_pre_say(p, "%s OK %s\r\n", p->tag, text);
	return SKEL_REPLY;
}

/* imap_pre_bad: a BAD (with its tag, or "*"), or BYE after too many in a
 * row. */
static int
imap_pre_bad(struct imap_pre *p, const char *code, const char *why)
{
	imap_pre_say(p, "%s BAD %s%s%s%s\r\n", p->tag[0] ? p->tag : "*",
	    code ? "[" : "", code ? code : "", code ? "] " : "", why);
	if (++p->errors < IMAP_PRE_ERRORS)
		return SKEL_REPLY;
	imap_pre_say(p, "* BYE Too many errors\r\n");
	p->wait = IMAP_PRE_W_DONE;
	return SKEL_QUIT;
}

static void
imap_pre_forget(struct imap_pre *p)
{
	rolemsg_login_wipe(&p->cred);
}

/* imap_pre_failed: a login failed (NO with code and text), or BYE after
 * the last failure we allow. */
static int
imap_pre_failed(struct imap_pre *p, const char *code, const char *text)
{
	imap_pre_forget(p);
	p->wait = IMAP_PRE_W_COMMAND;
	imap_pre_say(p, "%s NO [%s] %s\r\n", p->tag, code, text);
	if (++p->failures < IMAP_PRE_FAILURES)
		return SKEL_REPLY;
	imap_pre_say(p, "* BYE Too many failed logins\r\n");
	p->wait = IMAP_PRE_W_DONE;
	return SKEL_QUIT;
}

/* imap_pre_ask: credentials complete: the caller asks the monitor; the
 * tag goes with them to the mail role. */
static int
imap_pre_ask(struct imap_pre *p, const char *mech)
{
	str_copy(p->cred.mech, mech, sizeof(p->cred.mech));
	p->cred.handoverlen = strlen(p->tag);
	memcpy(p->cred.handover, p->tag, p->cred.handoverlen);
	p->wait = IMAP_PRE_W_RESULT;
	return SKEL_LOGIN;
}

static int
imap_pre_login(struct imap_pre *p, const struct imap_cmd *c)
{
	long n;

	if (imap_str_copy(&c->u.login.user, p->cred.user,
	    sizeof(p->cred.user)) <= 0 || !rolemsg_user_ok(p->cred.user, strlen(p->cred.user)))
		return imap_pre_failed(p, "AUTHENTICATIONFAILED",
		    "Authentication failed");
	n = imap_str_copy(&c->u.login.pass, (char *)p->cred.secret,
	    sizeof(p->cred.secret));
	if (n <= 0)
		return imap_pre_failed(p, "AUTHENTICATIONFAILED",
		    "Authentication failed");
	p->cred.secretlen = (size_t)n;
	return imap_pre_ask(p, "login");
}

/* imap_pre_plain: a SASL PLAIN response (RFC 4616) in base64. */
static int
imap_pre_plain(struct imap_pre *p, const char *b64, size_t len)
{
	char authzid[AUTH_USER_MAX];
	int rc;

	rc = sasl_plain_decode(b64, len, authzid, sizeof(authzid),
	    p->cred.user, sizeof(p->cred.user), p->cred.secret,
	    sizeof(p->cred.secret), &p->cred.secretlen);
	explicit_bzero(authzid, sizeof(authzid));
	if (rc != 0 || !rolemsg_user_ok(p->cred.user, strlen(p->cred.user)))
		return imap_pre_failed(p, "AUTHENTICATIONFAILED",
		    rc == SASL_OTHER_USER ? "Authorization identity must be "
		    "empty or the user's own" : "Malformed SASL PLAIN response");
	return imap_pre_ask(p, "plain");
}

static int
imap_pre_authenticate(struct imap_pre *p, const struct imap_cmd *c)
{
	const struct imap_str *ir = &c->u.auth.ir;

	if (!imap_str_eq(&c->u.auth.mech, "PLAIN"))
		return imap_pre_failed(p, "CANNOT",
		    "Unsupported authentication mechanism");
	if (ir->kind == IMAP_STR_NONE) {
		/* RFC 3501 6.2.2: an empty challenge, then one line. */
		p->wait = IMAP_PRE_W_SASL;
		imap_reader_line_mode(&p->rd, 1);
		imap_pre_say(p, "+ \r\n");
		return SKEL_REPLY;
	}
	/* RFC 4959: "=" is an empty initial response; PLAIN has none. */
	if (ir->len == 1 && ir->p[0] == '=')
		return imap_pre_failed(p, "AUTHENTICATIONFAILED",
		    "Malformed SASL PLAIN response");
	return imap_pre_plain(p, ir->p, ir->len);
}

static int
imap_pre_id(struct imap_pre *p)
{
	imap_pre_say(p, "* ID (\"name\" \"postern\" \"version\" \"%s\")\r\n",
	    POSTERN_VERSION);
	return imap_pre_ok(p, "ID completed");
}

static int
imap_pre_command(struct imap_pre *p)
{
	struct imap_cmd *c = &p->cmd;
	int rc;

	rc = imap_parse(p->rd.buf, p->rd.len, p->rd.lits, p->rd.nlits,
	    IMAP_S_NOTAUTH, 0, c);
	str_copy(p->tag, c->tag, sizeof(p->tag));
	if (rc != IMAP_PARSE_OK)
		return imap_pre_bad(p, c->code, c->err);
	switch (c->verb) {
	case IMAP_CAPABILITY:
		imap_pre_say(p, "* CAPABILITY " IMAP_CAPA_PREAUTH "\r\n");
		return imap_pre_ok(p, "CAPABILITY completed");
	case IMAP_NOOP:
		return imap_pre_ok(p, "NOOP completed");
	case IMAP_LOGOUT:
		imap_pre_say(p, "* BYE postern IMAP server signing off\r\n");
		imap_pre_say(p, "%s OK LOGOUT completed\r\n", p->tag);
		p->wait = IMAP_PRE_W_DONE;
		return SKEL_QUIT;
	case IMAP_ID:
		return imap_pre_id(p);
	case IMAP_LOGIN:
		return imap_pre_login(p, c);
	case IMAP_AUTHENTICATE:
		return imap_pre_authenticate(p, c);
	default:
		return imap_pre_bad(p, NULL, "Log in first");
	}
}

/* imap_pre_sasl_line: the client's answer to the "+ " of AUTHENTICATE. */
static int
imap_pre_sasl_line(struct imap_pre *p)
{
	imap_reader_line_mode(&p->rd, 0);
	p->wait = IMAP_PRE_W_COMMAND;
	/* RFC 3501 6.2.2: "*" cancels the exchange, with a tagged BAD. */
	if (p->rd.len == 1 && p->rd.buf[0] == '*')
		return imap_pre_bad(p, NULL, "Authentication cancelled");
	return imap_pre_plain(p, p->rd.buf, p->rd.len);
}

/* imap_pre_dropped: the reader dropped a command (too long, a literal
 * too big): BAD with its tag when one can be read. */
static int
imap_pre_dropped(struct imap_pre *p, int ev)
{
	if (p->wait == IMAP_PRE_W_SASL) {
		imap_reader_line_mode(&p->rd, 0);
		p->wait = IMAP_PRE_W_COMMAND;
	} else if (imap_parse_tag(p->rd.buf, p->rd.len, p->tag) == -1)
		p->tag[0] = '\0';
	return imap_pre_bad(p, ev == IMAP_RD_TOOBIG ? "TOOBIG" : NULL,
	    p->rd.why);
}

size_t
imap_pre_feed(struct imap_pre *p, const unsigned char *in, size_t len,
    int *action)
{
	size_t used = 0;
	int ev;

	if (p->wait != IMAP_PRE_W_COMMAND && p->wait != IMAP_PRE_W_SASL)
		fatalx("internal error: input in pre-auth wait state %d",
		    p->wait);
	if (p->wait == IMAP_PRE_W_COMMAND)
		p->tag[0] = '\0';
	ev = imap_reader_feed(&p->rd, (const char *)in, len, &used);
	switch (ev) {
	case IMAP_RD_COMMAND:
		*action = imap_pre_command(p);
		break;
	case IMAP_RD_LINE:
		*action = imap_pre_sasl_line(p);
		break;
	case IMAP_RD_CONTINUE:
		imap_pre_say(p, "+ Ready for literal\r\n");
		*action = SKEL_REPLY;
		break;
	case IMAP_RD_LITERAL_BEGIN:
		/* external_max is 0 before the login: cannot happen. */
		imap_reader_refuse(&p->rd, "Literal too big");
		*action = SKEL_MORE;
		break;
	case IMAP_RD_TOOLONG:
	case IMAP_RD_TOOBIG:
		*action = imap_pre_dropped(p, ev);
		break;
	default:
		*action = SKEL_MORE;
		break;
	}
	/* The command may have held a password: gone once answered. */
	if (ev == IMAP_RD_COMMAND || ev == IMAP_RD_LINE)
		explicit_bzero(&p->cmd, sizeof(p->cmd));
	return used;
}

int
imap_pre_login_result(struct imap_pre *p, uint32_t status)
{
	if (p->wait != IMAP_PRE_W_RESULT)
		fatalx("internal error: a login result with no login "
		    "outstanding");
	imap_reader_wipe(&p->rd);
	if (status == AUTH_OK) {
		imap_pre_forget(p);
		p->wait = IMAP_PRE_W_DONE;
		p->outlen = 0;
		return SKEL_AUTHED;
	}
	/* RFC 5530 codes, never reasons. */
	if (status == AUTH_FAIL_PERM)
		return imap_pre_failed(p, "AUTHENTICATIONFAILED",
		    "Authentication failed");
	return imap_pre_failed(p, "UNAVAILABLE", "Try again later");
}

void
imap_pre_init(struct imap_pre *p)
{
	struct imap_reader_limits lim;

	memset(p, 0, sizeof(*p));
	lim.line_max = IMAP_PRE_LINE_MAX;
	lim.inline_max = IMAP_PRE_LITERAL_MAX;
	lim.external_max = 0;
	lim.plus_max = IMAP_PRE_LITERAL_MAX;
	imap_reader_init(&p->rd, p->buf, sizeof(p->buf), &lim);
	p->wait = IMAP_PRE_W_COMMAND;
	imap_pre_say(p, "* OK [CAPABILITY " IMAP_CAPA_PREAUTH "] postern "
	    "IMAP server ready\r\n");
}

const char *
imap_pre_output(struct imap_pre *p, size_t *len)
{
	*len = p->outlen;
	p->outlen = 0;
	return p->out;
}

void
imap_pre_wipe(struct imap_pre *p)
{
	explicit_bzero(p, sizeof(*p));
}

static void
imap_pa_init(void *p)
{
	imap_pre_init(p);
}

static size_t
imap_pa_feed(void *p, const unsigned char *in, size_t len, int *action)
{
	return imap_pre_feed(p, in, len, action);
}

static const struct role_login *
imap_pa_login(void *p)
{
	return &((struct imap_pre *)p)->cred;
}

static int
imap_pa_result(void *p, uint32_t status)
{
	return imap_pre_login_result(p, status);
}

static const char *
imap_pa_output(void *p, size_t *len)
{
	return imap_pre_output(p, len);
}

static void
imap_pa_wipe(void *p)
{
	imap_pre_wipe(p);
}

const struct skel_preauth imap_preauth = {
	.state_size = sizeof(struct imap_pre),
	.out_max = IMAP_PRE_OUT_MAX,
	.max_failures = IMAP_PRE_FAILURES,
	.init = imap_pa_init,
	.feed = imap_pa_feed,
	.login = imap_pa_login,
	.login_result = imap_pa_result,
	.output = imap_pa_output,
	.wipe = imap_pa_wipe,
};
