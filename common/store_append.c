/*
 * store_append.c: APPEND, COPY and MOVE (store_imap.h).  Runs in the mail
 * process, chrooted to the user's Maildir.  The message's bytes come from
 * the client and are stored as they are (CRLF as LF); only their sizes
 * are computed.  Order of durability, as for delivery: the file is
 * written and fsynced in tmp/, UIDNEXT reaches postern-uids, the file is
 * renamed (or linked) into cur/ under its final name with its UID, cur/
 * is fsynced, and the index is committed; only then does the call return
 * 0.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/store_int.h"
#include "common/util.h"

#define APPEND_IOBUF	16384

int
store_tmp_open(struct store *s, const char *folder, struct store_tmp *t)
{
	char key[STORE_KEY_MAX], dir[STORE_KEY_MAX + 8];
	int tfd, save;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->last = '\n';
	if (store_key(folder, key) == -1 ||
	    store_key_dir(key, dir, sizeof(dir) - 4) == -1)
		return -1;
	(void)str_copy(t->key, key, sizeof(t->key));
	(void)strcat(dir, "/tmp");
	if ((tfd = maildir_subdir_open(s->dirfd, dir)) == -1)
		return -1;
	if (maildir_unique_base(t->name, sizeof(t->name)) == 0)
		t->fd = openat(tfd, t->name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	save = errno;
	(void)close(tfd);
	errno = save;
	return t->fd == -1 ? -1 : 0;
}

int
store_tmp_write(struct store_tmp *t, const void *p, size_t len)
{
	const unsigned char *in = p;
	char buf[APPEND_IOBUF + 1];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (t->cr) {
			t->cr = 0;
			if (in[i] != '\n')
				buf[n++] = '\r';
		}
		if (in[i] == '\r') {
			t->cr = 1;
			continue;
		}
		buf[n++] = (char)in[i];
		if (n >= APPEND_IOBUF) {
			if (write_all(t->fd, buf, n) == -1)
				return -1;
			t->size += n;
			n = 0;
		}
	}
	if (n > 0 && write_all(t->fd, buf, n) == -1)
		return -1;
	t->size += n;
	for (i = 0; i < len; i++)
		if (in[i] == '\n')
			t->lfs++;
	if (len > 0)
		t->last = in[len - 1];
	return 0;
}

void
store_tmp_abort(struct store *s, struct store_tmp *t)
{
	char dir[STORE_KEY_MAX + 8];
	int tfd;

	if (t->fd != -1)
		(void)close(t->fd);
	t->fd = -1;
	if (store_key_dir(t->key, dir, sizeof(dir) - 4) == -1)
		return;
	(void)strcat(dir, "/tmp");
	if ((tfd = maildir_subdir_open(s->dirfd, dir)) != -1) {
		(void)unlinkat(tfd, t->name, 0);
		(void)close(tfd);
	}
}

/* append_finish_file: the pending CR, the mtime, fsync, close. */
static int
append_finish_file(struct store_tmp *t, int64_t date)
{
	struct timespec ts[2];

	if (t->cr) {
		if (write_all(t->fd, "\r", 1) == -1)
			return -1;
		t->size++;
		t->cr = 0;
		t->last = '\r';
	}
	if (date > 0) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)date;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(t->fd, ts) == -1)
			return -1;
	}
	if (fsync(t->fd) == -1)
		return -1;
	if (close(t->fd) == -1) {
		t->fd = -1;
		return -1;
	}
	t->fd = -1;
	return 0;
}

int
store_uids_reserve(struct store_locked *lk, size_t n, uint32_t *first)
{
	struct maildir_uids u;

	if ((uint64_t)lk->f.uidnext + n > (uint64_t)MAILDIR_UID_MAX + 1) {
		log_warnx("folder %s: out of UIDs", lk->key);
		errno = EOVERFLOW;
		return -1;
	}
	*first = lk->f.uidnext;
	u.uidvalidity = lk->f.uidvalidity;
	u.uidnext = lk->f.uidnext + (uint32_t)n;
	if (n > 0 && maildir_uids_write(lk->ffd, &u) == -1)
		return -1;
	lk->f.uidnext = u.uidnext;
	return 0;
}

