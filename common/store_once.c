/*
 * store_once.c: exactly-once delivery into a Maildir INBOX for smtpd's
 * deliver role (store_deliver_once, store_deliver_room in store.h).
 * Runs in the deliver process, chrooted to the mail root as the mail
 * uid.  It trusts the caller's key and headers (the queue made them) and
 * the message descriptor's bytes only as bytes; names found in new/ and
 * cur/ are compared, never used as paths.
 *
 * The file name's unique part is "<secs>.M<usecs>P<pid>Q<key>.<host>":
 * imapd moves a file from new/ to cur/ keeping that part and appending
 * ",S=", ",W=", ",U=" and ":2,<flags>" (store_maildir.h), so "Q<key>."
 * still finds it after the user read it.
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/store.h"
#include "common/store_imap.h"
#include "common/store_int.h"
#include "common/store_maildir.h"
#include "common/util.h"

#define ONCE_IOBUF	16384

/* once_key_valid: the key is what the queue makes: [0-9a-z-], short. */
static int
once_key_valid(const char *key)
{
	size_t i, len = strlen(key);

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		    (key[i] >= 'a' && key[i] <= 'z') || key[i] == '-'))
			return 0;
	return 1;
}

/* once_find: 1 when a name in dir (of dfd) holds "Q<key>.", 0 when
 * none, -1 when the directory cannot be read. */
static int
once_find_in(int dfd, const char *dir, const char *pattern)
{
	struct dirent *e;
	DIR *d;
	int fd, found = 0;

	fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while (!found && (e = readdir(d)) != NULL)
		found = e->d_name[0] != '.' &&
		    strstr(e->d_name, pattern) != NULL;
	(void)closedir(d);
	return found;
}

static int
once_find(int dfd, const char *key)
{
	char pattern[80];
	int r;

	(void)snprintf(pattern, sizeof(pattern), "Q%s.", key);
	if ((r = once_find_in(dfd, "new", pattern)) != 0)
		return r;
	return once_find_in(dfd, "cur", pattern);
}

/* once_tmp_clean: remove what an earlier attempt of key left in tmp/
 * (its deliver process was killed while writing).  No other attempt of
 * the key can be writing: the queue hands a recipient to one deliver
 * process at a time, and recovers only after the processes of the old
 * attempt are gone.  Errors are left to the write that follows. */
static void
once_tmp_clean(int dfd, const char *key)
{
	char pattern[80];
	struct dirent *e;
	DIR *d;
	int fd;

	(void)snprintf(pattern, sizeof(pattern), "Q%s.", key);
	fd = openat(dfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strstr(e->d_name, pattern) != NULL)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	(void)closedir(d);
}

