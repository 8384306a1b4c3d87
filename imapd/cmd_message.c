/*
 * cmd_message.c: the commands that add messages to a folder or change
 * them: APPEND (RFC 9051 6.3.12, with RFC 4315 APPENDUID, RFC 7888
 * LITERAL+, RFC 7889 APPENDLIMIT, RFC 9208 OVERQUOTA, RFC 3516 literal8),
 * STORE and UID STORE (RFC 9051 6.4.6, RFC 7162 3.1.3 UNCHANGEDSINCE),
 * COPY, MOVE and their UID forms (RFC 9051 6.4.7, RFC 6851, RFC 4315
 * COPYUID); and the streaming of an APPEND message too large for the
 * command buffer into a file in the target folder's tmp/.
 *
 * Runs in imapd's mail process, chrooted into the user's Maildir.  The
 * arguments come from the parser and are trusted for their syntax only;
 * the message's octets are stored as they came (CRLF as LF, NUL kept),
 * and nothing is acknowledged before the store made it durable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/store_folder.h"
#include "common/util.h"
#include "imapd/session.h"
#include "imapd/view.h"

/*
 * An answer decided before it can be sent: imap_literal_begin refuses a
 * message, and the reader reports the dropped command only later.  One
 * session per process, so these live here rather than in the session.
 */
static struct {
	int		 set;
	int		 bad;		/* BAD, else NO */
	const char	*code;		/* static, or NULL */
	char		 text[IMAP_ERR_MAX];
} msg_refusal;

/* The folder whose tmp/ holds s->lit, whether the message is a literal8
 * (RFC 3516: it may hold NUL), and why writing it failed (EILSEQ: a NUL
 * in a plain literal). */
static char msg_lit_folder[STORE_FOLDER_NAME_MAX];
static int msg_lit_binary;
static int msg_lit_errno;

/* msg_sys_flags: the parser's system flags (IMAP_F_*) as STORE_*. */
static uint32_t
msg_sys_flags(uint32_t f)
{
	return (f & IMAP_F_SEEN ? STORE_SEEN : 0) |
	    (f & IMAP_F_ANSWERED ? STORE_ANSWERED : 0) |
	    (f & IMAP_F_FLAGGED ? STORE_FLAGGED : 0) |
	    (f & IMAP_F_DELETED ? STORE_DELETED : 0) |
	    (f & IMAP_F_DRAFT ? STORE_DRAFT : 0);
}

/*
 * msg_errcode: the response code and text for a store error err.  target:
 * the folder is one the command adds to, which the client may create
 * (TRYCREATE, RFC 9051 6.3.12 and 6.4.7); else it is the selected one.
 */
static const char *
msg_errcode(int err, int target, const char **text)
{
	switch (err) {
	case ENOENT:
		*text = target ? "No such mailbox" : "Mailbox was deleted";
		return target ? "TRYCREATE" : "NONEXISTENT";
	case EDQUOT:
		*text = "Quota exceeded";
		return "OVERQUOTA";
	case EMLINK:
		*text = "At most 26 keywords in a mailbox";
		return "LIMIT";
	case EOVERFLOW:
		*text = "Mailbox has no UIDs left";
		return "LIMIT";
	case EINVAL:
	case ENAMETOOLONG:
		*text = "Not a valid mailbox name";
		return "CANNOT";
	case ENOSPC:
		*text = "No space left on the server";
		return "UNAVAILABLE";
	default:
		*text = "The mail store failed";
		return "SERVERBUG";
	}
}

/* msg_no_errno: the tagged NO for store error err. */
static void
msg_no_errno(struct imap_sess *s, int err, int target)
{
	const char *code, *text;

	code = msg_errcode(err, target, &text);
	imap_no(s, code, "%s", text);
}

/* msg_set_add: the numbers v[0..n-1] as a sequence set into sb, runs of
 * consecutive numbers as "a:b" (RFC 9051 sequence-set; the order is kept,
 * as COPYUID pairs its two sets by position). */
