/*
 * cmd_folder.c: the commands on folders as a whole: CREATE (with RFC
 * 6154 CREATE-SPECIAL-USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST
 * (RFC 9051 6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154
 * SPECIAL-USE, RFC 3348 CHILDREN), LSUB (RFC 3501 6.3.9), STATUS (RFC
 * 9051 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC 7889
 * APPENDLIMIT) and QUOTA (RFC 9208); and the special-use folders of a new
 * mailbox.  Runs in imapd's mail process; the arguments come from the
 * parser and are trusted for their syntax only, the store for the rest.
 *
 * Choices made here, where the RFCs leave one:
 *  - A new mailbox (no folder but INBOX, no subscription) gets Sent,
 *    Drafts, Trash, Junk and Archive, subscribed, at its first IMAP
 *    login (imap_folders_prepare).  Only then: a user who deletes Junk
 *    keeps it deleted, and a mailbox migrated with its own folders is
 *    left as it is.
 *  - DELETE of the selected folder is allowed (RFC 9051 does not forbid
 *    it); the session then leaves the selected state and says so with
 *    "* OK [CLOSED]" before the tagged OK, as a SELECT of another folder
 *    would.  RENAME of the selected folder, or of one of its parents,
 *    keeps it selected under its new name (its UIDs and UIDVALIDITY move
 *    with it).
 *  - A name that is not a folder but is listed (a parent implied by a
 *    child, a subscription) is \Noselect to a LIST of RFC 3501's syntax
 *    and \NonExistent to LIST-EXTENDED and IMAP4rev2 (RFC 5258 3, RFC
 *    9051 7.3.1: \NonExistent implies \Noselect).  \HasChildren or
 *    \HasNoChildren and the special-use attribute are always given.
 *  - QUOTA: one quota root, "", the whole mailbox, with the one limit the
 *    store has (bytes: STORAGE in KiB, RFC 9208 5.1).  Without a limit
 *    there is no root: GETQUOTAROOT names none and GETQUOTA "" answers
 *    NO [NONEXISTENT].  SETQUOTA is the administrator's (authctl).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mutf7.h"
#include "common/store_folder.h"
#include "common/util.h"
#include "imapd/listmatch.h"
#include "imapd/session.h"
#include "imapd/view.h"

#define FOLDER_PATH_MAX	512	/* a folder's directory name ("." key) */

/* ---- names and errors ---------------------------------------------- */

/* folder_same: a and b name the same folder (same directory: "inbox/x"
 * is "INBOX/x"). */
static int
folder_same(const char *a, const char *b)
{
	char pa[FOLDER_PATH_MAX], pb[FOLDER_PATH_MAX];

	return store_folder_path(a, pa, sizeof(pa)) == 0 &&
	    store_folder_path(b, pb, sizeof(pb)) == 0 && strcmp(pa, pb) == 0;
}

/* folder_refuse: the tagged NO for the store's errno; limit is the text
 * for EMLINK. */
static void
folder_refuse(struct imap_sess *s, const char *limit)
{
	switch (errno) {
	case EEXIST:
		imap_no(s, "ALREADYEXISTS", "Mailbox already exists");
		break;
	case ENOENT:
		imap_no(s, "NONEXISTENT", "No such mailbox");
		break;
	case EINVAL:
		imap_no(s, "CANNOT", "Mailbox name not allowed: no \".\", "
		    "\"*\", \"%%\", control characters or empty levels");
		break;
	case ENAMETOOLONG:
		imap_no(s, "CANNOT", "Mailbox name too long");
		break;
	case EPERM:
		imap_no(s, "CANNOT", "INBOX cannot be deleted");
		break;
	case EMLINK:
		imap_no(s, "LIMIT", "%s", limit);
		break;
	default:
		imap_no(s, "SERVERBUG", "%s failed",
		    imap_verb_name(s->cmd->verb));
		break;
	}
}

/* folder_count: the user's folders, INBOX not counted (as the store
 * counts them against imap max mailboxes).  0 or -1. */
static int
folder_count(struct imap_sess *s, size_t *n)
{
	struct store_folder_entry *f;
	size_t i, nf;

	if (store_folder_list(s->store, &f, &nf) == -1)
		return -1;
	for (i = 0, *n = 0; i < nf; i++)
		if (!(f[i].attrs & STORE_LIST_NONEXISTENT) &&
		    strcmp(f[i].name, "INBOX") != 0)
			(*n)++;
	free(f);
	return 0;
}

