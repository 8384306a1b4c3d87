/*
 * store_index.c: the per-user LMDB index of the mail store
 * (store_index.h).  Runs in the imapd/pop3d mail process, chrooted to the
 * user's Maildir, so the env's path is relative.  The index is only a
 * cache: records are checked for size and magic when read, and anything
 * wrong is reported as STORE_INDEX_CORRUPT for the caller to rebuild from
 * the message files.  LMDB opens its files itself and follows symlinks, so
 * index.lmdb/ and its two files are checked with fstatat(NOFOLLOW) first.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_index.h"

#define IDX_DIR		"index.lmdb"
#define IDX_DATA	IDX_DIR "/data.mdb"
#define IDX_LOCK	IDX_DIR "/lock.mdb"
#define IDX_CHECK	IDX_DIR "/postern-check"
#define IDX_FREE_DBI	0	/* LMDB's free list, as mdb_stat -f reads it */
#define IDX_MAIN_DBI	1
#define IDX_MAPSIZE	((size_t)256 << 20)
#define IDX_MAPMAX	((size_t)16 << 30)
#define IDX_BATCH	4096
#define IDX_KEYMAX	(STORE_FOLDER_MAX + 5)
#define IDX_MAGIC_FOLDER 0x70784631	/* "pxF1" */
#define IDX_MAGIC_MSG	0x70784d31	/* "pxM1" */

struct store_index {
	MDB_env		*env;
	MDB_dbi		 folders;
	MDB_dbi		 msgs;
	size_t		 mapsize;
	int		 dirfd;
	dev_t		 dev;
	ino_t		 ino;
	char		 path[PATH_MAX];
};

/* Records as stored; read back with memcpy, LMDB gives no alignment. */
struct idx_folder_rec {
	uint32_t	magic;
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint32_t	pad;
	uint64_t	highestmodseq;
};

struct idx_msg_rec {
	uint32_t	magic;
	uint32_t	flags;
	uint64_t	size;
	int64_t		date;
	uint64_t	modseq;
	/* the file name follows, without NUL */
};

static int
idx_is_corrupt(int rc)
{
	return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
	    rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
	    rc == MDB_PANIC || rc == MDB_INCOMPATIBLE || rc == EACCES ||
	    rc == ENOTDIR || rc == ELOOP;
}

static int
idx_fail(const char *what, int rc)
{
	log_warnx("%s: %s", what, mdb_strerror(rc));
	return idx_is_corrupt(rc) ? STORE_INDEX_CORRUPT : -1;
}

/* idx_check_files: index.lmdb/ a directory (made if missing), its files
 * regular when present.  0 or an errno value. */
static int
idx_check_files(struct store_index *idx)
{
	static const char *files[] = { IDX_DATA, IDX_LOCK };
	struct stat st;
	size_t i;

	if (mkdirat(idx->dirfd, IDX_DIR, 0700) == -1 && errno != EEXIST)
		return errno;
	if (fstatat(idx->dirfd, IDX_DIR, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	for (i = 0; i < 2; i++) {
		if (fstatat(idx->dirfd, files[i], &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno == ENOENT)
				continue;
			return errno;
		}
		if (!S_ISREG(st.st_mode))
			return ELOOP;
	}
	return 0;
}

static int
idx_dbis_open(struct store_index *idx)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(idx->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "folders", MDB_CREATE,
	    &idx->folders)) != 0 ||
	    (rc = mdb_dbi_open(txn, "msgs", MDB_CREATE, &idx->msgs)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

static int
idx_walk_dbi(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_cursor *cur;
	MDB_val k, v;
	const unsigned char *p;
	volatile unsigned char sink = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		p = v.mv_data;
		if (v.mv_size > 0)
			sink ^= p[v.mv_size - 1];
	}
	mdb_cursor_close(cur);
	(void)sink;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* idx_walk: touch every page of the free list and of every DB.  LMDB has
 * no checksums: a bad page may crash the process instead of returning
 * MDB_CORRUPTED, which idx_guard_begin notices on the next open. */
static int
idx_walk(struct store_index *idx)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(idx->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = idx_walk_dbi(txn, IDX_FREE_DBI)) == 0 &&
	    (rc = idx_walk_dbi(txn, IDX_MAIN_DBI)) == 0 &&
	    (rc = idx_walk_dbi(txn, idx->folders)) == 0)
		rc = idx_walk_dbi(txn, idx->msgs);
	mdb_txn_abort(txn);
	return rc;
}

