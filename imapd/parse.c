/*
 * parse.c: the IMAP command table and the parser of everything but
 * FETCH and SEARCH (see parse.h).  Runs in imapd's net process (not
 * authenticated) and mail process (after login) on a command straight
 * from the client, which it trusts for nothing: the tag and verb are
 * checked first, then the state, then each argument against its ABNF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/parse_lex.h"

#define N	IMAP_S_NOTAUTH
#define A	IMAP_S_AUTH
#define S	IMAP_S_SELECTED

typedef int (*imap_args_fn)(struct imap_lex *, struct imap_cmd *);

struct imap_cmddef {
	const char	*name;
	int		 verb;
	int		 states;
	int		 uid_ok;	/* may follow "UID" */
	imap_args_fn	 args;		/* after the verb; NULL: none */
};

static int imap_args_append(struct imap_lex *, struct imap_cmd *);
static int imap_args_auth(struct imap_lex *, struct imap_cmd *);
static int imap_args_copy(struct imap_lex *, struct imap_cmd *);
static int imap_args_create(struct imap_lex *, struct imap_cmd *);
static int imap_args_enable(struct imap_lex *, struct imap_cmd *);
static int imap_args_expunge(struct imap_lex *, struct imap_cmd *);
static int imap_args_fetch(struct imap_lex *, struct imap_cmd *);
static int imap_args_getquota(struct imap_lex *, struct imap_cmd *);
static int imap_args_id(struct imap_lex *, struct imap_cmd *);
static int imap_args_list(struct imap_lex *, struct imap_cmd *);
static int imap_args_login(struct imap_lex *, struct imap_cmd *);
static int imap_args_lsub(struct imap_lex *, struct imap_cmd *);
static int imap_args_mailbox(struct imap_lex *, struct imap_cmd *);
static int imap_args_rename(struct imap_lex *, struct imap_cmd *);
static int imap_args_search(struct imap_lex *, struct imap_cmd *);
static int imap_args_select(struct imap_lex *, struct imap_cmd *);
static int imap_args_setquota(struct imap_lex *, struct imap_cmd *);
static int imap_args_status(struct imap_lex *, struct imap_cmd *);
static int imap_args_store(struct imap_lex *, struct imap_cmd *);

/* Sorted by name: searched with bsearch. */
static const struct imap_cmddef imap_cmds[] = {
	{ "APPEND", IMAP_APPEND, A | S, 0, imap_args_append },
	{ "AUTHENTICATE", IMAP_AUTHENTICATE, N, 0, imap_args_auth },
	{ "CAPABILITY", IMAP_CAPABILITY, N | A | S, 0, NULL },
	{ "CHECK", IMAP_CHECK, S, 0, NULL },
	{ "CLOSE", IMAP_CLOSE, S, 0, NULL },
	{ "COPY", IMAP_COPY, S, 1, imap_args_copy },
	{ "CREATE", IMAP_CREATE, A | S, 0, imap_args_create },
	{ "DELETE", IMAP_DELETE, A | S, 0, imap_args_mailbox },
	{ "ENABLE", IMAP_ENABLE, A, 0, imap_args_enable },
	{ "EXAMINE", IMAP_EXAMINE, A | S, 0, imap_args_select },
	{ "EXPUNGE", IMAP_EXPUNGE, S, 1, imap_args_expunge },
	{ "FETCH", IMAP_FETCH, S, 1, imap_args_fetch },
	{ "GETQUOTA", IMAP_GETQUOTA, A | S, 0, imap_args_getquota },
	{ "GETQUOTAROOT", IMAP_GETQUOTAROOT, A | S, 0, imap_args_mailbox },
	{ "ID", IMAP_ID, N | A | S, 0, imap_args_id },
	{ "IDLE", IMAP_IDLE, A | S, 0, NULL },
	{ "LIST", IMAP_LIST, A | S, 0, imap_args_list },
	{ "LOGIN", IMAP_LOGIN, N, 0, imap_args_login },
	{ "LOGOUT", IMAP_LOGOUT, N | A | S, 0, NULL },
	{ "LSUB", IMAP_LSUB, A | S, 0, imap_args_lsub },
	{ "MOVE", IMAP_MOVE, S, 1, imap_args_copy },
	{ "NAMESPACE", IMAP_NAMESPACE, A | S, 0, NULL },
	{ "NOOP", IMAP_NOOP, N | A | S, 0, NULL },
	{ "RENAME", IMAP_RENAME, A | S, 0, imap_args_rename },
	{ "SEARCH", IMAP_SEARCH, S, 1, imap_args_search },
	{ "SELECT", IMAP_SELECT, A | S, 0, imap_args_select },
	{ "SETQUOTA", IMAP_SETQUOTA, A | S, 0, imap_args_setquota },
	{ "STATUS", IMAP_STATUS, A | S, 0, imap_args_status },
	{ "STORE", IMAP_STORE, S, 1, imap_args_store },
	{ "SUBSCRIBE", IMAP_SUBSCRIBE, A | S, 0, imap_args_mailbox },
	{ "UNSELECT", IMAP_UNSELECT, S, 0, NULL },
	{ "UNSUBSCRIBE", IMAP_UNSUBSCRIBE, A | S, 0, imap_args_mailbox },
};