void
imap_folders_prepare(struct imap_sess *s)
{
	struct store_folder_entry *f;
	char *subs = NULL;
	size_t nf, ns = 0, made = 0;
	int rc;

	if (store_folder_list(s->store, &f, &nf) == -1)
		return;
	rc = store_subscriptions(s->store, &subs, &ns);
	free(f);
	free(subs);
	if (rc == -1 || nf != 1 || ns != 0)
		return;
	if (store_folder_special_create(s->store, &made) == -1)
		log_warnx("%s: the special-use folders of a new mailbox could "
		    "not be created", s->m->user);
	else if (made > 0)
		log_info("%s: new mailbox: %zu special-use folders created",
		    s->m->user, made);
}

/* ---- CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE ------------------------ */

/* folder_use_check: CREATE ... (USE (...)) (RFC 6154 3).  The special
 * uses are fixed by name here (store_folder_use), so the one asked for
 * must be the one the name has; \All and \Flagged (virtual folders) do
 * not exist.  0, or -1 after NO [USEATTR]. */
static int
folder_use_check(struct imap_sess *s, const char *name, uint32_t use)
{
	static const struct {
		uint32_t	 bit;
		enum store_use	 use;
	} uses[] = {
		{ IMAP_USE_SENT, STORE_USE_SENT },
		{ IMAP_USE_DRAFTS, STORE_USE_DRAFTS },
		{ IMAP_USE_TRASH, STORE_USE_TRASH },
		{ IMAP_USE_JUNK, STORE_USE_JUNK },
		{ IMAP_USE_ARCHIVE, STORE_USE_ARCHIVE },
	};
	size_t i;

	if (use == 0)
		return 0;
	if (use & (IMAP_USE_ALL | IMAP_USE_FLAGGED)) {
		imap_no(s, "USEATTR", "\\All and \\Flagged are not supported");
		return -1;
	}
	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (use == uses[i].bit && store_folder_use(name) == uses[i].use)
			return 0;
	imap_no(s, "USEATTR", "Special uses go by name here: \\Sent is "
	    "Sent, \\Drafts Drafts, \\Trash Trash, \\Junk Junk, \\Archive "
	    "Archive");
	return -1;
}

void
cmd_create(struct imap_sess *s, const struct imap_cmd *c)
{
	char name[STORE_FOLDER_NAME_MAX], limit[80];
	size_t len, max;

	if (imap_folder_arg(s, &c->u.create.mailbox, name, sizeof(name)) ==
	    -1)
		return;
	/* "foo/" announces children (RFC 3501 6.3.3); a Maildir++ folder
	 * can always have them, so it is foo that is created. */
	len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	if (folder_use_check(s, name, c->u.create.use) == -1)
		return;
	max = s->cfg->imap_max_mailboxes > 0 ?
	    (size_t)s->cfg->imap_max_mailboxes : 0;
	if (store_folder_create(s->store, name, max) == -1) {
		(void)snprintf(limit, sizeof(limit), "Too many mailboxes: at "
		    "most %zu", max);
		folder_refuse(s, limit);
		return;
	}
	imap_ok(s, NULL, "CREATE completed");
}

/* folder_deselect: the selected folder is gone: back to the
 * authenticated state, announced as CLOSED (RFC 9051 7.1). */
static void
folder_deselect(struct imap_sess *s, const char *why)
{
	view_close(s->view);
	s->view = NULL;
	s->state = IMAP_S_AUTH;
	free(s->saved);
	s->saved = NULL;
	s->nsaved = 0;
	imap_printf(s, "* OK [CLOSED] %s\r\n", why);
}

void
cmd_delete(struct imap_sess *s, const struct imap_cmd *c)
{
	char name[STORE_FOLDER_NAME_MAX];
	int selected;

	if (imap_folder_arg(s, &c->u.mailbox, name, sizeof(name)) == -1)
		return;
	selected = s->view != NULL && folder_same(s->view->folder, name);
	if (store_folder_delete(s->store, name) == -1) {
		folder_refuse(s, NULL);
		return;
	}
	if (selected)
		folder_deselect(s, "Selected mailbox deleted");
	imap_ok(s, NULL, "DELETE completed");
}

/* folder_follow: RENAME moved from to to with its inferiors; when the
 * selected folder was among them, the session keeps it under its new
 * name: to, then the levels below from. */