/* idx_guard_wait: wait for the process checking the index now.  0 when
 * it finished (it unlinked the file), MDB_CORRUPTED when it died. */
static int
idx_guard_wait(struct store_index *idx)
{
	struct stat st;
	int fd, rc;

	fd = openat(idx->dirfd, IDX_CHECK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : errno;
	while ((rc = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	if (rc == 0 && fstat(fd, &st) == 0)
		rc = st.st_nlink == 0 ? 0 : MDB_CORRUPTED;
	else
		rc = errno;
	(void)close(fd);
	if (rc == MDB_CORRUPTED)
		log_warnx("an earlier check of the mail index died");
	return rc;
}

/*
 * idx_guard_begin: publish index.lmdb/postern-check, already locked, for
 * the time of opening and walking the index: *fd holds it.  Found there
 * with nobody holding its lock, it means a check crashed on the index.
 */
static int
idx_guard_begin(struct store_index *idx, int *fd)
{
	char tmp[64];
	int i, rc;

	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", IDX_CHECK, (long)getpid());
	for (i = 0; i < 10; i++) {
		*fd = openat(idx->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (*fd == -1)
			return errno;
		if (flock(*fd, LOCK_EX | LOCK_NB) == -1)
			rc = errno;
		else if (linkat(idx->dirfd, tmp, idx->dirfd, IDX_CHECK, 0) == 0)
			rc = 0;
		else
			rc = errno == EEXIST ? -1 : errno;
		(void)unlinkat(idx->dirfd, tmp, 0);
		if (rc == 0)
			return 0;
		(void)close(*fd);
		*fd = -1;
		if (rc != -1 || (rc = idx_guard_wait(idx)) != 0)
			return rc;
	}
	return EBUSY;
}

static void
idx_guard_end(struct store_index *idx, int fd)
{
	(void)unlinkat(idx->dirfd, IDX_CHECK, 0);
	(void)close(fd);
}

static int
idx_env_setup(struct store_index *idx)
{
	MDB_envinfo info;
	int rc, dead;

	if ((rc = mdb_env_create(&idx->env)) != 0) {
		idx->env = NULL;
		return rc;
	}
	if ((rc = mdb_env_set_maxdbs(idx->env, 2)) != 0 ||
	    (rc = mdb_env_set_mapsize(idx->env, IDX_MAPSIZE)) != 0 ||
	    (rc = mdb_env_set_maxreaders(idx->env, 126)) != 0 ||
	    (rc = mdb_env_open(idx->env, idx->path, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_reader_check(idx->env, &dead)) != 0 ||
	    (rc = idx_dbis_open(idx)) != 0 ||
	    (rc = idx_walk(idx)) != 0 ||
	    (rc = mdb_env_info(idx->env, &info)) != 0)
		return rc;
	idx->mapsize = info.me_mapsize;
	return 0;
}

/* idx_env_open: 0 or an LMDB/errno code; idx->env NULL on failure. */
static int
idx_env_open(struct store_index *idx)
{
	struct stat st;
	int rc, guard = -1;

	if ((rc = idx_check_files(idx)) != 0 ||
	    (rc = idx_guard_begin(idx, &guard)) != 0)
		return rc;
	rc = idx_env_setup(idx);
	if (rc == 0 && fstatat(idx->dirfd, IDX_DATA, &st,
	    AT_SYMLINK_NOFOLLOW) == -1)
		rc = errno;
	idx_guard_end(idx, guard);
	if (rc != 0) {
		if (idx->env != NULL)
			mdb_env_close(idx->env);
		idx->env = NULL;
		return rc;
	}
	idx->dev = st.st_dev;
	idx->ino = st.st_ino;
	return 0;
}

/* idx_move_aside: rename index.lmdb to index.lmdb.corrupt-<time>[.n]. */
static int
idx_move_aside(struct store_index *idx)
{
	char name[64];
	long long t = (long long)time(NULL);
	int i, n;

	for (i = 0; i < 10; i++) {
		n = i == 0 ? snprintf(name, sizeof(name), "%s.corrupt-%lld",
		    IDX_DIR, t) : snprintf(name, sizeof(name),
		    "%s.corrupt-%lld.%d", IDX_DIR, t, i);
		if (n < 0 || (size_t)n >= sizeof(name))
			fatalx("internal error: index name too long");
		if (renameat2(idx->dirfd, IDX_DIR, idx->dirfd, name,
		    RENAME_NOREPLACE) == 0) {
			log_warnx("moved the mail index aside to %s",
			    name);
			return fsync(idx->dirfd);
		}
		if (errno == ENOENT)
			return 0;
		if (errno != EEXIST && errno != ENOTEMPTY)
			break;
	}
	log_warn("cannot move the mail index %s aside", IDX_DIR);
	return -1;
}

int
store_index_open(struct store_index **ip, int dirfd, const char *path)
{
	struct store_index *idx;
	int n, rc;

	if ((idx = calloc(1, sizeof(*idx))) == NULL) {
		log_warn("out of memory opening the mail index");
		return -1;
	}
	idx->dirfd = dirfd;
	n = snprintf(idx->path, sizeof(idx->path), "%s/%s", path, IDX_DIR);
	if (n < 0 || (size_t)n >= sizeof(idx->path)) {
		log_warnx("mail index path too long");
		free(idx);
		return -1;
	}
	if ((rc = idx_env_open(idx)) != 0) {
		(void)idx_fail("store_index_open", rc);
		if (!idx_is_corrupt(rc) || store_index_reset(idx) == -1) {
			free(idx);
			return -1;
		}
	}
	*ip = idx;
	return 0;
}

void
store_index_close(struct store_index *idx)
{
	if (idx == NULL)
		return;
	if (idx->env != NULL)
		mdb_env_close(idx->env);
	free(idx);
}

int
store_index_reset(struct store_index *idx)
{
	int rc;

	if (idx->env != NULL)
		mdb_env_close(idx->env);
	idx->env = NULL;
	if (idx_move_aside(idx) == -1)
		return -1;
	if ((rc = idx_env_open(idx)) != 0) {
		(void)idx_fail("store_index_reset", rc);
		return -1;
	}
	return 0;
}

int
store_index_refresh(struct store_index *idx)
{
	struct stat st;
	int rc;

	if (idx->env != NULL && fstatat(idx->dirfd, IDX_DATA, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == idx->dev &&
	    st.st_ino == idx->ino)
		return 0;
	if (idx->env != NULL)
		mdb_env_close(idx->env);
	idx->env = NULL;
	if ((rc = idx_env_open(idx)) == 0)
		return 0;
	if (idx_fail("store_index_refresh", rc) == STORE_INDEX_CORRUPT)
		return store_index_reset(idx);
	return -1;
}

static int
idx_begin(struct store_index *idx, int write, MDB_txn **txn)
{
	unsigned int flags = write ? 0 : MDB_RDONLY;
	MDB_envinfo info;
	int rc;

	if (idx->env == NULL)
		return EINVAL;
	rc = mdb_txn_begin(idx->env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED) {
		if ((rc = mdb_env_set_mapsize(idx->env, 0)) != 0)
			return rc;
		if (mdb_env_info(idx->env, &info) == 0)
			idx->mapsize = info.me_mapsize;
		rc = mdb_txn_begin(idx->env, NULL, flags, txn);
	}
	return rc;
}

static size_t
idx_msg_key(char *buf, const char *folder, uint32_t uid)
{
	size_t len = strlen(folder);

	memcpy(buf, folder, len + 1);
	buf[len + 1] = (char)(uid >> 24);
	buf[len + 2] = (char)(uid >> 16);
	buf[len + 3] = (char)(uid >> 8);
	buf[len + 4] = (char)uid;
	return len + 5;
}

static uint32_t
idx_key_uid(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
idx_folder_decode(const MDB_val *v, struct store_folder *f)
{
	struct idx_folder_rec r;

	if (v->mv_size != sizeof(r))
		return -1;
	memcpy(&r, v->mv_data, sizeof(r));
	if (r.magic != IDX_MAGIC_FOLDER || r.uidvalidity == 0 ||
	    r.uidnext == 0)
		return -1;
	memset(f, 0, sizeof(*f));
	f->uidvalidity = r.uidvalidity;
	f->uidnext = r.uidnext;
	f->highestmodseq = r.highestmodseq;
	return 0;
}

static int
idx_msg_decode(const MDB_val *v, uint32_t uid, struct store_msg *m)
{
	struct idx_msg_rec r;
	size_t nlen;
	const char *name;

	if (v->mv_size <= sizeof(r) ||
	    v->mv_size - sizeof(r) >= STORE_NAME_MAX || uid == 0)
		return -1;
	memcpy(&r, v->mv_data, sizeof(r));
	name = (const char *)v->mv_data + sizeof(r);
	nlen = v->mv_size - sizeof(r);
	if (r.magic != IDX_MAGIC_MSG || memchr(name, '\0', nlen) != NULL ||
	    memchr(name, '/', nlen) != NULL || name[0] == '.')
		return -1;
	m->uid = uid;
	m->flags = r.flags;
	m->size = r.size;
	m->internal_date = r.date;
	m->modseq = r.modseq;
	memcpy(m->name, name, nlen);
	m->name[nlen] = '\0';
	return 0;
}

int
store_index_folder_get(struct store_index *idx, const char *folder,
    struct store_folder *f)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("store_index_folder_get", rc);
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	rc = mdb_get(txn, idx->folders, &k, &v);
	if (rc == 0 && idx_folder_decode(&v, f) == -1)
		rc = MDB_CORRUPTED;
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0)
		return idx_fail("store_index_folder_get", rc);
	return 0;
}

int
store_index_msg_get(struct store_index *idx, const char *folder,
    uint32_t uid, struct store_msg *m)
{
	char key[IDX_KEYMAX];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("store_index_msg_get", rc);
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, uid);
	rc = mdb_get(txn, idx->msgs, &k, &v);
	if (rc == 0 && idx_msg_decode(&v, uid, m) == -1)
		rc = MDB_CORRUPTED;
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0)
		return idx_fail("store_index_msg_get", rc);
	return 0;
}

/* idx_msgs_add: append one record to the growing array. */
static int
idx_msgs_add(struct store_msg **msgs, size_t *n, size_t *cap,
    const MDB_val *k, const MDB_val *v)
{
	struct store_msg *p;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap == 0 ? 64 : *cap * 2;
		if ((p = reallocarray(*msgs, ncap, sizeof(*p))) == NULL)
			return ENOMEM;
		*msgs = p;
		*cap = ncap;
	}
	if (idx_msg_decode(v, idx_key_uid((const unsigned char *)k->mv_data +
	    k->mv_size - 4), &(*msgs)[*n]) == -1)
		return MDB_CORRUPTED;
	(*n)++;
	return 0;
}

static int
idx_msgs_scan(struct store_index *idx, MDB_txn *txn, const char *folder,
    struct store_msg **msgs, size_t *n)
{
	char key[IDX_KEYMAX];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t cap = 0, plen = strlen(folder) + 1;
	int rc;

	if ((rc = mdb_cursor_open(txn, idx->msgs, &cur)) != 0)
		return rc;
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, 0);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size != plen + 4 || memcmp(k.mv_data, key, plen) != 0)
			break;
		if ((rc = idx_msgs_add(msgs, n, &cap, &k, &v)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_index_msgs_get(struct store_index *idx, const char *folder,
    struct store_msg **msgs, size_t *n)
{
	MDB_txn *txn;
	int rc;

	*msgs = NULL;
	*n = 0;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("store_index_msgs_get", rc);
	rc = idx_msgs_scan(idx, txn, folder, msgs, n);
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(*msgs);
		*msgs = NULL;
		*n = 0;
		return idx_fail("store_index_msgs_get", rc);
	}
	return 0;
}

static int
idx_put_msg(struct store_index *idx, MDB_txn *txn, const char *folder,
    const struct store_msg *m)
{
	unsigned char buf[sizeof(struct idx_msg_rec) + STORE_NAME_MAX];
	char key[IDX_KEYMAX];
	struct idx_msg_rec r;
	MDB_val k, v;
	size_t nlen = strnlen(m->name, STORE_NAME_MAX);

	if (nlen == 0 || nlen >= STORE_NAME_MAX || m->uid == 0)
		return EINVAL;
	memset(&r, 0, sizeof(r));
	r.magic = IDX_MAGIC_MSG;
	r.flags = m->flags;
	r.size = m->size;
	r.date = m->internal_date;
	r.modseq = m->modseq;
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), m->name, nlen);
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, m->uid);
	v.mv_data = buf;
	v.mv_size = sizeof(r) + nlen;
	return mdb_put(txn, idx->msgs, &k, &v, 0);
}

