/*
 * engine.c: smtpd's SMTP protocol engine (see engine.h for the contract
 * and the choices).  Runs in smtpd's net process on bytes straight from
 * the client, which it trusts for nothing; the broker's answers are
 * checked by their decoder and a malformed one is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/authproto.h"
#include "common/base64.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/util.h"
#include "smtpd/addr.h"
#include "smtpd/engine.h"
#include "smtpd/smtpmsg.h"

enum smtp_wait {
	SMTP_W_INIT = 0,	/* zeroed, before init */
	SMTP_W_COMMAND,		/* a command line */
	SMTP_W_SASL,		/* an AUTH continuation line */
	SMTP_W_LOGIN,		/* login_result, no input */
	SMTP_W_ANSWER,		/* answer, no input */
	SMTP_W_DATA,		/* DATA content up to CRLF.CRLF */
	SMTP_W_BDAT,		/* the octets of a BDAT chunk */
	SMTP_W_TLS,		/* tls_started, no input */
	SMTP_W_DONE,		/* closing */
};

enum smtp_sasl { SMTP_SASL_PLAIN = 1, SMTP_SASL_USER, SMTP_SASL_PASS };
enum smtp_greet { SMTP_GREET_NONE, SMTP_GREET_HELO, SMTP_GREET_EHLO };
enum smtp_mode { SMTP_MODE_NONE, SMTP_MODE_DATA, SMTP_MODE_BDAT };

/* Why the engine itself refuses the message being read. */
enum smtp_refuse {
	SMTP_REFUSE_NONE, SMTP_REFUSE_SIZE, SMTP_REFUSE_BARE,
	SMTP_REFUSE_LINE
};

/* Where the DATA reader is in a line: at its beginning (after CRLF), in
 * it, after a CR, after a "." at the beginning, after ".\r". */
enum smtp_dstate { SMTP_D_BOL = 0, SMTP_D_MID, SMTP_D_CR, SMTP_D_DOT,
	SMTP_D_DOTCR };

struct smtp_state {
	/* from configure */
	char		 hostname[CONFIG_NAME_MAX];
	uint64_t	 max_size;
	uint32_t	 max_rcpts;
	int		 require_tls;
	int		 submission;	/* port 465: AUTH before MAIL */
	int		 configured;

	/* the connection */
	int		 wait;
	int		 tls;
	char		 tlsdesc[SMTPMSG_TLS_MAX + 1];
	int		 authed;
	int		 greet;
	char		 helo[SMTPMSG_HELO_MAX + 1];
	int		 errors;
	int		 failures;

	/* the transaction */
	int		 mail;		/* MAIL accepted, until its end */
	int		 broker;	/* the broker holds it open */
	uint32_t	 body, flags;
	uint32_t	 nrcpt;		/* accepted recipients */
	int		 mode;
	int		 bdat_failed;
	int		 refuse;
	uint64_t	 bytes;
	int		 asked;		/* type of the ask being answered */

	/* the message readers */
	int		 dstate;
	size_t		 dline;		/* octets of the current line */
	int		 prev_cr;	/* BDAT: the last octet was CR */
	uint64_t	 chunk_left, chunk_size;
	int		 chunk_last;
	const char	*chunk_discard;	/* read and drop, then this */
	int		 tail_told;

	/* the command reader */
	char		 line[SMTP_AUTH_LINE_MAX];
	size_t		 linelen;
	int		 skipping;	/* a line too long: drop to its LF */
	int		 sasl;

	struct role_login cred;		/* from SKEL_LOGIN to the result */
	struct frame	 frame;		/* the ask or tell */
	uint8_t		 data[SMTPMSG_DATA_MAX];
	size_t		 datalen;
	char		 out[SMTP_OUT_MAX];
	size_t		 outlen;
};

/* base64 of "Username:" and "Password:" (RFC 4954 LOGIN, as deployed). */
#define SMTP_LOGIN_USER		"VXNlcm5hbWU6"
#define SMTP_LOGIN_PASS		"UGFzc3dvcmQ6"

/* smtp_say: append one formatted reply line; the replies are fixed in
 * shape and bounded, so not fitting is a bug. */
static void __attribute__((format(printf, 2, 3)))
smtp_say(struct smtp_state *e, const char *fmt, ...)
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

static int
smtp_reply(struct smtp_state *e, const char *text)
{
	smtp_say(e, "%s", text);
	return SKEL_REPLY;
}

static int
smtp_quit(struct smtp_state *e, const char *text)
{
	smtp_say(e, "%s", text);
	e->wait = SMTP_W_DONE;
	return SKEL_QUIT;
}

/* smtp_error: one of the engine's own 5xx, or 421 after too many. */
static int
smtp_error(struct smtp_state *e, const char *text)
{
	if (++e->errors >= SMTP_MAX_ERRORS)
		return smtp_quit(e, "421 4.7.0 Too many errors");
	return smtp_reply(e, text);
}

static void
smtp_forget(struct smtp_state *e)
{
	rolemsg_login_wipe(&e->cred);
	e->sasl = 0;
}

/* smtp_tx_reset: forget the transaction (the broker's part is the
 * caller's: see smtp_rset_tell). */
static void
smtp_tx_reset(struct smtp_state *e)
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

/* smtp_rset_tell: the broker forgets its open transaction first; the
 * command that needs it runs again when its LF is fed again. */
static int
smtp_rset_tell(struct smtp_state *e)
{
	if (smtpmsg_rset_encode(&e->frame) == -1)
		fatalx("internal error: cannot build an SMTP RSET");
	e->broker = 0;
	return SKEL_TELL;
}

/* smtp_data_tell: the message octets held so far go to the broker. */
static int
smtp_data_tell(struct smtp_state *e)
{
	if (smtpmsg_data_encode(&e->frame, e->data, e->datalen) == -1)
		fatalx("internal error: cannot build an SMTP DATA frame");
	e->datalen = 0;
	return SKEL_TELL;
}