/* once_base: the unique part of the name for key. */
static int
once_base(const char *key, char *base, size_t len)
{
	struct utsname u;
	char host[65];
	size_t i;
	int64_t us = now_us();
	int n;

	if (uname(&u) == -1)
		(void)str_copy(u.nodename, "localhost", sizeof(u.nodename));
	for (i = 0; i + 1 < sizeof(host) && u.nodename[i] != '\0'; i++) {
		unsigned char c = (unsigned char)u.nodename[i];

		host[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ? (char)c :
		    '_';
	}
	host[i] = '\0';
	n = snprintf(base, len, "%" PRId64 ".M%06" PRId64 "P%ldQ%s.%s",
	    us / 1000000, us % 1000000, (long)getpid(), key, host);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* once_copy: write head then the msglen bytes at fd (offset 0 on) into out,
 * CRLF turned into LF; *size and *wsize as maildir_lf_size counts. */
struct once_out {
	int		fd;
	char		buf[ONCE_IOBUF];
	size_t		n;
	int		cr;		/* a '\r' held back */
	int		last;		/* the last byte written */
	uint64_t	size, lf;
};

static int
once_put(struct once_out *o, char c)
{
	o->buf[o->n++] = c;
	o->size++;
	o->last = (unsigned char)c;
	if (c == '\n')
		o->lf++;
	if (o->n == sizeof(o->buf)) {
		if (write_all(o->fd, o->buf, o->n) == -1)
			return -1;
		o->n = 0;
	}
	return 0;
}

static int
once_feed(struct once_out *o, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (o->cr) {
			o->cr = 0;
			if (p[i] != '\n' && once_put(o, '\r') == -1)
				return -1;
		}
		if (p[i] == '\r') {
			o->cr = 1;
			continue;
		}
		if (once_put(o, p[i]) == -1)
			return -1;
	}
	return 0;
}

static int
once_copy(struct once_out *o, const void *head, size_t headlen, int msgfd,
    uint64_t msglen)
{
	char buf[ONCE_IOBUF];
	uint64_t off = 0;
	ssize_t r;

	if (once_feed(o, head, headlen) == -1)
		return -1;
	while (off < msglen) {
		r = pread(msgfd, buf, msglen - off < sizeof(buf) ?
		    (size_t)(msglen - off) : sizeof(buf), (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;	/* shorter than the queue said */
			return -1;
		}
		if (once_feed(o, buf, (size_t)r) == -1)
			return -1;
		off += (uint64_t)r;
	}
	if (o->cr && once_put(o, '\r') == -1)
		return -1;
	return write_all(o->fd, o->buf, o->n);
}

/* once_write: tmp/<base>, fsynced, renamed to new/<base>,S=,W=, new/
 * fsynced.  Nothing is left in new/ on failure. */
static int
once_write(int dfd, const char *base, const void *head, size_t headlen,
    int msgfd, uint64_t msglen, const char **what)
{
	static struct once_out o;
	struct maildir_name mn;
	char name[STORE_NAME_MAX];
	int tfd = -1, nfd = -1, fd = -1, rc = -1, save;

	*what = "open tmp/ new/";
	if ((tfd = maildir_subdir_open(dfd, "tmp")) == -1 ||
	    (nfd = maildir_subdir_open(dfd, "new")) == -1)
		goto done;
	*what = "write tmp/";
	fd = openat(tfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		goto done;
	memset(&o, 0, sizeof(o));
	o.fd = fd;
	if (once_copy(&o, head, headlen, msgfd, msglen) == -1 ||
	    fsync(fd) == -1)
		goto done;
	memset(&mn, 0, sizeof(mn));
	(void)str_copy(mn.base, base, sizeof(mn.base));
	mn.size = o.size;
	mn.wsize = o.size + o.lf + (o.size > 0 && o.last != '\n' ? 2 : 0);
	mn.has_size = mn.has_wsize = 1;
	*what = "file name";
	errno = ENAMETOOLONG;
	if (maildir_name_build(&mn, name, sizeof(name)) == -1)
		goto done;
	*what = "rename into new/";
	if (renameat2(tfd, base, nfd, name, RENAME_NOREPLACE) == -1)
		goto done;
	*what = "fsync new/";
	if (fsync(nfd) == -1) {
		save = errno;
		(void)unlinkat(nfd, name, 0);
		errno = save;
		goto done;
	}
	rc = 0;
done:
	save = errno;
	if (fd != -1) {
		(void)close(fd);
		if (rc == -1)
			(void)unlinkat(tfd, base, 0);
	}
	if (tfd != -1)
		(void)close(tfd);
	if (nfd != -1)
		(void)close(nfd);
	errno = save;
	return rc;
}

/* once_new_usage: the W= sizes of new/'s files, which no index counts
 * until a session moves them to cur/. */
static uint64_t
once_new_usage(int dfd)
{
	struct maildir_name mn;
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;
	int fd;

	fd = openat(dfd, "new", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' &&
		    maildir_name_parse(e->d_name, &mn) == 0 && mn.has_wsize &&
		    sum + mn.wsize >= sum)
			sum += mn.wsize;
	(void)closedir(d);
	return sum;
}

int
store_deliver_room(const char *maildir, uint64_t size, uint64_t fallback,
    char *err, size_t errlen)
{
	struct store_quota q;
	struct store *s;
	struct stat st;
	uint64_t used = 0;
	int dfd, recorded;

	memset(&q, 0, sizeof(q));
	q.limit = fallback;
	dfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* No limit: room, without opening the index or listing new/ (which
	 * grows until a session moves its files). */
	recorded = dfd != -1 &&
	    fstatat(dfd, "postern-quota", &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (recorded && store_quota_limit_read(dfd, &q.limit) == -1) {
		(void)snprintf(err, errlen, "cannot read the quota: %s",
		    strerror(errno));
		(void)close(dfd);
		return -1;
	}
	if (q.limit == 0) {
		if (dfd != -1)
			(void)close(dfd);
		return 0;
	}
	if (recorded) {
		if (store_open(&s, maildir, err, errlen) == -1) {
			(void)close(dfd);
			return -1;
		}
		if (store_quota_get(s, &q) == -1) {
			(void)snprintf(err, errlen, "cannot count the mailbox's "
			    "usage");
			store_close(s);
			(void)close(dfd);
			return -1;
		}
		store_close(s);
	}
	if (dfd != -1) {
		used = q.bytes + once_new_usage(dfd);
		(void)close(dfd);
	}
	if (q.limit == 0 || (used <= q.limit && size <= q.limit - used))
		return 0;
	(void)snprintf(err, errlen, "over quota: %" PRIu64 " of %" PRIu64
	    " bytes used, %" PRIu64 " more refused", used, q.limit, size);
	return 1;
}

int
store_deliver_once(const char *maildir, const char *key, const void *head,
    size_t headlen, int msgfd, uint64_t msglen, int recovering, char *err,
    size_t errlen)
{
	char base[STORE_NAME_MAX];
	const char *what = "open";
	struct stat st;
	int dfd, r, save;

	if (!once_key_valid(key)) {
		(void)snprintf(err, errlen, "invalid delivery key");
		errno = EINVAL;
		return -1;
	}
	if (fstat(msgfd, &st) == -1) {
		(void)snprintf(err, errlen, "cannot read the message: %s",
		    strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size < msglen || msglen > UINT64_MAX - headlen) {
		(void)snprintf(err, errlen, "the message file is shorter than "
		    "the message");
		errno = EIO;
		return -1;
	}
	r = store_deliver_room(maildir, msglen + headlen, 0, err, errlen);
	if (r != 0) {
		errno = r == 1 ? EDQUOT : EIO;
		return -1;
	}
	what = "create the Maildir";
	dfd = -1;
	if (maildir_mkpath(maildir) == -1)
		goto fail;
	what = "open";
	dfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 || maildir_mkdirs(dfd) == -1)
		goto fail;
	if (recovering) {
		once_tmp_clean(dfd, key);
		what = "look for an earlier copy";
		if ((r = once_find(dfd, key)) == -1)
			goto fail;
		if (r == 1) {
			(void)close(dfd);
			return 1;
		}
	}
	what = "file name";
	errno = ENAMETOOLONG;
	if (once_base(key, base, sizeof(base)) == -1 ||
	    once_write(dfd, base, head, headlen, msgfd, msglen, &what) == -1)
		goto fail;
	(void)close(dfd);
	return 0;
fail:
	save = errno;
	if (dfd != -1)
		(void)close(dfd);
	(void)snprintf(err, errlen, "%s: %s", what, strerror(save));
	errno = save;
	return -1;
}