#define NCMDS	(sizeof(imap_cmds) / sizeof(imap_cmds[0]))

const char *
imap_verb_name(int verb)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (imap_cmds[i].verb == verb)
			return imap_cmds[i].name;
	return "?";
}

static int
imap_cmd_cmp(const void *key, const void *elem)
{
	const struct imap_cmddef *d = elem;

	return strcasecmp(key, d->name);
}

static const struct imap_cmddef *
imap_cmd_lookup(const char *s, size_t n)
{
	char key[16];

	if (n == 0 || n >= sizeof(key))
		return NULL;
	memcpy(key, s, n);
	key[n] = '\0';
	return bsearch(key, imap_cmds, NCMDS, sizeof(imap_cmds[0]),
	    imap_cmd_cmp);
}

/* imap_sp: the single SP before an argument. */
static int
imap_sp(struct imap_lex *p)
{
	return imap_lex_char(p, ' ', "expected SP before argument");
}

static int
imap_args_login(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.login.user) == -1)
		return -1;
	if (imap_lex_char(p, ' ', "LOGIN needs a user name and a password")
	    == -1)
		return -1;
	return imap_lex_astring(p, &c->u.login.pass);
}

/* AUTHENTICATE auth-type [SP (base64 / "=")] (RFC 9051, RFC 4959). */
static int
imap_args_auth(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_str *ir = &c->u.auth.ir;
	size_t i, pad = 0;

	if (imap_sp(p) == -1 || imap_lex_atom(p, &c->u.auth.mech.p,
	    &c->u.auth.mech.len, "expected a mechanism") == -1)
		return -1;
	c->u.auth.mech.kind = IMAP_STR_ATOM;
	c->u.auth.mech.size = c->u.auth.mech.len;
	if (!imap_lex_accept(p, ' '))
		return 0;
	if (imap_lex_atom(p, &ir->p, &ir->len,
	    "expected an initial response") == -1)
		return -1;
	ir->kind = IMAP_STR_ATOM;
	ir->size = ir->len;
	if (ir->len == 1 && ir->p[0] == '=')
		return 0;
	for (i = 0; i < ir->len; i++) {
		if (ir->p[i] == '=')
			pad++;
		else if (pad > 0 || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
		    "hijklmnopqrstuvwxyz0123456789+/", ir->p[i]) == NULL)
			break;
	}
	if (i != ir->len || pad > 2 || ir->len % 4 != 0) {
		p->pos -= ir->len;
		return imap_lex_fail(p, "bad base64 in initial response");
	}
	return 0;
}

