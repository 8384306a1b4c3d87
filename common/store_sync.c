/*
 * store_sync.c: bringing a folder's index record and message records up
 * to date with its directories (store_sync in store.h).  Runs in the
 * process that opened the store, under the folder's lock.
 *
 * Two ways: when postern-uids and the index agree and cur/ has the mtime
 * the index recorded, only new/ is looked at, and only when its mtime
 * changed or was too recent to trust: an unchanged folder costs two
 * fstat calls, one small file read and one index lookup, whatever its
 * size.  Otherwise cur/ and new/ are listed and compared with the index
 * (the full sync), which also finds what other programs did to cur/.
 *
 * Why the mtimes can be trusted: every change the store makes to cur/
 * runs under the folder's lock and records cur/'s new mtime itself
 * (store_commit), so a cur/ mtime that differs from the record means
 * someone else changed cur/.  Deliveries rename into new/ without a lock,
 * so new/'s mtime is recorded only when it is at least a second older
 * than the moment it was read (a delivery in the same clock tick as the
 * listing would otherwise leave the mtime unchanged and go unseen); the
 * same holds for cur/ after a full sync, which means another program
 * changes cur/.  What is left: a program other than the store that
 * renames in cur/ in the same clock tick as a change the store makes
 * there (between its fstat and its rename) goes unseen until the next
 * change of cur/ by anyone else; Dovecot's Maildir code takes the same
 * risk.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_int.h"
#include "common/util.h"

#define SYNC_SETTLE_NS	1000000000LL	/* a new/ mtime this old is trusted */

struct store_sync {
	struct store		*s;
	struct store_locked	*lk;
	const char		*folder;	/* the index key */
	struct maildir_list	 list;
	struct maildir_uids	 uids;
	int			 uids_found;
	int			 uids_dirty;
	int			 recovering;	/* postern-uids was lost */
	struct store_index_folder ifo;		/* the index's record */
	int			 ifo_found;
	int			 im_valid;	/* im is of this UIDVALIDITY */
	struct store_msg	*im;
	size_t			 nim;
	int64_t			 cur_mtime;	/* before listing cur/ */
	int64_t			 new_mtime;	/* before listing new/ */
	int64_t			 seen_at;	/* when they were read */
	int			 full;		/* cur/ was listed */
};

int64_t
store_dir_mtime(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

static int64_t
sync_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
sync_ent_cmp_uid(const void *a, const void *b, void *arg)
{
	const struct maildir_ent *x = a, *y = b;

	if (x->dead != y->dead)
		return x->dead - y->dead;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->known != y->known)
		return y->known - x->known;
	return strcmp(maildir_list_name(arg, x), maildir_list_name(arg, y));
}