static void
msg_set_add(struct strbuf *sb, const uint32_t *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j - 1] != UINT32_MAX &&
		    v[j] == v[j - 1] + 1; j++)
			;
		(void)strbuf_printf(sb, "%s%u", i ? "," : "", v[i]);
		if (j - i > 1)
			(void)strbuf_printf(sb, ":%u", v[j - 1]);
	}
}

/* msg_set_init: a strbuf for a set of n numbers and some text. */
static void
msg_set_init(struct strbuf *sb, size_t n)
{
	strbuf_init(sb, n * 24 + 128);
}

/*
 * msg_flags_announce: the selected folder got keywords: tell the client
 * the new FLAGS and PERMANENTFLAGS (RFC 9051 7.3.5: the defined flags
 * changed).
 */
static void
msg_flags_announce(struct imap_sess *s)
{
	const struct store_keywords *kw;
	size_t k, pass;

	s->view->kw_loaded = 0;
	kw = view_keywords(s);
	for (pass = 0; pass < 2; pass++) {
		imap_printf(s, "%s(\\Answered \\Flagged \\Deleted \\Seen "
		    "\\Draft", pass ? "* OK [PERMANENTFLAGS " : "* FLAGS ");
		for (k = 0; k < STORE_KEYWORDS_MAX; k++)
			if (kw->defined & (1U << k))
				imap_printf(s, " %s", kw->name[k]);
		imap_printf(s, "%s", pass ? " \\*)] Flags permitted\r\n" :
		    ")\r\n");
	}
}

/*
 * msg_keywords: the keywords of f as bits of folder's keywords into
 * *bits.  With create, a keyword the folder does not list yet is added
 * to it (STORE FLAGS and +FLAGS, APPEND); without, it is left out (no
 * message can have it: -FLAGS).  When folder is the selected one and got
 * new keywords, the client is told.  Returns 0, or -1 after a tagged
 * NO or BAD.
 */
static int
msg_keywords(struct imap_sess *s, const char *folder,
    const struct imap_flags *f, int create, uint32_t *bits)
{
	char name[STORE_KEYWORD_LEN];
	uint32_t known = 0;
	size_t i;
	int k, selected;

	*bits = 0;
	selected = s->view != NULL && strcmp(s->view->folder, folder) == 0;
	if (selected && f->nkw > 0)
		known = view_keywords(s)->defined;
	for (i = 0; i < f->nkw; i++) {
		if (imap_str_copy(&f->kw[i], name, sizeof(name)) == -1) {
			imap_no(s, "LIMIT", "Keywords are at most %d octets",
			    STORE_KEYWORD_LEN - 1);
			return -1;
		}
		if ((k = store_keyword_find(s->store, folder, name,
		    create)) >= 0) {
			*bits |= 1U << k;
			continue;
		}
		if (errno == ENOENT && !create)
			continue;
		if (errno == EINVAL)
			imap_bad(s, NULL, "Not a valid keyword");
		else
			msg_no_errno(s, errno, !selected);
		return -1;
	}
	if (selected && (*bits & ~known) != 0)
		msg_flags_announce(s);
	return 0;
}

/* ---- APPEND ------------------------------------------------------------ */

/* msg_append_date: the internal date for the store: 0 is "now", so a
 * date-time before 1970 (allowed by the grammar) becomes the earliest
 * the store can keep. */
static int64_t
msg_append_date(const struct imap_cmd *c)
{
	if (!c->u.append.has_date)
		return 0;
	return c->u.append.date > 0 ? c->u.append.date : 1;
}

/* msg_append_external: the message written by imap_literal_data into
 * s->lit, added to folder.  Returns 0, or -1 with errno. */
