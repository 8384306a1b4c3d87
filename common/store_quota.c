/*
 * store_quota.c: the user's usage and quota limit (store_quota_get and
 * store_quota_set in store_imap.h).  Runs in the mail process and in
 * authctl.  Usage is the sum of the folders' index records (count and
 * W= bytes, each kept up to date by every change of its folder); the
 * limit lives in the Maildir's postern-quota ("v1 <bytes>\n", written
 * with tmp + fsync + rename), read as hostile input.
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

#define QUOTA_FILE	"postern-quota"
#define QUOTA_TMP	"postern-quota.tmp"

int
store_quota_limit_read(int dirfd, uint64_t *limit)
{
	char buf[40], *end;
	ssize_t r;
	int fd;

	*limit = 0;
	fd = openat(dirfd, QUOTA_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	r = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (r < 4) {
		log_warnx("%s is malformed; no limit applied", QUOTA_FILE);
		return 0;
	}
	buf[r] = '\0';
	errno = 0;
	if (strncmp(buf, "v1 ", 3) != 0 || buf[3] < '0' || buf[3] > '9' ||
	    (*limit = strtoull(buf + 3, &end, 10), errno != 0) ||
	    strcmp(end, "\n") != 0) {
		*limit = 0;
		log_warnx("%s is malformed; no limit applied", QUOTA_FILE);
	}
	return 0;
}

int
store_quota_set(struct store *s, uint64_t limit)
{
	char buf[40];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "v1 %" PRIu64 "\n", limit);
	fd = openat(s->dirfd, QUOTA_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write_all(fd, buf, (size_t)n) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(s->dirfd, QUOTA_TMP, s->dirfd, QUOTA_FILE) == -1 ||
	    fsync(s->dirfd) == -1) {
		log_warn("cannot write %s", QUOTA_FILE);
		return -1;
	}
	return 0;
}

/* quota_recount: sync INBOX and every folder without a record, forget
 * the records of folders no longer on disk, then mark usage complete. */
static int
quota_recount(struct store *s, const char *ikeys, size_t ni)
{
	struct store_locked lk;
	struct store_index_folder f;
	char *keys = NULL;
	size_t i, j, n = 0;
	int found;

	if (store_folder_keys(s, &keys, &n) == -1)
		return -1;
	for (i = 0; i <= n; i++) {
		const char *k = i == n ? "INBOX" : keys + i * STORE_KEY_MAX;

		if (store_index_folder_get(s->idx, k, &f) == 0)
			continue;
		if (store_lock(s, k, &lk) == 0)
			store_unlock(&lk);
	}
	for (j = 0; j < ni; j++) {
		const char *k = ikeys + j * STORE_KEY_MAX;

		for (i = 0, found = strcmp(k, "INBOX") == 0; i < n && !found;
		    i++)
			found = strcmp(k, keys + i * STORE_KEY_MAX) == 0;
		if (!found)
			(void)store_index_folder_drop(s->idx, k);
	}
	free(keys);
	return store_index_meta_put(s->idx, STORE_META_USAGE, 1) == 0 ? 0 :
	    -1;
}

/* quota_sum: add the folders' records into q; with recount, first
 * resync what a rebuild or rename left uncounted (this takes folder
 * locks: the caller MUST hold none). */
static int
quota_sum(struct store *s, struct store_quota *q, int recount,
    int *complete)
{
	struct store_index_folder *f = NULL;
	char *keys = NULL;
	uint64_t done = 0;
	size_t i, n = 0;
	int rc = 0;

	if (store_index_meta_get(s->idx, STORE_META_USAGE, &done) < 0 ||
	    store_index_folders(s->idx, &keys, &f, &n) != 0)
		return -1;
	*complete = done == 1 || !recount;
	if (!*complete)
		rc = quota_recount(s, keys, n);
	else
		for (i = 0; i < n; i++) {
			q->bytes += f[i].bytes;
			q->messages += f[i].count;
		}
	free(keys);
	free(f);
	return rc;
}

int
store_quota_get(struct store *s, struct store_quota *q)
{
	int complete;

	memset(q, 0, sizeof(*q));
	if (store_quota_limit_read(s->dirfd, &q->limit) == -1) {
		log_warn("cannot read %s", QUOTA_FILE);
		return -1;
	}
	if (store_index_refresh(s->idx) == -1 ||
	    quota_sum(s, q, 1, &complete) == -1)
		return -1;
	if (!complete && quota_sum(s, q, 1, &complete) == -1)
		return -1;
	return 0;
}

int
store_quota_prepare(struct store *s)
{
	struct store_quota q;
	uint64_t limit;

	if (store_quota_limit_read(s->dirfd, &limit) == -1 || limit == 0)
		return 0;
	return store_quota_get(s, &q);
}

int
store_quota_check(struct store *s, uint64_t bytes)
{
	struct store_quota q;
	int complete;

	memset(&q, 0, sizeof(q));
	if (bytes == 0 || store_quota_limit_read(s->dirfd, &q.limit) == -1 ||
	    q.limit == 0)
		return 0;
	if (quota_sum(s, &q, 0, &complete) == -1)
		return -1;
	if (q.bytes > q.limit || bytes > q.limit - q.bytes) {
		errno = EDQUOT;
		return -1;
	}
	return 0;
}

int
store_quota_record(const char *maildir, uint64_t limit, char *err,
    size_t errlen)
{
	struct store *s;
	uint64_t now;
	int dfd, rc;

	if ((dfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = store_quota_limit_read(dfd, &now);
	(void)close(dfd);
	if (rc == 0 && now == limit)
		return 0;
	if (store_open(&s, maildir, err, errlen) == -1)
		return -1;
	rc = store_quota_set(s, limit);
	store_close(s);
	return rc;
}