static void
folder_follow(struct imap_sess *s, const char *from, const char *to)
{
	char fp[FOLDER_PATH_MAX], vp[FOLDER_PATH_MAX];
	char name[STORE_FOLDER_NAME_MAX];
	const char *rest = s->view->folder, *p;
	size_t flen, slashes = 0;
	int n;

	if (store_folder_path(from, fp, sizeof(fp)) == -1 ||
	    store_folder_path(s->view->folder, vp, sizeof(vp)) == -1)
		return;
	flen = strlen(fp);
	if (strncmp(vp, fp, flen) != 0 || (vp[flen] != '\0' &&
	    vp[flen] != '.'))
		return;
	for (p = from; (p = strchr(p, '/')) != NULL; p++)
		slashes++;
	/* a level never holds '/': skip as many of them as from has */
	for (; rest != NULL && slashes > 0; slashes--)
		if ((rest = strchr(rest, '/')) != NULL)
			rest++;
	rest = rest != NULL ? strchr(rest, '/') : NULL;
	n = snprintf(name, sizeof(name), "%s%s", to, rest ? rest : "");
	if (n < 0 || (size_t)n >= sizeof(s->view->folder)) {
		folder_deselect(s, "Selected mailbox renamed");
		return;
	}
	(void)str_copy(s->view->folder, name, sizeof(s->view->folder));
	memset(&s->view->probe, 0, sizeof(s->view->probe));
	s->view->kw_loaded = 0;
}

void
cmd_rename(struct imap_sess *s, const struct imap_cmd *c)
{
	char from[STORE_FOLDER_NAME_MAX], to[STORE_FOLDER_NAME_MAX];
	int max = s->cfg->imap_max_mailboxes, inbox;
	size_t n;

	if (imap_folder_arg(s, &c->u.rename.from, from, sizeof(from)) ==
	    -1 || imap_folder_arg(s, &c->u.rename.to, to, sizeof(to)) == -1)
		return;
	/* Renaming INBOX makes a new folder (RFC 3501 6.3.5): it counts. */
	inbox = strcmp(from, "INBOX") == 0;
	if (inbox && max > 0 && folder_count(s, &n) == 0 &&
	    n >= (size_t)max) {
		imap_no(s, "LIMIT", "Too many mailboxes: at most %d", max);
		return;
	}
	if (store_folder_rename(s->store, from, to) == -1) {
		folder_refuse(s, NULL);
		return;
	}
	if (s->view != NULL && !inbox)
		folder_follow(s, from, to);
	imap_ok(s, NULL, "RENAME completed");
}

void
cmd_subscribe(struct imap_sess *s, const struct imap_cmd *c)
{
	char name[STORE_FOLDER_NAME_MAX];

	if (imap_folder_arg(s, &c->u.mailbox, name, sizeof(name)) == -1)
		return;
	/* A name need not exist to be subscribed (RFC 3501 6.3.6). */
	if (store_subscribe(s->store, name, c->verb == IMAP_SUBSCRIBE) ==
	    -1) {
		folder_refuse(s, "Too many subscriptions");
		return;
	}
	imap_ok(s, NULL, "%s completed", imap_verb_name(c->verb));
}

/* ---- STATUS ------------------------------------------------------------ */

/*
 * folder_status_put: "* STATUS name (...)" with items (IMAP_ST_*, not
 * MAILBOXID): the folder's record after a sync; UNSEEN, DELETED and SIZE
 * walk its listing.  RECENT is the session's count for the selected
 * folder, else 0: \Recent is per session here (view.c).  Nothing is
 * sent on failure.  0, or -1 with errno (ENOENT or EINVAL: no such
 * folder).
 */
