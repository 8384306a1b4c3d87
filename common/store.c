/*
 * store.c: the mail store's core API (store.h): open, sync, list, open a
 * message, expunge, and the folder lock every change runs under.  Runs
 * in the imapd/pop3d mail process, chrooted to the user's Maildir as the
 * user's uid, so every path is relative to the Maildir's descriptor, and
 * in authctl.  The message files and each folder's postern-uids are the
 * truth; the LMDB index is a cache, rebuilt from them when it is missing
 * or corrupt.  Everything that gives out UIDs or renames files in a
 * folder runs under the folder's lock, so an imapd and a pop3d session
 * of one user never hand out a UID twice.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_int.h"
#include "common/util.h"

int
store_key_dir(const char *key, char *dir, size_t len)
{
	int n;

	if (strcmp(key, "INBOX") == 0)
		return str_copy(dir, ".", len);
	n = snprintf(dir, len, ".%s", key);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
store_folder_fd(struct store *s, const char *key)
{
	char dir[STORE_KEY_MAX + 1];

	if (store_key_dir(key, dir, sizeof(dir)) == -1)
		return -1;
	return maildir_subdir_open(s->dirfd, dir);
}

int
store_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
store_open(struct store **sp, const char *maildir, char *err, size_t errlen)
{
	struct store *s;
	const char *what = "open";

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "store_open: %s", strerror(errno));
		return -1;
	}
	s->dirfd = -1;
	if (mkdir(maildir, 0700) == -1 && errno != EEXIST)
		goto fail;
	s->dirfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (s->dirfd == -1)
		goto fail;
	what = "cur/ new/ tmp/";
	if (maildir_mkdirs(s->dirfd) == -1)
		goto fail;
	if (store_index_open(&s->idx, s->dirfd, maildir) == -1) {
		(void)snprintf(err, errlen, "store_open: cannot open index");
		(void)close(s->dirfd);
		free(s);
		return -1;
	}
	*sp = s;
	return 0;
fail:
	(void)snprintf(err, errlen, "store_open: %s: %s", what,
	    strerror(errno));
	if (s->dirfd != -1)
		(void)close(s->dirfd);
	free(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_index_close(s->idx);
	(void)close(s->dirfd);
	free(s);
}

void
store_unlock(struct store_locked *lk)
{
	maildir_unlock(lk->lockfd);
	if (lk->newfd != -1)
		(void)close(lk->newfd);
	if (lk->curfd != -1)
		(void)close(lk->curfd);
	if (lk->ffd != -1)
		(void)close(lk->ffd);
	lk->ffd = lk->curfd = lk->newfd = lk->lockfd = -1;
}

/* store_lock_same: 1 when key's directory is still the one open at fd. */
static int
store_lock_same(struct store *s, const char *key, int fd)
{
	char dir[STORE_KEY_MAX + 1];
	struct stat a, b;

	if (store_key_dir(key, dir, sizeof(dir)) == -1 ||
	    fstatat(s->dirfd, dir, &a, AT_SYMLINK_NOFOLLOW) == -1 ||
	    fstat(fd, &b) == -1)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
store_lock_open(struct store *s, const char *key, struct store_locked *lk)
{
	int save;

	memset(lk, 0, sizeof(*lk));
	lk->ffd = lk->curfd = lk->newfd = lk->lockfd = -1;
	(void)str_copy(lk->key, key, sizeof(lk->key));
	if ((lk->ffd = store_folder_fd(s, key)) == -1)
		return -1;
	if ((lk->curfd = maildir_subdir_open(lk->ffd, "cur")) == -1 ||
	    (lk->newfd = maildir_subdir_open(lk->ffd, "new")) == -1) {
		save = errno;
		log_warn("folder %s: cannot open cur/ or new/", key);
		store_unlock(lk);
		errno = save;
		return -1;
	}
	if ((lk->lockfd = maildir_lock(lk->ffd)) == -1) {
		save = errno;
		store_unlock(lk);
		errno = save;
		return -1;
	}
	/* deleted or renamed while we waited for the lock */
	if (!store_lock_same(s, key, lk->ffd)) {
		store_unlock(lk);
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
store_lock(struct store *s, const char *key, struct store_locked *lk)
{
	int rc;

	if (store_index_refresh(s->idx) == -1 ||
	    store_lock_open(s, key, lk) == -1)
		return -1;
	rc = store_sync_locked(s, lk);
	if (rc == STORE_INDEX_CORRUPT) {
		if (store_index_reset(s->idx) == -1)
			rc = -1;
		else
			rc = store_sync_locked(s, lk);
	}
	if (rc != 0) {
		store_unlock(lk);
		errno = EIO;
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s, struct store_locked *lk, int64_t pre,
    const uint32_t *del, size_t ndel, uint64_t delmodseq,
    const struct store_msg *put, size_t nput)
{
	lk->f.cur_mtime = lk->f.cur_mtime == pre ?
	    store_dir_mtime(lk->curfd) : 0;
	return store_index_update(s->idx, lk->key, &lk->f, del, ndel,
	    delmodseq, put, nput);
}

int
store_sync(struct store *s, const char *folder, struct store_folder *info)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];

	if (store_key(folder, key) == -1 || store_lock(s, key, &lk) == -1) {
		if (errno == EINVAL)
			log_warnx("bad folder name");
		return -1;
	}
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->uidvalidity = lk.f.uidvalidity;
		info->uidnext = lk.f.uidnext;
		info->exists = lk.f.count;
		info->highestmodseq = lk.f.highestmodseq;
	}
	store_unlock(&lk);
	return 0;
}

int
store_list(struct store *s, const char *folder, struct store_msg **msgs,
    size_t *n)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];
	int rc;

	*msgs = NULL;
	*n = 0;
	if (store_key(folder, key) == -1)
		return -1;
	rc = store_index_msgs_get(s->idx, key, msgs, n);
	if (rc == STORE_INDEX_CORRUPT && store_index_reset(s->idx) == 0 &&
	    store_lock(s, key, &lk) == 0) {
		store_unlock(&lk);
		rc = store_index_msgs_get(s->idx, key, msgs, n);
	}
	return rc == 0 ? 0 : -1;
}