/* sync_ent_cmp_arrival: cur/ by mtime then name, then new/ by name. */
static int
sync_ent_cmp_arrival(const void *a, const void *b, void *arg)
{
	const struct maildir_ent *x = *(struct maildir_ent *const *)a;
	const struct maildir_ent *y = *(struct maildir_ent *const *)b;

	if (x->in_new != y->in_new)
		return x->in_new - y->in_new;
	if (!x->in_new && x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return maildir_name_cmp(maildir_list_name(arg, x),
	    maildir_list_name(arg, y));
}

/* sync_sort: the list by UID, the one whose name the index has first
 * among equals, the dead ones last. */
static void
sync_sort(struct store_sync *sy)
{
	if (sy->list.n > 0)
		qsort_r(sy->list.ent, sy->list.n, sizeof(*sy->list.ent),
		    sync_ent_cmp_uid, &sy->list);
}

static struct store_msg *
sync_lookup(struct store_sync *sy, uint32_t uid)
{
	size_t lo = 0, hi = sy->im_valid ? sy->nim : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sy->im[mid].uid == uid)
			return &sy->im[mid];
		if (sy->im[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* sync_uidstate: settle UIDVALIDITY and UIDNEXT from postern-uids
 * (found or not) and the index's folder record. */
static void
sync_uidstate(struct store_sync *sy)
{
	time_t t;

	sy->im_valid = sy->ifo_found;
	if (!sy->uids_found) {
		sy->recovering = sy->uids_dirty = 1;
		if (sy->ifo_found) {
			sy->uids.uidvalidity = sy->ifo.uidvalidity;
			sy->uids.uidnext = sy->ifo.uidnext;
			log_warnx("folder %s: postern-uids rebuilt from "
			    "the index", sy->folder);
			return;
		}
		t = time(NULL);
		sy->uids.uidvalidity = t > 0 && t <= UINT32_MAX ?
		    (uint32_t)t : 1;
		sy->uids.uidnext = 1;
		return;
	}
	if (!sy->ifo_found)
		return;
	if (sy->ifo.uidvalidity != sy->uids.uidvalidity) {
		log_warnx("folder %s: UIDVALIDITY differs from the "
		    "index; reindexing", sy->folder);
		sy->im_valid = 0;
	} else if (sy->ifo.uidnext > sy->uids.uidnext) {
		sy->uids.uidnext = sy->ifo.uidnext;
		sy->uids_dirty = 1;
	}
}

/* sync_match: check the U= of cur/ files against UIDNEXT, the index and
 * each other; a UID that can't be trusted is dropped (reassigned). */
static void
sync_match(struct store_sync *sy)
{
	struct maildir_ent *e;
	struct store_msg *m;
	uint32_t max = 0, prev = 0;
	size_t i;

	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid == 0)
			continue;
		if (!sy->recovering && e->uid >= sy->uids.uidnext) {
			e->uid = 0;
			continue;
		}
		if ((m = sync_lookup(sy, e->uid)) == NULL)
			continue;
		e->known = strcmp(m->name, maildir_list_name(&sy->list, e)) ==
		    0 ? 2 : 1;
		e->mtime = m->internal_date;
		e->wsize = m->size;
		e->modseq = m->modseq;
	}
	sync_sort(sy);
	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid != 0 && e->uid == prev)
			e->uid = e->known = 0;
		else if (e->uid != 0 && e->known == 0 &&
		    maildir_ent_stat(sy->lk->curfd,
		    maildir_list_name(&sy->list, e), e) == -1)
			e->dead = 1;
		if (e->uid != 0)
			prev = e->uid;
		if (e->uid > max)
			max = e->uid;
	}
	if (sy->recovering && max >= sy->uids.uidnext)
		sy->uids.uidnext = max + 1;
}

/* sync_fits: 1 when name can still take S=, W=, U=, every flag and
 * every keyword within STORE_NAME_MAX. */
static int
sync_fits(const char *name, const struct maildir_ent *e)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];

	if (maildir_name_parse(name, &mn) == -1)
		return 0;
	mn.uid = MAILDIR_UID_MAX;
	mn.size = e->size;
	mn.wsize = e->wsize;
	mn.has_size = mn.has_wsize = mn.has_info = 1;
	mn.flags = STORE_ALLFLAGS;
	mn.keywords = STORE_KEYWORDS_ALL;
	return maildir_name_build(&mn, buf, sizeof(buf)) == 0;
}

/* sync_usable: stat a file that needs a UID; it must be a regular file,
 * and a name too long to take S=, W=, U= and the flags is renamed. */
static int
sync_usable(struct store_sync *sy, struct maildir_ent *e)
{
	const char *name = maildir_list_name(&sy->list, e);
	const char *sub = e->in_new ? "new" : "cur";
	int dfd = e->in_new ? sy->lk->newfd : sy->lk->curfd;
	char buf[STORE_NAME_MAX], vis[512];

	if (maildir_ent_stat(dfd, name, e) == -1) {
		/* Mail the user cannot see must not vanish without a word:
		 * a delivery agent that left a file unreadable, say. */
		maildir_name_vis(name, vis, sizeof(vis));
		if (errno == EINVAL)
			log_warnx("folder %s: %s/%s: not a regular "
			    "file; left alone", sy->folder, sub, vis);
		else if (errno != ENOENT)
			log_warn("folder %s: %s/%s: left out",
			    sy->folder, sub, vis);
		return 0;
	}
	if (sync_fits(name, e))
		return 1;
	maildir_name_vis(name, vis, sizeof(vis));
	if (maildir_salvage(dfd, name, buf, sizeof(buf)) == -1) {
		if (errno != ENOENT)
			log_warn("folder %s: %s/%s: name too long to "
			    "take a UID, and renaming it failed", sy->folder,
			    sub, vis);
		return 0;
	}
	log_warnx("folder %s: %s/%s: name too long to take a UID; "
	    "renamed to %s/%s", sy->folder, sub, vis, sub, buf);
	if (maildir_list_rename(&sy->list, e, buf) == -1)
		fatal("folder %s: cannot rename a file to take a UID",
		    sy->folder);
	return 1;
}