static int
msg_append_external(struct imap_sess *s, const char *folder, uint32_t flags,
    uint32_t kw, int64_t date, struct store_appended *res)
{
	if (!s->lit_open) {
		errno = s->lit_failed ? msg_lit_errno : EIO;
		return -1;
	}
	if (strcmp(folder, msg_lit_folder) != 0) {
		/* Both come from the same octets of the command. */
		log_warnx("%s: APPEND message written for folder %s, not %s",
		    s->m->user, msg_lit_folder, folder);
		imap_literal_drop(s);
		errno = EIO;
		return -1;
	}
	s->lit_open = 0;
	return store_append_tmp(s->store, &s->lit, flags, kw, date, res);
}

void
cmd_append(struct imap_sess *s, const struct imap_cmd *c)
{
	const struct imap_str *msg = &c->u.append.msg;
	char folder[STORE_FOLDER_NAME_MAX], code[64];
	struct store_appended res;
	uint32_t flags, kw;
	int64_t date = msg_append_date(c);
	int rc;

	if (imap_folder_arg(s, &c->u.append.mailbox, folder,
	    sizeof(folder)) == -1 ||
	    msg_keywords(s, folder, &c->u.append.flags, 1, &kw) == -1) {
		imap_literal_drop(s);
		return;
	}
	flags = msg_sys_flags(c->u.append.flags.sys);
	if (msg->kind == IMAP_STR_EXTERNAL)
		rc = msg_append_external(s, folder, flags, kw, date, &res);
	else
		rc = store_append(s->store, folder, msg->p, msg->len, flags,
		    kw, date, &res);
	if (rc == -1 && errno == EILSEQ)
		imap_bad(s, NULL, "NUL octet in literal: send the message as "
		    "a literal8");
	else if (rc == -1)
		msg_no_errno(s, errno, 1);
	if (rc == -1)
		return;
	s->nappended++;
	(void)snprintf(code, sizeof(code), "APPENDUID %u %u",
	    res.uidvalidity, res.uid);
	/* A message added to the selected folder is reported as EXISTS
	 * before this line (imap_ok looks for changes first). */
	imap_ok(s, code, "APPEND completed");
}

/* msg_refuse: imap_literal_begin refuses the message: the reader drops
 * the command, and imap_literal_refused answers it with this. */
static void
msg_refuse(struct imap_sess *s, int bad, const char *code, const char *text)
{
	msg_refusal.set = 1;
	msg_refusal.bad = bad;
	msg_refusal.code = code;
	(void)str_copy(msg_refusal.text, text, sizeof(msg_refusal.text));
	imap_reader_refuse(&s->rd, msg_refusal.text);
}

/* msg_overquota: would lit_size octets put the user over quota?  Each
 * octet of the literal is at least one of the stored W= size. */
static int
msg_overquota(struct imap_sess *s, uint64_t size)
{
	struct store_quota q;

	if (store_quota_get(s->store, &q) == -1 || q.limit == 0)
		return 0;
	return q.bytes > q.limit || size > q.limit - q.bytes;
}

/*
 * The reader met the announcement of an APPEND message too large for
 * the command buffer.  The command up to it is complete as far as the
 * parser is concerned (the message is APPEND's last argument, and the
 * reader recorded it as external), so it is parsed now for the mailbox:
 * the file is created in that folder's tmp/, from which store_append_tmp
 * renames it into cur/.  A command that cannot succeed is refused here,
 * before the client sends the octets of a synchronizing literal.
 */