static int
folder_status_put(struct imap_sess *s, const char *name, uint32_t items)
{
	static const struct {
		uint32_t	 bit;
		const char	*name;
	} it[] = {
		{ IMAP_ST_MESSAGES, "MESSAGES" }, { IMAP_ST_RECENT, "RECENT" },
		{ IMAP_ST_UIDNEXT, "UIDNEXT" },
		{ IMAP_ST_UIDVALIDITY, "UIDVALIDITY" },
		{ IMAP_ST_UNSEEN, "UNSEEN" }, { IMAP_ST_DELETED, "DELETED" },
		{ IMAP_ST_SIZE, "SIZE" },
		{ IMAP_ST_HIGHESTMODSEQ, "HIGHESTMODSEQ" },
		{ IMAP_ST_APPENDLIMIT, "APPENDLIMIT" },
	};
	uint64_t v[sizeof(it) / sizeof(it[0])] = { 0 };	/* it[i]'s */
	struct store_folder info;
	struct store_msginfo *msgs;
	size_t i, n, k;

	if (store_sync(s->store, name, &info) == -1)
		return -1;
	if (items & (IMAP_ST_UNSEEN | IMAP_ST_DELETED | IMAP_ST_SIZE)) {
		if (store_list_info(s->store, name, &msgs, &n) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			v[4] += !(msgs[i].flags & STORE_SEEN);
			v[5] += (msgs[i].flags & STORE_DELETED) != 0;
			v[6] += msgs[i].size;
		}
		free(msgs);
		store_trim(s->store);
	}
	v[0] = info.exists;
	if (s->view != NULL && folder_same(s->view->folder, name))
		v[1] = s->view->recent;
	v[2] = info.uidnext;
	v[3] = info.uidvalidity;
	v[7] = info.highestmodseq;
	v[8] = s->cfg->imap_append_limit;
	imap_printf(s, "* STATUS ");
	imap_put_mailbox(s, name);
	imap_put(s, " (", 2);
	for (i = 0, k = 0; i < sizeof(it) / sizeof(it[0]); i++) {
		if (!(items & it[i].bit))
			continue;
		imap_printf(s, "%s%s ", k++ ? " " : "", it[i].name);
		/* RFC 7889: NIL for no limit */
		if (it[i].bit == IMAP_ST_APPENDLIMIT && v[i] == 0)
			imap_printf(s, "NIL");
		else
			imap_printf(s, "%llu", (unsigned long long)v[i]);
	}
	imap_put(s, ")\r\n", 3);
	return 0;
}

void
cmd_status(struct imap_sess *s, const struct imap_cmd *c)
{
	char name[STORE_FOLDER_NAME_MAX];

	if (c->u.status.items & IMAP_ST_MAILBOXID) {
		imap_bad(s, NULL, "MAILBOXID needs OBJECTID, which this server "
		    "does not offer");
		return;
	}
	if (imap_folder_arg(s, &c->u.status.mailbox, name, sizeof(name)) ==
	    -1)
		return;
	/* The selected folder's news first, so RECENT agrees with it. */
	if (s->view != NULL && folder_same(s->view->folder, name) &&
	    view_refresh(s, 1) == -1)
		log_warnx("%s: folder %s could not be read again",
		    s->m->user, name);
	if (folder_status_put(s, name, c->u.status.items) == -1) {
		if (errno == ENOENT || errno == EINVAL)
			imap_no(s, "NONEXISTENT", "No such mailbox");
		else
			imap_no(s, "SERVERBUG", "Mailbox cannot be read");
		return;
	}
	/* STATUS HIGHESTMODSEQ enables CONDSTORE (RFC 7162 3.1) */
	if (c->u.status.items & IMAP_ST_HIGHESTMODSEQ)
		imap_want_condstore(s);
	imap_ok(s, NULL, "STATUS completed");
}

/* ---- LIST and LSUB ------------------------------------------------------ */

/* A name LIST or LSUB may report: a folder, a parent only implied by a
 * folder, a subscription, or a parent of one.  p points into the store's
 * folder listing or the subscriptions (not NUL-terminated). */
struct list_name {
	const char	*p;
	uint16_t	 len;
	uint8_t		 flags;		/* LN_* */
	uint8_t		 use;		/* enum store_use */
};

#define LN_EXISTS	0x01	/* a folder */
#define LN_IMPLIED	0x02	/* a parent of a folder, none itself */
#define LN_CHILDREN	0x04	/* has a folder below it */
#define LN_SUBSCRIBED	0x08
#define LN_MATCH	0x10	/* matches a pattern */
#define LN_CHILDINFO	0x20	/* a descendant that does not match meets
				 * the selection (RFC 5258 3.5) */

struct list_pat {
	char		 p[LISTMATCH_PATTERN_MAX + 1];
	char		 inbox[LISTMATCH_PATTERN_MAX + 1];	/* p, with
						 * "inbox" as "INBOX" */
	size_t		 len;
};