/* ID SP ("(" [string SP nstring *(SP string SP nstring)] ")" / NIL),
 * RFC 2971 section 3.3. */
static int
imap_args_id(struct imap_lex *p, struct imap_cmd *c)
{
	uint16_t n = 0;

	if (imap_sp(p) == -1)
		return -1;
	if (imap_lex_keyword(p, "NIL"))
		return 0;
	if (imap_lex_char(p, '(', "expected \"(\" or NIL") == -1)
		return -1;
	if (imap_lex_accept(p, ')'))
		return 0;
	do {
		if (n == IMAP_ID_MAX)
			return imap_lex_limit(p, "too many ID fields");
		if (imap_lex_string(p, &c->u.id.name[n], 0) == -1)
			return -1;
		if (c->u.id.name[n].size > IMAP_ID_FIELD_MAX)
			return imap_lex_limit(p, "ID field name too long");
		if (imap_lex_char(p, ' ', "ID field needs a value") == -1 ||
		    imap_lex_nstring(p, &c->u.id.value[n]) == -1)
			return -1;
		if (c->u.id.value[n].size > IMAP_ID_VALUE_MAX)
			return imap_lex_limit(p, "ID value too long");
		c->u.id.n = ++n;
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after ID fields");
}

static int
imap_args_enable(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_str *cap;

	if (imap_sp(p) == -1)
		return -1;
	do {
		if (c->u.enable.n == IMAP_ENABLE_MAX)
			return imap_lex_limit(p, "too many capabilities");
		cap = &c->u.enable.cap[c->u.enable.n];
		if (imap_lex_atom(p, &cap->p, &cap->len,
		    "expected a capability") == -1)
			return -1;
		cap->kind = IMAP_STR_ATOM;
		cap->size = cap->len;
		c->u.enable.n++;
	} while (imap_lex_accept(p, ' '));
	return 0;
}

static int
imap_args_mailbox(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1)
		return -1;
	return imap_lex_astring(p, &c->u.mailbox);
}

static int
imap_args_rename(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.rename.from) == -1)
		return -1;
	if (imap_lex_char(p, ' ', "RENAME needs two mailbox names") == -1)
		return -1;
	return imap_lex_astring(p, &c->u.rename.to);
}

/* QRESYNC SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
 * [SP seq-match-data] ")" (RFC 7162 3.2.5). */
static int
imap_select_qresync(struct imap_lex *p, struct imap_cmd *c)
{
	if (c->u.select.qresync)
		return imap_lex_fail(p, "QRESYNC given twice");
	c->u.select.qresync = 1;
	if (imap_lex_char(p, ' ', "expected SP after QRESYNC") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" after QRESYNC") == -1 ||
	    imap_lex_number(p, &c->u.select.uidvalidity, 1) == -1 ||
	    imap_lex_char(p, ' ', "QRESYNC needs a mod-sequence") == -1 ||
	    imap_lex_number64(p, &c->u.select.modseq, 1) == -1)
		return -1;
	if (!imap_lex_accept(p, ' '))
		return imap_lex_char(p, ')', "expected \")\" after QRESYNC");
	if (imap_lex_peek(p) != '(') {
		if (imap_lex_seqset(p, &c->u.select.known_uids, 1, 1) == -1)
			return -1;
		if (!imap_lex_accept(p, ' '))
			return imap_lex_char(p, ')',
			    "expected \")\" after QRESYNC");
	}
	if (imap_lex_char(p, '(', "expected \"(\" before seq-match-data") ==
	    -1 || imap_lex_seqset(p, &c->u.select.match_seq, 1, 1) == -1 ||
	    imap_lex_char(p, ' ', "expected SP in seq-match-data") == -1 ||
	    imap_lex_seqset(p, &c->u.select.match_uid, 1, 1) == -1 ||
	    imap_lex_char(p, ')', "expected \")\" after seq-match-data") == -1)
		return -1;
	return imap_lex_char(p, ')', "expected \")\" after QRESYNC");
}