static int
idx_put_folder(struct store_index *idx, MDB_txn *txn, const char *folder,
    const struct store_folder *f)
{
	struct idx_folder_rec r;
	MDB_val k, v;

	memset(&r, 0, sizeof(r));
	r.magic = IDX_MAGIC_FOLDER;
	r.uidvalidity = f->uidvalidity;
	r.uidnext = f->uidnext;
	r.highestmodseq = f->highestmodseq;
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	v.mv_data = &r;
	v.mv_size = sizeof(r);
	return mdb_put(txn, idx->folders, &k, &v, 0);
}

/* idx_update_batch: one transaction of at most IDX_BATCH changes,
 * starting at *di and *pi, which advance only when it commits. */
static int
idx_update_batch(struct store_index *idx, const char *folder,
    const struct store_folder *f, const uint32_t *del, size_t ndel,
    size_t *di, const struct store_msg *put, size_t nput, size_t *pi)
{
	char key[IDX_KEYMAX];
	MDB_txn *txn;
	MDB_val k;
	size_t d = *di, p = *pi, ops = 0;
	int rc;

	if ((rc = idx_begin(idx, 1, &txn)) != 0)
		return rc;
	for (; rc == 0 && d < ndel && ops < IDX_BATCH; d++, ops++) {
		k.mv_data = key;
		k.mv_size = idx_msg_key(key, folder, del[d]);
		if ((rc = mdb_del(txn, idx->msgs, &k, NULL)) == MDB_NOTFOUND)
			rc = 0;
	}
	for (; rc == 0 && p < nput && ops < IDX_BATCH; p++, ops++)
		rc = idx_put_msg(idx, txn, folder, &put[p]);
	if (rc == 0 && d == ndel && p == nput && f != NULL)
		rc = idx_put_folder(idx, txn, folder, f);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	*di = d;
	*pi = p;
	return 0;
}

