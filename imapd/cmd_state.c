/*
 * cmd_state.c: the commands that change or report the session's state
 * (RFC 9051 sections 6.1, 6.3.1-6.3.3, 6.4.1-6.4.3; RFC 5161 ENABLE, RFC
 * 2342 NAMESPACE, RFC 2971 ID, RFC 2177 IDLE, RFC 3691 UNSELECT, RFC 7162
 * CONDSTORE and QRESYNC for SELECT, RFC 4315 UID EXPUNGE).  Runs in
 * imapd's mail process; the arguments come from the parser and are
 * trusted for their syntax only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/store_folder.h"
#include "common/util.h"
#include "common/version.h"
#include "imapd/capa.h"
#include "imapd/session.h"
#include "imapd/view.h"

void
cmd_capability(struct imap_sess *s, const struct imap_cmd *c)
{
	char capa[512];

	imap_printf(s, "* CAPABILITY %s\r\n", imap_capa_session(
	    s->cfg->imap_append_limit, capa, sizeof(capa)));
	imap_ok(s, NULL, "CAPABILITY completed");
}

void
cmd_noop(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_ok(s, NULL, "%s completed", imap_verb_name(c->verb));
}

void
cmd_logout(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_printf(s, "* BYE postern IMAP server signing off\r\n");
	s->cmd = NULL;	/* nothing is reported after BYE */
	imap_printf(s, "%s OK LOGOUT completed\r\n", c->tag);
	s->done = 1;
	s->result = SKEL_END_LOGOUT;
}

void
cmd_id(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_printf(s, "* ID (\"name\" \"postern\" \"version\" \"%s\")\r\n",
	    POSTERN_VERSION);
	imap_ok(s, NULL, "ID completed");
}

void
cmd_enable(struct imap_sess *s, const struct imap_cmd *c)
{
	static const struct {
		const char	*name;
		uint32_t	 bits;
	} known[] = {
		{ "IMAP4rev2", IMAP_EN_REV2 },
		{ "CONDSTORE", IMAP_EN_CONDSTORE },
		{ "QRESYNC", IMAP_EN_QRESYNC | IMAP_EN_CONDSTORE },
		{ "UTF8=ACCEPT", IMAP_EN_UTF8 },
	};
	uint32_t before = s->enabled;
	size_t i, k;
	int said = 0;

	for (i = 0; i < c->u.enable.n; i++)
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (!imap_str_eq(&c->u.enable.cap[i], known[k].name) ||
			    (s->enabled & known[k].bits) == known[k].bits)
				continue;
			s->enabled |= known[k].bits;
			imap_printf(s, "%s%s", said ? " " : "* ENABLED ",
			    known[k].name);
			said = 1;
		}
	if (said)
		imap_put(s, "\r\n", 2);
	else if (before == s->enabled)
		imap_printf(s, "* ENABLED\r\n");
	imap_ok(s, NULL, "ENABLE completed");
}