/* SELECT/EXAMINE SP mailbox [SP "(" select-param *(SP ...) ")"]. */
static int
imap_args_select(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.select.mailbox) ==
	    -1)
		return -1;
	if (!imap_lex_accept(p, ' '))
		return 0;
	if (imap_lex_char(p, '(', "expected \"(\" before parameters") == -1)
		return -1;
	do {
		if (imap_lex_keyword(p, "CONDSTORE"))
			c->u.select.condstore = 1;
		else if (imap_lex_keyword(p, "QRESYNC")) {
			if (imap_select_qresync(p, c) == -1)
				return -1;
		} else
			return imap_lex_fail(p, "unknown SELECT parameter");
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after parameters");
}

/* CREATE SP mailbox [SP "(" "USE" SP "(" [use-attr *(SP use-attr)] ")"
 * ")"] (RFC 4466 create-params, RFC 6154 section 3). */
static int
imap_args_create(struct imap_lex *p, struct imap_cmd *c)
{
	static const struct {
		const char	*name;
		uint32_t	 bit;
	} uses[] = {
		{ "All", IMAP_USE_ALL }, { "Archive", IMAP_USE_ARCHIVE },
		{ "Drafts", IMAP_USE_DRAFTS }, { "Flagged", IMAP_USE_FLAGGED },
		{ "Junk", IMAP_USE_JUNK }, { "Sent", IMAP_USE_SENT },
		{ "Trash", IMAP_USE_TRASH },
	};
	const char *s;
	size_t n, i;

	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.create.mailbox) ==
	    -1)
		return -1;
	if (!imap_lex_accept(p, ' '))
		return 0;
	if (imap_lex_char(p, '(', "expected \"(\" before parameters") == -1)
		return -1;
	if (!imap_lex_keyword(p, "USE"))
		return imap_lex_fail(p, "unknown CREATE parameter");
	if (imap_lex_char(p, ' ', "expected SP after USE") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" after USE") == -1)
		return -1;
	if (!imap_lex_accept(p, ')')) {
		do {
			if (imap_lex_char(p, '\\', "expected a use attribute")
			    == -1 || imap_lex_atom(p, &s, &n,
			    "expected a use attribute") == -1)
				return -1;
			for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
				if (imap_lex_is(s, n, uses[i].name))
					break;
			if (i == sizeof(uses) / sizeof(uses[0])) {
				p->no = 1;
				p->code = "USEATTR";
				p->pos -= n + 1;
				return imap_lex_fail(p,
				    "unknown use attribute");
			}
			c->u.create.use |= uses[i].bit;
		} while (imap_lex_accept(p, ' '));
		if (imap_lex_char(p, ')', "expected \")\" after use "
		    "attributes") == -1)
			return -1;
	}
	return imap_lex_char(p, ')', "expected \")\" after parameters");
}

/* list-select-opts "(" [opt *(SP opt)] ")" (RFC 5258, RFC 6154). */
static int
imap_list_select(struct imap_lex *p, struct imap_cmd *c)
{
	uint32_t *sel = &c->u.list.select;

	if (!imap_lex_accept(p, ')')) {
		do {
			if (imap_lex_keyword(p, "SUBSCRIBED"))
				*sel |= IMAP_LS_SUBSCRIBED;
			else if (imap_lex_keyword(p, "REMOTE"))
				*sel |= IMAP_LS_REMOTE;
			else if (imap_lex_keyword(p, "RECURSIVEMATCH"))
				*sel |= IMAP_LS_RECURSIVEMATCH;
			else if (imap_lex_keyword(p, "SPECIAL-USE"))
				*sel |= IMAP_LS_SPECIALUSE;
			else
				return imap_lex_fail(p, "unknown LIST selection "
				    "option");
		} while (imap_lex_accept(p, ' '));
		if (imap_lex_char(p, ')', "expected \")\" after selection "
		    "options") == -1)
			return -1;
	}
	/* RFC 5258 section 3: RECURSIVEMATCH only with another option. */
	if (*sel == IMAP_LS_RECURSIVEMATCH ||
	    *sel == (IMAP_LS_RECURSIVEMATCH | IMAP_LS_REMOTE))
		return imap_lex_fail(p, "RECURSIVEMATCH needs another "
		    "selection option");
	return imap_lex_char(p, ' ', "expected SP after selection options");
}