static int
smtp_end_ask(struct smtp_state *e)
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

/* ---- parameters ----------------------------------------------------- */

/* One ESMTP parameter "keyword[=value]" of a MAIL or RCPT. */
struct smtp_param {
	const char	*key;
	size_t		 keylen;
	const char	*val;		/* NULL: no "=" */
	size_t		 vallen;
};

/* smtp_param_next: the next parameter in s[*i..n), blanks skipped: 1,
 * 0 at the end, -1 on a syntax error (RFC 5321 4.1.2 esmtp-param). */
static int
smtp_param_next(const char *s, size_t n, size_t *i, struct smtp_param *p)
{
	size_t j;

	while (*i < n && s[*i] == ' ')
		(*i)++;
	if (*i == n)
		return 0;
	p->key = s + *i;
	for (j = *i; j < n && s[j] != ' ' && s[j] != '='; j++)
		if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' &&
		    s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9') ||
		    (s[j] == '-' && j > *i)))
			return -1;
	p->keylen = j - *i;
	p->val = NULL;
	p->vallen = 0;
	if (j < n && s[j] == '=') {
		p->val = s + ++j;
		for (; j < n && s[j] != ' '; j++)
			if ((unsigned char)s[j] < 33 ||
			    (unsigned char)s[j] > 126 || s[j] == '=')
				return -1;
		p->vallen = (size_t)(s + j - p->val);
		if (p->vallen == 0)
			return -1;
	}
	if (p->keylen == 0)
		return -1;
	*i = j;
	return 1;
}

static int
smtp_param_is(const struct smtp_param *p, const char *key)
{
	return p->keylen == strlen(key) &&
	    strncasecmp(p->key, key, p->keylen) == 0;
}

static int
smtp_val_is(const struct smtp_param *p, const char *val)
{
	return p->val != NULL && p->vallen == strlen(val) &&
	    strncasecmp(p->val, val, p->vallen) == 0;
}