/* append_name: base plus S=, W=, U= and the ":2," letters. */
static int
append_name(const char *base, uint64_t size, uint64_t wsize, uint32_t uid,
    uint32_t flags, uint32_t keywords, char *buf, size_t len)
{
	struct maildir_name mn;

	memset(&mn, 0, sizeof(mn));
	if (str_copy(mn.base, base, sizeof(mn.base)) == -1)
		return -1;
	mn.size = size;
	mn.wsize = wsize;
	mn.uid = uid;
	mn.flags = flags & STORE_ALLFLAGS;
	mn.keywords = keywords & STORE_KEYWORDS_ALL;
	mn.has_size = mn.has_wsize = mn.has_info = 1;
	return maildir_name_build(&mn, buf, len);
}

static int
append_locked(struct store *s, struct store_locked *lk, struct store_tmp *t,
    uint32_t flags, uint32_t keywords, struct store_appended *res)
{
	struct store_msg m;
	struct stat st;
	uint64_t wsize = t->size + t->lfs + (t->last == '\n' ? 0 : 2);
	int64_t pre;
	int tfd, rc;

	if (store_quota_check(s, wsize) == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	if (store_uids_reserve(lk, 1, &m.uid) == -1 ||
	    append_name(t->name, t->size, wsize, m.uid, flags, keywords,
	    m.name, sizeof(m.name)) == -1)
		return -1;
	if ((tfd = maildir_subdir_open(lk->ffd, "tmp")) == -1)
		return -1;
	pre = store_dir_mtime(lk->curfd);
	rc = renameat2(tfd, t->name, lk->curfd, m.name, RENAME_NOREPLACE);
	(void)close(tfd);
	if (rc == -1 || fsync(lk->curfd) == -1 ||
	    fstatat(lk->curfd, m.name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	m.flags = flags & STORE_ALLFLAGS;
	m.keywords = keywords & STORE_KEYWORDS_ALL;
	m.size = wsize;
	m.internal_date = (int64_t)st.st_mtime;
	m.modseq = ++lk->f.highestmodseq;
	lk->f.count++;
	lk->f.bytes += wsize;
	if (store_commit(s, lk, pre, NULL, 0, 0, &m, 1) != 0) {
		errno = EIO;
		return -1;
	}
	res->uidvalidity = lk->f.uidvalidity;
	res->uid = m.uid;
	return 0;
}

int
store_append_tmp(struct store *s, struct store_tmp *t, uint32_t flags,
    uint32_t keywords, int64_t date, struct store_appended *res)
{
	struct store_locked lk;
	int rc, save;

	if (append_finish_file(t, date) == -1) {
		save = errno;
		log_warn("cannot write a message into folder %s", t->key);
		store_tmp_abort(s, t);
		errno = save;
		return -1;
	}
	if (store_quota_prepare(s) == -1 || store_lock(s, t->key, &lk) == -1) {
		save = errno;
		store_tmp_abort(s, t);
		errno = save;
		return -1;
	}
	rc = append_locked(s, &lk, t, flags, keywords, res);
	save = errno;
	store_unlock(&lk);
	if (rc == -1) {
		if (save != EDQUOT)
			log_warn("cannot add a message to folder %s", t->key);
		store_tmp_abort(s, t);
	}
	errno = save;
	return rc;
}

int
store_append(struct store *s, const char *folder, const void *data,
    size_t len, uint32_t flags, uint32_t keywords, int64_t date,
    struct store_appended *res)
{
	struct store_tmp t;
	int save;

	if (store_tmp_open(s, folder, &t) == -1)
		return -1;
	if (store_tmp_write(&t, data, len) == -1) {
		save = errno;
		store_tmp_abort(s, &t);
		errno = save;
		return -1;
	}
	return store_append_tmp(s, &t, flags, keywords, date, res);
}