/* "RETURN" SP "(" [return-option *(SP return-option)] ")" (RFC 5258,
 * RFC 5819 STATUS, RFC 6154 SPECIAL-USE). */
static int
imap_list_return(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_lex_char(p, ' ', "expected SP after RETURN") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" after RETURN") == -1)
		return -1;
	if (imap_lex_accept(p, ')'))
		return 0;
	do {
		if (imap_lex_keyword(p, "SUBSCRIBED"))
			c->u.list.ret |= IMAP_LR_SUBSCRIBED;
		else if (imap_lex_keyword(p, "CHILDREN"))
			c->u.list.ret |= IMAP_LR_CHILDREN;
		else if (imap_lex_keyword(p, "SPECIAL-USE"))
			c->u.list.ret |= IMAP_LR_SPECIALUSE;
		else if (imap_lex_keyword(p, "STATUS")) {
			if (c->u.list.ret & IMAP_LR_STATUS)
				return imap_lex_fail(p, "STATUS given twice");
			c->u.list.ret |= IMAP_LR_STATUS;
			if (imap_lex_char(p, ' ', "expected SP after STATUS") ==
			    -1 || imap_lex_status_atts(p, &c->u.list.status) ==
			    -1)
				return -1;
		} else
			return imap_lex_fail(p, "unknown LIST return option");
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after return options");
}

/* LIST [SP list-select-opts] SP mailbox SP mbox-or-pat
 * [SP list-return-opts] (RFC 5258 section 6). */
static int
imap_args_list(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1)
		return -1;
	if (imap_lex_accept(p, '(')) {
		c->u.list.extended = 1;
		if (imap_list_select(p, c) == -1)
			return -1;
	}
	if (imap_lex_astring(p, &c->u.list.ref) == -1 ||
	    imap_lex_char(p, ' ', "LIST needs a reference and a pattern") ==
	    -1)
		return -1;
	if (imap_lex_accept(p, '(')) {
		c->u.list.extended = 1;
		do {
			if (c->u.list.npat == IMAP_LIST_PATTERNS_MAX)
				return imap_lex_limit(p, "too many patterns");
			if (imap_lex_list_mailbox(p,
			    &c->u.list.pat[c->u.list.npat]) == -1)
				return -1;
			c->u.list.npat++;
		} while (imap_lex_accept(p, ' '));
		if (imap_lex_char(p, ')', "expected \")\" after patterns") ==
		    -1)
			return -1;
	} else {
		if (imap_lex_list_mailbox(p, &c->u.list.pat[0]) == -1)
			return -1;
		c->u.list.npat = 1;
	}
	if (!imap_lex_accept(p, ' '))
		return 0;
	c->u.list.extended = 1;
	if (!imap_lex_keyword(p, "RETURN"))
		return imap_lex_fail(p, "expected RETURN");
	return imap_list_return(p, c);
}

static int
imap_args_lsub(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.list.ref) == -1 ||
	    imap_lex_char(p, ' ', "LSUB needs a reference and a pattern") ==
	    -1 || imap_lex_list_mailbox(p, &c->u.list.pat[0]) == -1)
		return -1;
	c->u.list.npat = 1;
	return 0;
}

static int
imap_args_status(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.status.mailbox) ==
	    -1 || imap_lex_char(p, ' ', "STATUS needs status items") == -1)
		return -1;
	return imap_lex_status_atts(p, &c->u.status.items);
}