/* smtp_u64: 1..20 digits without overflow; -1 otherwise. */
static int
smtp_u64(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    *v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

#define SMTP_E_PARAM	"501 5.5.4 Syntax error in parameters"
#define SMTP_E_UNKNOWN	"555 5.5.4 Unsupported parameter"
#define SMTP_E_DUP	"501 5.5.4 Duplicate parameter"

/* smtp_mail_param: one MAIL parameter into m; NULL, or the reply. */
static const char *
smtp_mail_param(struct smtp_state *e, const struct smtp_param *p,
    struct smtpmsg_mail *m, unsigned *seen)
{
	static const char *const keys[] = { "SIZE", "BODY", "SMTPUTF8",
	    "REQUIRETLS", "RET", "ENVID", "AUTH" };
	unsigned k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (smtp_param_is(p, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return SMTP_E_UNKNOWN;
	if (*seen & (1u << k))
		return SMTP_E_DUP;
	*seen |= 1u << k;
	if ((k == 2 || k == 3) != (p->val == NULL))
		return SMTP_E_PARAM;
	switch (k) {
	case 0:
		if (smtp_u64(p->val, p->vallen, &m->size) == -1)
			return SMTP_E_PARAM;
		if (m->size > e->max_size)
			return "552 5.3.4 Message size exceeds fixed maximum "
			    "message size";
		return NULL;
	case 1:
		if (smtp_val_is(p, "7BIT"))
			m->body = SMTPMSG_BODY_7BIT;
		else if (smtp_val_is(p, "8BITMIME"))
			m->body = SMTPMSG_BODY_8BITMIME;
		else if (smtp_val_is(p, "BINARYMIME"))
			m->body = SMTPMSG_BODY_BINARYMIME;
		else
			return SMTP_E_PARAM;
		return NULL;
	case 2:
		m->flags |= SMTPMSG_SMTPUTF8;
		return NULL;
	case 3:
		if (!e->tls)
			return "530 5.7.10 REQUIRETLS needs a TLS connection";
		m->flags |= SMTPMSG_REQUIRETLS;
		return NULL;
	case 4:
		if (smtp_val_is(p, "FULL"))
			m->flags |= SMTPMSG_RET_FULL;
		else if (smtp_val_is(p, "HDRS"))
			m->flags |= SMTPMSG_RET_HDRS;
		else
			return SMTP_E_PARAM;
		return NULL;
	case 5:
		if (p->vallen > SMTPMSG_ENVID_MAX ||
		    !smtpmsg_xtext_ok(p->val, p->vallen))
			return SMTP_E_PARAM;
		memcpy(m->envid, p->val, p->vallen);
		m->envid[p->vallen] = '\0';
		return NULL;
	default:
		/* RFC 4954 5: AUTH=<> or xtext; we take the login's word. */
		if (!smtp_val_is(p, "<>") &&
		    !smtpmsg_xtext_ok(p->val, p->vallen))
			return SMTP_E_PARAM;
		return NULL;
	}
}

/* smtp_notify: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY. */
static int
smtp_notify(const char *s, size_t n, uint32_t *notify)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	size_t i = 0, j, w;

	*notify = 0;
	while (i < n) {
		for (j = i; j < n && s[j] != ','; j++)
			;
		for (w = 0; w < 4; w++)
			if (j - i == strlen(words[w]) &&
			    strncasecmp(s + i, words[w], j - i) == 0)
				break;
		if (w == 4 || (*notify & (1u << w)))
			return -1;
		*notify |= 1u << w;
		if (j == n)
			break;
		i = j + 1;
		if (i == n)
			return -1;
	}
	if ((*notify & SMTPMSG_NOTIFY_NEVER) &&
	    *notify != SMTPMSG_NOTIFY_NEVER)
		return -1;
	return 0;
}

/* smtp_rcpt_param: one RCPT parameter into r; NULL, or the reply. */
static const char *
smtp_rcpt_param(const struct smtp_param *p, struct smtpmsg_rcpt *r,
    unsigned *seen)
{
	unsigned k;

	if (smtp_param_is(p, "NOTIFY"))
		k = 0;
	else if (smtp_param_is(p, "ORCPT"))
		k = 1;
	else
		return SMTP_E_UNKNOWN;
	if (*seen & (1u << k))
		return SMTP_E_DUP;
	*seen |= 1u << k;
	if (p->val == NULL)
		return SMTP_E_PARAM;
	if (k == 0)
		return smtp_notify(p->val, p->vallen, &r->notify) == -1 ?
		    SMTP_E_PARAM : NULL;
	if (p->vallen > SMTPMSG_ORCPT_MAX)
		return SMTP_E_PARAM;
	memcpy(r->orcpt, p->val, p->vallen);
	r->orcpt[p->vallen] = '\0';
	return smtpmsg_orcpt_ok(r->orcpt) ? NULL : SMTP_E_PARAM;
}

/* ---- the envelope --------------------------------------------------- */

/* smtp_proto: RFC 3848 "with" names, RFC 6531 3.7.7 with SMTPUTF8. */
static const char *
smtp_proto(const struct smtp_state *e, uint32_t flags)
{
	static const char *const names[2][4] = {
		{ "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA" },
		{ "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA" },
	};

	if (e->greet == SMTP_GREET_HELO)
		return "SMTP";
	return names[(flags & SMTPMSG_SMTPUTF8) != 0]
	    [(e->tls ? 2 : 0) + (e->authed ? 1 : 0)];
}

/* smtp_path: the path after "FROM:" or "TO:" (blanks before it are
 * tolerated, as most servers do); the octets it took, or the reply. */
static int
smtp_path(const char *s, size_t n, int flags, struct smtp_addr *a,
    const char **err)
{
	int mail = flags & SMTP_ADDR_MAIL, rc;

	rc = smtp_addr_parse(s, n, flags, a);
	if (rc == SMTP_ADDR_EUTF8)
		*err = mail ? "553 5.6.7 Non-ASCII sender address needs "
		    "SMTPUTF8" : "553 5.6.7 Non-ASCII recipient address "
		    "needs SMTPUTF8";
	else if (rc == SMTP_ADDR_ELONG)
		*err = mail ? "501 5.1.7 Sender address too long" :
		    "501 5.1.3 Recipient address too long";
	else if (rc < 0 || ((size_t)rc < n && s[rc] != ' '))
		*err = mail ? "501 5.1.7 Bad sender address syntax" :
		    "501 5.1.3 Bad recipient address syntax";
	else
		return rc;
	return -1;
}

/* smtp_mail_check: may a MAIL come now?  NULL, or the reply. */
static const char *
smtp_mail_check(const struct smtp_state *e)
{
	if (e->greet == SMTP_GREET_NONE)
		return "503 5.5.1 Send HELO or EHLO first";
	if (e->mail)
		return "503 5.5.1 Nested MAIL command";
	if (!e->submission && e->require_tls && !e->tls)
		return "530 5.7.0 Must issue a STARTTLS command first";
	if (e->submission && !e->authed)
		return "530 5.7.0 Authentication required";
	return NULL;
}

static int
smtp_cmd_mail(struct smtp_state *e, const char *arg, size_t n)
{
	struct smtpmsg_mail m;
	struct smtp_param p;
	struct smtp_addr a;
	const char *err;
	size_t i = 5;
	unsigned seen = 0;
	int rc;

	if ((err = smtp_mail_check(e)) != NULL)
		return smtp_error(e, err);
	if (n < 5 || strncasecmp(arg, "FROM:", 5) != 0)
		return smtp_error(e, "501 5.5.4 Syntax: MAIL FROM:<address>");
	while (i < n && arg[i] == ' ')
		i++;
	if ((rc = smtp_path(arg + i, n - i, SMTP_ADDR_MAIL | SMTP_ADDR_UTF8,
	    &a, &err)) < 0)
		return smtp_error(e, err);
	memset(&m, 0, sizeof(m));
	for (i += (size_t)rc; (rc = smtp_param_next(arg, n, &i, &p)) == 1;) {
		if (e->greet != SMTP_GREET_EHLO)
			return smtp_error(e, SMTP_E_UNKNOWN);
		if ((err = smtp_mail_param(e, &p, &m, &seen)) != NULL)
			return smtp_error(e, err);
	}
	if (rc == -1)
		return smtp_error(e, SMTP_E_PARAM);
	if (a.utf8 && !(m.flags & SMTPMSG_SMTPUTF8))
		return smtp_error(e, "553 5.6.7 Non-ASCII sender address "
		    "needs SMTPUTF8");
	str_copy(m.proto, smtp_proto(e, m.flags), sizeof(m.proto));
	str_copy(m.helo, e->helo, sizeof(m.helo));
	str_copy(m.tls, e->tlsdesc, sizeof(m.tls));
	str_copy(m.sender, a.addr, sizeof(m.sender));
	if (smtpmsg_mail_encode(&e->frame, &m) == -1)
		fatalx("internal error: cannot build an SMTP MAIL");
	e->body = m.body;
	e->flags = m.flags;
	e->asked = MSG_SMTP_MAIL;
	e->wait = SMTP_W_ANSWER;
	return SKEL_ASK;
}

static int
smtp_cmd_rcpt(struct smtp_state *e, const char *arg, size_t n)
{
	struct smtpmsg_rcpt r;
	struct smtp_param p;
	struct smtp_addr a;
	const char *err;
	size_t i = 3;
	unsigned seen = 0;
	int rc;

	if (!e->mail)
		return smtp_error(e, "503 5.5.1 Need MAIL before RCPT");
	if (e->mode != SMTP_MODE_NONE || e->bdat_failed)
		return smtp_error(e, "503 5.5.1 RCPT after BDAT");
	if (n < 3 || strncasecmp(arg, "TO:", 3) != 0)
		return smtp_error(e, "501 5.5.4 Syntax: RCPT TO:<address>");
	while (i < n && arg[i] == ' ')
		i++;
	if ((rc = smtp_path(arg + i, n - i, SMTP_ADDR_RCPT |
	    ((e->flags & SMTPMSG_SMTPUTF8) ? SMTP_ADDR_UTF8 : 0), &a,
	    &err)) < 0)
		return smtp_error(e, err);
	memset(&r, 0, sizeof(r));
	for (i += (size_t)rc; (rc = smtp_param_next(arg, n, &i, &p)) == 1;) {
		if (e->greet != SMTP_GREET_EHLO)
			return smtp_error(e, SMTP_E_UNKNOWN);
		if ((err = smtp_rcpt_param(&p, &r, &seen)) != NULL)
			return smtp_error(e, err);
	}
	if (rc == -1)
		return smtp_error(e, SMTP_E_PARAM);
	if (e->nrcpt >= e->max_rcpts)
		return smtp_reply(e, "452 4.5.3 Too many recipients");
	str_copy(r.addr, a.addr, sizeof(r.addr));
	if (smtpmsg_rcpt_encode(&e->frame, &r) == -1)
		fatalx("internal error: cannot build an SMTP RCPT");
	e->asked = MSG_SMTP_RCPT;
	e->wait = SMTP_W_ANSWER;
	return SKEL_ASK;
}

static int
smtp_cmd_data(struct smtp_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return smtp_error(e, "501 5.5.4 Syntax: DATA");
	if (!e->mail)
		return smtp_error(e, "503 5.5.1 Need MAIL command");
	if (e->mode == SMTP_MODE_BDAT || e->bdat_failed)
		return smtp_error(e, "503 5.5.1 DATA after BDAT");
	if (e->nrcpt == 0)
		return smtp_error(e, "503 5.5.1 Need RCPT command");
	/* RFC 3030 3: BINARYMIME only with BDAT. */
	if (e->body == SMTPMSG_BODY_BINARYMIME)
		return smtp_error(e, "503 5.5.1 BINARYMIME needs BDAT");
	e->mode = SMTP_MODE_DATA;
	e->wait = SMTP_W_DATA;
	e->dstate = SMTP_D_BOL;
	e->dline = 0;
	return smtp_reply(e, "354 End data with <CR><LF>.<CR><LF>");
}

static int	smtp_bdat_done(struct smtp_state *);

/* smtp_bdat_args: "size [LAST]"; 0 or -1. */
static int
smtp_bdat_args(const char *arg, size_t n, uint64_t *size, int *last)
{
	const char *sp = memchr(arg, ' ', n);
	size_t k = sp != NULL ? (size_t)(sp - arg) : n;

	if (smtp_u64(arg, k, size) == -1)
		return -1;
	*last = 0;
	if (sp == NULL)
		return 0;
	if (n - k - 1 != 4 || strncasecmp(sp + 1, "LAST", 4) != 0)
		return -1;
	*last = 1;
	return 0;
}

static int
smtp_cmd_bdat(struct smtp_state *e, const char *arg, size_t n)
{
	uint64_t size;
	int last;

	/* Without the size the chunk cannot be told from commands. */
	if (smtp_bdat_args(arg, n, &size, &last) == -1)
		return smtp_quit(e, "421 4.5.4 Malformed BDAT, closing "
		    "connection");
	e->chunk_discard = NULL;
	if (!e->mail)
		e->chunk_discard = "503 5.5.1 Need MAIL command";
	else if (e->nrcpt == 0)
		e->chunk_discard = "503 5.5.1 Need RCPT command";
	else if (e->bdat_failed)
		e->chunk_discard = "503 5.5.1 A BDAT of this transaction "
		    "failed, send RSET";
	if (e->chunk_discard == NULL && last && e->datalen > 0)
		return smtp_data_tell(e);
	e->chunk_left = e->chunk_size = size;
	e->chunk_last = last;
	e->tail_told = 0;
	e->wait = SMTP_W_BDAT;
	if (e->chunk_discard == NULL) {
		e->mode = SMTP_MODE_BDAT;
		if (!e->refuse && size > e->max_size - e->bytes) {
			e->refuse = SMTP_REFUSE_SIZE;
			e->datalen = 0;
		}
	}
	if (size == 0)
		return smtp_bdat_done(e);
	return SKEL_MORE;
}

static int
smtp_cmd_rset(struct smtp_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return smtp_error(e, "501 5.5.4 Syntax: RSET");
	if (e->broker)
		return smtp_rset_tell(e);
	smtp_tx_reset(e);
	return smtp_reply(e, "250 2.0.0 Ok");
}

static int
smtp_cmd_quit(struct smtp_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return smtp_error(e, "501 5.5.4 Syntax: QUIT");
	if (e->broker)
		return smtp_rset_tell(e);
	return smtp_quit(e, "221 2.0.0 Bye");
}

static int
smtp_cmd_noop(struct smtp_state *e, const char *arg, size_t n)
{
	return smtp_reply(e, "250 2.0.0 Ok");
}

static int
smtp_cmd_vrfy(struct smtp_state *e, const char *arg, size_t n)
{
	if (n == 0)
		return smtp_error(e, "501 5.5.4 Syntax: VRFY address");
	return smtp_reply(e, "252 2.5.0 Cannot VRFY user, but will accept "
	    "message and attempt delivery");
}

static int
smtp_cmd_expn(struct smtp_state *e, const char *arg, size_t n)
{
	return smtp_error(e, "502 5.5.1 EXPN not available");
}

static int
smtp_cmd_help(struct smtp_state *e, const char *arg, size_t n)
{
	return smtp_reply(e, "214 2.0.0 See RFC 5321");
}

/* ---- the session ---------------------------------------------------- */

/* smtp_helo_keep: the first word of the EHLO/HELO argument, printable
 * ASCII ('?' for anything else), at most SMTPMSG_HELO_MAX octets. */
static void
smtp_helo_keep(struct smtp_state *e, const char *arg, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < SMTPMSG_HELO_MAX && arg[i] != ' '; i++)
		e->helo[i] = ((unsigned char)arg[i] > 0x20 &&
		    (unsigned char)arg[i] < 0x7f) ? arg[i] : '?';
	e->helo[i] = '\0';
}

static int
smtp_cmd_greet(struct smtp_state *e, const char *arg, size_t n, int ehlo)
{
	if (n == 0)
		return smtp_error(e, ehlo ? "501 5.5.4 Syntax: EHLO hostname" :
		    "501 5.5.4 Syntax: HELO hostname");
	if (e->broker)
		return smtp_rset_tell(e);
	smtp_tx_reset(e);
	smtp_helo_keep(e, arg, n);
	if (!ehlo) {
		e->greet = SMTP_GREET_HELO;
		smtp_say(e, "250 %s", e->hostname);
		return SKEL_REPLY;
	}
	e->greet = SMTP_GREET_EHLO;
	smtp_say(e, "250-%s", e->hostname);
	smtp_say(e, "250-PIPELINING");
	smtp_say(e, "250-SIZE %llu", (unsigned long long)e->max_size);
	smtp_say(e, "250-8BITMIME");
	smtp_say(e, "250-BINARYMIME");
	smtp_say(e, "250-CHUNKING");
	smtp_say(e, "250-DSN");
	smtp_say(e, "250-SMTPUTF8");
	if (!e->submission && !e->tls)
		smtp_say(e, "250-STARTTLS");
	if (e->tls)
		smtp_say(e, "250-REQUIRETLS");
	if (e->submission && !e->authed)
		smtp_say(e, "250-AUTH PLAIN LOGIN");
	smtp_say(e, "250 ENHANCEDSTATUSCODES");
	return SKEL_REPLY;
}

static int
smtp_cmd_ehlo(struct smtp_state *e, const char *arg, size_t n)
{
	return smtp_cmd_greet(e, arg, n, 1);
}

static int
smtp_cmd_helo(struct smtp_state *e, const char *arg, size_t n)
{
	return smtp_cmd_greet(e, arg, n, 0);
}

static int
smtp_cmd_starttls(struct smtp_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return smtp_error(e, "501 5.5.4 Syntax: STARTTLS");
	if (e->tls)
		return smtp_error(e, "503 5.5.1 TLS already active");
	if (e->submission)
		return smtp_error(e, "502 5.5.1 STARTTLS not available");
	if (e->greet != SMTP_GREET_EHLO)
		return smtp_error(e, "503 5.5.1 Send EHLO first");
	if (e->mail)
		return smtp_error(e, "503 5.5.1 MAIL transaction in progress");
	smtp_say(e, "220 2.0.0 Ready to start TLS");
	e->wait = SMTP_W_TLS;
	return SKEL_STARTTLS;
}

/* ---- AUTH (RFC 4954) ------------------------------------------------ */

/* smtp_failed: a login failed, with this reply; 421 after the last. */
static int
smtp_failed(struct smtp_state *e, const char *text)
{
	smtp_forget(e);
	e->wait = SMTP_W_COMMAND;
	smtp_say(e, "%s", text);
	if (++e->failures < SMTP_MAX_FAILURES)
		return SKEL_REPLY;
	return smtp_quit(e, "421 4.7.0 Too many authentication failures");
}

static int
smtp_login(struct smtp_state *e, const char *mech)
{
	str_copy(e->cred.mech, mech, sizeof(e->cred.mech));
	e->cred.handoverlen = 0;
	e->sasl = 0;
	e->wait = SMTP_W_LOGIN;
	return SKEL_LOGIN;
}

/* smtp_plain: a SASL PLAIN response (RFC 4616) in base64. */
static int
smtp_plain(struct smtp_state *e, const char *b64, size_t len)
{
	char authzid[AUTH_USER_MAX];
	int rc;

	rc = sasl_plain_decode(b64, len, authzid, sizeof(authzid),
	    e->cred.user, sizeof(e->cred.user), e->cred.secret,
	    sizeof(e->cred.secret), &e->cred.secretlen);
	explicit_bzero(authzid, sizeof(authzid));
	if (rc == SASL_OTHER_USER)
		return smtp_failed(e, "535 5.7.8 Authentication credentials "
		    "invalid");
	if (rc != 0 || !rolemsg_user_ok(e->cred.user, strlen(e->cred.user)))
		return smtp_failed(e, "501 5.5.2 Malformed SASL PLAIN "
		    "response");
	return smtp_login(e, "plain");
}

/* smtp_login_user: the LOGIN user name in base64; then the password
 * challenge. */
static int
smtp_login_user(struct smtp_state *e, const char *b64, size_t len)
{
	uint8_t buf[AUTH_USER_MAX];
	size_t n;

	if (base64_decode(b64, len, buf, sizeof(buf) - 1, &n) == -1 ||
	    !rolemsg_user_ok((const char *)buf, n) ||
	    memchr(buf, '\0', n) != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return smtp_failed(e, "501 5.5.2 Malformed SASL LOGIN "
		    "response");
	}
	memcpy(e->cred.user, buf, n);
	e->cred.user[n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	e->sasl = SMTP_SASL_PASS;
	e->wait = SMTP_W_SASL;
	return smtp_reply(e, "334 " SMTP_LOGIN_PASS);
}

static int
smtp_login_pass(struct smtp_state *e, const char *b64, size_t len)
{
	if (base64_decode(b64, len, e->cred.secret, sizeof(e->cred.secret),
	    &e->cred.secretlen) == -1 || e->cred.secretlen == 0)
		return smtp_failed(e, "501 5.5.2 Malformed SASL LOGIN "
		    "response");
	return smtp_login(e, "login");
}

static int
smtp_cmd_auth(struct smtp_state *e, const char *arg, size_t n)
{
	const char *sp = memchr(arg, ' ', n), *ir = NULL;
	size_t mlen = sp != NULL ? (size_t)(sp - arg) : n, irlen = 0;

	if (!e->submission)
		return smtp_error(e, "502 5.5.1 AUTH not available");
	if (n == 0)
		return smtp_error(e, "501 5.5.4 Syntax: AUTH mechanism "
		    "[initial-response]");
	if (e->greet != SMTP_GREET_EHLO)
		return smtp_error(e, "503 5.5.1 Send EHLO first");
	if (e->authed)
		return smtp_error(e, "503 5.5.1 Already authenticated");
	if (e->mail)
		return smtp_error(e, "503 5.5.1 AUTH not permitted during a "
		    "mail transaction");
	if (sp != NULL) {
		ir = sp + 1;
		irlen = n - mlen - 1;
		if (irlen == 0 || memchr(ir, ' ', irlen) != NULL)
			return smtp_error(e, "501 5.5.4 Syntax: AUTH "
			    "mechanism [initial-response]");
	}
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0) {
		if (ir == NULL) {
			e->sasl = SMTP_SASL_PLAIN;
			e->wait = SMTP_W_SASL;
			return smtp_reply(e, "334 ");
		}
		/* RFC 4954 4: "=" is an empty response; PLAIN has none. */
		if (irlen == 1 && ir[0] == '=')
			return smtp_failed(e, "501 5.5.2 Malformed SASL PLAIN "
			    "response");
		return smtp_plain(e, ir, irlen);
	}
	if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0) {
		if (ir != NULL)
			return smtp_login_user(e, ir, irlen);
		e->sasl = SMTP_SASL_USER;
		e->wait = SMTP_W_SASL;
		return smtp_reply(e, "334 " SMTP_LOGIN_USER);
	}
	return smtp_error(e, "504 5.5.4 Unrecognized authentication type");
}