int
store_list_info(struct store *s, const char *folder,
    struct store_msginfo **v, size_t *n)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];
	int rc;

	*v = NULL;
	*n = 0;
	if (store_key(folder, key) == -1)
		return -1;
	rc = store_index_infos_get(s->idx, key, v, n);
	if (rc == STORE_INDEX_CORRUPT && store_index_reset(s->idx) == 0 &&
	    store_lock(s, key, &lk) == 0) {
		store_unlock(&lk);
		rc = store_index_infos_get(s->idx, key, v, n);
	}
	return rc == 0 ? 0 : -1;
}

void
store_trim(struct store *s)
{
	store_index_trim(s->idx);
	malloc_trim(0);
}

int
store_msg_get(struct store *s, const char *folder, uint32_t uid,
    struct store_msg *m)
{
	char key[STORE_KEY_MAX];
	int rc;

	if (store_key(folder, key) == -1)
		return -1;
	if ((rc = store_index_msg_get(s->idx, key, uid, m)) == 1)
		errno = ENOENT;
	return rc == 0 ? 0 : -1;
}

int
store_msg_open(struct store *s, const char *folder,
    const struct store_msg *m)
{
	struct maildir_name mn;
	char key[STORE_KEY_MAX], dir[STORE_KEY_MAX + 8];
	struct stat st;
	int curfd, fd, save;

	if (store_key(folder, key) == -1)
		return -1;
	if (memchr(m->name, '\0', sizeof(m->name)) == NULL ||
	    maildir_name_parse(m->name, &mn) == -1 ||
	    store_key_dir(key, dir, sizeof(dir) - 4) == -1) {
		errno = EINVAL;
		return -1;
	}
	(void)strcat(dir, "/cur");
	if ((curfd = maildir_subdir_open(s->dirfd, dir)) == -1)
		return -1;
	fd = openat(curfd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	save = errno;
	(void)close(curfd);
	if (fd == -1) {
		errno = save;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* store_unlink_stale: unlink the cur/ files carrying one of the n sorted
 * UIDs in miss, whose names the index had out of date. */
static int
store_unlink_stale(struct store_locked *lk, const uint32_t *miss, size_t n)
{
	struct maildir_list l;
	const struct maildir_ent *e;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	memset(&l, 0, sizeof(l));
	if (maildir_list_read(&l, lk->ffd, "cur", 0) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		e = &l.ent[i];
		if (e->uid == 0 || bsearch(&e->uid, miss, n, sizeof(*miss),
		    store_uid_cmp) == NULL)
			continue;
		if (unlinkat(lk->curfd, maildir_list_name(&l, e), 0) == -1 &&
		    errno != ENOENT) {
			log_warn("cannot remove a deleted message file");
			rc = -1;
		}
	}
	maildir_list_free(&l);
	return rc;
}

/* store_expunge_files: unlink the files of uids; the ones the index
 * held go to gone (*ngone; their count and bytes leave the folder's
 * record). */
static int
store_expunge_files(struct store *s, struct store_locked *lk,
    const uint32_t *uids, size_t n, uint32_t *gone, size_t *ngone)
{
	struct store_msg m;
	uint32_t *miss;
	size_t i, nmiss = 0;
	int rc = 0;

	if ((miss = calloc(n + 1, sizeof(*miss))) == NULL) {
		log_warn("out of memory removing messages");
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_index_msg_get(s->idx, lk->key, uids[i], &m);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		gone[(*ngone)++] = uids[i];
		if (lk->f.count > 0)
			lk->f.count--;
		lk->f.bytes = lk->f.bytes > m.size ? lk->f.bytes - m.size : 0;
		if (unlinkat(lk->curfd, m.name, 0) == -1) {
			if (errno == ENOENT)
				miss[nmiss++] = uids[i];
			else {
				log_warn("cannot remove a deleted message "
				    "file");
				rc = -1;
			}
		}
	}
	qsort(miss, nmiss, sizeof(*miss), store_uid_cmp);
	if (rc == 0)
		rc = store_unlink_stale(lk, miss, nmiss);
	free(miss);
	if (rc == 0 && n > 0 && fsync(lk->curfd) == -1) {
		log_warn("cannot fsync the folder after removing messages");
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}

int
store_expunge_locked(struct store *s, struct store_locked *lk,
    const uint32_t *uids, size_t n)
{
	int64_t pre = store_dir_mtime(lk->curfd);
	uint32_t *gone;
	size_t ngone = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((gone = calloc(n, sizeof(*gone))) == NULL) {
		log_warn("out of memory removing messages");
		return -1;
	}
	if (store_expunge_files(s, lk, uids, n, gone, &ngone) == -1)
		rc = -1;
	else if (ngone > 0) {
		lk->f.highestmodseq++;
		rc = store_commit(s, lk, pre, gone, ngone,
		    lk->f.highestmodseq, NULL, 0) == 0 ? 0 : -1;
	}
	free(gone);
	return rc;
}

int
store_expunge(struct store *s, const char *folder, const uint32_t *uids,
    size_t n)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];
	int rc;

	if (store_key(folder, key) == -1)
		return -1;
	if (store_lock(s, key, &lk) == -1) {
		log_warn("folder %s: cannot remove messages", key);
		return -1;
	}
	rc = store_expunge_locked(s, &lk, uids, n);
	store_unlock(&lk);
	return rc;
}
