/*
 * store_move.c: COPY and MOVE (store_msgs_copy in store_imap.h).  Runs in
 * the mail process, chrooted to the user's Maildir.  A copy is a hard link of
 * the source file under a new name in the destination's cur/ (the same
 * content and mtime, so the same internal date; flags live in the name),
 * or a byte copy through the destination's tmp/ where the file system
 * refuses links.  Both folders are locked, in key order, so two sessions
 * copying in opposite directions cannot deadlock.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/store_int.h"
#include "common/util.h"

#define MOVE_IOBUF	65536

struct move_run {
	struct store		*s;
	struct store_locked	*src, *dst;
	const uint32_t		*uids;
	size_t			 n;
	uint32_t		*newuids;
	struct store_msg	*sm;	/* source records, 0 uid: gone */
	struct store_msg	*put;
	size_t			 nput;
	int			 kwmap[STORE_KEYWORDS_MAX];
};

/* move_kwmap: each of the source's keywords to the destination's index
 * of the same name (created there when needed), -1 when it can't be. */
static void
move_kwmap(struct move_run *r)
{
	struct store_keywords kw;
	size_t i;

	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		r->kwmap[i] = -1;
	if (store_keywords_read(r->src->ffd, &kw) == -1)
		return;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		if (kw.defined & (1U << i))
			r->kwmap[i] = store_keyword_index(r->dst->ffd,
			    kw.name[i], 1);
}

static uint32_t
move_keywords(const struct move_run *r, uint32_t k)
{
	uint32_t out = 0;
	size_t i;

	if (r->src == r->dst)
		return k;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		if ((k & (1U << i)) && r->kwmap[i] >= 0)
			out |= 1U << r->kwmap[i];
	return out;
}

/* move_bytes: copy the file name in cur/ of src into dst's tmp/ as
 * tmpname (same mtime), fsynced. */