/* smtp_sasl_line: the client's response to a 334. */
static int
smtp_sasl_line(struct smtp_state *e, const char *s, size_t n)
{
	int kind = e->sasl;

	e->wait = SMTP_W_COMMAND;
	if (n == 1 && s[0] == '*') {
		smtp_forget(e);
		return smtp_error(e, "501 5.0.0 Authentication cancelled");
	}
	switch (kind) {
	case SMTP_SASL_PLAIN:
		return smtp_plain(e, s, n);
	case SMTP_SASL_USER:
		return smtp_login_user(e, s, n);
	case SMTP_SASL_PASS:
		return smtp_login_pass(e, s, n);
	default:
		fatalx("internal error: SASL line in state %d", kind);
	}
}

/* ---- commands ------------------------------------------------------- */

struct smtp_verb {
	const char	*name;
	int		(*run)(struct smtp_state *, const char *, size_t);
};

/* Sorted by name (bsearch). */
static const struct smtp_verb smtp_verbs[] = {
	{ "AUTH", smtp_cmd_auth },
	{ "BDAT", smtp_cmd_bdat },
	{ "DATA", smtp_cmd_data },
	{ "EHLO", smtp_cmd_ehlo },
	{ "EXPN", smtp_cmd_expn },
	{ "HELO", smtp_cmd_helo },
	{ "HELP", smtp_cmd_help },
	{ "MAIL", smtp_cmd_mail },
	{ "NOOP", smtp_cmd_noop },
	{ "QUIT", smtp_cmd_quit },
	{ "RCPT", smtp_cmd_rcpt },
	{ "RSET", smtp_cmd_rset },
	{ "STARTTLS", smtp_cmd_starttls },
	{ "VRFY", smtp_cmd_vrfy },
};

