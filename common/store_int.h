/*
 * store_int.h: what the parts of the mail store share (internal to
 * store*.c): the handle, folder keys and directories, and a folder held
 * under its lock with its index record brought up to date.  Runs in the
 * process that opened the store.
 */
#ifndef POSTERN_STORE_INT_H
#define POSTERN_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"
#include "common/store_index.h"
#include "common/store_maildir.h"

#define STORE_ALLFLAGS	(STORE_SEEN | STORE_ANSWERED | STORE_FLAGGED | \
			 STORE_DELETED | STORE_DRAFT)

struct store {
	int			 dirfd;
	struct store_index	*idx;
};

/* A folder under its lock, synced: f is its index record. */
struct store_locked {
	char			 key[STORE_KEY_MAX];
	int			 ffd, curfd, newfd, lockfd;
	struct store_index_folder f;
};

/* store_key: the index key of the IMAP name folder (store_folder.c's
 * rules).  0, or -1 with errno EINVAL (not logged). */
int	store_key(const char *folder, char *key);

/* store_key_dir: the directory of key, relative to the Maildir: "." for
 * INBOX, else "." key.  0 or -1 (ENAMETOOLONG). */
int	store_key_dir(const char *key, char *dir, size_t len);

/* store_lock: open key's folder, take its lock and sync it.  0; -1 with
 * errno (ENOENT when the folder does not exist; logged otherwise). */
int	store_lock(struct store *s, const char *key, struct store_locked *lk);
void	store_unlock(struct store_locked *lk);

/* store_sync_locked: store_sync's work, lock held; fills lk->f.  0, -1
 * or STORE_INDEX_CORRUPT. */
int	store_sync_locked(struct store *s, struct store_locked *lk);

/* store_commit: after the caller changed cur/ under the lock: when the
 * index's cur/ mtime was current before the change (pre), record the
 * new one, so the next sync need not list cur/; then write f and the
 * messages.  Returns as store_index_update. */
int	store_commit(struct store *s, struct store_locked *lk, int64_t pre,
	    const uint32_t *del, size_t ndel, uint64_t delmodseq,
	    const struct store_msg *put, size_t nput);

/* store_expunge_locked: store_expunge with the lock held (MOVE). */
int	store_expunge_locked(struct store *s, struct store_locked *lk,
	    const uint32_t *uids, size_t n);

/* store_keyword_index: store_keyword_find on the folder at ffd, whose
 * lock the caller holds. */
struct store_keywords;
int	store_keyword_index(int ffd, const char *name, int create);
int	store_keywords_read(int ffd, struct store_keywords *kw);

/* store_cur_find: the name the file of uid has in the cur/ of the folder
 * at ffd now, for when the index's is out of date.  0, or -1 with errno
 * ENOENT. */
int	store_cur_find(int ffd, uint32_t uid, char *name, size_t len);

/* store_flags_rename: rename m's file in cur/ to carry flags and
 * keywords (finding its current name when the index's is stale); m
 * follows.  0 or -1 (errno; ENOENT when the file is gone). */
int	store_flags_rename(struct store_locked *lk, struct store_msg *m,
	    uint32_t flags, uint32_t keywords);

/* store_quota_prepare: when a limit is set, make usage complete (sync
 * the folders a rebuild or rename left uncounted), before the caller
 * takes any folder lock.  0 or -1. */
int	store_quota_prepare(struct store *s);

/* store_quota_limit_read: the limit in postern-quota of the Maildir at
 * dirfd into *limit (0: none, also when the file is missing or
 * malformed, which is logged).  0, or -1 when it cannot be read. */
int	store_quota_limit_read(int dirfd, uint64_t *limit);

/* store_quota_check: -1 with errno EDQUOT when adding bytes would go
 * over the user's limit; 0 when it fits or there is no limit.  Takes no
 * lock, so it may run under folder locks. */
int	store_quota_check(struct store *s, uint64_t bytes);

/* store_uids_reserve: n UIDs from lk's UIDNEXT (first in *first),
 * written to postern-uids before any file uses them.  0 or -1. */
int	store_uids_reserve(struct store_locked *lk, size_t n,
	    uint32_t *first);

/* store_dir_mtime: fd's mtime in nanoseconds, or 0 when fstat fails. */
int64_t	store_dir_mtime(int fd);

/* store_uid_cmp: qsort/bsearch order of uint32_t. */
int	store_uid_cmp(const void *a, const void *b);

/* store_folder_keys: the keys of the folder directories in the root
 * (INBOX not among them), STORE_KEY_MAX apart in *keys (caller frees).
 * 0 or -1 (logged). */
int	store_folder_keys(struct store *s, char **keys, size_t *n);

/* STORE_META_USAGE: set in the index's meta once every folder on disk
 * has a record; cleared when records are dropped for folders that still
 * exist (rename), so store_quota_get syncs them again. */
#define STORE_META_USAGE	"usage-complete"

#endif