void
imap_literal_begin(struct imap_sess *s)
{
	struct imap_cmd *c = &s->parsed;
	const char *code, *text;
	int rc, pf = (s->enabled & IMAP_EN_UTF8) ? IMAP_PF_UTF8 : 0;

	imap_literal_drop(s);
	msg_refusal.set = 0;
	rc = imap_parse(s->rd.buf, s->rd.len, s->rd.lits, s->rd.nlits,
	    s->state, pf, c);
	if (rc != IMAP_PARSE_OK) {
		msg_refuse(s, rc == IMAP_PARSE_BAD, c->code, c->err);
		return;
	}
	if (c->verb != IMAP_APPEND ||
	    c->u.append.msg.kind != IMAP_STR_EXTERNAL) {
		msg_refuse(s, 1, NULL, "Only an APPEND message may be large");
		return;
	}
	if (imap_folder_decode(s, &c->u.append.mailbox, msg_lit_folder,
	    sizeof(msg_lit_folder), &text) == -1) {
		msg_refuse(s, 0, "CANNOT", text);
		return;
	}
	if (msg_overquota(s, s->rd.lit_size)) {
		msg_refuse(s, 0, "OVERQUOTA", "Quota exceeded");
		return;
	}
	if (store_tmp_open(s->store, msg_lit_folder, &s->lit) == -1) {
		if (errno != ENOENT && errno != EINVAL &&
		    errno != ENAMETOOLONG)
			log_warn("%s: cannot create a file for a message to "
			    "folder %s", s->m->user, msg_lit_folder);
		code = msg_errcode(errno, 1, &text);
		msg_refuse(s, 0, code, text);
		return;
	}
	s->lit_open = 1;
	msg_lit_binary = c->u.append.msg.binary;
}

void
imap_literal_data(struct imap_sess *s, const char *p, size_t n)
{
	if (!s->lit_open)
		return;
	/* CHAR8 has no NUL (RFC 9051 4.3): the parser says the same of a
	 * literal it holds. */
	if (!msg_lit_binary && memchr(p, '\0', n) != NULL)
		msg_lit_errno = EILSEQ;
	else if (store_tmp_write(&s->lit, p, n) == 0)
		return;
	else {
		msg_lit_errno = errno;
		if (errno != EDQUOT && errno != ENOSPC)
			log_warn("%s: cannot write a message to folder %s",
			    s->m->user, msg_lit_folder);
	}
	imap_literal_drop(s);
	s->lit_failed = 1;
}

void
imap_literal_drop(struct imap_sess *s)
{
	if (s->lit_open)
		store_tmp_abort(s->store, &s->lit);
	s->lit_open = 0;
	s->lit_failed = 0;
}

/* msg_is_append: does the dropped command in buf (len octets) start
 * with "<tag> APPEND "? */
static int
msg_is_append(const char *buf, size_t len)
{
	const char *sp = memchr(buf, ' ', len);

	return sp != NULL && (size_t)(buf + len - sp) > 7 &&
	    strncasecmp(sp + 1, "APPEND ", 7) == 0;
}

int
imap_literal_refused(struct imap_sess *s)
{
	if (msg_refusal.set) {
		msg_refusal.set = 0;
		if (msg_refusal.bad)
			imap_bad(s, msg_refusal.code, "%s", msg_refusal.text);
		else
			imap_no(s, msg_refusal.code, "%s", msg_refusal.text);
		return 1;
	}
	if (!msg_is_append(s->rd.buf, s->rd.len))
		return 0;
	/* RFC 7889: a message over APPENDLIMIT is a NO [TOOBIG]. */
	imap_no(s, "TOOBIG", "%s", s->rd.why);
	return 1;
}

/* ---- STORE ------------------------------------------------------------- */

/* msg_store_fetch: "* n FETCH (...)" for the message at index i: FLAGS
 * when flags is set, UID when uid is, and MODSEQ once CONDSTORE is on. */
static void
msg_store_fetch(struct imap_sess *s, uint32_t i, int flags, int uid)
{
	const struct imap_vmsg *m = &s->view->msgs[i];
	const char *sep = "";

	imap_printf(s, "* %u FETCH (", i + 1);
	if (flags) {
		imap_put(s, "FLAGS ", 6);
		view_flags_put(s, i);
		sep = " ";
	}
	if (uid) {
		imap_printf(s, "%sUID %u", sep, m->uid);
		sep = " ";
	}
	if (s->enabled & IMAP_EN_CONDSTORE)
		imap_printf(s, "%sMODSEQ (%llu)", sep,
		    (unsigned long long)m->modseq);
	imap_put(s, ")\r\n", 3);
}