struct list_ctx {
	struct imap_sess		*s;
	const struct imap_cmd		*c;
	int				 lsub;
	int				 ext;	/* LIST-EXTENDED or rev2 */
	uint32_t			 sel;	/* IMAP_LS_* */
	uint32_t			 ret;	/* IMAP_LR_* */
	int				 childinfo;
	int				 empty;	/* a "" pattern was given */
	struct list_pat			 pat[IMAP_LIST_PATTERNS_MAX];
	size_t				 npat;
	struct store_folder_entry	*folders;
	char				*subs;
	struct list_name		*names;
	size_t				 n, cap;
};

/* list_decode: a reference or pattern in UTF-8 into out (len octets), as
 * imap_folder_arg decodes names; one that is not modified UTF-7
 * ("R&D*") is taken as it is.  Its length, or -1 when too long. */
static long
list_decode(struct imap_sess *s, const struct imap_str *str, char *out,
    size_t len)
{
	char raw[LISTMATCH_PATTERN_MAX + 1];

	if (imap_str_copy(str, raw, sizeof(raw)) == -1)
		return -1;
	if (s->enabled & IMAP_EN_UTF8)
		return str_copy(out, raw, len) == -1 ? -1 : (long)strlen(out);
	if (mutf7_decode(raw, out, len) == -1 && (errno == ENAMETOOLONG ||
	    str_copy(out, raw, len) == -1))
		return -1;
	return (long)strlen(out);
}

/* list_inbox_fold: the leading characters of pat that spell the start of
 * "INBOX" in any case, in upper case: INBOX and its children are matched
 * so (RFC 9051 5.1), other names exactly. */
static void
list_inbox_fold(struct list_pat *lp)
{
	size_t i;

	memcpy(lp->inbox, lp->p, lp->len + 1);
	for (i = 0; i < 5 && i < lp->len; i++) {
		if (lp->p[i] == '*' || lp->p[i] == '%')
			return;
		if ((lp->p[i] & ~0x20) != "INBOX"[i]) {
			memcpy(lp->inbox, lp->p, i);
			return;
		}
		lp->inbox[i] = "INBOX"[i];
	}
}

/* list_patterns: the reference and each pattern, joined (RFC 3501
 * 6.3.8: the reference is prepended unless the pattern starts at the
 * root).  0, or -1 after a tagged BAD. */
static int
list_patterns(struct list_ctx *x)
{
	char ref[LISTMATCH_PATTERN_MAX + 1], pat[LISTMATCH_PATTERN_MAX + 1];
	struct list_pat *lp;
	long rlen, plen;
	size_t i;

	if ((rlen = list_decode(x->s, &x->c->u.list.ref, ref,
	    sizeof(ref))) == -1) {
		imap_bad(x->s, "LIMIT", "Reference too long");
		return -1;
	}
	for (i = 0; i < x->c->u.list.npat; i++) {
		if ((plen = list_decode(x->s, &x->c->u.list.pat[i], pat,
		    sizeof(pat))) == -1 || (pat[0] != '/' &&
		    (size_t)(rlen + plen) > LISTMATCH_PATTERN_MAX)) {
			imap_bad(x->s, "LIMIT", "Reference and pattern too "
			    "long");
			return -1;
		}
		if (plen == 0) {
			x->empty = 1;
			continue;
		}
		lp = &x->pat[x->npat++];
		lp->len = (size_t)snprintf(lp->p, sizeof(lp->p), "%s%s",
		    pat[0] == '/' ? "" : ref, pat);
		list_inbox_fold(lp);
	}
	return 0;
}

static int
list_is_inbox(const char *p, size_t len)
{
	return len >= 5 && memcmp(p, "INBOX", 5) == 0 && (len == 5 ||
	    p[5] == '/');
}

static int
list_match(const struct list_ctx *x, const char *p, size_t len)
{
	int inbox = list_is_inbox(p, len);
	size_t i;

	for (i = 0; i < x->npat; i++)
		if (listmatch(inbox ? x->pat[i].inbox : x->pat[i].p,
		    x->pat[i].len, p, len, '/') == 1)
			return 1;
	return 0;
}

/* list_cmp: the store's order: INBOX and its children first, then each
 * name directly before its children ('/' sorts before every octet). */
static int
list_cmp(const void *a, const void *b)
{
	const struct list_name *x = a, *y = b;
	int rx = !list_is_inbox(x->p, x->len), ry = !list_is_inbox(y->p,
	    y->len), cx, cy;
	size_t i;

	if (rx != ry)
		return rx - ry;
	for (i = 0; ; i++) {
		cx = i == x->len ? 0 : x->p[i] == '/' ? 1 :
		    (unsigned char)x->p[i];
		cy = i == y->len ? 0 : y->p[i] == '/' ? 1 :
		    (unsigned char)y->p[i];
		if (cx != cy || cx == 0)
			return cx - cy;
	}
}