/* APPEND SP mailbox [SP flag-list] [SP date-time] SP (literal /
 * literal8) (RFC 9051 6.3.12; MULTIAPPEND and CATENATE not offered). */
static int
imap_args_append(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_str *m = &c->u.append.msg;

	if (imap_sp(p) == -1 || imap_lex_astring(p, &c->u.append.mailbox) ==
	    -1 || imap_lex_char(p, ' ', "APPEND needs a message") == -1)
		return -1;
	if (imap_lex_peek(p) == '(') {
		if (imap_lex_flag_list(p, &c->u.append.flags, 1) == -1 ||
		    imap_lex_char(p, ' ', "APPEND needs a message") == -1)
			return -1;
	}
	if (imap_lex_peek(p) == '"') {
		c->u.append.has_date = 1;
		if (imap_lex_datetime(p, &c->u.append.date) == -1 ||
		    imap_lex_char(p, ' ', "APPEND needs a message") == -1)
			return -1;
	}
	if (imap_lex_peek(p) != '{' && imap_lex_peek(p) != '~')
		return imap_lex_fail(p, "APPEND message must be a literal");
	return imap_lex_string(p, m, IMAP_LEX_BINARY | IMAP_LEX_EXTERNAL);
}

static int
imap_args_getquota(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1)
		return -1;
	return imap_lex_astring(p, &c->u.quota.root);
}

/* SETQUOTA SP quota-root-name SP "(" [resource SP number64 *(...)] ")"
 * (RFC 9208 section 4.1.3). */
static int
imap_args_setquota(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_str *r;
	uint16_t n = 0;

	if (imap_args_getquota(p, c) == -1 ||
	    imap_lex_char(p, ' ', "SETQUOTA needs a resource list") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" before resources") == -1)
		return -1;
	if (imap_lex_accept(p, ')'))
		return 0;
	do {
		if (n == IMAP_QUOTA_RES_MAX)
			return imap_lex_limit(p, "too many quota resources");
		r = &c->u.quota.res[n];
		if (imap_lex_atom(p, &r->p, &r->len,
		    "expected a resource name") == -1)
			return -1;
		r->kind = IMAP_STR_ATOM;
		r->size = r->len;
		if (imap_lex_char(p, ' ', "resource needs a limit") == -1 ||
		    imap_lex_number64(p, &c->u.quota.limit[n], 0) == -1)
			return -1;
		c->u.quota.n = ++n;
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after resources");
}

/* EXPUNGE takes nothing; UID EXPUNGE a set (RFC 4315 section 2.1). */
static int
imap_args_expunge(struct imap_lex *p, struct imap_cmd *c)
{
	if (!c->uid)
		return 0;
	if (imap_lex_char(p, ' ', "UID EXPUNGE needs a UID set") == -1)
		return -1;
	return imap_lex_seqset(p, &c->u.set, 0, 0);
}

static int
imap_args_copy(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1 || imap_lex_seqset(p, &c->u.copy.set, 0, 0) ==
	    -1 || imap_lex_char(p, ' ', "expected SP before mailbox") == -1)
		return -1;
	return imap_lex_astring(p, &c->u.copy.mailbox);
}

static int
imap_args_fetch(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1)
		return -1;
	return imap_parse_fetch(p, c);
}

static int
imap_args_search(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_sp(p) == -1)
		return -1;
	return imap_parse_search(p, c);
}

/* STORE SP sequence-set [SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer
 * ")"] SP ["+" / "-"] "FLAGS" [".SILENT"] SP (flag-list / flag *(SP
 * flag)) (RFC 9051 6.4.6, RFC 7162 3.1.3). */
