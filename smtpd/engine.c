/*
 * engine.c: smtpd's SMTP protocol engine (see engine.h for the contract
 * and the choices): the replies, the session commands, the command
 * reader, the broker's answers and the skeleton's hooks.  Runs in
 * smtpd's net process on bytes straight from the client, which it trusts
 * for nothing; the broker's answers are checked by their decoder and a
 * malformed one is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/engine_int.h"

/* engine_say: append one formatted reply line; the replies are fixed in
 * shape and bounded, so not fitting is a bug. */
void __attribute__((format(printf, 2, 3)))
engine_say(struct engine_state *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(e->out + e->outlen, sizeof(e->out) - e->outlen, fmt,
	    ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(e->out) - e->outlen - 2)
		fatalx("internal error: SMTP reply too long");
	e->outlen += (size_t)n;
	memcpy(e->out + e->outlen, "\r\n", 2);
	e->outlen += 2;
}

int
engine_reply(struct engine_state *e, const char *text)
{
	engine_say(e, "%s", text);
	return SKEL_REPLY;
}

int
engine_quit(struct engine_state *e, const char *text)
{
	engine_say(e, "%s", text);
	e->wait = SMTP_W_DONE;
	return SKEL_QUIT;
}

/* engine_error: one of the engine's own 5xx, or 421 after too many. */
int
engine_error(struct engine_state *e, const char *text)
{
	if (++e->errors >= SMTP_MAX_ERRORS)
		return engine_quit(e, "421 4.7.0 Too many errors");
	return engine_reply(e, text);
}

void
engine_forget(struct engine_state *e)
{
	rolemsg_login_wipe(&e->cred);
	e->sasl = 0;
}

/* engine_tx_reset: forget the transaction (the broker's part is the
 * caller's: see engine_rset_tell). */
void
engine_tx_reset(struct engine_state *e)
{
	e->mail = 0;
	e->body = 0;
	e->flags = 0;
	e->nrcpt = 0;
	e->mode = SMTP_MODE_NONE;
	e->bdat_failed = 0;
	e->refuse = SMTP_REFUSE_NONE;
	e->bytes = 0;
	e->prev_cr = 0;
	e->datalen = 0;
}

/* engine_rset_tell: the broker forgets its open transaction first; the
 * command that needs it runs again when its LF is fed again. */
int
engine_rset_tell(struct engine_state *e)
{
	if (smtpmsg_rset_encode(&e->frame) == -1)
		fatalx("internal error: cannot build an SMTP RSET");
	e->broker = 0;
	return SKEL_TELL;
}

/* engine_data_tell: the message octets held so far go to the broker. */
int
engine_data_tell(struct engine_state *e)
{
	if (smtpmsg_data_encode(&e->frame, e->data, e->datalen) == -1)
		fatalx("internal error: cannot build an SMTP DATA frame");
	e->datalen = 0;
	return SKEL_TELL;
}

int
engine_end_ask(struct engine_state *e)
{
	struct smtpmsg_end end;

	end.how = e->refuse ? SMTPMSG_END_ABORT : SMTPMSG_END_COMPLETE;
	end.bytes = e->bytes;
	if (smtpmsg_end_encode(&e->frame, &end) == -1)
		fatalx("internal error: cannot build an SMTP END");
	e->asked = MSG_SMTP_END;
	e->wait = SMTP_W_ANSWER;
	return SKEL_ASK;
}

static int
engine_cmd_rset(struct engine_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return engine_error(e, "501 5.5.4 Syntax: RSET");
	if (e->broker)
		return engine_rset_tell(e);
	engine_tx_reset(e);
	return engine_reply(e, "250 2.0.0 Ok");
}

static int
engine_cmd_quit(struct engine_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return engine_error(e, "501 5.5.4 Syntax: QUIT");
	if (e->broker)
		return engine_rset_tell(e);
	return engine_quit(e, "221 2.0.0 Bye");
}

static int
engine_cmd_noop(struct engine_state *e, const char *arg, size_t n)
{
	return engine_reply(e, "250 2.0.0 Ok");
}

