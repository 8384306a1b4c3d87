/*
 * engine_env.c: the envelope commands of smtpd's SMTP engine: MAIL and
 * RCPT with their ESMTP parameters (SIZE, BODY, SMTPUTF8, REQUIRETLS,
 * DSN's RET, ENVID, NOTIFY, ORCPT, AUTH=), asked of the broker (see
 * engine.h).  Runs in smtpd's net process on command lines straight from
 * the client, which it trusts for nothing.
 */
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "smtpd/addr.h"
#include "smtpd/engine_int.h"

/* One ESMTP parameter "keyword[=value]" of a MAIL or RCPT. */
struct engine_param {
	const char	*key;
	size_t		 keylen;
	const char	*val;		/* NULL: no "=" */
	size_t		 vallen;
};

#define SMTP_E_PARAM	"501 5.5.4 Syntax error in parameters"
#define SMTP_E_UNKNOWN	"555 5.5.4 Unsupported parameter"
#define SMTP_E_DUP	"501 5.5.4 Duplicate parameter"

/* engine_param_next: the next parameter in s[*i..n), blanks skipped: 1,
 * 0 at the end, -1 on a syntax error (RFC 5321 4.1.2 esmtp-param). */
static int
engine_param_next(const char *s, size_t n, size_t *i, struct engine_param *p)
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
engine_param_is(const struct engine_param *p, const char *key)
{
	return p->keylen == strlen(key) &&
	    strncasecmp(p->key, key, p->keylen) == 0;
}

static int
engine_val_is(const struct engine_param *p, const char *val)
{
	return p->val != NULL && p->vallen == strlen(val) &&
	    strncasecmp(p->val, val, p->vallen) == 0;
}

/* engine_u64: 1..20 digits without overflow; -1 otherwise. */
int
engine_u64(const char *s, size_t n, uint64_t *v)
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

/* engine_mail_param: one MAIL parameter into m; NULL, or the reply. */
static const char *
engine_mail_param(struct engine_state *e, const struct engine_param *p,
    struct smtpmsg_mail *m, unsigned *seen)
{
	static const char *const keys[] = { "SIZE", "BODY", "SMTPUTF8",
	    "REQUIRETLS", "RET", "ENVID", "AUTH" };
	unsigned k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (engine_param_is(p, keys[k]))
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
		if (engine_u64(p->val, p->vallen, &m->size) == -1)
			return SMTP_E_PARAM;
		if (m->size > e->max_size)
			return "552 5.3.4 Message size exceeds fixed maximum "
			    "message size";
		return NULL;
	case 1:
		if (engine_val_is(p, "7BIT"))
			m->body = SMTPMSG_BODY_7BIT;
		else if (engine_val_is(p, "8BITMIME"))
			m->body = SMTPMSG_BODY_8BITMIME;
		else if (engine_val_is(p, "BINARYMIME"))
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
		if (engine_val_is(p, "FULL"))
			m->flags |= SMTPMSG_RET_FULL;
		else if (engine_val_is(p, "HDRS"))
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
		if (!engine_val_is(p, "<>") &&
		    !smtpmsg_xtext_ok(p->val, p->vallen))
			return SMTP_E_PARAM;
		return NULL;
	}
}

/* engine_notify: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY. */
static int
engine_notify(const char *s, size_t n, uint32_t *notify)
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

/* engine_rcpt_param: one RCPT parameter into r; NULL, or the reply. */
static const char *
engine_rcpt_param(const struct engine_param *p, struct smtpmsg_rcpt *r,
    unsigned *seen)
{
	unsigned k;

	if (engine_param_is(p, "NOTIFY"))
		k = 0;
	else if (engine_param_is(p, "ORCPT"))
		k = 1;
	else
		return SMTP_E_UNKNOWN;
	if (*seen & (1u << k))
		return SMTP_E_DUP;
	*seen |= 1u << k;
	if (p->val == NULL)
		return SMTP_E_PARAM;
	if (k == 0)
		return engine_notify(p->val, p->vallen, &r->notify) == -1 ?
		    SMTP_E_PARAM : NULL;
	if (p->vallen > SMTPMSG_ORCPT_MAX)
		return SMTP_E_PARAM;
	memcpy(r->orcpt, p->val, p->vallen);
	r->orcpt[p->vallen] = '\0';
	return smtpmsg_orcpt_ok(r->orcpt) ? NULL : SMTP_E_PARAM;
}

