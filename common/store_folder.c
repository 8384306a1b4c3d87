/*
 * store_folder.c: folder names and the folder operations of
 * store_folder.h (LIST, CREATE, DELETE, RENAME, SPECIAL-USE; the
 * subscriptions file is store_subs.c).  Runs in the mail process
 * (chrooted to the user's Maildir) and authctl; every directory name read
 * from the root is decoded strictly and re-encoded before it counts as a
 * folder, every directory is opened O_NOFOLLOW.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mutf7.h"
#include "common/store.h"
#include "common/store_folder.h"
#include "common/store_int.h"
#include "common/util.h"

#define FOLDER_LOCK		"postern-folders.lock"
#define FOLDER_UIDV		"postern-uidvalidity"
#define FOLDER_UIDV_TMP		"postern-uidvalidity.tmp"
#define FOLDER_RMTREE_DEPTH	4

static const struct {
	const char	*name;
	enum store_use	 use;
} folder_uses[] = {
	{ "Sent", STORE_USE_SENT },
	{ "Drafts", STORE_USE_DRAFTS },
	{ "Trash", STORE_USE_TRASH },
	{ "Junk", STORE_USE_JUNK },
	{ "Archive", STORE_USE_ARCHIVE },
};
#define FOLDER_NUSES	(sizeof(folder_uses) / sizeof(folder_uses[0]))

/* folder_level_ok: a level of a name: not empty, no control character
 * (C0, DEL, C1 as U+0080..U+009F), no '.', '*', '%'.  UTF-8 validity is
 * mutf7_encode's to check. */
static int
folder_level_ok(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f || u[i] == '.' ||
		    u[i] == '*' || u[i] == '%')
			return 0;
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