static int
engine_cmd_vrfy(struct engine_state *e, const char *arg, size_t n)
{
	if (n == 0)
		return engine_error(e, "501 5.5.4 Syntax: VRFY address");
	return engine_reply(e, "252 2.5.0 Cannot VRFY user, but will accept "
	    "message and attempt delivery");
}

static int
engine_cmd_expn(struct engine_state *e, const char *arg, size_t n)
{
	return engine_error(e, "502 5.5.1 EXPN not available");
}

static int
engine_cmd_help(struct engine_state *e, const char *arg, size_t n)
{
	return engine_reply(e, "214 2.0.0 See RFC 5321");
}

/* ---- the session ---------------------------------------------------- */

/* engine_helo_keep: the first word of the EHLO/HELO argument, printable
 * ASCII ('?' for anything else), at most SMTPMSG_HELO_MAX octets. */
static void
engine_helo_keep(struct engine_state *e, const char *arg, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < SMTPMSG_HELO_MAX && arg[i] != ' '; i++)
		e->helo[i] = ((unsigned char)arg[i] > 0x20 &&
		    (unsigned char)arg[i] < 0x7f) ? arg[i] : '?';
	e->helo[i] = '\0';
}

static int
engine_cmd_greet(struct engine_state *e, const char *arg, size_t n, int ehlo)
{
	if (n == 0)
		return engine_error(e, ehlo ?
		    "501 5.5.4 Syntax: EHLO hostname" :
		    "501 5.5.4 Syntax: HELO hostname");
	if (e->broker)
		return engine_rset_tell(e);
	engine_tx_reset(e);
	engine_helo_keep(e, arg, n);
	if (!ehlo) {
		e->greet = SMTP_GREET_HELO;
		engine_say(e, "250 %s", e->hostname);
		return SKEL_REPLY;
	}
	e->greet = SMTP_GREET_EHLO;
	engine_say(e, "250-%s", e->hostname);
	engine_say(e, "250-PIPELINING");
	engine_say(e, "250-SIZE %llu", (unsigned long long)e->max_size);
	engine_say(e, "250-8BITMIME");
	engine_say(e, "250-BINARYMIME");
	engine_say(e, "250-CHUNKING");
	engine_say(e, "250-DSN");
	engine_say(e, "250-SMTPUTF8");
	if (!e->submission && !e->tls)
		engine_say(e, "250-STARTTLS");
	if (e->tls)
		engine_say(e, "250-REQUIRETLS");
	if (e->submission && !e->authed)
		engine_say(e, "250-AUTH PLAIN LOGIN");
	engine_say(e, "250 ENHANCEDSTATUSCODES");
	return SKEL_REPLY;
}

static int
engine_cmd_ehlo(struct engine_state *e, const char *arg, size_t n)
{
	return engine_cmd_greet(e, arg, n, 1);
}

static int
engine_cmd_helo(struct engine_state *e, const char *arg, size_t n)
{
	return engine_cmd_greet(e, arg, n, 0);
}

static int
engine_cmd_starttls(struct engine_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return engine_error(e, "501 5.5.4 Syntax: STARTTLS");
	if (e->tls)
		return engine_error(e, "503 5.5.1 TLS already active");
	if (e->submission)
		return engine_error(e, "502 5.5.1 STARTTLS not available");
	if (e->greet != SMTP_GREET_EHLO)
		return engine_error(e, "503 5.5.1 Send EHLO first");
	if (e->mail)
		return engine_error(e, "503 5.5.1 MAIL transaction in "
		    "progress");
	engine_say(e, "220 2.0.0 Ready to start TLS");
	e->wait = SMTP_W_TLS;
	return SKEL_STARTTLS;
}

/* ---- commands ------------------------------------------------------- */

struct engine_verb {
	const char	*name;
	int		(*run)(struct engine_state *, const char *, size_t);
};

