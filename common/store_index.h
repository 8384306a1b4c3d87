/*
 * store_index.h: the per-user LMDB index of the mail store (internal to
 * store*.c).  Runs in the imapd/pop3d mail process and wherever else the
 * store is opened; one env per user in <maildir>/index.lmdb/, with named
 * DBs:
 *
 *  - "folders": folder key -> UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the
 *    expunge log's floor, message count and W= bytes, and the mtimes of
 *    cur/ and new/ the last sync saw;
 *  - "msgs": folder key NUL uid (4 bytes, big-endian) -> flags, keywords,
 *    W= size, internal date, modseq, file name;
 *  - "vanished": same key -> the modseq at which the UID was expunged;
 *  - "cache": same key -> two opaque strings (imapd's ENVELOPE and
 *    BODYSTRUCTURE);
 *  - "meta": a few counters of the whole index ("usage-complete").
 *
 * A folder key is the folder's directory name without its leading '.'
 * ("Archive.2026"), or "INBOX".  The index is a cache of the Maildir:
 * every record read back is checked for size and magic, and a bad one is
 * reported as STORE_INDEX_CORRUPT so the caller can rebuild.  Full sync
 * (no MDB_NOSYNC); write transactions are short and never wait for
 * anything but the disk.
 *
 * Safety against a corrupt index without reading it all at every open:
 * LMDB has no checksums and may crash the process (SIGSEGV, SIGBUS) on a
 * bad page.  Every process that has the index open holds a marker file,
 * index.lmdb/postern-open.<random>, under an exclusive flock, and removes
 * it when it closes the index.  Opening checks the meta page LMDB chose
 * (its last page must lie inside data.mdb) and looks for markers nobody
 * holds: a process died with the index open (a crash on a bad page, or
 * just a kill).  Only then the whole index is read, page by page, with
 * SIGSEGV and SIGBUS caught for that walk (a fault means corrupt), under
 * index.lmdb/postern-check, which a walk that died anyway leaves behind
 * for the next open to find.  A corrupt index is moved aside as
 * index.lmdb.corrupt-<time> and rebuilt from the Maildir.
 */
#ifndef POSTERN_STORE_INDEX_H
#define POSTERN_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

#define STORE_INDEX_CORRUPT	(-2)
#define STORE_KEY_MAX		256	/* a folder key, with its NUL */

/* A folder's record. */
struct store_index_folder {
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint32_t	count;		/* messages */
	uint64_t	bytes;		/* their W= sizes */
	uint64_t	highestmodseq;
	uint64_t	floor;		/* the expunge log is complete above */
	int64_t		cur_mtime;	/* ns; 0: unknown, list cur/ */
	int64_t		new_mtime;	/* ns; 0: unknown, list new/ */
	uint32_t	nvanished;	/* entries in the expunge log */
};

/* The expunge log of a folder holds at most this many UIDs: past it, it
 * is emptied and its floor raised to HIGHESTMODSEQ (answers about older
 * modseqs turn conservative), so it never grows without bound. */
#define STORE_VANISHED_MAX	100000

struct store_index;

/*
 * store_index_open: open (creating) the index in dirfd's index.lmdb/ (path
 * is the same directory as a path, for mdb_env_open).  An index that can't
 * be opened, or where index.lmdb, data.mdb or lock.mdb is not what it
 * should be (a symlink, say), or that the checks above find corrupt, is
 * renamed index.lmdb.corrupt-<time> and a new one is made.  Returns 0 and
 * *ip, or -1 (logged).  dirfd stays the caller's and MUST outlive the
 * index.  The walk installs handlers for SIGSEGV and SIGBUS for its time
 * (rt_sigaction) and restores the previous ones.
 */
int	store_index_open(struct store_index **ip, int dirfd, const char *path);
void	store_index_close(struct store_index *idx);

/* store_index_reset: move the index aside as above and open a new, empty
 * one.  0 or -1 (logged; idx is then unusable but may be closed). */
int	store_index_reset(struct store_index *idx);

/* store_index_refresh: reopen the env when another process replaced or
 * removed index.lmdb/data.mdb since it was opened.  0 or -1 (logged). */
int	store_index_refresh(struct store_index *idx);