/* msg_store_expect: the flags and keywords ch makes of what the session
 * last told the client about a message. */
static void
msg_store_expect(const struct store_change *ch, const struct imap_vmsg *m,
    uint32_t *f, uint32_t *k)
{
	switch (ch->op) {
	case STORE_OP_ADD:
		*f = m->flags | ch->flags;
		*k = m->keywords | ch->keywords;
		break;
	case STORE_OP_REMOVE:
		*f = m->flags & ~ch->flags;
		*k = m->keywords & ~ch->keywords;
		break;
	default:
		*f = ch->flags;
		*k = ch->keywords;
		break;
	}
}

/*
 * msg_store_report: the messages the store changed (out, in the order
 * of the UIDs of the view indexes idx) into the view, so they are not
 * reported again as another session's change, and to the client: FETCH
 * FLAGS for each, or with .SILENT only for a message whose flags are not
 * what the client expects (another session changed them: RFC 9051
 * 6.4.6), and, once CONDSTORE is on, FETCH MODSEQ for each one changed
 * (RFC 7162 3.1.3: even with .SILENT).
 */
static void
msg_store_report(struct imap_sess *s, const struct imap_cmd *c,
    const struct store_change *ch, const uint32_t *idx, size_t n,
    const struct store_msg *out, size_t nout)
{
	struct imap_vmsg *m;
	uint32_t f, k;
	size_t i, j = 0;
	int other, changed, uid;

	uid = c->uid || (s->enabled & IMAP_EN_QRESYNC);
	for (i = 0; i < nout; i++) {
		while (j < n && s->view->msgs[idx[j]].uid != out[i].uid)
			j++;
		if (j == n)
			fatalx("internal error: STORE answered for UID %u, "
			    "not asked", out[i].uid);
		m = &s->view->msgs[idx[j]];
		msg_store_expect(ch, m, &f, &k);
		other = out[i].flags != f || out[i].keywords != k;
		changed = out[i].modseq != m->modseq;
		m->flags = out[i].flags;
		m->keywords = out[i].keywords;
		m->modseq = out[i].modseq;
		if (!c->u.store.silent || other)
			msg_store_fetch(s, idx[j], 1, uid);
		else if (changed && (s->enabled & IMAP_EN_CONDSTORE))
			msg_store_fetch(s, idx[j], 0, uid);
	}
}

/*
 * msg_store_failed: the messages that failed UNCHANGEDSINCE (their
 * UIDs, ascending): each one changed since, so its state is reported
 * (FLAGS and MODSEQ) where the session had not told the client yet, and
 * their numbers (UIDs for UID STORE) go into sb as "MODIFIED <set>" (RFC
 * 7162 3.1.3).  Returns how many.
 */
static size_t
msg_store_failed(struct imap_sess *s, const struct imap_cmd *c,
    uint32_t *failed, size_t nfailed, struct strbuf *sb)
{
	struct imap_view *v = s->view;
	struct store_msg sm;
	uint32_t seq;
	size_t i, k = 0;

	for (i = 0; i < nfailed; i++) {
		/* The UIDs came from the view; none left it since. */
		if ((seq = view_seq(v, failed[i])) == 0)
			continue;
		if (store_msg_get(s->store, v->folder, failed[i], &sm) == 0 &&
		    sm.modseq != v->msgs[seq - 1].modseq) {
			v->msgs[seq - 1].flags = sm.flags;
			v->msgs[seq - 1].keywords = sm.keywords;
			v->msgs[seq - 1].modseq = sm.modseq;
			msg_store_fetch(s, seq - 1, 1, 1);
		}
		failed[k++] = c->uid ? failed[i] : seq;
	}
	if (k > 0) {
		(void)strbuf_adds(sb, "MODIFIED ");
		msg_set_add(sb, failed, k);
	}
	return k;
}

