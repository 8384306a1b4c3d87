/*
 * store_index_env.c: opening, checking, resetting and closing the mail
 * index's LMDB env (store_index.h; the records are in store_index.c).
 * Runs in the process that opened the store (the imapd/pop3d mail
 * process, chrooted to the user's Maildir, so paths are relative).  LMDB
 * opens its files itself and follows symlinks, so index.lmdb/ and its two
 * files are checked with fstatat(NOFOLLOW) first.  LMDB has no checksums:
 * the markers and the guarded walk described in store_index.h decide when
 * the whole index must be read before it is trusted.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_index.h"
#include "common/store_index_int.h"
#include "common/util.h"

#define IDX_DIR		"index.lmdb"
#define IDX_DATA	IDX_DIR "/data.mdb"
#define IDX_LOCK	IDX_DIR "/lock.mdb"
#define IDX_CHECK	IDX_DIR "/postern-check"
#define IDX_MARK	"postern-open."
#define IDX_FREE_DBI	0	/* LMDB's free list, as mdb_stat -f reads it */
#define IDX_MAIN_DBI	1
#define IDX_MAPSIZE	((size_t)256 << 20)
#define IDX_MAPMAX	((size_t)16 << 30)
#define IDX_STALE_MAX	64	/* stale markers removed per open */

int
idx_is_corrupt(int rc)
{
	return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
	    rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
	    rc == MDB_PANIC || rc == MDB_INCOMPATIBLE || rc == EACCES ||
	    rc == ENOTDIR || rc == ELOOP;
}

int
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
	    (rc = mdb_dbi_open(txn, "msgs", MDB_CREATE, &idx->msgs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "vanished", MDB_CREATE,
	    &idx->vanished)) != 0 ||
	    (rc = mdb_dbi_open(txn, "cache", MDB_CREATE, &idx->cache)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &idx->meta)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* The walk's transaction and cursor, for the fault handler's way out. */
static sigjmp_buf		 idx_walk_jmp;
static MDB_txn *volatile	 idx_walk_txn;
static MDB_cursor *volatile	 idx_walk_cur;

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
	idx_walk_cur = cur;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		p = v.mv_data;
		if (v.mv_size > 0)
			sink ^= p[0] ^ p[v.mv_size - 1];
	}
	idx_walk_cur = NULL;
	mdb_cursor_close(cur);
	(void)sink;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* idx_walk_fault: a bad page made LMDB fault: leave the walk.  Its
 * read transaction and cursor are freed there (they live in the heap and
 * the lock file, not in the bad map); the env is closed and moved aside
 * right after. */
static void
idx_walk_fault(int sig)
{
	siglongjmp(idx_walk_jmp, sig);
}

/* idx_walk_all: touch every page of LMDB's free list and main DB
 * (named 0: what opening the named DBs reads), or of our named DBs. */