/* sync_assign: give UIDs, in arrival order, to the files without a
 * trusted one.  Fills *vp (caller frees) with them. */
static int
sync_assign(struct store_sync *sy, struct maildir_ent ***vp, size_t *np)
{
	struct maildir_ent **v, *e;
	size_t i, n = 0;

	if ((v = calloc(sy->list.n + 1, sizeof(*v))) == NULL) {
		log_warn("out of memory assigning UIDs");
		return -1;
	}
	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid != 0 || e->dead)
			continue;
		if (!sync_usable(sy, e))
			e->dead = 1;
		else
			v[n++] = e;
	}
	qsort_r(v, n, sizeof(*v), sync_ent_cmp_arrival, &sy->list);
	if ((uint64_t)sy->uids.uidnext + n > (uint64_t)MAILDIR_UID_MAX + 1) {
		log_warnx("folder %s: out of UIDs", sy->folder);
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i]->uid = sy->uids.uidnext++;
	if (n > 0)
		sy->uids_dirty = 1;
	*vp = v;
	*np = n;
	return 0;
}

/* sync_move_one: rename e into cur/ with its U=, S=, W= and ":2,". */
static int
sync_move_one(struct store_sync *sy, struct maildir_ent *e)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];
	const char *name = maildir_list_name(&sy->list, e);

	if (maildir_name_parse(name, &mn) == -1)
		return -1;
	mn.uid = e->uid;
	mn.size = e->size;
	mn.wsize = e->wsize;
	mn.has_size = mn.has_wsize = mn.has_info = 1;
	if (maildir_name_build(&mn, buf, sizeof(buf)) == -1)
		return -1;
	if (renameat2(e->in_new ? sy->lk->newfd : sy->lk->curfd, name,
	    sy->lk->curfd, buf, RENAME_NOREPLACE) == -1) {
		if (errno != ENOENT)
			log_warn("folder %s: cannot rename a message file",
			    sy->folder);
		return -1;
	}
	e->flags = mn.flags;
	e->keywords = mn.keywords;
	if (maildir_list_rename(&sy->list, e, buf) == -1)
		fatal("cannot rename a message file");
	return 0;
}

/* sync_move: persist UIDNEXT, then rename; a file that vanished in
 * between only wastes its UID. */
static int
sync_move(struct store_sync *sy, struct maildir_ent **v, size_t n)
{
	size_t i, moved = 0, fromnew = 0;

	if (sy->uids_dirty && maildir_uids_write(sy->lk->ffd, &sy->uids) ==
	    -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (sync_move_one(sy, v[i]) == -1) {
			v[i]->dead = 1;
			continue;
		}
		moved++;
		if (v[i]->in_new)
			fromnew++;
		v[i]->in_new = 0;
	}
	if ((moved > 0 && fsync(sy->lk->curfd) == -1) ||
	    (fromnew > 0 && fsync(sy->lk->newfd) == -1)) {
		log_warn("folder %s: cannot fsync", sy->folder);
		return -1;
	}
	return 0;
}

static void
sync_msg(struct store_sync *sy, const struct maildir_ent *e, uint64_t modseq,
    struct store_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = e->uid;
	m->flags = e->flags;
	m->keywords = e->keywords;
	m->size = e->wsize;
	m->internal_date = e->mtime;
	m->modseq = modseq;
	(void)str_copy(m->name, maildir_list_name(&sy->list, e),
	    sizeof(m->name));
}

/* sync_diff: what the index must drop and put to match the list (sorted
 * by UID, dead entries last). */
static void
sync_diff(struct store_sync *sy, uint64_t mod, uint32_t *del, size_t *ndel,
    struct store_msg *put, size_t *nput)
{
	const struct maildir_ent *e;
	const struct store_msg *m;
	size_t i = 0, j = 0, jn = sy->im_valid ? sy->nim : 0;

