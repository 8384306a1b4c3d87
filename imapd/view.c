/*
 * view.c: the selected folder as one session sees it (see view.h).
 * Runs in imapd's mail process; trusts the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "imapd/view.h"

/* view_load: the folder's messages from the store, as view entries, in
 * a new array (*out, *n); 0 or -1 (logged). */
static int
view_load(struct imap_sess *s, const char *folder, struct imap_vmsg **out,
    uint32_t *n)
{
	struct store_msginfo *all;
	size_t i, cnt;

	if (store_list_info(s->store, folder, &all, &cnt) == -1)
		return -1;
	if (cnt > UINT32_MAX - 1) {
		free(all);
		errno = EOVERFLOW;
		return -1;
	}
	*out = NULL;
	if (cnt > 0 && (*out = calloc(cnt, sizeof(**out))) == NULL) {
		free(all);
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		(*out)[i].uid = all[i].uid;
		(*out)[i].flags = all[i].flags;
		(*out)[i].keywords = all[i].keywords;
		(*out)[i].modseq = all[i].modseq;
	}
	free(all);
	*n = (uint32_t)cnt;
	return 0;
}

/* view_reuse: the view this session last closed, when it is of folder
 * and nothing changed there since (a client that goes back and forth
 * between folders, as most do, then costs a probe, not a listing). */
static struct imap_view *
view_reuse(struct imap_sess *s, const char *folder, int readonly)
{
	struct imap_view *v = s->lastview;

	s->lastview = NULL;
	if (v == NULL)
		return NULL;
	if (strcmp(v->folder, folder) != 0 ||
	    store_probe(s->store, folder, &v->probe) != 0) {
		view_close(v);
		return NULL;
	}
	v->readonly = readonly;
	v->recent = 0;
	v->recent_uid = v->uidnext;
	return v;
}

int
view_open(struct imap_sess *s, const char *folder, int readonly,
    struct imap_view **vp)
{
	struct store_folder info;
	struct imap_view *v;

	if ((*vp = view_reuse(s, folder, readonly)) != NULL)
		return 0;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	/* Probed before the listing: a change in between shows at the
	 * next refresh, never is missed. */
	if (store_probe(s->store, folder, &v->probe) == -1 ||
	    store_sync(s->store, folder, &info) == -1 ||
	    view_load(s, folder, &v->msgs, &v->n) == -1) {
		free(v);
		return -1;
	}
	str_copy(v->folder, folder, sizeof(v->folder));
	v->readonly = readonly;
	v->cap = v->n;
	v->uidvalidity = info.uidvalidity;
	v->uidnext = info.uidnext;
	v->highestmodseq = info.highestmodseq;
	/* Nothing is new to a session that just opened the folder but
	 * what arrived since the last session's sync: \Recent is kept for
	 * IMAP4rev1 clients only, and approximated by "arrived while this
	 * session had the folder open". */
	v->recent_uid = info.uidnext;
	*vp = v;
	return 0;
}

void
view_keep(struct imap_sess *s)
{
	view_close(s->lastview);
	s->lastview = s->view;
	s->view = NULL;
}

void
view_close(struct imap_view *v)
{
	if (v == NULL)
		return;
	free(v->msgs);
	free(v);
}

uint32_t
view_lower(const struct imap_view *v, uint32_t uid)
{
	uint32_t lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t
view_seq(const struct imap_view *v, uint32_t uid)
{
	uint32_t i = view_lower(v, uid);

	return i < v->n && v->msgs[i].uid == uid ? i + 1 : 0;
}

void
view_remove(struct imap_view *v, const uint32_t *idx, size_t n)
{
	size_t i, k = 0, j;

	/* One pass: keep every entry whose index is not in idx. */
	for (i = 0, j = 0; i < v->n; i++) {
		if (k < n && idx[k] == i) {
			k++;
			continue;
		}
		v->msgs[j++] = v->msgs[i];
	}
	v->n = (uint32_t)j;
}

const struct store_keywords *
view_keywords(struct imap_sess *s)
{
	struct imap_view *v = s->view;

	if (!v->kw_loaded && store_keywords_get(s->store, v->folder,
	    &v->kw) == 0)
		v->kw_loaded = 1;
	return &v->kw;
}

void
view_flags_put(struct imap_sess *s, uint32_t i)
{
	static const struct {
		uint32_t	 bit;
		const char	*name;
	} names[] = {
		{ STORE_SEEN, "\\Seen" }, { STORE_ANSWERED, "\\Answered" },
		{ STORE_FLAGGED, "\\Flagged" }, { STORE_DELETED, "\\Deleted" },
		{ STORE_DRAFT, "\\Draft" },
	};
	const struct imap_vmsg *m = &s->view->msgs[i];
	const struct store_keywords *kw;
	const char *sep = "";
	size_t k;

	imap_put(s, "(", 1);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!(m->flags & names[k].bit))
			continue;
		imap_printf(s, "%s%s", sep, names[k].name);
		sep = " ";
	}
	if (m->uid >= s->view->recent_uid && !(s->enabled & IMAP_EN_REV2)) {
		imap_printf(s, "%s\\Recent", sep);
		sep = " ";
	}
	if (m->keywords != 0) {
		kw = view_keywords(s);
		if ((m->keywords & ~kw->defined) != 0) {
			s->view->kw_loaded = 0;
			kw = view_keywords(s);
		}
		for (k = 0; k < STORE_KEYWORDS_MAX; k++)
			if ((m->keywords & kw->defined & (1U << k)) != 0) {
				imap_printf(s, "%s%s", sep, kw->name[k]);
				sep = " ";
			}
	}
	imap_put(s, ")", 1);
}