static int
idx_walk_all(struct store_index *idx, int named)
{
	MDB_txn *txn;
	MDB_dbi dbis[5];
	size_t i, n;
	int rc;

	if (named) {
		dbis[0] = idx->folders;
		dbis[1] = idx->msgs;
		dbis[2] = idx->vanished;
		dbis[3] = idx->cache;
		dbis[4] = idx->meta;
		n = 5;
	} else {
		dbis[0] = IDX_FREE_DBI;
		dbis[1] = IDX_MAIN_DBI;
		n = 2;
	}
	if ((rc = mdb_txn_begin(idx->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	idx_walk_txn = txn;
	for (i = 0; rc == 0 && i < n; i++)
		rc = idx_walk_dbi(txn, dbis[i]);
	idx_walk_txn = NULL;
	mdb_txn_abort(txn);
	return rc;
}

/* idx_walk_guarded: idx_walk_all with a fault turned into
 * MDB_CORRUPTED; only read transactions run here, so a fault leaves no
 * lock held. */
static int
idx_walk_guarded(struct store_index *idx, int named)
{
	idx_walk_txn = NULL;
	idx_walk_cur = NULL;
	if (sigsetjmp(idx_walk_jmp, 0) != 0) {
		log_warnx("reading the mail index faulted: it is corrupt");
		if (idx_walk_cur != NULL)
			mdb_cursor_close(idx_walk_cur);
		if (idx_walk_txn != NULL)
			mdb_txn_abort(idx_walk_txn);
		idx_walk_cur = NULL;
		idx_walk_txn = NULL;
		return MDB_CORRUPTED;
	}
	return idx_walk_all(idx, named);
}

/* idx_walk: walk the main DB, open the named DBs (their records were
 * just read safely), walk those, with SIGSEGV and SIGBUS caught. */
static int
idx_walk(struct store_index *idx)
{
	struct sigaction sa, osegv, obus;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = idx_walk_fault;
	sa.sa_flags = SA_NODEFER;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &osegv) == -1)
		return errno;
	if (sigaction(SIGBUS, &sa, &obus) == -1) {
		rc = errno;
		(void)sigaction(SIGSEGV, &osegv, NULL);
		return rc;
	}
	if ((rc = idx_walk_guarded(idx, 0)) == 0 &&
	    (rc = idx_dbis_open(idx)) == 0)
		rc = idx_walk_guarded(idx, 1);
	(void)sigaction(SIGSEGV, &osegv, NULL);
	(void)sigaction(SIGBUS, &obus, NULL);
	return rc;
}

/* idx_meta_check: the meta page LMDB chose must not point past the end
 * of data.mdb (a truncated or garbled file would fault on first use). */
static int
idx_meta_check(struct store_index *idx)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fst;
	int rc;

	if ((rc = mdb_env_info(idx->env, &info)) != 0 ||
	    (rc = mdb_env_stat(idx->env, &st)) != 0)
		return rc;
	if (fstatat(idx->dirfd, IDX_DATA, &fst, AT_SYMLINK_NOFOLLOW) == -1)
		return errno;
	if (st.ms_psize == 0 || (uint64_t)fst.st_size / st.ms_psize <
	    (uint64_t)info.me_last_pgno + 1) {
		log_warnx("the mail index's meta page points past its end");
		return MDB_CORRUPTED;
	}
	idx->mapsize = info.me_mapsize;
	return 0;
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
 * idx_locked_file: create name in dirfd, already under an exclusive
 * flock, by linking a locked temporary file: nobody sees it unlocked.
 * 0 and *fd; EEXIST; or an errno value.
 */
static int
idx_locked_file(int dirfd, const char *name, int *fd)
{
	char tmp[96];
	uint32_t r;
	int rc;

	random_bytes(&r, sizeof(r));
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld.%08" PRIx32 ".tmp", name,
	    (long)getpid(), r);
	*fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (*fd == -1)
		return errno;
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1)
		rc = errno;
	else if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
		rc = 0;
	else
		rc = errno;
	(void)unlinkat(dirfd, tmp, 0);
	if (rc != 0) {
		(void)close(*fd);
		*fd = -1;
	}
	return rc;
}

/*
 * idx_guard_begin: publish index.lmdb/postern-check, already locked, for
 * the time of opening and checking the index: *fd holds it.  Found there
 * with nobody holding its lock, it means a check crashed on the index.
 */
static int
idx_guard_begin(struct store_index *idx, int *fd)
{
	int i, rc;

	for (i = 0; i < 10; i++) {
		if ((rc = idx_locked_file(idx->dirfd, IDX_CHECK, fd)) !=
		    EEXIST)
			return rc;
		if ((rc = idx_guard_wait(idx)) != 0)
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

/*
 * idx_stale_find: the markers in index.lmdb/ whose lock nobody holds:
 * processes that died with the index open.  Their names go to stale
 * (up to IDX_STALE_MAX, NUL-separated, 64 bytes each).  Returns how many
 * there were (at least 1 when more than fit), or -1 (errno).
 */
static int
idx_stale_find(struct store_index *idx, char stale[][64], int *nstale)
{
	struct dirent *de;
	DIR *dir;
	int fd, lfd, found = 0;

	*nstale = 0;
	fd = openat(idx->dirfd, IDX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, IDX_MARK, strlen(IDX_MARK)) != 0 ||
		    strlen(de->d_name) >= 64)
			continue;
		lfd = openat(fd, de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK);
		if (lfd == -1)
			continue;
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
			/* a marker's temporary name: a death while making it
			 * proves nothing about the index, but is removed */
			if (strstr(de->d_name, ".tmp") == NULL)
				found++;
			if (*nstale < IDX_STALE_MAX)
				(void)str_copy(stale[(*nstale)++], de->d_name,
				    64);
		}
		(void)close(lfd);
	}
	(void)closedir(dir);
	return found;
}