static const struct smtp_verb *
smtp_verb_find(const char *s, size_t n)
{
	size_t lo = 0, hi = sizeof(smtp_verbs) / sizeof(smtp_verbs[0]), mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncasecmp(s, smtp_verbs[mid].name, n);
		if (c == 0 && smtp_verbs[mid].name[n] != '\0')
			c = -1;
		if (c == 0)
			return &smtp_verbs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* smtp_command: one command line, n octets without its CRLF. */
static int
smtp_command(struct smtp_state *e, const char *s, size_t n)
{
	const struct smtp_verb *v;
	const char *sp = memchr(s, ' ', n);
	size_t vlen = sp != NULL ? (size_t)(sp - s) : n;

	if (vlen == 0 || vlen > 8 || (v = smtp_verb_find(s, vlen)) == NULL)
		return smtp_error(e, "500 5.5.1 Command unrecognized");
	if (n + 2 > SMTP_LINE_MAX && v->run != smtp_cmd_auth)
		return smtp_error(e, "500 5.5.6 Line too long");
	if (sp == NULL)
		return v->run(e, s + n, 0);
	return v->run(e, sp + 1, n - vlen - 1);
}

/* smtp_line: a line is complete in e->line (its LF not included). */
static int
smtp_line(struct smtp_state *e)
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
			smtp_forget(e);
			e->wait = SMTP_W_COMMAND;
		}
		return smtp_error(e, why);
	}
	if (e->wait == SMTP_W_SASL)
		return smtp_sasl_line(e, e->line, n);
	return smtp_command(e, e->line, n);
}