static int
idx_grow(struct store_index *idx)
{
	size_t size = idx->mapsize * 2;
	int rc;

	if (size > IDX_MAPMAX)
		return MDB_MAP_FULL;
	if ((rc = mdb_env_set_mapsize(idx->env, size)) != 0)
		return rc;
	idx->mapsize = size;
	return 0;
}

int
store_index_update(struct store_index *idx, const char *folder,
    const struct store_folder *f, const uint32_t *del, size_t ndel,
    const struct store_msg *put, size_t nput)
{
	size_t di = 0, pi = 0;
	int rc;

	if (strlen(folder) >= STORE_FOLDER_MAX)
		return idx_fail("store_index_update", EINVAL);
	for (;;) {
		rc = idx_update_batch(idx, folder, f, del, ndel, &di, put,
		    nput, &pi);
		if (rc == MDB_MAP_FULL && (rc = idx_grow(idx)) == 0)
			continue;
		if (rc != 0)
			return idx_fail("store_index_update", rc);
		if (di == ndel && pi == nput)
			return 0;
	}
}

void
store_index_trim(struct store_index *idx)
{
	MDB_envinfo info;

	/* Pages of a read-only shared mapping reload on access. */
	if (mdb_env_info(idx->env, &info) == 0 && info.me_mapaddr != NULL)
		(void)madvise(info.me_mapaddr, info.me_mapsize, MADV_DONTNEED);
}