static void
idx_stale_remove(struct store_index *idx, char stale[][64], int n)
{
	char path[96];
	int i;

	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%.63s", IDX_DIR,
		    stale[i]);
		(void)unlinkat(idx->dirfd, path, 0);
	}
}

/* idx_mark_begin: our own marker, held until the env is closed. */
static int
idx_mark_begin(struct store_index *idx)
{
	uint64_t r;
	int rc;

	random_bytes(&r, sizeof(r));
	(void)snprintf(idx->mark, sizeof(idx->mark), "%s/%s%016" PRIx64,
	    IDX_DIR, IDX_MARK, r);
	if ((rc = idx_locked_file(idx->dirfd, idx->mark, &idx->markfd)) != 0)
		idx->markfd = -1;
	return rc;
}

static void
idx_mark_end(struct store_index *idx)
{
	if (idx->markfd == -1)
		return;
	(void)unlinkat(idx->dirfd, idx->mark, 0);
	(void)close(idx->markfd);
	idx->markfd = -1;
}

static int
idx_env_setup(struct store_index *idx, int walk)
{
	int rc, dead;

	if ((rc = mdb_env_create(&idx->env)) != 0) {
		idx->env = NULL;
		return rc;
	}
	if ((rc = mdb_env_set_maxdbs(idx->env, 5)) != 0 ||
	    (rc = mdb_env_set_mapsize(idx->env, IDX_MAPSIZE)) != 0 ||
	    (rc = mdb_env_set_maxreaders(idx->env, 126)) != 0 ||
	    (rc = mdb_env_open(idx->env, idx->path, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_reader_check(idx->env, &dead)) != 0 ||
	    (rc = idx_meta_check(idx)) != 0)
		return rc;
	if (!walk)
		return idx_dbis_open(idx);
	log_info("a process died with the mail index open; checking the "
	    "index");
	return idx_walk(idx);
}

/* idx_env_open: 0 or an LMDB/errno code; idx->env NULL on failure. */
static int
idx_env_open(struct store_index *idx)
{
	char stale[IDX_STALE_MAX][64];
	struct stat st;
	int rc, nstale, found, guard = -1;

	if ((rc = idx_check_files(idx)) != 0 ||
	    (rc = idx_guard_begin(idx, &guard)) != 0)
		return rc;
	if ((found = idx_stale_find(idx, stale, &nstale)) == -1)
		rc = errno;
	else
		rc = idx_env_setup(idx, found > 0);
	if (rc == 0 && fstatat(idx->dirfd, IDX_DATA, &st,
	    AT_SYMLINK_NOFOLLOW) == -1)
		rc = errno;
	if (rc == 0)
		idx_stale_remove(idx, stale, nstale);
	if (rc == 0)
		rc = idx_mark_begin(idx);
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

static void
idx_env_close(struct store_index *idx)
{
	if (idx->env != NULL)
		mdb_env_close(idx->env);
	idx->env = NULL;
	idx_mark_end(idx);
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
	idx->markfd = -1;
	n = snprintf(idx->path, sizeof(idx->path), "%s/%s", path, IDX_DIR);
	if (n < 0 || (size_t)n >= sizeof(idx->path)) {
		log_warnx("mail index path too long");
		free(idx);
		return -1;
	}
	if ((rc = idx_env_open(idx)) != 0) {
		(void)idx_fail("opening the mail index", rc);
		if (!idx_is_corrupt(rc) || store_index_reset(idx) == -1) {
			idx_env_close(idx);
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
	(void)store_index_cache_flush(idx);
	free(idx->cq);
	idx_env_close(idx);
	free(idx);
}

int
store_index_reset(struct store_index *idx)
{
	int rc;

	idx_env_close(idx);
	if (idx_move_aside(idx) == -1)
		return -1;
	if ((rc = idx_env_open(idx)) != 0) {
		(void)idx_fail("making a new mail index", rc);
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
	idx_env_close(idx);
	if ((rc = idx_env_open(idx)) == 0)
		return 0;
	if (idx_fail("reopening the mail index", rc) == STORE_INDEX_CORRUPT)
		return store_index_reset(idx);
	return -1;
}

int
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

int
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

void
store_index_trim(struct store_index *idx)
{
	MDB_envinfo info;

	/* Pages of a read-only shared mapping reload on access. */
	if (idx->env != NULL && mdb_env_info(idx->env, &info) == 0 &&
	    info.me_mapaddr != NULL)
		(void)madvise(info.me_mapaddr, info.me_mapsize, MADV_DONTNEED);
}