static void
smtp_line_clear(struct smtp_state *e)
{
	explicit_bzero(e->line, e->linelen);
	e->linelen = 0;
	e->skipping = 0;
}

/* smtp_feed_line: collect a line; act on it once its LF is here.  A
 * tell (the broker's RSET, or message octets before a BDAT LAST) leaves
 * the LF and the line for the next call. */
static size_t
smtp_feed_line(struct smtp_state *e, const unsigned char *in, size_t len,
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
	*action = smtp_line(e);
	if (*action == SKEL_TELL)
		return n;
	smtp_line_clear(e);
	return n + 1;
}

/* ---- the message ---------------------------------------------------- */

static void
smtp_refuse(struct smtp_state *e, int why)
{
	if (e->refuse == SMTP_REFUSE_NONE) {
		e->refuse = why;
		e->datalen = 0;
	}
}

/* smtp_put: one octet of the message, counted, and kept unless the
 * message is refused already. */
static void
smtp_put(struct smtp_state *e, unsigned char c)
{
	if (e->bytes < UINT64_MAX)
		e->bytes++;
	if (e->bytes > e->max_size)
		smtp_refuse(e, SMTP_REFUSE_SIZE);
	if (e->refuse == SMTP_REFUSE_NONE)
		e->data[e->datalen++] = c;
}