void
cmd_namespace(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_printf(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
	imap_ok(s, NULL, "NAMESPACE completed");
}

/* cmd_deselect: leave the selected folder (CLOSE, UNSELECT, and a
 * SELECT of another one, which RFC 7162 3.2.11 announces as CLOSED). */
static void
cmd_deselect(struct imap_sess *s)
{
	view_keep(s);
	s->state = IMAP_S_AUTH;
	free(s->saved);
	s->saved = NULL;
	s->nsaved = 0;
}

/* cmd_flag_lists: FLAGS and PERMANENTFLAGS with the folder's keywords. */
static void
cmd_flag_lists(struct imap_sess *s)
{
	const struct store_keywords *kw = view_keywords(s);
	size_t k;

	imap_printf(s, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft");
	for (k = 0; k < STORE_KEYWORDS_MAX; k++)
		if (kw->defined & (1U << k))
			imap_printf(s, " %s", kw->name[k]);
	imap_printf(s, ")\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged "
	    "\\Deleted \\Seen \\Draft");
	for (k = 0; k < STORE_KEYWORDS_MAX; k++)
		if (kw->defined & (1U << k))
			imap_printf(s, " %s", kw->name[k]);
	imap_printf(s, "%s)] Flags permitted\r\n",
	    s->view->readonly ? "" : " \\*");
}

/* cmd_first_unseen: the sequence number of the first message without
 * \Seen, or 0. */
static uint32_t
cmd_first_unseen(const struct imap_view *v)
{
	uint32_t i;

	for (i = 0; i < v->n; i++)
		if (!(v->msgs[i].flags & STORE_SEEN))
			return i + 1;
	return 0;
}

/* cmd_qresync: SELECT (QRESYNC (uidvalidity modseq ...)): what changed
 * since the client's modseq, without sequence numbers that would move:
 * VANISHED (EARLIER) and FETCH with UID and MODSEQ (RFC 7162 3.2.5). */
static int
cmd_qresync(struct imap_sess *s, const struct imap_cmd *c)
{
	struct imap_view *v = s->view;
	struct store_range *r;
	struct store_msg *msgs;
	size_t nr, nm, i, said = 0;
	uint32_t seq, uid;
	int known = c->u.select.known_uids.len > 0;

	if (c->u.select.uidvalidity != v->uidvalidity)
		return 0;
	if (store_vanished(s->store, v->folder, c->u.select.modseq, &r,
	    &nr) == -1)
		return -1;
	for (i = 0; i < nr; i++)
		for (uid = r[i].first; uid >= r[i].first && uid <= r[i].last;
		    uid++) {
			if (known && !imap_seq_contains(
			    &c->u.select.known_uids, v->uidnext, uid))
				continue;
			imap_printf(s, "%s%u", said++ ? "," :
			    "* VANISHED (EARLIER) ", uid);
			if (uid == UINT32_MAX)
				break;
		}
	if (said)
		imap_put(s, "\r\n", 2);
	free(r);
	if (store_changed(s->store, v->folder, c->u.select.modseq, &msgs,
	    &nm) == -1)
		return -1;
	for (i = 0; i < nm; i++) {
		if ((seq = view_seq(v, msgs[i].uid)) == 0)
			continue;
		imap_printf(s, "* %u FETCH (UID %u FLAGS ", seq, msgs[i].uid);
		view_flags_put(s, seq - 1);
		imap_printf(s, " MODSEQ (%llu))\r\n",
		    (unsigned long long)v->msgs[seq - 1].modseq);
	}
	free(msgs);
	return 0;
}

void
cmd_select(struct imap_sess *s, const struct imap_cmd *c)
{
	char folder[STORE_FOLDER_NAME_MAX];
	int readonly = c->verb == IMAP_EXAMINE;
	struct imap_view *v;
	uint32_t unseen;

	if (c->u.select.qresync && !(s->enabled & IMAP_EN_QRESYNC)) {
		imap_bad(s, "CLIENTBUG", "ENABLE QRESYNC first");
		return;
	}
	if (s->view != NULL) {
		cmd_deselect(s);
		if (s->enabled & IMAP_EN_CONDSTORE)
			imap_printf(s, "* OK [CLOSED] Previous mailbox "
			    "closed\r\n");
	}
	if (imap_folder_arg(s, &c->u.select.mailbox, folder,
	    sizeof(folder)) == -1)
		return;
	if (view_open(s, folder, readonly, &v) == -1) {
		if (errno == ENOENT || errno == EINVAL)
			imap_no(s, "NONEXISTENT", "No such mailbox");
		else
			imap_no(s, "SERVERBUG", "Mailbox cannot be read");
		return;
	}
	s->view = v;
	s->state = IMAP_S_SELECTED;
	if (c->u.select.condstore || c->u.select.qresync)
		imap_want_condstore(s);
	cmd_flag_lists(s);
	imap_printf(s, "* %u EXISTS\r\n", v->n);
	if (!(s->enabled & IMAP_EN_REV2)) {
		imap_printf(s, "* 0 RECENT\r\n");
		if ((unseen = cmd_first_unseen(v)) != 0)
			imap_printf(s, "* OK [UNSEEN %u] First unseen\r\n",
			    unseen);
	}
	imap_printf(s, "* OK [UIDVALIDITY %u] UIDs valid\r\n"
	    "* OK [UIDNEXT %u] Predicted next UID\r\n"
	    "* OK [HIGHESTMODSEQ %llu] Highest\r\n", v->uidvalidity,
	    v->uidnext, (unsigned long long)v->highestmodseq);
	if (s->enabled & IMAP_EN_REV2) {
		imap_printf(s, "* LIST () \"/\" ");
		imap_put_mailbox(s, folder);
		imap_put(s, "\r\n", 2);
	}
	if (c->u.select.qresync && cmd_qresync(s, c) == -1)
		log_warnx("%s: folder %s: the changes since modseq %llu "
		    "could not be read", s->m->user, folder,
		    (unsigned long long)c->u.select.modseq);
	imap_ok(s, readonly ? "READ-ONLY" : "READ-WRITE", "%s completed",
	    imap_verb_name(c->verb));
}

/*
 * cmd_expunge_deleted: remove the messages with \Deleted (those in set
 * too, for UID EXPUNGE), durably; report them unless silent (CLOSE).
 * Returns 0, or -1 when the store failed (logged).
 */
static int
cmd_expunge_deleted(struct imap_sess *s, const struct imap_seqset *set,
    int silent)
{
	struct imap_view *v = s->view;
	uint32_t *idx, *uids, i, n = 0;
	int rc = 0, qr = (s->enabled & IMAP_EN_QRESYNC) != 0;

	if ((idx = calloc(v->n ? v->n : 1, sizeof(*idx))) == NULL ||
	    (uids = calloc(v->n ? v->n : 1, sizeof(*uids))) == NULL)
		fatal("out of memory");
	for (i = 0; i < v->n; i++)
		if ((v->msgs[i].flags & STORE_DELETED) && (set == NULL ||
		    imap_seq_contains(set, v->uidnext, v->msgs[i].uid))) {
			idx[n] = i;
			uids[n++] = v->msgs[i].uid;
		}
	if (n > 0 && store_expunge(s->store, v->folder, uids, n) == -1)
		rc = -1;
	else if (n > 0) {
		if (!silent && qr) {
			imap_printf(s, "* VANISHED ");
			for (i = 0; i < n; i++)
				imap_printf(s, "%s%u", i ? "," : "", uids[i]);
			imap_put(s, "\r\n", 2);
		} else if (!silent)
			for (i = n; i-- > 0;)
				imap_printf(s, "* %u EXPUNGE\r\n", idx[i] + 1);
		for (i = 0; i < n; i++)
			if (uids[i] >= v->recent_uid && v->recent > 0)
				v->recent--;
		view_remove(v, idx, n);
		s->nexpunged += n;
	}
	free(idx);
	free(uids);
	return rc;
}

void
cmd_expunge(struct imap_sess *s, const struct imap_cmd *c)
{
	if (s->view->readonly) {
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (c->uid && c->u.set.saved) {
		imap_bad(s, NULL, "$ cannot be used with UID EXPUNGE");
		return;
	}
	if (cmd_expunge_deleted(s, c->uid ? &c->u.set : NULL, 0) == -1) {
		imap_no(s, "SERVERBUG", "Messages could not be removed");
		return;
	}
	imap_ok(s, NULL, "%sEXPUNGE completed", c->uid ? "UID " : "");
}

void
cmd_close(struct imap_sess *s, const struct imap_cmd *c)
{
	int rc = 0;

	if (!s->view->readonly)
		rc = cmd_expunge_deleted(s, NULL, 1);
	cmd_deselect(s);
	s->cmd = NULL;	/* nothing of the old folder may follow */
	if (rc == -1)
		imap_printf(s, "%s NO [SERVERBUG] Messages could not be "
		    "removed\r\n", c->tag);
	else
		imap_printf(s, "%s OK CLOSE completed\r\n", c->tag);
}

void
cmd_unselect(struct imap_sess *s, const struct imap_cmd *c)
{
	cmd_deselect(s);
	s->cmd = NULL;
	imap_printf(s, "%s OK UNSELECT completed\r\n", c->tag);
}

void
cmd_idle(struct imap_sess *s, const struct imap_cmd *c)
{
	str_copy(s->idle_tag, c->tag, sizeof(s->idle_tag));
	imap_reader_line_mode(&s->rd, 1);
	s->idling = 1;
	/* What changed since the last command comes first. */
	if (view_refresh(s, 1) == -1)
		log_warnx("%s: folder %s could not be read again",
		    s->m->user, s->view->folder);
	imap_printf(s, "+ idling\r\n");
	/* An idling session may sit for hours: give back what the last
	 * commands left resident (index pages, freed heap). */
	store_trim(s->store);
}