/* store_index_folder_get: folder's record into *f.  0 found, 1 absent,
 * -1 error, STORE_INDEX_CORRUPT.  All logged. */
int	store_index_folder_get(struct store_index *idx, const char *folder,
	    struct store_index_folder *f);

/* store_index_folders: every folder key and record, in key order, into
 * a new array of n (caller frees; keys are STORE_KEY_MAX apart in
 * *keys, also caller's).  0, -1, STORE_INDEX_CORRUPT. */
int	store_index_folders(struct store_index *idx, char **keys,
	    struct store_index_folder **f, size_t *n);

/* store_index_msgs_get: all of folder's messages, ascending by UID, in a
 * new array (caller frees; NULL when *n is 0).  0, -1 or
 * STORE_INDEX_CORRUPT (logged). */
int	store_index_msgs_get(struct store_index *idx, const char *folder,
	    struct store_msg **msgs, size_t *n);

/* store_index_infos_get: the same without file names. */
int	store_index_infos_get(struct store_index *idx, const char *folder,
	    struct store_msginfo **v, size_t *n);

/* store_index_msg_get: one message.  0 found, 1 absent, -1,
 * STORE_INDEX_CORRUPT. */
int	store_index_msg_get(struct store_index *idx, const char *folder,
	    uint32_t uid, struct store_msg *m);

/*
 * store_index_update: delete the ndel UIDs in del (with their cache
 * entries, and, when delmodseq is not 0, log each in "vanished" at
 * delmodseq, counted in f->nvanished, the log emptied past
 * STORE_VANISHED_MAX), then put the nput messages, then (f not NULL)
 * write folder's record: in one transaction when small, in batches of a
 * few thousand otherwise (the folder record goes last, so an interrupted
 * update is redone by the next sync).  Grows the map on MDB_MAP_FULL.
 * 0, -1 or STORE_INDEX_CORRUPT (logged).
 */
int	store_index_update(struct store_index *idx, const char *folder,
	    struct store_index_folder *f, const uint32_t *del,
	    size_t ndel, uint64_t delmodseq, const struct store_msg *put,
	    size_t nput);

/* store_index_folder_drop: forget folder: its record, messages, expunge
 * log and cache entries (in batches).  0, -1, STORE_INDEX_CORRUPT. */
int	store_index_folder_drop(struct store_index *idx, const char *folder);

/* store_index_vanished: the UIDs of folder's expunge log whose modseq is
 * above since, ascending, in a new array (caller frees).  0, -1,
 * STORE_INDEX_CORRUPT. */
int	store_index_vanished(struct store_index *idx, const char *folder,
	    uint64_t since, uint32_t **uids, size_t *n);

/* store_index_cache_put: set uid's two cache strings (only when uid is
 * indexed then).  Writes are batched: they are committed together at
 * store_index_cache_flush (the session calls it once its answer is
 * out), at close, and when IDX_CACHE_BATCH_BYTES wait (a read does not
 * see what waits: a miss costs a parse, a flush per read a commit), so a FETCH of thousands of messages is answered before their
 * commit, not after thousands.  Losing a batch (a crash) loses only
 * cache.  0, -1, STORE_INDEX_CORRUPT. */
int	store_index_cache_put(struct store_index *idx, const char *folder,
	    uint32_t uid, const void *a, size_t alen, const void *b,
	    size_t blen);

/* store_index_cache_flush: commit the waiting cache writes.  0 or -1
 * (logged; they are dropped either way). */
int	store_index_cache_flush(struct store_index *idx);

/* store_index_cache_get: uid's cache strings, each in a new NUL-ended
 * buffer (caller frees both).  0, 1 (none), -1, STORE_INDEX_CORRUPT. */
int	store_index_cache_get(struct store_index *idx, const char *folder,
	    uint32_t uid, char **a, size_t *alen, char **b, size_t *blen);

/* store_index_meta_get/put: a named counter of the whole index.  get:
 * 0 found, 1 absent (*v = 0), -1, STORE_INDEX_CORRUPT; put: 0 or -1. */
int	store_index_meta_get(struct store_index *idx, const char *name,
	    uint64_t *v);
int	store_index_meta_put(struct store_index *idx, const char *name,
	    uint64_t v);

/* store_index_trim: drop the index pages this process has mapped in. */
void	store_index_trim(struct store_index *idx);

#endif
