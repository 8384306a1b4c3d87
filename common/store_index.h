/*
 * store_index.h: the per-user LMDB index of the mail store (internal to
 * store*.c).  Runs in the imapd/pop3d mail process; one env per user in
 * <maildir>/index.lmdb/, with two named DBs: "folders" (folder name ->
 * uidvalidity, uidnext, highestmodseq) and "msgs" (folder NUL uid as 4
 * big-endian bytes -> flags, W= size, internal date, modseq, file name).
 * The index is a cache of the Maildir: every record read back is checked
 * for size and magic, and a bad one is reported as STORE_INDEX_CORRUPT so
 * the caller can rebuild.  Full sync (no MDB_NOSYNC); write transactions
 * are short and never wait for anything but the disk.
 */
#ifndef POSTERN_STORE_INDEX_H
#define POSTERN_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

#define STORE_INDEX_CORRUPT	(-2)

struct store_index;

/*
 * store_index_open: open (creating) the index in dirfd's index.lmdb/ (path
 * is the same directory as a path, for mdb_env_open).  An index that can't
 * be opened, or where index.lmdb, data.mdb or lock.mdb is not what it
 * should be (a symlink, say), is renamed index.lmdb.corrupt-<time> and a
 * new one is made.  Returns 0 and *ip, or -1 (logged).  dirfd stays the
 * caller's and MUST outlive the index.
 */
int	store_index_open(struct store_index **ip, int dirfd, const char *path);
void	store_index_close(struct store_index *idx);

/* store_index_reset: move the index aside as above and open a new, empty
 * one.  0 or -1 (logged; idx is then unusable but may be closed). */
int	store_index_reset(struct store_index *idx);

/* store_index_refresh: reopen the env when another process replaced or
 * removed index.lmdb/data.mdb since it was opened.  0 or -1 (logged). */
int	store_index_refresh(struct store_index *idx);

/* store_index_folder_get: folder's record into *f (exists is left 0).
 * 0 found, 1 absent, -1 error, STORE_INDEX_CORRUPT.  All logged. */
int	store_index_folder_get(struct store_index *idx, const char *folder,
	    struct store_folder *f);

/* store_index_msgs_get: all of folder's messages, ascending by UID, in a
 * new array (caller frees; NULL when *n is 0).  0, -1 or
 * STORE_INDEX_CORRUPT (logged). */
int	store_index_msgs_get(struct store_index *idx, const char *folder,
	    struct store_msg **msgs, size_t *n);

/* store_index_msg_get: one message.  0 found, 1 absent, -1,
 * STORE_INDEX_CORRUPT. */
int	store_index_msg_get(struct store_index *idx, const char *folder,
	    uint32_t uid, struct store_msg *m);

/*
 * store_index_update: delete the ndel UIDs in del, then put the nput
 * messages, then (f not NULL) write folder's record: in one transaction
 * when small, in batches of a few thousand otherwise (the folder record
 * goes last, so an interrupted update is redone by the next sync).  Grows
 * the map on MDB_MAP_FULL.  0, -1 or STORE_INDEX_CORRUPT (logged).
 */
int	store_index_update(struct store_index *idx, const char *folder,
	    const struct store_folder *f, const uint32_t *del, size_t ndel,
	    const struct store_msg *put, size_t nput);

/* store_index_trim: drop the index pages this process has mapped in. */
void	store_index_trim(struct store_index *idx);

#endif