static int
imap_args_store(struct imap_lex *p, struct imap_cmd *c)
{
	const char *s;
	size_t n;

	if (imap_sp(p) == -1 || imap_lex_seqset(p, &c->u.store.set, 0, 0) ==
	    -1 || imap_lex_char(p, ' ', "STORE needs a flag operation") == -1)
		return -1;
	if (imap_lex_accept(p, '(')) {
		if (!imap_lex_keyword(p, "UNCHANGEDSINCE"))
			return imap_lex_fail(p, "unknown STORE modifier");
		c->u.store.has_unchangedsince = 1;
		if (imap_lex_char(p, ' ', "expected SP") == -1 ||
		    imap_lex_number64(p, &c->u.store.unchangedsince, 0) ==
		    -1 || imap_lex_char(p, ')', "expected \")\"") == -1 ||
		    imap_lex_char(p, ' ', "STORE needs a flag operation") ==
		    -1)
			return -1;
	}
	c->u.store.op = '=';
	if (imap_lex_accept(p, '+'))
		c->u.store.op = '+';
	else if (imap_lex_accept(p, '-'))
		c->u.store.op = '-';
	if (imap_lex_atom(p, &s, &n, "expected FLAGS") == -1)
		return -1;
	if (imap_lex_is(s, n, "FLAGS.SILENT"))
		c->u.store.silent = 1;
	else if (!imap_lex_is(s, n, "FLAGS")) {
		p->pos -= n;
		return imap_lex_fail(p, "expected FLAGS or FLAGS.SILENT");
	}
	if (imap_lex_char(p, ' ', "STORE needs flags") == -1)
		return -1;
	return imap_lex_flag_list(p, &c->u.store.flags, 0);
}

static int
imap_tag_char(int c)
{
	/* ASTRING-CHAR except "+" (RFC 9051 tag). */
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", c) == NULL;
}

int
imap_parse_tag(const char *buf, size_t len, char tag[IMAP_TAG_MAX + 1])
{
	size_t n;

	for (n = 0; n < len && imap_tag_char((unsigned char)buf[n]); n++)
		;
	if (n == 0 || n > IMAP_TAG_MAX || n == len || buf[n] != ' ') {
		memcpy(tag, "*", 2);
		return -1;
	}
	memcpy(tag, buf, n);
	tag[n] = '\0';
	return 0;
}

/* imap_parse_verb: the command name (after "UID " too), its state and
 * then its arguments. */
static int
imap_parse_verb(struct imap_lex *p, struct imap_cmd *c, int state,
    const struct imap_cmddef **dp)
{
	const struct imap_cmddef *d;
	const char *s;
	size_t n;

	if (imap_lex_atom(p, &s, &n, "expected a command") == -1)
		return -1;
	if (imap_lex_is(s, n, "UID")) {
		c->uid = 1;
		if (imap_lex_char(p, ' ', "expected a command after UID") ==
		    -1 || imap_lex_atom(p, &s, &n,
		    "expected a command after UID") == -1)
			return -1;
	}
	if ((d = imap_cmd_lookup(s, n)) == NULL || (c->uid && !d->uid_ok)) {
		p->pos -= n;
		return imap_lex_fail(p, c->uid ? "unknown UID command" :
		    "unknown command");
	}
	*dp = d;
	c->verb = d->verb;
	if ((d->states & state) == 0) {
		p->pos -= n;
		if (state == IMAP_S_NOTAUTH)
			return imap_lex_fail(p, "not logged in");
		if (d->states == N)
			return imap_lex_fail(p, "already logged in");
		if (state == IMAP_S_SELECTED)
			return imap_lex_fail(p, "not valid with a mailbox "
			    "selected");
		return imap_lex_fail(p, "no mailbox selected");
	}
	if (d->args != NULL && d->args(p, c) == -1)
		return -1;
	if (!imap_lex_at_end(p))
		return imap_lex_fail(p, d->args == NULL ?
		    "command takes no arguments" : "unexpected text after "
		    "arguments");
	return 0;
}