/* view_report_gone: the messages of the view missing from fresh (both
 * ascending by UID): EXPUNGE by sequence number, highest first so that
 * no number shifts under the client, or one VANISHED list (QRESYNC). */
static void
view_report_gone(struct imap_sess *s, const struct imap_vmsg *fresh,
    uint32_t nf)
{
	struct imap_view *v = s->view;
	uint32_t i, j = 0, *gone, ngone = 0;

	if ((gone = calloc(v->n ? v->n : 1, sizeof(*gone))) == NULL)
		fatal("out of memory");
	for (i = 0; i < v->n; i++) {
		while (j < nf && fresh[j].uid < v->msgs[i].uid)
			j++;
		if (j == nf || fresh[j].uid != v->msgs[i].uid)
			gone[ngone++] = i;
	}
	if (ngone > 0 && (s->enabled & IMAP_EN_QRESYNC)) {
		imap_printf(s, "* VANISHED ");
		for (i = 0; i < ngone; i++)
			imap_printf(s, "%s%u", i ? "," : "",
			    v->msgs[gone[i]].uid);
		imap_put(s, "\r\n", 2);
	} else
		for (i = ngone; i-- > 0;)
			imap_printf(s, "* %u EXPUNGE\r\n", gone[i] + 1);
	for (i = 0; i < ngone; i++)
		if (v->msgs[gone[i]].uid >= v->recent_uid && v->recent > 0)
			v->recent--;
	view_remove(v, gone, ngone);
	free(gone);
}

/* view_report_flags: flags that changed under the session, as FETCH. */
static void
view_report_flags(struct imap_sess *s, const struct imap_vmsg *fresh,
    uint32_t nf)
{
	struct imap_view *v = s->view;
	uint32_t i, j = 0;

	for (i = 0; i < v->n && j < nf; i++) {
		while (j < nf && fresh[j].uid < v->msgs[i].uid)
			j++;
		if (j == nf || fresh[j].uid != v->msgs[i].uid ||
		    fresh[j].modseq == v->msgs[i].modseq)
			continue;
		v->msgs[i].modseq = fresh[j].modseq;
		if (fresh[j].flags == v->msgs[i].flags &&
		    fresh[j].keywords == v->msgs[i].keywords &&
		    !(s->enabled & IMAP_EN_CONDSTORE))
			continue;
		v->msgs[i].flags = fresh[j].flags;
		v->msgs[i].keywords = fresh[j].keywords;
		imap_printf(s, "* %u FETCH (FLAGS ", i + 1);
		view_flags_put(s, i);
		if (s->enabled & (IMAP_EN_QRESYNC | IMAP_EN_CONDSTORE))
			imap_printf(s, " UID %u MODSEQ (%llu)", v->msgs[i].uid,
			    (unsigned long long)v->msgs[i].modseq);
		imap_put(s, ")\r\n", 3);
	}
}

/* view_report_new: messages above the view's last UID: EXISTS and, for
 * IMAP4rev1, RECENT. */
static int
view_report_new(struct imap_sess *s, const struct imap_vmsg *fresh,
    uint32_t nf)
{
	struct imap_view *v = s->view;
	uint32_t last = v->n ? v->msgs[v->n - 1].uid : 0, i, add = 0;
	struct imap_vmsg *grown;

	for (i = nf; i > 0 && fresh[i - 1].uid > last; i--)
		add++;
	if (add == 0)
		return 0;
	if (v->n + (size_t)add > v->cap) {
		if ((grown = reallocarray(v->msgs, v->n + (size_t)add,
		    sizeof(*grown))) == NULL)
			return -1;
		v->msgs = grown;
		v->cap = v->n + (size_t)add;
	}
	memcpy(v->msgs + v->n, fresh + (nf - add), add * sizeof(*fresh));
	v->n += add;
	for (i = nf - add; i < nf; i++)
		if (fresh[i].uid >= v->recent_uid)
			v->recent++;
	imap_printf(s, "* %u EXISTS\r\n", v->n);
	if (!(s->enabled & IMAP_EN_REV2))
		imap_printf(s, "* %u RECENT\r\n", v->recent);
	return 0;
}

int
view_refresh(struct imap_sess *s, int expunge_ok)
{
	struct imap_view *v = s->view;
	struct store_folder info;
	struct imap_vmsg *fresh;
	uint32_t nf;
	int rc;

	if (v == NULL || !expunge_ok)
		return 0;
	if ((rc = store_probe(s->store, v->folder, &v->probe)) == 0)
		return 0;
	if (rc == -1 && errno == ENOENT) {
		/* Another session deleted or renamed it: there is no state
		 * the client could be moved to that it would expect. */
		imap_printf(s, "* BYE Selected mailbox was deleted or "
		    "renamed, have to disconnect\r\n");
		s->done = 1;
		s->result = SKEL_END_GONE;
		return 0;
	}
	if (rc == -1 || store_sync(s->store, v->folder, &info) == -1)
		return -1;
	if (info.uidnext == v->uidnext &&
	    info.highestmodseq == v->highestmodseq && info.exists == v->n)
		return 0;
	if (view_load(s, v->folder, &fresh, &nf) == -1)
		return -1;
	view_report_gone(s, fresh, nf);
	view_report_flags(s, fresh, nf);
	rc = view_report_new(s, fresh, nf);
	free(fresh);
	v->uidnext = info.uidnext;
	v->highestmodseq = info.highestmodseq;
	return rc;
}
