/*
 * store_modseq.c: QRESYNC's questions (store_vanished, store_changed),
 * the per-message cache and the IDLE probe (store_imap.h).  Runs in the
 * mail process; reads the index and two directory mtimes, changes
 * nothing on disk but the cache.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/store_int.h"
#include "common/util.h"

struct ranges {
	struct store_range	*r;
	size_t			 n, cap;
};

static int
ranges_add(struct ranges *rs, uint32_t first, uint32_t last)
{
	void *p;

	if (rs->n > 0 && rs->r[rs->n - 1].last + 1 == first) {
		rs->r[rs->n - 1].last = last;
		return 0;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap == 0 ? 16 : rs->cap * 2;
		if ((p = reallocarray(rs->r, rs->cap, sizeof(*rs->r))) == NULL)
			return -1;
		rs->r = p;
	}
	rs->r[rs->n].first = first;
	rs->r[rs->n].last = last;
	rs->n++;
	return 0;
}

/* vanished_gaps: every UID below uidnext that is not in msgs. */
static int
vanished_gaps(const struct store_msg *m, size_t n, uint32_t uidnext,
    struct ranges *rs)
{
	uint32_t next = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].uid > next && ranges_add(rs, next, m[i].uid - 1) == -1)
			return -1;
		next = m[i].uid + 1;
	}
	if (uidnext > next && ranges_add(rs, next, uidnext - 1) == -1)
		return -1;
	return 0;
}

int
store_vanished(struct store *s, const char *folder, uint64_t since,
    struct store_range **r, size_t *n)
{
	struct store_index_folder f;
	struct store_msg *m = NULL;
	struct ranges rs;
	char key[STORE_KEY_MAX];
	uint32_t *uids = NULL;
	size_t i, nm = 0;
	int rc;

	*r = NULL;
	*n = 0;
	memset(&rs, 0, sizeof(rs));
	if (store_key(folder, key) == -1)
		return -1;
	if ((rc = store_index_folder_get(s->idx, key, &f)) != 0) {
		errno = rc == 1 ? ENOENT : EIO;
		return -1;
	}
	if (since >= f.floor) {
		if (store_index_vanished(s->idx, key, since, &uids, &nm) != 0)
			goto fail;
		for (i = 0; i < nm; i++)
			if (ranges_add(&rs, uids[i], uids[i]) == -1)
				goto fail;
	} else {
		if (store_index_msgs_get(s->idx, key, &m, &nm) != 0 ||
		    vanished_gaps(m, nm, f.uidnext, &rs) == -1)
			goto fail;
	}
	free(uids);
	free(m);
	*r = rs.r;
	*n = rs.n;
	return 0;
fail:
	free(uids);
	free(m);
	free(rs.r);
	errno = EIO;
	return -1;
}

int
store_changed(struct store *s, const char *folder, uint64_t since,
    struct store_msg **msgs, size_t *n)
{
	size_t i, j;

	if (store_list(s, folder, msgs, n) == -1)
		return -1;
	for (i = 0, j = 0; i < *n; i++)
		if ((*msgs)[i].modseq > since)
			(*msgs)[j++] = (*msgs)[i];
	*n = j;
	return 0;
}

int
store_cache_put(struct store *s, const char *folder, uint32_t uid,
    const void *a, size_t alen, const void *b, size_t blen)
{
	char key[STORE_KEY_MAX];
	int rc;

	if (store_key(folder, key) == -1)
		return -1;
	rc = store_index_cache_put(s->idx, key, uid, a, alen, b, blen);
	if (rc != 0)
		errno = EIO;
	return rc == 0 ? 0 : -1;
}

int
store_cache_flush(struct store *s)
{
	if (store_index_cache_flush(s->idx) != 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
store_cache_get(struct store *s, const char *folder, uint32_t uid,
    char **a, size_t *alen, char **b, size_t *blen)
{
	char key[STORE_KEY_MAX];
	int rc;

	*a = *b = NULL;
	if (store_key(folder, key) == -1)
		return -1;
	rc = store_index_cache_get(s->idx, key, uid, a, alen, b, blen);
	if (rc == 1)
		errno = ENOENT;
	else if (rc != 0)
		errno = EIO;
	return rc == 0 ? 0 : -1;
}

int
store_folder_path(const char *folder, char *buf, size_t len)
{
	char key[STORE_KEY_MAX];

	if (store_key(folder, key) == -1)
		return -1;
	return store_key_dir(key, buf, len);
}

static int64_t
probe_mtime(struct store *s, const char *dir, const char *sub)
{
	char path[STORE_KEY_MAX + 8];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (fstatat(s->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

int
store_probe(struct store *s, const char *folder, struct store_probe *p)
{
	struct store_index_folder f;
	struct store_probe now;
	char key[STORE_KEY_MAX], dir[STORE_KEY_MAX + 1];

	if (store_key(folder, key) == -1 ||
	    store_key_dir(key, dir, sizeof(dir)) == -1)
		return -1;
	memset(&now, 0, sizeof(now));
	now.cur_mtime = probe_mtime(s, dir, "cur");
	now.new_mtime = probe_mtime(s, dir, "new");
	if (now.cur_mtime == -1 || now.new_mtime == -1)
		return -1;
	if (store_index_refresh(s->idx) == 0 &&
	    store_index_folder_get(s->idx, key, &f) == 0) {
		now.highestmodseq = f.highestmodseq;
		now.uidnext = f.uidnext;
		now.exists = f.count;
	}
	if (memcmp(&now, p, sizeof(now)) == 0)
		return 0;
	*p = now;
	return 1;
}