/* smtp_data_mid: an octet inside a line (not a line's first '.'). */
static void
smtp_data_mid(struct smtp_state *e, unsigned char c)
{
	if (c == '\n')
		smtp_refuse(e, SMTP_REFUSE_BARE);
	smtp_put(e, c);
	e->dstate = c == '\r' ? SMTP_D_CR : SMTP_D_MID;
}

/* smtp_data_octet: one octet of DATA content through the line states;
 * at most two octets go into e->data. */
static void
smtp_data_octet(struct smtp_state *e, unsigned char c)
{
	if (++e->dline > SMTP_DATA_LINE_MAX)
		smtp_refuse(e, SMTP_REFUSE_LINE);
	switch (e->dstate) {
	case SMTP_D_BOL:
		if (c == '.')
			e->dstate = SMTP_D_DOT;
		else
			smtp_data_mid(e, c);
		break;
	case SMTP_D_DOT:
		/* RFC 5321 4.5.2: a line's first '.' is dropped. */
		if (c == '\r')
			e->dstate = SMTP_D_DOTCR;
		else
			smtp_data_mid(e, c);
		break;
	case SMTP_D_DOTCR:
		/* ".\r" then not LF: the CR was content (and bare). */
		smtp_put(e, '\r');
		e->dstate = SMTP_D_CR;
		/* FALLTHROUGH */
	case SMTP_D_CR:
		if (c == '\n') {
			smtp_put(e, c);
			e->dstate = SMTP_D_BOL;
			e->dline = 0;
			break;
		}
		smtp_refuse(e, SMTP_REFUSE_BARE);
		smtp_data_mid(e, c);
		break;
	default:
		smtp_data_mid(e, c);
		break;
	}
}

/* smtp_feed_data: DATA content up to CRLF.CRLF, the only end (engine.h:
 * smuggling).  The octets go out in DATA tells as e->data fills; the
 * end's LF stays unused while octets are still to be told. */
static size_t
smtp_feed_data(struct smtp_state *e, const unsigned char *in, size_t len,
    int *action)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (e->dstate == SMTP_D_DOTCR && in[i] == '\n') {
			if (e->datalen > 0) {
				*action = smtp_data_tell(e);
				return i;
			}
			*action = smtp_end_ask(e);
			return i + 1;
		}
		if (e->datalen + 2 > sizeof(e->data)) {
			*action = smtp_data_tell(e);
			return i;
		}
		smtp_data_octet(e, in[i]);
	}
	*action = SKEL_MORE;
	return len;
}

/* smtp_bdat_put: one chunk octet; outside BINARYMIME, lines end in CRLF
 * only, as in DATA. */
static void
smtp_bdat_put(struct smtp_state *e, unsigned char c)
{
	if (e->body != SMTPMSG_BODY_BINARYMIME) {
		if ((c == '\n') != e->prev_cr)
			smtp_refuse(e, SMTP_REFUSE_BARE);
		e->prev_cr = c == '\r';
	}
	smtp_put(e, c);
}

/* smtp_bdat_done: a chunk is read. */
static int
smtp_bdat_done(struct smtp_state *e)
{
	const char *discard = e->chunk_discard;

	e->wait = SMTP_W_COMMAND;
	if (discard != NULL) {
		e->chunk_discard = NULL;
		return smtp_error(e, discard);
	}
	if (e->chunk_last && e->prev_cr &&
	    e->body != SMTPMSG_BODY_BINARYMIME)
		smtp_refuse(e, SMTP_REFUSE_BARE);
	if (e->refuse || e->chunk_last)
		return smtp_end_ask(e);
	smtp_say(e, "250 2.0.0 %llu octets received",
	    (unsigned long long)e->chunk_size);
	return SKEL_REPLY;
}

/* smtp_feed_bdat: the octets of a chunk, raw.  The last octet of a LAST
 * chunk goes out in a tell while it stays unused, so the END can follow
 * when it is fed again (engine.h). */
static size_t
smtp_feed_bdat(struct smtp_state *e, const unsigned char *in, size_t len,
    int *action)
{
	size_t i = 0, take;

	while (e->chunk_left > 0 && i < len) {
		if (e->chunk_discard != NULL || e->refuse) {
			take = len - i < e->chunk_left ? len - i :
			    (size_t)e->chunk_left;
			if (e->chunk_discard == NULL)
				e->bytes = take > UINT64_MAX - e->bytes ?
				    UINT64_MAX : e->bytes + take;
			i += take;
			e->chunk_left -= take;
			continue;
		}
		if (e->tail_told) {
			e->tail_told = 0;
			e->chunk_left = 0;
			i++;
			break;
		}
		if (e->datalen == sizeof(e->data)) {
			*action = smtp_data_tell(e);
			return i;
		}
		smtp_bdat_put(e, in[i]);
		if (e->chunk_left == 1 && e->chunk_last && !e->refuse) {
			e->tail_told = 1;
			*action = smtp_data_tell(e);
			return i;
		}
		i++;
		e->chunk_left--;
	}
	if (e->chunk_left > 0) {
		*action = SKEL_MORE;
		return len;
	}
	*action = smtp_bdat_done(e);
	return i;
}