/* ---- the envelope --------------------------------------------------- */

/* engine_proto: RFC 3848 "with" names, RFC 6531 3.7.7 with SMTPUTF8. */
static const char *
engine_proto(const struct engine_state *e, uint32_t flags)
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

/* engine_path: the path after "FROM:" or "TO:" (blanks before it are
 * tolerated, as most servers do); the octets it took, or the reply. */
static int
engine_path(const char *s, size_t n, int flags, struct smtp_addr *a,
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

/* engine_mail_check: may a MAIL come now?  NULL, or the reply. */
static const char *
engine_mail_check(const struct engine_state *e)
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

int
engine_cmd_mail(struct engine_state *e, const char *arg, size_t n)
{
	struct smtpmsg_mail m;
	struct engine_param p;
	struct smtp_addr a;
	const char *err;
	size_t i = 5;
	unsigned seen = 0;
	int rc;

	if ((err = engine_mail_check(e)) != NULL)
		return engine_error(e, err);
	if (n < 5 || strncasecmp(arg, "FROM:", 5) != 0)
		return engine_error(e, "501 5.5.4 Syntax: MAIL FROM:<address>");
	while (i < n && arg[i] == ' ')
		i++;
	if ((rc = engine_path(arg + i, n - i, SMTP_ADDR_MAIL | SMTP_ADDR_UTF8,
	    &a, &err)) < 0)
		return engine_error(e, err);
	memset(&m, 0, sizeof(m));
	for (i += (size_t)rc; (rc = engine_param_next(arg, n, &i, &p)) == 1;) {
		if (e->greet != SMTP_GREET_EHLO)
			return engine_error(e, SMTP_E_UNKNOWN);
		if ((err = engine_mail_param(e, &p, &m, &seen)) != NULL)
			return engine_error(e, err);
	}
	if (rc == -1)
		return engine_error(e, SMTP_E_PARAM);
	if (a.utf8 && !(m.flags & SMTPMSG_SMTPUTF8))
		return engine_error(e, "553 5.6.7 Non-ASCII sender address "
		    "needs SMTPUTF8");
	str_copy(m.proto, engine_proto(e, m.flags), sizeof(m.proto));
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

int
engine_cmd_rcpt(struct engine_state *e, const char *arg, size_t n)
{
	struct smtpmsg_rcpt r;
	struct engine_param p;
	struct smtp_addr a;
	const char *err;
	size_t i = 3;
	unsigned seen = 0;
	int rc;

	if (!e->mail)
		return engine_error(e, "503 5.5.1 Need MAIL before RCPT");
	if (e->mode != SMTP_MODE_NONE || e->bdat_failed)
		return engine_error(e, "503 5.5.1 RCPT after BDAT");
	if (n < 3 || strncasecmp(arg, "TO:", 3) != 0)
		return engine_error(e, "501 5.5.4 Syntax: RCPT TO:<address>");
	while (i < n && arg[i] == ' ')
		i++;
	if ((rc = engine_path(arg + i, n - i, SMTP_ADDR_RCPT |
	    ((e->flags & SMTPMSG_SMTPUTF8) ? SMTP_ADDR_UTF8 : 0), &a,
	    &err)) < 0)
		return engine_error(e, err);
	memset(&r, 0, sizeof(r));
	for (i += (size_t)rc; (rc = engine_param_next(arg, n, &i, &p)) == 1;) {
		if (e->greet != SMTP_GREET_EHLO)
			return engine_error(e, SMTP_E_UNKNOWN);
		if ((err = engine_rcpt_param(&p, &r, &seen)) != NULL)
			return engine_error(e, err);
	}
	if (rc == -1)
		return engine_error(e, SMTP_E_PARAM);
	if (e->nrcpt >= e->max_rcpts)
		return engine_reply(e, "452 4.5.3 Too many recipients");
	str_copy(r.addr, a.addr, sizeof(r.addr));
	if (smtpmsg_rcpt_encode(&e->frame, &r) == -1)
		fatalx("internal error: cannot build an SMTP RCPT");
	e->asked = MSG_SMTP_RCPT;
	e->wait = SMTP_W_ANSWER;
	return SKEL_ASK;
}