	for (j = 0; i < sy->list.n && !sy->list.ent[i].dead; ) {
		e = &sy->list.ent[i];
		m = j < jn ? &sy->im[j] : NULL;
		if (e->uid == 0)
			i++;
		else if (m != NULL && m->uid < e->uid) {
			del[(*ndel)++] = m->uid;
			j++;
		} else if (m == NULL || m->uid > e->uid) {
			sync_msg(sy, e, mod, &put[(*nput)++]);
			i++;
		} else {
			if (e->known != 2)
				sync_msg(sy, e, e->flags == m->flags &&
				    e->keywords == m->keywords ? m->modseq :
				    mod, &put[(*nput)++]);
			i++;
			j++;
		}
	}
	for (; j < jn; j++)
		del[(*ndel)++] = sy->im[j].uid;
}

/* sync_record: the folder record the sync leaves. */
static void
sync_record(struct store_sync *sy, struct store_index_folder *f,
    uint64_t hms, int changed)
{
	f->uidvalidity = sy->uids.uidvalidity;
	f->uidnext = sy->uids.uidnext;
	f->highestmodseq = changed ? hms + 1 : hms;
	/* A full sync ran because someone else changed cur/: like new/,
	 * its mtime is trusted only once it had settled when listed.  The
	 * quick one found cur/ as recorded and changed it only itself. */
	f->cur_mtime = !sy->full || sy->seen_at - sy->cur_mtime >=
	    SYNC_SETTLE_NS ? store_dir_mtime(sy->lk->curfd) : 0;
	f->new_mtime = sy->seen_at - sy->new_mtime >= SYNC_SETTLE_NS ?
	    sy->new_mtime : 0;
}

/* sync_same: a record that needs no write. */
static int
sync_same(const struct store_index_folder *a,
    const struct store_index_folder *b)
{
	return a->uidvalidity == b->uidvalidity && a->uidnext == b->uidnext &&
	    a->count == b->count && a->bytes == b->bytes &&
	    a->highestmodseq == b->highestmodseq && a->floor == b->floor &&
	    a->cur_mtime == b->cur_mtime && a->new_mtime == b->new_mtime;
}

static int
sync_index_full(struct store_sync *sy)
{
	struct store_index_folder f;
	struct store_msg *put;
	uint32_t *del;
	size_t i, ndel = 0, nput = 0;
	uint64_t hms;
	int rc;

	sync_sort(sy);
	/* a rebuilt record starts at the clock, so it never goes back */
	hms = (uint64_t)now_us();
	if (sy->ifo_found && sy->ifo.highestmodseq > hms)
		hms = sy->ifo.highestmodseq;
	if (sy->im_valid)
		hms = sy->ifo.highestmodseq;
	del = calloc(sy->nim + 1, sizeof(*del));
	put = calloc(sy->list.n + 1, sizeof(*put));
	if (del == NULL || put == NULL) {
		log_warn("out of memory updating the mail index");
		free(del);
		free(put);
		return -1;
	}
	sync_diff(sy, hms + 1, del, &ndel, put, &nput);
	memset(&f, 0, sizeof(f));
	f.floor = sy->im_valid ? sy->ifo.floor : hms + 1;
	for (i = 0; i < sy->list.n; i++)
		if (!sy->list.ent[i].dead && sy->list.ent[i].uid != 0) {
			f.count++;
			f.bytes += sy->list.ent[i].wsize;
		}
	sync_record(sy, &f, hms, ndel + nput > 0 || !sy->im_valid);
	rc = ndel + nput == 0 && sy->im_valid && sync_same(&f, &sy->ifo) ? 0 :
	    store_index_update(sy->s->idx, sy->folder, &f, del, ndel,
	    f.highestmodseq, put, nput);
	free(del);
	free(put);
	if (rc == 0)
		sy->lk->f = f;
	return rc;
}