/* ---- the broker's answers ------------------------------------------- */

/* smtp_verdict_text: the reply for a verdict on the command asked, or
 * NULL for "451 4.3.0" (smtpd.md's table; the engine owns the words). */
static const char *
smtp_verdict_text(int type, uint32_t v)
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

static const char *
smtp_refuse_text(int why)
{
	switch (why) {
	case SMTP_REFUSE_SIZE:
		return "552 5.3.4 Message size exceeds fixed maximum message "
		    "size";
	case SMTP_REFUSE_BARE:
		return "554 5.6.0 Message refused: bare CR or LF in message "
		    "data";
	default:
		return "554 5.6.0 Message refused: a line longer than 65536 "
		    "octets";
	}
}

/* smtp_end_answer: the message is done, whatever the verdict; after a
 * refused BDAT that was not the last the transaction stays failed until
 * RSET (RFC 3030 2). */
static void
smtp_end_answer(struct smtp_state *e, const struct smtpmsg_answer *a)
{
	const char *text;

	e->broker = 0;
	if (e->refuse) {
		smtp_say(e, "%s", smtp_refuse_text(e->refuse));
		if (e->mode == SMTP_MODE_BDAT && !e->chunk_last) {
			e->bdat_failed = 1;
			e->refuse = SMTP_REFUSE_NONE;
			e->datalen = 0;
			return;
		}
	} else if (a->verdict == SMTPV_OK)
		smtp_say(e, "250 2.0.0 Ok: queued as %s", a->text);
	else if ((text = smtp_verdict_text(MSG_SMTP_END, a->verdict)) != NULL)
		smtp_say(e, "%s", text);
	else
		smtp_say(e, "451 4.3.0 Try again later");
	smtp_tx_reset(e);
}

static int
smtp_pa_answer(void *state, const struct frame *f)
{
	struct smtp_state *e = state;
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
		smtp_end_answer(e, &a);
	} else {
		if ((text = smtp_verdict_text(type, a.verdict)) == NULL)
			text = "451 4.3.0 Try again later";
		smtp_say(e, "%s", text);
		if (type == MSG_SMTP_MAIL && a.verdict == SMTPV_OK) {
			e->mail = 1;
			e->broker = 1;
			e->nrcpt = 0;
		} else if (type == MSG_SMTP_MAIL)
			smtp_tx_reset(e);
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
smtp_pa_configure(void *state, const struct config *cfg, int implicit_tls)
{
	struct smtp_state *e = state;

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
smtp_pa_init(void *state)
{
	struct smtp_state *e = state;

	if (!e->configured || e->wait != SMTP_W_INIT)
		fatalx("internal error: SMTP engine started unconfigured");
	e->wait = SMTP_W_COMMAND;
	smtp_say(e, "220 %s ESMTP postern", e->hostname);
}

/* smtp_pa_tls_started: RFC 3207 4.2: forget what the client said. */
static void
smtp_pa_tls_started(void *state, const char *desc)
{
	struct smtp_state *e = state;
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
	smtp_tx_reset(e);
	smtp_forget(e);
	smtp_line_clear(e);
	e->outlen = 0;
	if (e->wait == SMTP_W_TLS)
		e->wait = SMTP_W_COMMAND;
}

static size_t
smtp_pa_feed(void *state, const unsigned char *in, size_t len,
    int *action)
{
	struct smtp_state *e = state;

	switch (e->wait) {
	case SMTP_W_COMMAND:
	case SMTP_W_SASL:
		return smtp_feed_line(e, in, len, action);
	case SMTP_W_DATA:
		return smtp_feed_data(e, in, len, action);
	case SMTP_W_BDAT:
		return smtp_feed_bdat(e, in, len, action);
	default:
		fatalx("internal error: SMTP input in state %d", e->wait);
	}
}

static const struct role_login *
smtp_pa_login(void *state)
{
	return &((struct smtp_state *)state)->cred;
}

static int
smtp_pa_login_result(void *state, uint32_t status)
{
	struct smtp_state *e = state;

	if (e->wait != SMTP_W_LOGIN)
		fatalx("internal error: a login result with no login "
		    "outstanding");
	smtp_forget(e);
	e->wait = SMTP_W_COMMAND;
	if (status == AUTH_OK) {
		e->authed = 1;
		return smtp_reply(e, "235 2.7.0 Authentication successful");
	}
	/* RFC 4954 6: codes, never reasons. */
	if (status == AUTH_FAIL_PERM)
		return smtp_failed(e, "535 5.7.8 Authentication credentials "
		    "invalid");
	return smtp_failed(e, "454 4.7.0 Temporary authentication failure");
}

static const char *
smtp_pa_output(void *state, size_t *len)
{
	struct smtp_state *e = state;

	*len = e->outlen;
	e->outlen = 0;
	return e->out;
}

static const struct frame *
smtp_pa_ask(void *state)
{
	return &((struct smtp_state *)state)->frame;
}

static void
smtp_pa_wipe(void *state)
{
	explicit_bzero(state, sizeof(struct smtp_state));
}

const struct skel_preauth smtp_engine = {
	.state_size = sizeof(struct smtp_state),
	.out_max = SMTP_OUT_MAX,
	.max_failures = SMTP_MAX_FAILURES,
	.init = smtp_pa_init,
	.feed = smtp_pa_feed,
	.login = smtp_pa_login,
	.login_result = smtp_pa_login_result,
	.output = smtp_pa_output,
	.wipe = smtp_pa_wipe,
	.configure = smtp_pa_configure,
	.ask = smtp_pa_ask,
	.answer = smtp_pa_answer,
	.tls_started = smtp_pa_tls_started,
};
