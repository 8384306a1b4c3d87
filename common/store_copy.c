/*
 * store_copy.c: copying a whole mail root for backup and restore (see
 * store_copy.h).  Runs in authctl's mail child as the mail user, except
 * store_copy_check, which runs as root and only reads names and makes
 * the domain directories.  Every path is relative to a directory
 * descriptor and opened with O_NOFOLLOW; only regular files and
 * directories are copied, and what is left out is named in a warning.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_copy.h"
#include "common/store_maildir.h"
#include "common/util.h"

#define COPY_IOBUF	65536

struct copy_ctx {
	int			 flags;
	struct store_copy_stats	*st;
};

/* The names of one directory, without "." and "..". */
struct copy_names {
	char		**v;
	size_t		  n, cap;
};

/* One message found in a folder's listing. */
struct copy_msg {
	char		*name;
	int		 in_new;
	int		 gone;		/* vanished before its copy */
};

struct copy_msgs {
	struct copy_msg	*v;
	size_t		 n, cap;
};

static void
copy_names_free(struct copy_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
copy_names_add(struct copy_names *l, const char *name)
{
	char **p;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 64 : l->cap * 2;
		if ((p = reallocarray(l->v, cap, sizeof(*p))) == NULL)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

/* copy_names_read: every name in the directory open at dfd (path for
 * the error); dotted says whether names starting with '.' count. */
static int
copy_names_read(int dfd, const char *path, int dotted, struct copy_names *l)
{
	struct dirent *de;
	DIR *d;
	int fd, save;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("%s: cannot read the directory", path);
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (!dotted && de->d_name[0] == '.'))
			continue;
		if (copy_names_add(l, de->d_name) == -1)
			break;
	}
	save = errno;
	(void)closedir(d);
	if (save != 0) {
		errno = save;
		log_warn("%s: cannot read the directory", path);
		copy_names_free(l);
		return -1;
	}
	return 0;
}

/* copy_join: "a/b" into buf (PATH_MAX bytes); -1 when it does not fit. */
static int
copy_join(char *buf, const char *a, const char *b)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", a, b);

	if (n < 0 || n >= PATH_MAX) {
		log_warnx("%s/%s: path too long", a, b);
		return -1;
	}
	return 0;
}

/* copy_subdir: open the directory name in dfd, or report why not. */
static int
copy_subdir(int dfd, const char *path, const char *name)
{
	int fd;

	if ((fd = maildir_subdir_open(dfd, name)) == -1)
		log_warn("%s/%s: cannot open the directory", path, name);
	return fd;
}

/* copy_mkdir: make name in dfd (mode 0700; EEXIST allowed when may_exist)
 * and open it.  Returns its descriptor, or -1 after a logged error. */
static int
copy_mkdir(int dfd, const char *path, const char *name, int may_exist)
{
	if (mkdirat(dfd, name, 0700) == -1 &&
	    (errno != EEXIST || !may_exist)) {
		if (errno == EEXIST)
			log_warnx("%s/%s: exists already; a copy goes only "
			    "where there is none", path, name);
		else
			log_warn("%s/%s: cannot create", path, name);
		return -1;
	}
	return copy_subdir(dfd, path, name);
}

/* copy_fsync_close: fsync the directory fd, then close it. */
static int
copy_fsync_close(int fd, const char *path)
{
	int rc = 0;

	if (fsync(fd) == -1) {
		log_warn("%s: fsync", path);
		rc = -1;
	}
	if (close(fd) == -1 && rc == 0) {
		log_warn("%s: close", path);
		rc = -1;
	}
	return rc;
}