/*
 * imap_parse_error: "<VERB>: <why> at octet N (near "...")" into c->err.
 * The quoted text is one token at most (a mistyped verb, not the line
 * after it), stops before any literal, and is left out for LOGIN and
 * AUTHENTICATE, whose errors may sit next to a password: reasons go to
 * logs.
 */
static void
imap_parse_error(const struct imap_lex *p, struct imap_cmd *c,
    const struct imap_cmddef *d)
{
	char near[24];
	size_t i, n, stop = p->len;
	unsigned char ch;
	int rc;

	for (i = 0; i < p->nlits; i++)
		if (p->lits[i].off >= p->errat) {
			stop = p->lits[i].off;
			break;
		}
	for (n = 0; n < 16 && p->errat + n < stop; n++) {
		ch = (unsigned char)p->buf[p->errat + n];
		if (ch == ' ' && n > 0)
			break;
		near[n] = ch >= 0x20 && ch < 0x7f && ch != '"' &&
		    ch != '\\' ? (char)ch : '?';
	}
	near[n] = '\0';
	if (d != NULL && (d->verb == IMAP_LOGIN ||
	    d->verb == IMAP_AUTHENTICATE))
		n = 0;
	rc = snprintf(c->err, sizeof(c->err), "%s%s%s at octet %zu%s%s%s",
	    d != NULL ? d->name : "", d != NULL ? ": " : "", p->err,
	    p->errat, n > 0 ? " (near \"" : "", n > 0 ? near : "",
	    n > 0 ? "\")" : "");
	if (rc < 0)
		c->err[0] = '\0';
}

int
imap_parse(const char *buf, size_t len, const struct imap_literal *lits,
    size_t nlits, int state, int flags, struct imap_cmd *out)
{
	const struct imap_cmddef *d = NULL;
	struct imap_lex p;
	size_t n;

	memset(out, 0, sizeof(*out));
	imap_lex_init(&p, buf, len, lits, nlits, flags);
	for (n = 0; n < p.end && imap_tag_char((unsigned char)buf[n]); n++)
		;
	if (len == 0)
		imap_lex_fail(&p, "empty command");
	else if (n == 0)
		imap_lex_fail(&p, "bad tag");
	else if (n > IMAP_TAG_MAX)
		imap_lex_limit(&p, "tag too long");
	else {
		memcpy(out->tag, buf, n);
		out->tag[n] = '\0';
		p.pos = n;
		if (imap_lex_char(&p, ' ', "expected SP after tag") == 0)
			imap_parse_verb(&p, out, state, &d);
	}
	if (p.err == NULL)
		return IMAP_PARSE_OK;
	out->code = p.code;
	imap_parse_error(&p, out, d);
	return p.no ? IMAP_PARSE_NO : IMAP_PARSE_BAD;
}

long
imap_str_copy(const struct imap_str *s, char *dst, size_t dstsize)
{
	size_t i, n = 0;

	if (dstsize > 0)
		dst[0] = '\0';
	if (s->kind < IMAP_STR_ATOM || s->kind > IMAP_STR_LITERAL ||
	    s->size >= dstsize)
		return -1;
	for (i = 0; i < s->len; i++) {
		if (s->escaped && s->p[i] == '\\')
			i++;
		dst[n++] = s->p[i];
	}
	dst[n] = '\0';
	return (long)n;
}

int
imap_str_eq(const struct imap_str *s, const char *word)
{
	size_t i, n = 0, wl = strlen(word);
	unsigned char a, b;

	if (s->kind < IMAP_STR_ATOM || s->kind > IMAP_STR_LITERAL ||
	    s->size != wl)
		return 0;
	for (i = 0; i < s->len; i++, n++) {
		if (s->escaped && s->p[i] == '\\')
			i++;
		a = (unsigned char)s->p[i];
		b = (unsigned char)word[n];
		if (a >= 'a' && a <= 'z')
			a -= 32;
		if (b >= 'a' && b <= 'z')
			b -= 32;
		if (a != b)
			return 0;
	}
	return 1;
}