static void
list_add(struct list_ctx *x, const char *p, size_t len, unsigned int flags,
    enum store_use use)
{
	struct list_name *e;
	size_t cap;

	if (x->n == x->cap) {
		cap = x->cap == 0 ? 64 : x->cap * 2;
		if ((e = reallocarray(x->names, cap, sizeof(*e))) == NULL)
			fatal("out of memory listing the mailboxes");
		x->names = e;
		x->cap = cap;
	}
	e = &x->names[x->n++];
	e->p = p;
	e->len = (uint16_t)len;
	e->flags = (uint8_t)flags;
	e->use = (uint8_t)use;
}

/* list_add_subs: the subscriptions, and for CHILDINFO their parents. */
static int
list_add_subs(struct list_ctx *x)
{
	char *name;
	size_t i, k, n;

	if (store_subscriptions(x->s->store, &x->subs, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		name = x->subs + i * STORE_FOLDER_NAME_MAX;
		if (strncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' ||
		    name[5] == '/'))
			memcpy(name, "INBOX", 5);
		list_add(x, name, strlen(name), LN_SUBSCRIBED, STORE_USE_NONE);
		for (k = strlen(name); x->childinfo && k-- > 0;)
			if (name[k] == '/')
				list_add(x, name, k, 0, STORE_USE_NONE);
	}
	return 0;
}

/* list_load: every name, sorted, each once.  0 or -1 (logged). */
static int
list_load(struct list_ctx *x)
{
	const struct store_folder_entry *f;
	size_t i, j, nf;

	if (store_folder_list(x->s->store, &x->folders, &nf) == -1)
		return -1;
	for (i = 0; i < nf; i++) {
		f = &x->folders[i];
		list_add(x, f->name, strlen(f->name),
		    (f->attrs & STORE_LIST_NONEXISTENT ? LN_IMPLIED :
		    LN_EXISTS) | (f->attrs & STORE_LIST_CHILDREN ? LN_CHILDREN :
		    0) | (f->attrs & STORE_LIST_SUBSCRIBED ? LN_SUBSCRIBED : 0),
		    f->attrs & STORE_LIST_NONEXISTENT ? STORE_USE_NONE : f->use);
	}
	if ((x->lsub || (x->sel & IMAP_LS_SUBSCRIBED)) &&
	    list_add_subs(x) == -1)
		return -1;
	if (x->n == 0)
		return 0;
	qsort(x->names, x->n, sizeof(*x->names), list_cmp);
	for (i = 1, j = 0; i < x->n; i++) {
		if (list_cmp(&x->names[j], &x->names[i]) == 0) {
			x->names[j].flags |= x->names[i].flags;
			if (x->names[i].use != STORE_USE_NONE)
				x->names[j].use = x->names[i].use;
			continue;
		}
		x->names[++j] = x->names[i];
	}
	x->n = j + 1;
	return 0;
}

/* list_selected: e meets the selection criteria (RFC 5258 3.1); with
 * none, every folder and every parent a folder implies. */
static int
list_selected(const struct list_ctx *x, const struct list_name *e)
{
	if (x->lsub || (x->sel & IMAP_LS_SUBSCRIBED)) {
		if (!(e->flags & LN_SUBSCRIBED))
			return 0;
	} else if (!(x->sel & IMAP_LS_SPECIALUSE) &&
	    !(e->flags & (LN_EXISTS | LN_IMPLIED)))
		return 0;
	return !(x->sel & IMAP_LS_SPECIALUSE) || ((e->flags & LN_EXISTS) &&
	    e->use != STORE_USE_NONE);
}

/* list_mark: which names match; with CHILDINFO, the ancestors of each
 * selected name that does not match (every ancestor is in the list:
 * the store adds folders' parents, list_add_subs subscriptions'). */
static void
list_mark(struct list_ctx *x)
{
	struct list_name key, *e;
	size_t i;

	for (i = 0; i < x->n; i++)
		if (list_match(x, x->names[i].p, x->names[i].len))
			x->names[i].flags |= LN_MATCH;
	for (i = 0; x->childinfo && i < x->n; i++) {
		if ((x->names[i].flags & LN_MATCH) ||
		    !list_selected(x, &x->names[i]))
			continue;
		key = x->names[i];
		while (key.len > 0) {
			while (key.len > 0 && key.p[--key.len] != '/')
				;
			if (key.len == 0 || (e = bsearch(&key, x->names, x->n,
			    sizeof(key), list_cmp)) == NULL ||
			    (e->flags & LN_CHILDINFO))
				break;
			e->flags |= LN_CHILDINFO;
		}
	}
}