static int
copy_data(int in, int out, const char *spath, const char *dpath,
    uint64_t *bytes)
{
	char buf[COPY_IOBUF];
	ssize_t r;

	for (;;) {
		if ((r = read(in, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", spath);
			return -1;
		}
		if (r == 0)
			return 0;
		if (write_all(out, buf, (size_t)r) == -1) {
			log_warn("%s: write", dpath);
			return -1;
		}
		*bytes += (uint64_t)r;
	}
}

/* copy_write: the contents of in (whose times st holds) into dtmp/name,
 * fsynced, then renamed to ddir/name.  Nothing is left on failure. */
static int
copy_write(int in, const struct stat *st, const char *spath, int dtmp,
    int ddir, const char *dpath, const char *name, uint64_t *bytes)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char tpath[PATH_MAX + 16];
	int out;

	(void)snprintf(tpath, sizeof(tpath), "%s (in tmp/)", dpath);
	if ((out = openat(dtmp, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s: cannot create", tpath);
		return -1;
	}
	if (copy_data(in, out, spath, tpath, bytes) == -1)
		goto fail;
	/* the modification time is the message's internal date */
	if (futimens(out, ts) == -1) {
		log_warn("%s: cannot set its times", tpath);
		goto fail;
	}
	if (fsync(out) == -1) {
		log_warn("%s: fsync", tpath);
		goto fail;
	}
	if (close(out) == -1) {
		out = -1;
		log_warn("%s: close", tpath);
		goto fail;
	}
	if (renameat2(dtmp, name, ddir, name, RENAME_NOREPLACE) == -1) {
		log_warn("%s: cannot rename into place", dpath);
		(void)unlinkat(dtmp, name, 0);
		return -1;
	}
	return 0;
fail:
	if (out != -1)
		(void)close(out);
	(void)unlinkat(dtmp, name, 0);
	return -1;
}

/*
 * copy_file: copy the file name of sdir (path spath) to ddir (path dpath)
 * through dtmp.  Returns 0 when copied, 1 when it was gone (ENOENT), 2
 * when it is no regular file (warned, counted as skipped), -1 on errors
 * (logged).
 */
static int
copy_file(struct copy_ctx *cx, int sdir, const char *spath, int dtmp,
    int ddir, const char *dpath, const char *name, uint64_t *bytes)
{
	char sp[PATH_MAX], dp[PATH_MAX];
	struct stat st;
	int in, rc;

	if (copy_join(sp, spath, name) == -1 || copy_join(dp, dpath, name) ==
	    -1)
		return -1;
	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (in == -1 && errno == ENOENT)
		return 1;
	if (in == -1 && errno != ELOOP) {
		log_warn("%s: cannot open", sp);
		return -1;
	}
	if (in == -1 || fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file; left out", sp);
		cx->st->skipped++;
		if (in != -1)
			(void)close(in);
		return 2;
	}
	rc = copy_write(in, &st, sp, dtmp, ddir, dp, name, bytes);
	(void)close(in);
	return rc;
}

static void
copy_msgs_free(struct copy_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* copy_msgs_take: move the names of l into m as messages of new/ or cur/. */
static int
copy_msgs_take(struct copy_msgs *m, struct copy_names *l, int in_new)
{
	struct copy_msg *p;
	size_t i, cap;

	if (m->cap - m->n < l->n) {
		cap = m->n + l->n + 64;
		if ((p = reallocarray(m->v, cap, sizeof(*p))) == NULL)
			return -1;
		m->v = p;
		m->cap = cap;
	}
	for (i = 0; i < l->n; i++) {
		m->v[m->n].name = l->v[i];
		m->v[m->n].in_new = in_new;
		m->v[m->n++].gone = 0;
	}
	l->n = 0;
	return 0;
}

/* copy_list: new/ then cur/ of the folder, under its lock when live. */
static int
copy_list(struct copy_ctx *cx, int sfd, const char *spath,
    struct copy_msgs *m)
{
	static const char *subs[] = { "new", "cur" };
	struct copy_names l;
	char sp[PATH_MAX];
	int i, fd, lock = -1, rc = 0;

	if ((cx->flags & STORE_COPY_LIVE) && (lock = maildir_lock(sfd)) == -1) {
		log_warnx("%s: cannot take the folder's lock", spath);
		return -1;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		memset(&l, 0, sizeof(l));
		if (copy_join(sp, spath, subs[i]) == -1 ||
		    (fd = copy_subdir(sfd, spath, subs[i])) == -1) {
			rc = -1;
			break;
		}
		rc = copy_names_read(fd, sp, 0, &l);
		(void)close(fd);
		if (rc == 0 && (rc = copy_msgs_take(m, &l, i == 0)) == -1)
			log_warn("%s", sp);
		copy_names_free(&l);
	}
	maildir_unlock(lock);
	return rc;
}

/* copy_base: the unique part of a message's name (the whole name when
 * the store could not use it). */
static const char *
copy_base(const char *name, struct maildir_name *mn)
{
	if (maildir_name_parse(name, mn) == 0)
		return mn->base;
	return name;
}

static int
copy_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * copy_refind: the messages that vanished, looked for in cur/ under the
 * folder's lock by their base (a file leaves new/ only for cur/, and a
 * flag change renames it within cur/) and copied from there; those not
 * found were expunged.
 */
static int
copy_refind(struct copy_ctx *cx, int sfd, const char *spath, int dfd,
    const char *dpath, const struct copy_msgs *m, size_t ngone)
{
	struct copy_names cur = { NULL, 0, 0 };
	struct maildir_name mn, mn2;
	char **bases, sp[PATH_MAX], dp[PATH_MAX];
	const char *b;
	size_t i, k = 0, found = 0;
	int curfd = -1, dcur = -1, dtmp = -1, lock, rc = -1;

	if ((bases = calloc(ngone, sizeof(*bases))) == NULL) {
		log_warn("%s", spath);
		return -1;
	}
	for (i = 0; i < m->n; i++)
		if (m->v[i].gone && (bases[k++] = strdup(copy_base(m->v[i].name,
		    &mn))) == NULL) {
			log_warn("%s", spath);
			goto out;
		}
	qsort(bases, ngone, sizeof(*bases), copy_cmp_str);
	if ((lock = maildir_lock(sfd)) == -1) {
		log_warnx("%s: cannot take the folder's lock", spath);
		goto out;
	}
	if (copy_join(sp, spath, "cur") == 0 && copy_join(dp, dpath, "cur") ==
	    0 && (curfd = copy_subdir(sfd, spath, "cur")) != -1 &&
	    (dcur = copy_subdir(dfd, dpath, "cur")) != -1 &&
	    (dtmp = copy_subdir(dfd, dpath, "tmp")) != -1 &&
	    copy_names_read(curfd, sp, 0, &cur) == 0) {
		rc = 0;
		for (i = 0; i < cur.n && rc == 0; i++) {
			b = copy_base(cur.v[i], &mn2);
			if (bsearch(&b, bases, ngone, sizeof(*bases),
			    copy_cmp_str) == NULL)
				continue;
			rc = copy_file(cx, curfd, sp, dtmp, dcur, dp, cur.v[i],
			    &cx->st->bytes);
			if (rc == 0) {
				cx->st->messages++;
				found++;
			} else if (rc > 0)
				rc = 0;
		}
	}
	maildir_unlock(lock);
	cx->st->gone += ngone - found;
out:
	if (curfd != -1)
		(void)close(curfd);
	if (dcur != -1)
		(void)close(dcur);
	if (dtmp != -1)
		(void)close(dtmp);
	copy_names_free(&cur);
	for (i = 0; i < k; i++)
		free(bases[i]);
	free(bases);
	return rc;
}

/* copy_msgs_all: each listed message into the copy's new/ or cur/. */
static int
copy_msgs_all(struct copy_ctx *cx, int sfd, const char *spath, int dfd,
    const char *dpath, struct copy_msgs *m, size_t *ngone)
{
	int sd[2] = { -1, -1 }, dd[2] = { -1, -1 }, dtmp, rc = -1;
	char sp[2][PATH_MAX], dp[2][PATH_MAX];
	static const char *subs[] = { "cur", "new" };
	size_t i;
	int j, r;

	*ngone = 0;
	if ((dtmp = copy_subdir(dfd, dpath, "tmp")) == -1)
		return -1;
	for (j = 0; j < 2; j++)
		if (copy_join(sp[j], spath, subs[j]) == -1 ||
		    copy_join(dp[j], dpath, subs[j]) == -1 ||
		    (sd[j] = copy_subdir(sfd, spath, subs[j])) == -1 ||
		    (dd[j] = copy_subdir(dfd, dpath, subs[j])) == -1)
			goto out;
	for (i = 0; i < m->n; i++) {
		j = m->v[i].in_new;
		r = copy_file(cx, sd[j], sp[j], dtmp, dd[j], dp[j],
		    m->v[i].name, &cx->st->bytes);
		if (r == -1)
			goto out;
		if (r == 1 && !(cx->flags & STORE_COPY_LIVE)) {
			log_warnx("%s/%s: vanished while it was copied", sp[j],
			    m->v[i].name);
			goto out;
		}
		if (r == 0)
			cx->st->messages++;
		m->v[i].gone = r == 1;
		*ngone += r == 1;
	}
	rc = 0;
out:
	for (j = 0; j < 2; j++) {
		if (sd[j] != -1)
			(void)close(sd[j]);
		if (dd[j] != -1)
			(void)close(dd[j]);
	}
	(void)close(dtmp);
	return rc;
}

/* copy_skip: folder entries that are no part of a copy: the index (a
 * cache), lock files, and postern-uids' own temporary file. */
static int
copy_skip(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "index.lmdb") == 0 ||
	    strcmp(name, "postern-uids.tmp") == 0 ||
	    (n > 5 && strcmp(name + n - 5, ".lock") == 0);
}

/*
 * copy_extras: the folder's entries besides cur/ new/ tmp/: regular files
 * copied (postern-uids by the caller, last), subfolders (".Name", in the
 * INBOX only) into *subs for the caller, anything else warned about.
 */
static int
copy_extras(struct copy_ctx *cx, int sfd, const char *spath, int dfd,
    const char *dpath, int inbox, struct copy_names *subs)
{
	struct copy_names l = { NULL, 0, 0 };
	struct stat st;
	const char *n;
	uint64_t bytes = 0;
	size_t i;
	int dtmp, rc = 0;

	if (copy_names_read(sfd, spath, 1, &l) == -1)
		return -1;
	if ((dtmp = copy_subdir(dfd, dpath, "tmp")) == -1) {
		copy_names_free(&l);
		return -1;
	}
	for (i = 0; i < l.n && rc == 0; i++) {
		n = l.v[i];
		if (strcmp(n, "cur") == 0 || strcmp(n, "new") == 0 ||
		    strcmp(n, "tmp") == 0 || strcmp(n, "postern-uids") == 0 ||
		    copy_skip(n))
			continue;
		if (fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT) {
				log_warn("%s/%s", spath, n);
				rc = -1;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode) && inbox && n[0] == '.') {
			if ((rc = copy_names_add(subs, n)) == -1)
				log_warn("%s", spath);
		} else if (S_ISREG(st.st_mode))
			rc = copy_file(cx, sfd, spath, dtmp, dfd, dpath, n,
			    &bytes) == -1 ? -1 : 0;
		else {
			log_warnx("%s/%s: neither a Maildir++ folder nor a "
			    "regular file; left out", spath, n);
			cx->st->skipped++;
		}
	}
	(void)close(dtmp);
	copy_names_free(&l);
	return rc;
}

/* copy_uids_gap: raise the restored folder's UIDNEXT (STORE_COPY_RESTORE).
 * A folder without postern-uids gets one when first opened, above every
 * U= it holds, which is the same rule. */
static int
copy_uids_gap(int dfd, const char *dpath)
{
	struct maildir_uids u;
	int lock, rc;

	if ((rc = maildir_uids_read(dfd, &u)) != 0)
		return rc == 1 ? 0 : -1;
	if (u.uidnext > UINT32_MAX - STORE_COPY_UID_GAP) {
		log_warnx("%s: UIDNEXT %u leaves no room for the gap after a "
		    "restore; left as it is", dpath, u.uidnext);
		return 0;
	}
	u.uidnext += STORE_COPY_UID_GAP;
	if ((lock = maildir_lock(dfd)) == -1)
		return -1;
	rc = maildir_uids_write(dfd, &u);
	maildir_unlock(lock);
	return rc;
}

/* copy_uids: postern-uids, read now that every message is copied, so
 * its UIDNEXT is above each UID copied (it grows before a file gets one). */
static int
copy_uids(struct copy_ctx *cx, int sfd, const char *spath, int dfd,
    const char *dpath)
{
	uint64_t bytes = 0;
	int dtmp, rc;

	if ((dtmp = copy_subdir(dfd, dpath, "tmp")) == -1)
		return -1;
	rc = copy_file(cx, sfd, spath, dtmp, dfd, dpath, "postern-uids",
	    &bytes);
	(void)close(dtmp);
	if (rc == -1)
		return -1;
	return (cx->flags & STORE_COPY_RESTORE) ? copy_uids_gap(dfd, dpath) :
	    0;
}

/* copy_folder_body: the folder open at sfd into the new directory dfd. */
static int
copy_folder_body(struct copy_ctx *cx, int sfd, const char *spath, int dfd,
    const char *dpath, int inbox, struct copy_names *subs)
{
	static const char *dirs[] = { "cur", "new", "tmp" };
	struct copy_msgs m = { NULL, 0, 0 };
	char dp[PATH_MAX];
	size_t ngone;
	int i, fd, rc = -1;

	for (i = 0; i < 3; i++) {
		if ((fd = copy_mkdir(dfd, dpath, dirs[i], 0)) == -1)
			return -1;
		(void)close(fd);
	}
	if (copy_list(cx, sfd, spath, &m) == -1 ||
	    copy_msgs_all(cx, sfd, spath, dfd, dpath, &m, &ngone) == -1 ||
	    (ngone > 0 && copy_refind(cx, sfd, spath, dfd, dpath, &m,
	    ngone) == -1) ||
	    copy_extras(cx, sfd, spath, dfd, dpath, inbox, subs) == -1 ||
	    copy_uids(cx, sfd, spath, dfd, dpath) == -1)
		goto out;
	for (i = 0; i < 3; i++)
		if (copy_join(dp, dpath, dirs[i]) == -1 ||
		    (fd = copy_subdir(dfd, dpath, dirs[i])) == -1 ||
		    copy_fsync_close(fd, dp) == -1)
			goto out;
	cx->st->folders++;
	rc = 0;
out:
	copy_msgs_free(&m);
	return rc;
}

/* copy_folder: name of sdir (a mailbox, or a ".Name" folder in one) into
 * a new directory of the same name in ddir; subs (may be NULL: not the
 * INBOX) gets its subfolders. */
static int
copy_folder(struct copy_ctx *cx, int sdir, const char *spath, int ddir,
    const char *dpath, const char *name, struct copy_names *subs)
{
	char sp[PATH_MAX], dp[PATH_MAX];
	int sfd, dfd, rc = -1;

	if (copy_join(sp, spath, name) == -1 || copy_join(dp, dpath, name) ==
	    -1 || (sfd = copy_subdir(sdir, spath, name)) == -1)
		return -1;
	if ((dfd = copy_mkdir(ddir, dpath, name, 0)) != -1) {
		rc = copy_folder_body(cx, sfd, sp, dfd, dp, subs != NULL, subs);
		if (copy_fsync_close(dfd, dp) == -1)
			rc = -1;
	}
	(void)close(sfd);
	return rc;
}

/* copy_mailbox: a user's Maildir++ tree: the INBOX, then its folders. */
static int
copy_mailbox(struct copy_ctx *cx, int sdom, const char *spath, int ddom,
    const char *dpath, const char *name)
{
	struct copy_names subs = { NULL, 0, 0 };
	char sp[PATH_MAX], dp[PATH_MAX];
	int sfd = -1, dfd = -1, rc = -1;
	size_t i;

	if (copy_folder(cx, sdom, spath, ddom, dpath, name, &subs) == -1 ||
	    copy_join(sp, spath, name) == -1 ||
	    copy_join(dp, dpath, name) == -1 ||
	    (sfd = copy_subdir(sdom, spath, name)) == -1 ||
	    (dfd = copy_subdir(ddom, dpath, name)) == -1)
		goto out;
	for (i = 0; i < subs.n; i++)
		if (copy_folder(cx, sfd, sp, dfd, dp, subs.v[i], NULL) == -1)
			goto out;
	if (fsync(dfd) == -1) {
		log_warn("%s: fsync", dp);
		goto out;
	}
	cx->st->mailboxes++;
	rc = 0;
out:
	if (sfd != -1)
		(void)close(sfd);
	if (dfd != -1)
		(void)close(dfd);
	copy_names_free(&subs);
	return rc;
}

/* copy_is_dir: 1 when name in dfd is a directory (not followed), 0 when
 * it is something else (warned about and counted), -1 on errors. */
static int
copy_is_dir(struct copy_ctx *cx, int dfd, const char *path, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		log_warn("%s/%s", path, name);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return 1;
	log_warnx("%s/%s: not a directory; left out", path, name);
	if (cx != NULL)
		cx->st->skipped++;
	return 0;
}

/* copy_domain: every mailbox directory of one domain directory. */
static int
copy_domain(struct copy_ctx *cx, int sroot, const char *src, int droot,
    const char *dst, const char *name)
{
	struct copy_names l = { NULL, 0, 0 };
	char sp[PATH_MAX], dp[PATH_MAX];
	int sfd = -1, dfd = -1, rc = -1, r;
	size_t i;

	if (copy_join(sp, src, name) == -1 || copy_join(dp, dst, name) == -1 ||
	    (sfd = copy_subdir(sroot, src, name)) == -1 ||
	    (dfd = copy_mkdir(droot, dst, name, 1)) == -1 ||
	    copy_names_read(sfd, sp, 1, &l) == -1)
		goto out;
	for (i = 0; i < l.n; i++) {
		if ((r = copy_is_dir(cx, sfd, sp, l.v[i])) == -1)
			goto out;
		if (r == 1 && copy_mailbox(cx, sfd, sp, dfd, dp, l.v[i]) == -1)
			goto out;
	}
	rc = 0;
out:
	if (sfd != -1)
		(void)close(sfd);
	if (dfd != -1 && copy_fsync_close(dfd, dp) == -1)
		rc = -1;
	copy_names_free(&l);
	return rc;
}

int
store_copy_root(int srcfd, const char *src, int dstfd, const char *dst,
    int flags, struct store_copy_stats *st)
{
	struct copy_ctx cx = { flags, st };
	struct copy_names l = { NULL, 0, 0 };
	size_t i;
	int r, rc = -1;

	memset(st, 0, sizeof(*st));
	if (copy_names_read(srcfd, src, 1, &l) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.v[i], "lost+found") == 0)
			continue;
		if ((r = copy_is_dir(&cx, srcfd, src, l.v[i])) == -1)
			goto out;
		if (r == 1 && copy_domain(&cx, srcfd, src, dstfd, dst,
		    l.v[i]) == -1)
			goto out;
	}
	if (fsync(dstfd) == -1) {
		log_warn("%s: fsync", dst);
		goto out;
	}
	rc = 0;