/* Sorted by name (bsearch). */
static const struct engine_verb engine_verbs[] = {
	{ "AUTH", engine_cmd_auth },
	{ "BDAT", engine_cmd_bdat },
	{ "DATA", engine_cmd_data },
	{ "EHLO", engine_cmd_ehlo },
	{ "EXPN", engine_cmd_expn },
	{ "HELO", engine_cmd_helo },
	{ "HELP", engine_cmd_help },
	{ "MAIL", engine_cmd_mail },
	{ "NOOP", engine_cmd_noop },
	{ "QUIT", engine_cmd_quit },
	{ "RCPT", engine_cmd_rcpt },
	{ "RSET", engine_cmd_rset },
	{ "STARTTLS", engine_cmd_starttls },
	{ "VRFY", engine_cmd_vrfy },
};

static const struct engine_verb *
engine_verb_find(const char *s, size_t n)
{
	size_t lo = 0, hi = sizeof(engine_verbs) / sizeof(engine_verbs[0]), mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncasecmp(s, engine_verbs[mid].name, n);
		if (c == 0 && engine_verbs[mid].name[n] != '\0')
			c = -1;
		if (c == 0)
			return &engine_verbs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* engine_command: one command line, n octets without its CRLF. */
static int
engine_command(struct engine_state *e, const char *s, size_t n)
{
	const struct engine_verb *v;
	const char *sp = memchr(s, ' ', n);
	size_t vlen = sp != NULL ? (size_t)(sp - s) : n;

	if (vlen == 0 || vlen > 8 || (v = engine_verb_find(s, vlen)) == NULL)
		return engine_error(e, "500 5.5.1 Command unrecognized");
	if (n + 2 > SMTP_LINE_MAX && v->run != engine_cmd_auth)
		return engine_error(e, "500 5.5.6 Line too long");
	if (sp == NULL)
		return v->run(e, s + n, 0);
	return v->run(e, sp + 1, n - vlen - 1);
}

/* engine_line: a line is complete in e->line (its LF not included). */
static int
engine_line(struct engine_state *e)
{
	const char *why = NULL;
	size_t n = e->linelen, i;

	if (e->skipping)
		why = "500 5.5.6 Line too long";
	else if (n == 0 || e->line[n - 1] != '\r')
		why = "500 5.5.2 Line must end with CRLF";
	else
		for (i = 0, n--; i < n && why == NULL; i++)
			if ((unsigned char)e->line[i] < 0x20 ||
			    e->line[i] == 0x7f)
				why = "500 5.5.2 Control character in command";
	if (why != NULL) {
		if (e->wait == SMTP_W_SASL) {
			engine_forget(e);
			e->wait = SMTP_W_COMMAND;
		}
		return engine_error(e, why);
	}
	if (e->wait == SMTP_W_SASL)
		return engine_sasl_line(e, e->line, n);
	return engine_command(e, e->line, n);
}

static void
engine_line_clear(struct engine_state *e)
{
	explicit_bzero(e->line, e->linelen);
	e->linelen = 0;
	e->skipping = 0;
}

/* engine_feed_line: collect a line; act on it once its LF is here.  A
 * tell (the broker's RSET, or message octets before a BDAT LAST) leaves
 * the LF and the line for the next call. */
static size_t
engine_feed_line(struct engine_state *e, const unsigned char *in, size_t len,
    int *action)
{
	const unsigned char *lf = memchr(in, '\n', len);
	size_t n = lf != NULL ? (size_t)(lf - in) : len;

	if (!e->skipping && n > sizeof(e->line) - e->linelen) {
		explicit_bzero(e->line, e->linelen);
		e->linelen = 0;
		e->skipping = 1;
	}
	if (!e->skipping) {
		memcpy(e->line + e->linelen, in, n);
		e->linelen += n;
	}
	if (lf == NULL) {
		*action = SKEL_MORE;
		return len;
	}
	*action = engine_line(e);
	if (*action == SKEL_TELL)
		return n;
	engine_line_clear(e);
	return n + 1;
}

/* ---- the broker's answers ------------------------------------------- */

/* engine_verdict_text: the reply for a verdict on the command asked, or
 * NULL for "451 4.3.0" (smtpd.md's table; the engine owns the words). */
const char *
engine_verdict_text(int type, uint32_t v)
{
	int mail = type == MSG_SMTP_MAIL, rcpt = type == MSG_SMTP_RCPT;
	int end = type == MSG_SMTP_END;

	switch (v) {
	case SMTPV_OK:
		return mail ? "250 2.1.0 Ok" : rcpt ? "250 2.1.5 Ok" : NULL;
	case SMTPV_NO_SUCH_USER:
		return rcpt ? "550 5.1.1 No such user here" : NULL;
	case SMTPV_RELAY_DENIED:
		return rcpt ? "550 5.7.1 Relaying denied" : NULL;
	case SMTPV_OVER_QUOTA:
		return rcpt || end ? "452 4.2.2 Mailbox full" : NULL;
	case SMTPV_TOO_MANY_RCPT:
		return rcpt ? "452 4.5.3 Too many recipients" : NULL;
	case SMTPV_NOT_OWNER:
		return mail ? "553 5.7.1 Sender address not owned by the "
		    "authenticated user" : end ? "550 5.7.1 From header not "
		    "owned by the authenticated user" : NULL;
	case SMTPV_SEND_LIMIT:
		return "451 4.7.1 Sending limit reached, try again later";
	case SMTPV_RATE_LIMIT:
		return "421 4.7.0 Too many messages from this address";
	case SMTPV_TOO_BIG:
		return mail || end ? "552 5.3.4 Message size exceeds fixed "
		    "maximum message size" : NULL;
	case SMTPV_REQUIRETLS:
		return mail ? "530 5.7.10 REQUIRETLS needs a TLS connection" :
		    NULL;
	case SMTPV_BAD_SENDER:
		return mail ? "553 5.1.7 Sender address rejected" : NULL;
	default:
		return NULL;
	}
}

static int
engine_pa_answer(void *state, const struct frame *f)
{
	struct engine_state *e = state;
	struct smtpmsg_answer a;
	const char *text;
	int type = e->asked, closing;

	if (e->wait != SMTP_W_ANSWER)
		fatalx("internal error: an SMTP answer with no ask "
		    "outstanding");
	e->frame = *f;
	e->frame.pos = FRAME_HDR + 1;
	if (smtpmsg_answer_decode(&e->frame, type, &a) == -1)
		fatalx("malformed %s answer from the monitor",
		    msg_name(type));
	e->wait = SMTP_W_COMMAND;
	e->asked = 0;
	/* The engine's own refusal of a message is the reply, whatever
	 * the broker says about the discarded message. */
	closing = a.verdict == SMTPV_RATE_LIMIT &&
	    !(type == MSG_SMTP_END && e->refuse);
	if (type == MSG_SMTP_END) {
		engine_end_answer(e, &a);
	} else {
		if ((text = engine_verdict_text(type, a.verdict)) == NULL)
			text = "451 4.3.0 Try again later";
		engine_say(e, "%s", text);
		if (type == MSG_SMTP_MAIL && a.verdict == SMTPV_OK) {
			e->mail = 1;
			e->broker = 1;
			e->nrcpt = 0;
		} else if (type == MSG_SMTP_MAIL)
			engine_tx_reset(e);
		else if (a.verdict == SMTPV_OK)
			e->nrcpt++;
	}
	if (closing) {
		e->wait = SMTP_W_DONE;
		return SKEL_QUIT;
	}
	return SKEL_REPLY;
}

/* ---- the skeleton's hooks ------------------------------------------- */

static void
engine_pa_configure(void *state, const struct config *cfg, int implicit_tls)
{
	struct engine_state *e = state;

	if (e->configured || e->wait != SMTP_W_INIT)
		fatalx("internal error: SMTP engine configured twice");
	str_copy(e->hostname, cfg->hostname, sizeof(e->hostname));
	e->max_size = cfg->smtp_max_message_size;
	e->max_rcpts = cfg->smtp_max_recipients > 0 ?
	    (uint32_t)cfg->smtp_max_recipients : 1;
	e->require_tls = cfg->smtp_require_tls;
	e->submission = implicit_tls != 0;
	e->configured = 1;
}

static void
engine_pa_init(void *state)
{
	struct engine_state *e = state;

	if (!e->configured || e->wait != SMTP_W_INIT)
		fatalx("internal error: SMTP engine started unconfigured");
	e->wait = SMTP_W_COMMAND;
	engine_say(e, "220 %s ESMTP postern", e->hostname);
}

/* engine_pa_tls_started: RFC 3207 4.2: forget what the client said. */
static void
engine_pa_tls_started(void *state, const char *desc)
{
	struct engine_state *e = state;
	size_t i;

	if (e->wait != SMTP_W_INIT && e->wait != SMTP_W_TLS)
		fatalx("internal error: TLS started in SMTP state %d",
		    e->wait);
	for (i = 0; desc[i] != '\0' && i < SMTPMSG_TLS_MAX; i++)
		e->tlsdesc[i] = ((unsigned char)desc[i] >= 0x20 &&
		    (unsigned char)desc[i] < 0x7f) ? desc[i] : '?';
	e->tlsdesc[i] = '\0';
	e->tls = 1;
	e->greet = SMTP_GREET_NONE;
	e->helo[0] = '\0';
	e->authed = 0;
	e->broker = 0;
	engine_tx_reset(e);
	engine_forget(e);
	engine_line_clear(e);
	e->outlen = 0;
	if (e->wait == SMTP_W_TLS)
		e->wait = SMTP_W_COMMAND;
}

static size_t
engine_pa_feed(void *state, const unsigned char *in, size_t len,
    int *action)
{
	struct engine_state *e = state;

	switch (e->wait) {
	case SMTP_W_COMMAND:
	case SMTP_W_SASL:
		return engine_feed_line(e, in, len, action);
	case SMTP_W_DATA:
		return engine_feed_data(e, in, len, action);
	case SMTP_W_BDAT:
		return engine_feed_bdat(e, in, len, action);
	default:
		fatalx("internal error: SMTP input in state %d", e->wait);
	}
}

static const struct role_login *
engine_pa_login(void *state)
{
	return &((struct engine_state *)state)->cred;
}

static int
engine_pa_login_result(void *state, uint32_t status)
{
	struct engine_state *e = state;

	if (e->wait != SMTP_W_LOGIN)
		fatalx("internal error: a login result with no login "
		    "outstanding");
	engine_forget(e);
	e->wait = SMTP_W_COMMAND;
	if (status == AUTH_OK) {
		e->authed = 1;
		return engine_reply(e, "235 2.7.0 Authentication successful");
	}
	/* RFC 4954 6: codes, never reasons. */
	if (status == AUTH_FAIL_PERM)
		return engine_failed(e, "535 5.7.8 Authentication credentials "
		    "invalid");
	return engine_failed(e, "454 4.7.0 Temporary authentication failure");
}

static const char *
engine_pa_output(void *state, size_t *len)
{
	struct engine_state *e = state;

	*len = e->outlen;
	e->outlen = 0;
	return e->out;
}

static const struct frame *
engine_pa_ask(void *state)
{
	return &((struct engine_state *)state)->frame;
}

static void
engine_pa_wipe(void *state)
{
	explicit_bzero(state, sizeof(struct engine_state));
}

const struct skel_preauth smtp_engine = {
	.state_size = sizeof(struct engine_state),
	.out_max = SMTP_OUT_MAX,
	.max_failures = SMTP_MAX_FAILURES,
	.init = engine_pa_init,
	.feed = engine_pa_feed,
	.login = engine_pa_login,
	.login_result = engine_pa_login_result,
	.output = engine_pa_output,
	.wipe = engine_pa_wipe,
	.configure = engine_pa_configure,
	.ask = engine_pa_ask,
	.answer = engine_pa_answer,
	.tls_started = engine_pa_tls_started,
};