static void
list_attr(struct imap_sess *s, const char **sep, const char *attr)
{
	imap_printf(s, "%s%s", *sep, attr);
	*sep = " ";
}

/* list_put: one LIST or LSUB response, and for LIST-STATUS the STATUS of
 * a folder after it (RFC 5819 2: one that fails is left out). */
static void
list_put(struct list_ctx *x, const struct list_name *e, int selected)
{
	static const char *const uses[] = {
		[STORE_USE_SENT] = "\\Sent", [STORE_USE_DRAFTS] = "\\Drafts",
		[STORE_USE_TRASH] = "\\Trash", [STORE_USE_JUNK] = "\\Junk",
		[STORE_USE_ARCHIVE] = "\\Archive",
	};
	struct imap_sess *s = x->s;
	char name[STORE_FOLDER_NAME_MAX];
	const char *sep = "";
	int exists = (e->flags & LN_EXISTS) != 0;

	memcpy(name, e->p, e->len);
	name[e->len] = '\0';
	imap_printf(s, "* %s (", x->lsub ? "LSUB" : "LIST");
	if (x->lsub) {
		/* RFC 3501 6.3.9: an unsubscribed parent is \Noselect */
		if (!exists || !selected)
			list_attr(s, &sep, "\\Noselect");
	} else {
		if (!exists)
			list_attr(s, &sep, x->ext ? "\\NonExistent" :
			    "\\Noselect");
		if ((x->ret & IMAP_LR_SUBSCRIBED) &&
		    (e->flags & LN_SUBSCRIBED))
			list_attr(s, &sep, "\\Subscribed");
		list_attr(s, &sep, e->flags & LN_CHILDREN ? "\\HasChildren" :
		    "\\HasNoChildren");
		if (exists && e->use > STORE_USE_NONE &&
		    e->use <= STORE_USE_ARCHIVE)
			list_attr(s, &sep, uses[e->use]);
	}
	imap_printf(s, ") \"/\" ");
	imap_put_mailbox(s, name);
	if (!x->lsub && x->childinfo && (e->flags & LN_CHILDINFO))
		imap_printf(s, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_put(s, "\r\n", 2);
	if (!x->lsub && (x->ret & IMAP_LR_STATUS) && exists)
		(void)folder_status_put(s, name, x->c->u.list.status);
}

/* list_check: what the parser leaves to the handler.  0, or -1 after a
 * tagged BAD. */
static int
list_check(struct imap_sess *s, const struct imap_cmd *c)
{
	if (c->verb == IMAP_LSUB && (s->enabled & IMAP_EN_REV2)) {
		imap_bad(s, NULL, "LSUB is not part of IMAP4rev2: use LIST "
		    "(SUBSCRIBED)");
		return -1;
	}
	/* RFC 5258 6, RFC 6154 6: SPECIAL-USE is no base option */
	if ((c->u.list.select & IMAP_LS_RECURSIVEMATCH) &&
	    !(c->u.list.select & IMAP_LS_SUBSCRIBED)) {
		imap_bad(s, NULL, "RECURSIVEMATCH needs SUBSCRIBED");
		return -1;
	}
	if ((c->u.list.ret & IMAP_LR_STATUS) &&
	    (c->u.list.status & IMAP_ST_MAILBOXID)) {
		imap_bad(s, NULL, "MAILBOXID needs OBJECTID, which this server "
		    "does not offer");
		return -1;
	}
	return 0;
}

/* list_run: the responses of LIST or LSUB; 0, or -1 after a tagged
 * answer. */
static int
list_run(struct list_ctx *x)
{
	const struct imap_cmd *c = x->c;
	struct list_name *e;
	size_t i;
	int sel;

	if (list_patterns(x) == -1)
		return -1;
	if (x->empty)
		imap_printf(x->s, "* %s (\\Noselect) \"/\" \"\"\r\n",
		    imap_verb_name(c->verb));
	if (x->npat == 0)
		return 0;
	/* LSUB "%": unsubscribed parents of subscriptions (RFC 3501) */
	x->childinfo = x->lsub ? x->pat[0].p[x->pat[0].len - 1] == '%' :
	    (x->sel & IMAP_LS_RECURSIVEMATCH) != 0;
	if (list_load(x) == -1) {
		imap_no(x->s, "SERVERBUG", "Mailboxes cannot be listed");
		return -1;
	}
	list_mark(x);
	for (i = 0; i < x->n; i++) {
		e = &x->names[i];
		sel = list_selected(x, e);
		if ((e->flags & LN_MATCH) && (sel || (x->childinfo &&
		    (e->flags & LN_CHILDINFO))))
			list_put(x, e, sel);
	}
	return 0;
}

void
cmd_list(struct imap_sess *s, const struct imap_cmd *c)
{
	struct list_ctx *x;

	if (list_check(s, c) == -1)
		return;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("out of memory listing the mailboxes");
	x->s = s;
	x->c = c;
	x->lsub = c->verb == IMAP_LSUB;
	x->ext = !x->lsub && (c->u.list.extended ||
	    (s->enabled & IMAP_EN_REV2));
	x->sel = x->lsub ? 0 : c->u.list.select;
	x->ret = x->lsub ? 0 : c->u.list.ret;
	/* RFC 5258 3.1, RFC 6154 2: these selections imply their return */
	if (x->sel & IMAP_LS_SUBSCRIBED)
		x->ret |= IMAP_LR_SUBSCRIBED;
	if (x->sel & IMAP_LS_SPECIALUSE)
		x->ret |= IMAP_LR_SPECIALUSE;
	if (list_run(x) == 0) {
		if ((x->ret & IMAP_LR_STATUS) &&
		    (c->u.list.status & IMAP_ST_HIGHESTMODSEQ))
			imap_want_condstore(s);
		imap_ok(s, NULL, "%s completed", imap_verb_name(c->verb));
	}
	free(x->folders);
	free(x->subs);
	free(x->names);
	free(x);
}

/* ---- QUOTA -------------------------------------------------------------- */

/* quota_put: the root "" in units of 1024 octets (RFC 9208 5.1): usage
 * rounded up, the limit down, so neither looks better than it is. */
static void
quota_put(struct imap_sess *s, const struct store_quota *q)
{
	imap_printf(s, "* QUOTA \"\" (STORAGE %llu %llu)\r\n",
	    (unsigned long long)(q->bytes / 1024 + (q->bytes % 1024 != 0)),
	    (unsigned long long)(q->limit / 1024));
}

void
cmd_getquotaroot(struct imap_sess *s, const struct imap_cmd *c)
{
	char name[STORE_FOLDER_NAME_MAX];
	struct store_quota q;

	if (imap_folder_arg(s, &c->u.mailbox, name, sizeof(name)) == -1)
		return;
	/* a sync: the folder exists, and its new mail counts */
	if (store_sync(s->store, name, NULL) == -1) {
		if (errno == ENOENT || errno == EINVAL)
			imap_no(s, "NONEXISTENT", "No such mailbox");
		else
			imap_no(s, "SERVERBUG", "Mailbox cannot be read");
		return;
	}
	if (store_quota_get(s->store, &q) == -1) {
		imap_no(s, "SERVERBUG", "Quota cannot be read");
		return;
	}
	imap_printf(s, "* QUOTAROOT ");
	imap_put_mailbox(s, name);
	imap_printf(s, "%s\r\n", q.limit > 0 ? " \"\"" : "");
	if (q.limit > 0)
		quota_put(s, &q);
	imap_ok(s, NULL, "GETQUOTAROOT completed");
}

void
cmd_getquota(struct imap_sess *s, const struct imap_cmd *c)
{
	char root[STORE_FOLDER_NAME_MAX];
	struct store_quota q;

	if (imap_str_copy(&c->u.quota.root, root, sizeof(root)) != 0) {
		imap_no(s, "NONEXISTENT", "No such quota root: the only one "
		    "is \"\"");
		return;
	}
	if (store_quota_get(s->store, &q) == -1) {
		imap_no(s, "SERVERBUG", "Quota cannot be read");
		return;
	}
	if (q.limit == 0) {
		imap_no(s, "NONEXISTENT", "No quota is set");
		return;
	}
	quota_put(s, &q);
	imap_ok(s, NULL, "GETQUOTA completed");
}

void
cmd_setquota(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "NOPERM", "Quotas are set by the administrator");
}