int
store_key(const char *folder, char *key)
{
	char level[STORE_FOLDER_NAME_MAX], enc[STORE_KEY_MAX];
	const char *p, *slash;
	size_t len = strlen(folder), klen = 0, llen;

	if (strcasecmp(folder, "INBOX") == 0)
		return str_copy(key, "INBOX", STORE_KEY_MAX);
	if (len == 0 || len >= STORE_FOLDER_NAME_MAX) {
		errno = len == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	key[0] = '\0';
	for (p = folder; ; p = slash + 1) {
		if ((slash = strchr(p, '/')) == NULL)
			slash = p + strlen(p);
		llen = (size_t)(slash - p);
		if (!folder_level_ok(p, llen)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(level, p, llen);
		level[llen] = '\0';
		if (p == folder && *slash == '/' &&
		    strcasecmp(level, "INBOX") == 0)
			(void)str_copy(enc, "INBOX", sizeof(enc));
		else if (mutf7_encode(level, enc, sizeof(enc)) == -1)
			return -1;
		/* ".", key, NUL: a directory name of at most NAME_MAX */
		if (klen + (klen > 0) + strlen(enc) + 2 > STORE_KEY_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (klen > 0)
			key[klen++] = '.';
		memcpy(key + klen, enc, strlen(enc) + 1);
		klen += strlen(enc);
		if (*slash == '\0')
			return 0;
	}
}

/* folder_key_name: the IMAP name of key, only when it maps back to
 * exactly key (so "Inbox.x", ".a&AGE-" and the like are not folders). */
static int
folder_key_name(const char *key, char *name, size_t len)
{
	char level[STORE_KEY_MAX], back[STORE_KEY_MAX];
	char dec[STORE_FOLDER_NAME_MAX];
	const char *p, *dot;
	size_t n = 0, llen;

	if (strcmp(key, "INBOX") == 0)
		return str_copy(name, "INBOX", len);
	name[0] = '\0';
	for (p = key; ; p = dot + 1) {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		llen = (size_t)(dot - p);
		if (llen == 0 || llen >= sizeof(level))
			return -1;
		memcpy(level, p, llen);
		level[llen] = '\0';
		if (mutf7_decode(level, dec, sizeof(dec)) == -1 ||
		    n + (n > 0) + strlen(dec) + 1 > len)
			return -1;
		if (n > 0)
			name[n++] = '/';
		memcpy(name + n, dec, strlen(dec) + 1);
		n += strlen(dec);
		if (*dot == '\0')
			break;
	}
	if (store_key(name, back) == -1 || strcmp(back, key) != 0)
		return -1;
	return 0;
}

enum store_use
store_folder_use(const char *name)
{
	size_t i;

	for (i = 0; i < FOLDER_NUSES; i++)
		if (strcmp(name, folder_uses[i].name) == 0)
			return folder_uses[i].use;
	return STORE_USE_NONE;
}

/* folder_lock: the root's structure lock (flock), or -1 (logged). */
static int
folder_lock(struct store *s)
{
	int fd;

	fd = openat(s->dirfd, FOLDER_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd == -1) {
		log_warn("cannot open the lock file %s", FOLDER_LOCK);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		log_warn("cannot lock the folder list");
		(void)close(fd);
		return -1;
	}
	return fd;
}

static void
folder_unlock(int fd)
{
	int save = errno;

	if (fd != -1)
		(void)close(fd);
	errno = save;
}

/* Keys of the folder directories in the root, STORE_KEY_MAX apart. */
struct folder_dirs {
	char	*keys;
	size_t	 n, cap;
};

static int
folder_dirs_add(struct folder_dirs *d, const char *key)
{
	void *p;
	size_t cap;

	if (d->n == d->cap) {
		cap = d->cap == 0 ? 32 : d->cap * 2;
		if ((p = reallocarray(d->keys, cap, STORE_KEY_MAX)) == NULL)
			return -1;
		d->keys = p;
		d->cap = cap;
	}
	(void)str_copy(d->keys + d->n * STORE_KEY_MAX, key, STORE_KEY_MAX);
	d->n++;
	return 0;
}

static const char *
folder_dirs_key(const struct folder_dirs *d, size_t i)
{
	return d->keys + i * STORE_KEY_MAX;
}

/* folder_is_dir: name in the root is a directory (not a symlink). */
static int
folder_is_dir(struct store *s, const char *name, unsigned char type)
{
	struct stat st;

	if (type == DT_DIR)
		return 1;
	if (type != DT_UNKNOWN)
		return 0;
	return fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* folder_dirs_read: the keys of every folder directory in the root. */
static int
folder_dirs_read(struct store *s, struct folder_dirs *d)
{
	char name[STORE_FOLDER_NAME_MAX];
	struct dirent *de;
	DIR *dir;
	size_t over = 0;
	int fd, save;

	memset(d, 0, sizeof(*d));
	if ((fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		save = errno;
		if (fd != -1)
			(void)close(fd);
		errno = save;
		log_warn("cannot list the folders");
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL)
			break;
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strlen(de->d_name) >= STORE_KEY_MAX ||
		    folder_key_name(de->d_name + 1, name, sizeof(name)) ==
		    -1 || strcmp(de->d_name + 1, "INBOX") == 0 ||
		    !folder_is_dir(s, de->d_name, de->d_type))
			continue;
		if (d->n >= STORE_FOLDERS_SCAN_MAX)
			over++;
		else if (folder_dirs_add(d, de->d_name + 1) == -1)
			break;
	}
	save = errno;
	(void)closedir(dir);
	if (over > 0)
		log_warnx("%zu folders left out: more than %d", over,
		    STORE_FOLDERS_SCAN_MAX);
	if (save != 0) {
		free(d->keys);
		errno = save;
		log_warn("cannot list the folders");
		return -1;
	}
	return 0;
}

/* folder_rank: INBOX and its children come first. */
static int
folder_rank(const char *name)
{
	return strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' ||
	    name[5] == '/') ? 0 : 1;
}

/* folder_name_cmp: hierarchy order: '/' before every other byte, so a
 * name's children follow it directly. */
static int
folder_name_cmp(const void *a, const void *b)
{
	const char *xs = ((const struct store_folder_entry *)a)->name;
	const char *ys = ((const struct store_folder_entry *)b)->name;
	const unsigned char *x = (const unsigned char *)xs;
	const unsigned char *y = (const unsigned char *)ys;
	int cx, cy;

	if (folder_rank(xs) != folder_rank(ys))
		return folder_rank(xs) - folder_rank(ys);
	for (;; x++, y++) {
		cx = *x == '/' ? 1 : *x;
		cy = *y == '/' ? 1 : *y;
		if (cx != cy || cx == 0)
			return cx - cy;
	}
}

struct folder_set {
	struct store_folder_entry	*e;
	size_t				 n, cap;
};

static int
folder_set_add(struct folder_set *fs, const char *name, unsigned int attrs)
{
	void *p;
	size_t cap;

	if (fs->n == fs->cap) {
		cap = fs->cap == 0 ? 32 : fs->cap * 2;
		if ((p = reallocarray(fs->e, cap, sizeof(*fs->e))) == NULL)
			return -1;
		fs->e = p;
		fs->cap = cap;
	}
	memset(&fs->e[fs->n], 0, sizeof(fs->e[fs->n]));
	(void)str_copy(fs->e[fs->n].name, name, STORE_FOLDER_NAME_MAX);
	fs->e[fs->n].attrs = attrs;
	fs->e[fs->n].use = store_folder_use(name);
	fs->n++;
	return 0;
}

/* folder_set_finish: add every parent of the n real names that is not a
 * real name itself, then sort, merge duplicates and mark children. */
static int
folder_set_finish(struct folder_set *fs)
{
	char parent[STORE_FOLDER_NAME_MAX];
	size_t i, j, nreal = fs->n;
	char *slash;

	for (i = 0; i < nreal; i++) {
		(void)str_copy(parent, fs->e[i].name, sizeof(parent));
		while ((slash = strrchr(parent, '/')) != NULL) {
			*slash = '\0';
			if (folder_set_add(fs, parent,
			    STORE_LIST_NONEXISTENT) == -1)
				return -1;
		}
	}
	qsort(fs->e, fs->n, sizeof(*fs->e), folder_name_cmp);
	for (i = 0, j = 0; i < fs->n; i++) {
		if (j > 0 && strcmp(fs->e[j - 1].name, fs->e[i].name) == 0) {
			fs->e[j - 1].attrs &= fs->e[i].attrs;
			continue;
		}
		fs->e[j++] = fs->e[i];
	}
	fs->n = j;
	for (i = 0; i + 1 < fs->n; i++) {
		size_t len = strlen(fs->e[i].name);

		if (strncmp(fs->e[i + 1].name, fs->e[i].name, len) == 0 &&
		    fs->e[i + 1].name[len] == '/')
			fs->e[i].attrs |= STORE_LIST_CHILDREN;
	}
	return 0;
}

static void
folder_set_subscribed(struct store *s, struct folder_set *fs)
{
	char *subs = NULL;
	size_t i, j, n = 0;

	if (store_subscriptions(s, &subs, &n) == -1)
		return;
	for (i = 0; i < fs->n; i++)
		for (j = 0; j < n; j++)
			if (strcmp(fs->e[i].name, subs + j *
			    STORE_FOLDER_NAME_MAX) == 0)
				fs->e[i].attrs |= STORE_LIST_SUBSCRIBED;
	free(subs);
}

int
store_folder_list(struct store *s, struct store_folder_entry **list,
    size_t *n)
{
	char name[STORE_FOLDER_NAME_MAX];
	struct folder_dirs d;
	struct folder_set fs;
	size_t i;
	int rc = 0;

	*list = NULL;
	*n = 0;
	memset(&fs, 0, sizeof(fs));
	if (folder_dirs_read(s, &d) == -1)
		return -1;
	if (folder_set_add(&fs, "INBOX", 0) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < d.n; i++)
		if (folder_key_name(folder_dirs_key(&d, i), name,
		    sizeof(name)) == 0 && folder_set_add(&fs, name, 0) == -1)
			rc = -1;
	free(d.keys);
	if (rc == 0)
		rc = folder_set_finish(&fs);
	if (rc == -1) {
		log_warn("out of memory listing the folders");
		free(fs.e);
		return -1;
	}
	folder_set_subscribed(s, &fs);
	*list = fs.e;
	*n = fs.n;
	return 0;
}

/* folder_uidvalidity: a UIDVALIDITY never given before in this Maildir:
 * the time, or one more than the last, kept in postern-uidvalidity (tmp,
 * fsync, rename).  The caller holds the structure lock. */
static int
folder_uidvalidity(struct store *s, uint32_t *uv)
{
	struct maildir_uids u;
	time_t t = time(NULL);
	uint32_t last = 0;
	char buf[32];
	ssize_t r;
	int fd, n;

	fd = openat(s->dirfd, FOLDER_UIDV, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1) {
		r = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (r > 0) {
			buf[r] = '\0';
			last = (uint32_t)strtoul(buf, NULL, 10);
		}
	}
	/* the INBOX's is taken too, so a renamed INBOX never collides */
	if (maildir_uids_read(s->dirfd, &u) == 0 && u.uidvalidity > last)
		last = u.uidvalidity;
	*uv = t > 0 && (uint64_t)t > last && t <= UINT32_MAX ? (uint32_t)t :
	    last + 1;
	if (*uv == 0)
		*uv = 1;
	n = snprintf(buf, sizeof(buf), "%" PRIu32 "\n", *uv);
	fd = openat(s->dirfd, FOLDER_UIDV_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write_all(fd, buf, (size_t)n) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(s->dirfd, FOLDER_UIDV_TMP, s->dirfd, FOLDER_UIDV) == -1) {
		log_warn("cannot write %s", FOLDER_UIDV);
		return -1;
	}
	return 0;
}

/* folder_count: the folder directories in the root. */
static int
folder_count(struct store *s, size_t *n)
{
	struct folder_dirs d;

	if (folder_dirs_read(s, &d) == -1)
		return -1;
	*n = d.n;
	free(d.keys);
	return 0;
}

/* folder_exists: 1 when key's directory exists, 0 when not, -1. */
static int
folder_exists(struct store *s, const char *key)
{
	char dir[STORE_KEY_MAX + 1];
	struct stat st;

	if (store_key_dir(key, dir, sizeof(dir)) == -1)
		return -1;
	if (fstatat(s->dirfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/*
 * folder_build: make a folder in the root's tmp/ under a fresh name (into
 * tmpname): cur/ new/ tmp/, maildirfolder, postern-uids u; fsynced.
 * Returns the folder's descriptor, or -1.
 */
static int
folder_build(int tmpfd, const struct maildir_uids *u, char *tmpname,
    size_t len)
{
	uint64_t r;
	int ffd, fd;

	random_bytes(&r, sizeof(r));
	(void)snprintf(tmpname, len, ".postern-folder.%016" PRIx64, r);
	if (mkdirat(tmpfd, tmpname, 0700) == -1)
		return -1;
	if ((ffd = maildir_subdir_open(tmpfd, tmpname)) == -1)
		return -1;
	if (maildir_mkdirs(ffd) == -1 ||
	    (fd = openat(ffd, "maildirfolder", O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 || close(fd) == -1 ||
	    maildir_uids_write(ffd, u) == -1 || fsync(ffd) == -1) {
		(void)close(ffd);
		return -1;
	}
	return ffd;
}

/* folder_place: rename tmp/tmpname to key's directory and fsync both. */
static int
folder_place(struct store *s, int tmpfd, const char *tmpname,
    const char *key)
{
	char dir[STORE_KEY_MAX + 1];

	if (store_key_dir(key, dir, sizeof(dir)) == -1 ||
	    renameat2(tmpfd, tmpname, s->dirfd, dir, RENAME_NOREPLACE) == -1)
		return -1;
	if (fsync(s->dirfd) == -1 || fsync(tmpfd) == -1)
		return -1;
	return 0;
}

static int folder_rmtree(int dirfd, const char *name, int depth);

/* folder_make: create key with postern-uids {a new UIDVALIDITY,
 * uidnext}; fill (may be NULL) runs on the folder's descriptor before it
 * is renamed into place (INBOX rename moves the messages in). */
static int
folder_make(struct store *s, const char *key, uint32_t uidnext,
    int (*fill)(struct store *, int, void *), void *arg)
{
	struct maildir_uids u;
	char tmpname[64];
	int tmpfd, ffd, rc = -1, save;

	if (folder_uidvalidity(s, &u.uidvalidity) == -1)
		return -1;
	u.uidnext = uidnext;
	if ((tmpfd = maildir_subdir_open(s->dirfd, "tmp")) == -1)
		return -1;
	if ((ffd = folder_build(tmpfd, &u, tmpname, sizeof(tmpname))) != -1) {
		rc = fill != NULL ? fill(s, ffd, arg) : 0;
		save = errno;
		(void)close(ffd);
		errno = save;
		if (rc == 0)
			rc = folder_place(s, tmpfd, tmpname, key);
		if (rc == -1) {
			save = errno;
			(void)folder_rmtree(tmpfd, tmpname, 0);
			errno = save;
		}
	}
	save = errno;
	(void)close(tmpfd);
	errno = save;
	return rc;
}

int
store_folder_create(struct store *s, const char *name, size_t limit)
{
	char key[STORE_KEY_MAX];
	size_t n;
	int lfd, rc = -1;

	if (store_key(name, key) == -1)
		return -1;
	if (strcmp(key, "INBOX") == 0) {
		errno = EEXIST;
		return -1;
	}
	if ((lfd = folder_lock(s)) == -1)
		return -1;
	if ((rc = folder_exists(s, key)) == 1) {
		errno = EEXIST;
		rc = -1;
	} else if (rc == 0 && limit > 0 && (rc = folder_count(s, &n)) == 0 &&
	    n >= limit) {
		errno = EMLINK;
		rc = -1;
	} else if (rc == 0 && (rc = folder_make(s, key, 1, NULL, NULL)) == -1)
		log_warn("cannot create the folder %s", name);
	folder_unlock(lfd);
	return rc;
}

/* folder_rmtree: remove name in dirfd: files, and directories up to
 * FOLDER_RMTREE_DEPTH deep (a folder holds cur/ new/ tmp/ and files). */
static int
folder_rmtree(int dirfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *dir;
	int fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) ||
	    depth >= FOLDER_RMTREE_DEPTH)
		return -1;
	if ((fd = maildir_subdir_open(dirfd, name)) == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    folder_rmtree(fd, de->d_name, depth + 1) == -1)
			rc = -1;
	(void)closedir(dir);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

/* folder_remove: rename key's directory into the root's tmp/, durably,
 * then remove it there. */
static int
folder_remove(struct store *s, const char *key)
{
	char dir[STORE_KEY_MAX + 1], gone[64];
	uint64_t r;
	int tmpfd, rc;

	if (store_key_dir(key, dir, sizeof(dir)) == -1 ||
	    (tmpfd = maildir_subdir_open(s->dirfd, "tmp")) == -1)
		return -1;
	random_bytes(&r, sizeof(r));
	(void)snprintf(gone, sizeof(gone), ".postern-deleted.%016" PRIx64, r);
	rc = renameat2(s->dirfd, dir, tmpfd, gone, RENAME_NOREPLACE);
	if (rc == 0 && (fsync(s->dirfd) == -1 || fsync(tmpfd) == -1))
		rc = -1;
	if (rc == 0 && folder_rmtree(tmpfd, gone, 0) == -1)
		log_warn("folder %s deleted, but removing its files from "
		    "tmp/%s failed", key, gone);
	(void)close(tmpfd);
	return rc;
}

int
store_folder_delete(struct store *s, const char *name)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];
	int lfd, rc;

	if (store_key(name, key) == -1)
		return -1;
	if (strcmp(key, "INBOX") == 0) {
		errno = EPERM;
		return -1;
	}
	if ((lfd = folder_lock(s)) == -1)
		return -1;
	if ((rc = folder_exists(s, key)) == 0) {
		errno = ENOENT;
		rc = -1;
	} else if (rc == 1) {
		/* the folder's lock, so no sync of it runs meanwhile */
		if ((rc = store_lock(s, key, &lk)) == 0) {
			rc = folder_remove(s, key);
			store_unlock(&lk);
		}
		if (rc == 0 && store_index_folder_drop(s->idx, key) != 0)
			log_warnx("folder %s deleted, but its index records "
			    "stay until the index is rebuilt", key);
		if (rc == -1 && errno != ENOENT)
			log_warn("cannot delete the folder %s", name);
	}
	folder_unlock(lfd);
	return rc;
}

/* folder_moves: the keys to rename: from itself and its inferiors. */
static int
folder_moves(struct store *s, const char *from, struct folder_dirs *src)
{
	struct folder_dirs d;
	size_t i, flen = strlen(from);
	const char *k;

	memset(src, 0, sizeof(*src));
	if (folder_dirs_read(s, &d) == -1)
		return -1;
	for (i = 0; i < d.n; i++) {
		k = folder_dirs_key(&d, i);
		if ((strcmp(k, from) == 0 || (strncmp(k, from, flen) == 0 &&
		    k[flen] == '.')) && folder_dirs_add(src, k) == -1) {
			free(d.keys);
			free(src->keys);
			return -1;
		}
	}
	free(d.keys);
	return 0;
}

/* folder_target: key from+rest renamed to to+rest. */
static int
folder_target(const char *key, const char *from, const char *to, char *out)
{
	int n;

	n = snprintf(out, STORE_KEY_MAX - 1, "%s%s", to, key + strlen(from));
	if (n < 0 || n >= STORE_KEY_MAX - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
folder_rename_all(struct store *s, const char *from, const char *to,
    const struct folder_dirs *src)
{
	char t[STORE_KEY_MAX], a[STORE_KEY_MAX + 1], b[STORE_KEY_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < src->n; i++) {
		if (folder_target(folder_dirs_key(src, i), from, to, t) == -1)
			return -1;
		if ((rc = folder_exists(s, t)) != 0) {
			if (rc == 1)
				errno = EEXIST;
			return -1;
		}
	}
	for (i = 0; i < src->n; i++) {
		(void)folder_target(folder_dirs_key(src, i), from, to, t);
		if (store_key_dir(folder_dirs_key(src, i), a, sizeof(a)) ==
		    -1 || store_key_dir(t, b, sizeof(b)) == -1 ||
		    renameat2(s->dirfd, a, s->dirfd, b, RENAME_NOREPLACE) == -1)
			return -1;
		(void)store_index_folder_drop(s->idx, folder_dirs_key(src, i));
	}
	(void)store_index_meta_put(s->idx, STORE_META_USAGE, 0);
	return fsync(s->dirfd);
}

/* folder_inbox_fill: move INBOX's cur/ and new/ files into the new
 * folder at ffd (same names, so the same UIDs), fsynced. */
static int
folder_inbox_fill(struct store *s, int ffd, void *arg)
{
	static const char *subs[] = { "cur", "new" };
	struct maildir_list l;
	struct store_locked *lk = arg;
	size_t i, k;
	int to, from, rc = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		memset(&l, 0, sizeof(l));
		from = k == 0 ? lk->curfd : lk->newfd;
		if ((to = maildir_subdir_open(ffd, subs[k])) == -1)
			return -1;
		if ((rc = maildir_list_read(&l, lk->ffd, subs[k], k)) == 0)
			for (i = 0; i < l.n && rc == 0; i++)
				if (renameat2(from, maildir_list_name(&l,
				    &l.ent[i]), to, maildir_list_name(&l,
				    &l.ent[i]), RENAME_NOREPLACE) == -1 &&
				    errno != ENOENT)
					rc = -1;
		if (rc == 0 && (fsync(to) == -1 || fsync(from) == -1))
			rc = -1;
		(void)close(to);
		maildir_list_free(&l);
	}
	return rc;
}

static int
folder_rename_inbox(struct store *s, const char *to)
{
	struct store_locked lk;
	int rc;

	if ((rc = folder_exists(s, to)) != 0) {
		if (rc == 1)
			errno = EEXIST;
		return -1;
	}
	if (store_lock(s, "INBOX", &lk) == -1)
		return -1;
	rc = folder_make(s, to, lk.f.uidnext, folder_inbox_fill, &lk);
	if (rc == 0)
		(void)store_index_meta_put(s->idx, STORE_META_USAGE, 0);
	/* INBOX is synced again at once: its messages are now expunged */
	if (rc == 0 && store_sync_locked(s, &lk) != 0)
		log_warnx("INBOX renamed; its index catches up at the next "
		    "sync");
	store_unlock(&lk);
	return rc;
}

int
store_folder_rename(struct store *s, const char *from, const char *to)
{
	char fk[STORE_KEY_MAX], tk[STORE_KEY_MAX];
	struct folder_dirs src;
	int lfd, rc;

	if (store_key(from, fk) == -1 || store_key(to, tk) == -1)
		return -1;
	if (strcmp(tk, "INBOX") == 0 || strcmp(fk, tk) == 0) {
		errno = EEXIST;
		return -1;
	}
	if ((lfd = folder_lock(s)) == -1)
		return -1;
	if (strcmp(fk, "INBOX") == 0)
		rc = folder_rename_inbox(s, tk);
	else if ((rc = folder_moves(s, fk, &src)) == 0) {
		if (src.n == 0) {
			errno = ENOENT;
			rc = -1;
		} else
			rc = folder_rename_all(s, fk, tk, &src);
		free(src.keys);
	}
	if (rc == -1 && errno != ENOENT && errno != EEXIST &&
	    errno != ENAMETOOLONG)
		log_warn("cannot rename the folder %s to %s", from, to);
	folder_unlock(lfd);
	return rc;
}

int
store_folder_special_create(struct store *s, size_t *made)
{
	size_t i, n = 0;

	for (i = 0; i < FOLDER_NUSES; i++) {
		if (store_folder_create(s, folder_uses[i].name, 0) == 0)
			n++;
		else if (errno != EEXIST)
			return -1;
		if (store_subscribe(s, folder_uses[i].name, 1) == -1)
			return -1;
	}
	if (made != NULL)
		*made = n;
	return 0;
}

int
store_folder_keys(struct store *s, char **keys, size_t *n)
{
	struct folder_dirs d;

	if (folder_dirs_read(s, &d) == -1)
		return -1;
	*keys = d.keys;
	*n = d.n;
	return 0;
}