static int
sync_read(struct store_sync *sy, const char *sub, int in_new)
{
	if (maildir_list_read(&sy->list, sy->lk->ffd, sub, in_new) == -1 ||
	    maildir_list_salvage(&sy->list, sy->lk->ffd, sub, in_new,
	    sy->folder) == -1)
		return -1;
	if (sy->list.skipped > 0) {
		log_warnx("folder %s: %zu files left out: more than %d "
		    "messages, or more than %d unusable names at once",
		    sy->folder, sy->list.skipped, MAILDIR_MSGS_MAX,
		    MAILDIR_BAD_MAX);
		sy->list.skipped = 0;
	}
	return 0;
}

static int
sync_full(struct store_sync *sy)
{
	struct maildir_ent **v = NULL;
	size_t n = 0;
	int rc;

	sync_uidstate(sy);
	if (sy->ifo_found && !sy->im_valid &&
	    (rc = store_index_folder_drop(sy->s->idx, sy->folder)) != 0)
		return rc;
	if (sy->im_valid && (rc = store_index_msgs_get(sy->s->idx,
	    sy->folder, &sy->im, &sy->nim)) != 0)
		return rc;
	if (sync_read(sy, "cur", 0) == -1 || sync_read(sy, "new", 1) == -1)
		return -1;
	sync_match(sy);
	if (sync_assign(sy, &v, &n) == -1)
		return -1;
	rc = sync_move(sy, v, n);
	free(v);
	if (rc == -1)
		return -1;
	return sync_index_full(sy);
}

/* sync_quick: cur/ is as the index knows it: take in what new/ holds. */
static int
sync_quick(struct store_sync *sy)
{
	struct maildir_ent **v = NULL;
	struct store_index_folder f = sy->ifo;
	struct store_msg *put = NULL;
	size_t i, n = 0, nput = 0;
	int rc;

	if (sync_read(sy, "new", 1) == -1 || sync_assign(sy, &v, &n) == -1)
		return -1;
	rc = sync_move(sy, v, n);
	if (rc == 0 && (put = calloc(n + 1, sizeof(*put))) == NULL) {
		log_warn("out of memory updating the mail index");
		rc = -1;
	}
	if (rc == -1) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (v[i]->dead)
			continue;
		sync_msg(sy, v[i], f.highestmodseq + 1, &put[nput++]);
		f.count++;
		f.bytes += v[i]->wsize;
	}
	free(v);
	sync_record(sy, &f, sy->ifo.highestmodseq, nput > 0);
	rc = nput == 0 && sync_same(&f, &sy->ifo) ? 0 :
	    store_index_update(sy->s->idx, sy->folder, &f, NULL, 0, 0, put,
	    nput);
	free(put);
	if (rc == 0)
		sy->lk->f = f;
	return rc;
}

int
store_sync_locked(struct store *s, struct store_locked *lk)
{
	struct store_sync sy;
	int rc;

	memset(&sy, 0, sizeof(sy));
	sy.s = s;
	sy.lk = lk;
	sy.folder = lk->key;
	if ((rc = maildir_uids_read(lk->ffd, &sy.uids)) == -1)
		return -1;
	sy.uids_found = rc == 0;
	if ((rc = store_index_folder_get(s->idx, lk->key, &sy.ifo)) < 0)
		return rc;
	sy.ifo_found = rc == 0;
	sy.seen_at = sync_now_ns();
	sy.cur_mtime = store_dir_mtime(lk->curfd);
	sy.new_mtime = store_dir_mtime(lk->newfd);
	if (sy.uids_found && sy.ifo_found &&
	    sy.ifo.uidvalidity == sy.uids.uidvalidity &&
	    sy.uids.uidnext <= sy.ifo.uidnext && sy.ifo.cur_mtime != 0 &&
	    sy.ifo.cur_mtime == sy.cur_mtime) {
		if (sy.ifo.new_mtime != 0 && sy.ifo.new_mtime == sy.new_mtime) {
			lk->f = sy.ifo;
			return 0;
		}
		if (sy.uids.uidnext < sy.ifo.uidnext) {
			sy.uids.uidnext = sy.ifo.uidnext;
			sy.uids_dirty = 1;
		}
		rc = sync_quick(&sy);
	} else {
		sy.full = 1;
		rc = sync_full(&sy);
	}
	maildir_list_free(&sy.list);
	free(sy.im);
	return rc;
}