/* msg_store_change: the change STORE asks for, its keywords resolved in
 * the selected folder.  0, or -1 after a tagged NO or BAD. */
static int
msg_store_change(struct imap_sess *s, const struct imap_cmd *c,
    struct store_change *ch)
{
	char op = c->u.store.op;

	ch->op = op == '+' ? STORE_OP_ADD : op == '-' ? STORE_OP_REMOVE :
	    STORE_OP_SET;
	ch->flags = msg_sys_flags(c->u.store.flags.sys);
	ch->unchangedsince = c->u.store.has_unchangedsince ?
	    c->u.store.unchangedsince : STORE_UNCHANGED_ANY;
	return msg_keywords(s, s->view->folder, &c->u.store.flags, op != '-',
	    &ch->keywords);
}

void
cmd_store(struct imap_sess *s, const struct imap_cmd *c)
{
	struct store_change ch;
	struct store_msg *out = NULL;
	struct strbuf sb;
	uint32_t *idx = NULL, *uids = NULL, *failed = NULL;
	size_t n, i, nout = 0, nfailed = 0;

	if (s->view->readonly) {
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (c->u.store.has_unchangedsince)
		imap_want_condstore(s);
	if (imap_set_resolve(s, &c->u.store.set, c->uid, &idx, &n) == -1)
		return;
	if (n == 0) {
		imap_ok(s, NULL, "STORE completed");
		return;
	}
	if (msg_store_change(s, c, &ch) == -1) {
		free(idx);
		return;
	}
	if ((uids = calloc(n, sizeof(*uids))) == NULL ||
	    (failed = calloc(n, sizeof(*failed))) == NULL ||
	    (out = calloc(n, sizeof(*out))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		uids[i] = s->view->msgs[idx[i]].uid;
	msg_set_init(&sb, n);
	if (store_msgs_store(s->store, s->view->folder, uids, n, &ch, out,
	    &nout, failed, &nfailed) == -1)
		msg_no_errno(s, errno, 0);
	else {
		msg_store_report(s, c, &ch, idx, n, out, nout);
		nfailed = msg_store_failed(s, c, failed, nfailed, &sb);
		if (sb.error)
			fatalx("out of memory for a STORE answer");
		imap_ok(s, nfailed > 0 ? strbuf_str(&sb) : NULL, "%s",
		    nfailed > 0 ? "Conditional STORE failed" :
		    "STORE completed");
	}
	strbuf_free(&sb);
	free(out);
	free(failed);
	free(uids);
	free(idx);
}

/* ---- COPY and MOVE ----------------------------------------------------- */

/*
 * msg_copyuid: "COPYUID <uidvalidity> <source UIDs> <new UIDs>" (RFC 4315)
 * into sb for the messages copied (newuids[i] != 0, in the order of
 * uids).  Returns how many there are.
 */
static size_t
msg_copyuid(struct strbuf *sb, uint32_t uidvalidity, const uint32_t *uids,
    const uint32_t *newuids, size_t n)
{
	uint32_t *from, *to;
	size_t i, k = 0;

	if ((from = calloc(n + 1, sizeof(*from))) == NULL ||
	    (to = calloc(n + 1, sizeof(*to))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		if (newuids[i] != 0) {
			from[k] = uids[i];
			to[k++] = newuids[i];
		}
	if (k > 0) {
		(void)strbuf_printf(sb, "COPYUID %u ", uidvalidity);
		msg_set_add(sb, from, k);
		(void)strbuf_addc(sb, ' ');
		msg_set_add(sb, to, k);
		if (sb->error)
			fatalx("out of memory for a COPYUID answer");
	}
	free(from);
	free(to);
	return k;
}

/*
 * msg_moved: MOVE's report of the messages that left the selected
 * folder, those of the view indexes idx[0..n-1] (ascending) whose
 * newuids are set: EXPUNGE, highest first so that no number shifts
 * under the client, or one VANISHED after ENABLE QRESYNC (RFC 6851,
 * RFC 7162); then the view drops them.
 */
static void
msg_moved(struct imap_sess *s, uint32_t *idx, const uint32_t *newuids,
    size_t n)
{
	struct imap_view *v = s->view;
	struct strbuf sb;
	uint32_t *uids;
	size_t i, k = 0;

	if ((uids = calloc(n + 1, sizeof(*uids))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		if (newuids[i] != 0) {
			idx[k] = idx[i];
			uids[k++] = v->msgs[idx[i]].uid;
		}
	if (k > 0 && (s->enabled & IMAP_EN_QRESYNC)) {
		msg_set_init(&sb, k);
		(void)strbuf_adds(&sb, "* VANISHED ");
		msg_set_add(&sb, uids, k);
		(void)strbuf_adds(&sb, "\r\n");
		if (sb.error)
			fatalx("out of memory for a MOVE answer");
		imap_put_sb(s, &sb);
		strbuf_free(&sb);
	} else
		for (i = k; i-- > 0;)
			imap_printf(s, "* %u EXPUNGE\r\n", idx[i] + 1);
	for (i = 0; i < k; i++)
		if (uids[i] >= v->recent_uid && v->recent > 0)
			v->recent--;
	view_remove(v, idx, k);
	s->nexpunged += k;
	free(uids);
}

/* msg_copy_done: the answer once store_copy copied (or moved) the
 * messages of the view indexes idx, UIDs uids, as newuids. */
static void
msg_copy_done(struct imap_sess *s, const struct imap_cmd *c, uint32_t *idx,
    const uint32_t *uids, const uint32_t *newuids, size_t n,
    const struct store_appended *res)
{
	struct strbuf sb;
	size_t k;

	msg_set_init(&sb, 2 * n);
	k = msg_copyuid(&sb, res->uidvalidity, uids, newuids, n);
	if (c->verb == IMAP_COPY) {
		imap_ok(s, k > 0 ? strbuf_str(&sb) : NULL, "%sCOPY completed",
		    c->uid ? "UID " : "");
		strbuf_free(&sb);
		return;
	}
	/* RFC 6851 (UIDPLUS): for MOVE, COPYUID comes first, untagged. */
	if (k > 0) {
		imap_put(s, "* OK [", 6);
		imap_put_sb(s, &sb);
		imap_put(s, "] Moved\r\n", 9);
	}
	strbuf_free(&sb);
	msg_moved(s, idx, newuids, n);
	imap_ok(s, NULL, "%sMOVE completed", c->uid ? "UID " : "");
}

void
cmd_copy(struct imap_sess *s, const struct imap_cmd *c)
{
	struct store_appended res;
	char to[STORE_FOLDER_NAME_MAX];
	uint32_t *idx = NULL, *uids, *newuids;
	size_t n, i;
	int move = c->verb == IMAP_MOVE;

	if (move && s->view->readonly) {
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (imap_set_resolve(s, &c->u.copy.set, c->uid, &idx, &n) == -1)
		return;
	if (imap_folder_arg(s, &c->u.copy.mailbox, to, sizeof(to)) == -1) {
		free(idx);
		return;
	}
	if ((uids = calloc(n + 1, sizeof(*uids))) == NULL ||
	    (newuids = calloc(n + 1, sizeof(*newuids))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		uids[i] = s->view->msgs[idx[i]].uid;
	/* Even with no message the target is looked for: TRYCREATE. */
	if (store_msgs_copy(s->store, s->view->folder, uids, n, to, move,
	    newuids, &res) == -1)
		msg_no_errno(s, errno, 1);
	else
		msg_copy_done(s, c, idx, uids, newuids, n, &res);
	free(newuids);
	free(uids);
	free(idx);
}