static int
move_bytes(struct move_run *r, const char *name, int tfd,
    const char *tmpname)
{
	char buf[MOVE_IOBUF];
	struct timespec ts[2];
	struct stat st;
	ssize_t n;
	int in, out, rc = -1;

	if ((in = openat(r->src->curfd, name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	out = openat(tfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out != -1 && fstat(in, &st) == 0 && S_ISREG(st.st_mode)) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write_all(out, buf, (size_t)n) == -1)
				break;
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		if (n == 0 && futimens(out, ts) == 0 && fsync(out) == 0)
			rc = 0;
	}
	if (out != -1 && close(out) == -1)
		rc = -1;
	(void)close(in);
	if (rc == -1 && out != -1)
		(void)unlinkat(tfd, tmpname, 0);
	return rc;
}

/* move_place: m's file into dst's cur/ as newname: a link, or a copy. */
static int
move_place(struct move_run *r, struct store_msg *m, const char *base,
    const char *newname)
{
	int tfd, rc;

	if (linkat(r->src->curfd, m->name, r->dst->curfd, newname, 0) == 0)
		return 0;
	if (errno == ENOENT) {
		/* the index's name is stale: look for the file's own */
		if (store_cur_find(r->src->ffd, m->uid, m->name,
		    sizeof(m->name)) == -1)
			return -1;
		if (linkat(r->src->curfd, m->name, r->dst->curfd, newname,
		    0) == 0)
			return 0;
	}
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return -1;
	if ((tfd = maildir_subdir_open(r->dst->ffd, "tmp")) == -1)
		return -1;
	rc = move_bytes(r, m->name, tfd, base);
	if (rc == 0 && renameat2(tfd, base, r->dst->curfd, newname,
	    RENAME_NOREPLACE) == -1) {
		(void)unlinkat(tfd, base, 0);
		rc = -1;
	}
	(void)close(tfd);
	return rc;
}

static int
move_one(struct move_run *r, size_t i, uint32_t uid)
{
	struct maildir_name mn;
	struct store_msg *m = &r->sm[i], *d = &r->put[r->nput];
	char base[STORE_NAME_MAX];

	if (maildir_name_parse(m->name, &mn) == -1 ||
	    maildir_unique_base(base, sizeof(base)) == -1)
		return -1;
	*d = *m;
	d->uid = uid;
	d->keywords = move_keywords(r, m->keywords);
	mn.uid = uid;
	mn.keywords = d->keywords;
	mn.has_info = 1;
	if (str_copy(mn.base, base, sizeof(mn.base)) == -1 ||
	    maildir_name_build(&mn, d->name, sizeof(d->name)) == -1)
		return -1;
	if (move_place(r, m, base, d->name) == -1) {
		if (errno != ENOENT)
			return -1;
		r->newuids[i] = 0;
		m->uid = 0;
		return 0;
	}
	r->newuids[i] = uid;
	r->nput++;
	return 0;
}

/* move_undo: a failed COPY leaves the destination as it was (RFC 3501
 * 6.4.7): the files placed so far are removed (their UIDs are lost). */
static void
move_undo(struct move_run *r)
{
	size_t i;

	for (i = 0; i < r->nput; i++)
		(void)unlinkat(r->dst->curfd, r->put[i].name, 0);
	(void)fsync(r->dst->curfd);
	r->nput = 0;
}

/* move_load: the source records; *bytes their W= sizes; *k how many. */
static int
move_load(struct move_run *r, uint64_t *bytes, size_t *k)
{
	size_t i;
	int rc;

	*bytes = 0;
	*k = 0;
	for (i = 0; i < r->n; i++) {
		r->newuids[i] = 0;
		rc = store_index_msg_get(r->s->idx, r->src->key, r->uids[i],
		    &r->sm[i]);
		if (rc == 1) {
			r->sm[i].uid = 0;
			continue;
		}
		if (rc != 0)
			return -1;
		*bytes += r->sm[i].size;
		(*k)++;
	}
	return 0;
}

static int
move_run(struct move_run *r, int move, struct store_appended *res)
{
	uint64_t bytes;
	uint32_t first, uid;
	int64_t pre;
	size_t i, k;

	if (move_load(r, &bytes, &k) == -1)
		return -1;
	if (!move && store_quota_check(r->s, bytes) == -1)
		return -1;
	if (r->src != r->dst)
		move_kwmap(r);
	if (store_uids_reserve(r->dst, k, &first) == -1)
		return -1;
	res->uidvalidity = r->dst->f.uidvalidity;
	res->uid = k > 0 ? first : 0;
	pre = store_dir_mtime(r->dst->curfd);
	for (i = 0, uid = first; i < r->n; i++)
		if (r->sm[i].uid != 0 && move_one(r, i, uid++) == -1) {
			move_undo(r);
			return -1;
		}
	if (r->nput == 0)
		return 0;
	if (fsync(r->dst->curfd) == -1) {
		move_undo(r);
		return -1;
	}
	r->dst->f.highestmodseq++;
	for (i = 0; i < r->nput; i++) {
		r->put[i].modseq = r->dst->f.highestmodseq;
		r->dst->f.count++;
		r->dst->f.bytes += r->put[i].size;
	}
	return store_commit(r->s, r->dst, pre, NULL, 0, 0, r->put, r->nput) ==
	    0 ? 0 : -1;
}

/* move_expunge: MOVE's second half: the source's copied messages. */
static int
move_expunge(struct move_run *r)
{
	uint32_t *gone;
	size_t i, n = 0;
	int rc;

	if ((gone = calloc(r->n + 1, sizeof(*gone))) == NULL)
		return -1;
	for (i = 0; i < r->n; i++)
		if (r->newuids[i] != 0)
			gone[n++] = r->uids[i];
	rc = store_expunge_locked(r->s, r->src, gone, n);
	free(gone);
	return rc;
}

static int
move_lock_both(struct store *s, const char *fk, const char *tk,
    struct store_locked *a, struct store_locked *b)
{
	int swap = strcmp(fk, tk) > 0;

	if (store_lock(s, swap ? tk : fk, swap ? b : a) == -1)
		return -1;
	if (strcmp(fk, tk) == 0)
		return 0;
	if (store_lock(s, swap ? fk : tk, swap ? a : b) == -1) {
		store_unlock(swap ? b : a);
		return -1;
	}
	return 0;
}

int
store_msgs_copy(struct store *s, const char *from, const uint32_t *uids,
    size_t n, const char *to, int move, uint32_t *newuids,
    struct store_appended *res)
{
	struct store_locked a, b;
	struct move_run r;
	char fk[STORE_KEY_MAX], tk[STORE_KEY_MAX];
	int rc, save, same;

	if (store_key(from, fk) == -1 || store_key(to, tk) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.s = s;
	r.uids = uids;
	r.n = n;
	r.newuids = newuids;
	if ((r.sm = calloc(n + 1, sizeof(*r.sm))) == NULL ||
	    (r.put = calloc(n + 1, sizeof(*r.put))) == NULL) {
		free(r.sm);
		return -1;
	}
	same = strcmp(fk, tk) == 0;
	if ((rc = store_quota_prepare(s)) == 0 &&
	    (rc = move_lock_both(s, fk, tk, &a, &b)) == 0) {
		r.src = &a;
		r.dst = same ? &a : &b;
		rc = move_run(&r, move, res);
		if (rc == 0 && move)
			rc = move_expunge(&r);
		save = errno;
		if (rc == -1 && save != EDQUOT)
			log_warn("cannot copy messages from %s to %s", from,
			    to);
		if (!same)
			store_unlock(&b);
		store_unlock(&a);
		errno = save;
	}
	free(r.sm);
	free(r.put);
	return rc;
}