out:
	copy_names_free(&l);
	return rc;
}

/* check_domain: the mailboxes of src/name that exist in dst/name. */
static int
check_domain(int srcfd, const char *src, int dstfd, const char *dst,
    const char *name)
{
	struct copy_names l = { NULL, 0, 0 };
	char sp[PATH_MAX];
	struct stat st;
	int sfd, dfd, rc = 0;
	size_t i;

	if (copy_join(sp, src, name) == -1 ||
	    (sfd = copy_subdir(srcfd, src, name)) == -1)
		return -1;
	if (copy_names_read(sfd, sp, 1, &l) == -1) {
		(void)close(sfd);
		return -1;
	}
	(void)close(sfd);
	if ((dfd = maildir_subdir_open(dstfd, name)) == -1) {
		copy_names_free(&l);
		if (errno == ENOENT)
			return 0;
		log_warn("%s/%s", dst, name);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if (fstatat(dfd, l.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			log_warnx("%s/%s/%s: exists already; the backup's "
			    "mailbox would replace it", dst, name, l.v[i]);
			rc = rc == -1 ? -1 : 1;
		} else if (errno != ENOENT) {
			log_warn("%s/%s/%s", dst, name, l.v[i]);
			rc = -1;
		}
	}
	(void)close(dfd);
	copy_names_free(&l);
	return rc;
}

/* check_mkdomain: the domain directory name in dstfd, for the mail user. */
static int
check_mkdomain(int dstfd, const char *dst, const char *name, uid_t uid,
    gid_t gid)
{
	if (mkdirat(dstfd, name, 0700) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("%s/%s: cannot create", dst, name);
		return -1;
	}
	if (uid != (uid_t)-1 && fchownat(dstfd, name, uid, gid,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		log_warn("%s/%s: chown", dst, name);
		return -1;
	}
	return 0;
}

int
store_copy_check(int srcfd, const char *src, int dstfd, const char *dst,
    uid_t uid, gid_t gid)
{
	struct copy_names l = { NULL, 0, 0 }, doms = { NULL, 0, 0 };
	size_t i;
	int r, rc = 0;

	if (copy_names_read(srcfd, src, 1, &l) == -1)
		return -1;
	for (i = 0; i < l.n && rc != -1; i++) {
		if (strcmp(l.v[i], "lost+found") == 0 ||
		    (r = copy_is_dir(NULL, srcfd, src, l.v[i])) == 0)
			continue;
		if (r == -1 || copy_names_add(&doms, l.v[i]) == -1 ||
		    (r = check_domain(srcfd, src, dstfd, dst, l.v[i])) == -1)
			rc = -1;
		else if (r == 1)
			rc = 1;
	}
	for (i = 0; i < doms.n && rc == 0; i++)
		rc = check_mkdomain(dstfd, dst, doms.v[i], uid, gid);
	if (rc == 0 && fsync(dstfd) == -1) {
		log_warn("%s: fsync", dst);
		rc = -1;
	}
	copy_names_free(&l);
	copy_names_free(&doms);
	return rc;
}
