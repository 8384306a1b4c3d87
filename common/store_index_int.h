/*
 * store_index_int.h: what the two halves of the mail index share
 * (internal to store_index.c and store_index_env.c): the handle, and the
 * helpers that begin a transaction and classify LMDB's errors.  Runs in
 * the process that opened the store.
 */
#ifndef POSTERN_STORE_INDEX_INT_H
#define POSTERN_STORE_INDEX_INT_H

#include <sys/types.h>

#include <limits.h>
#include <lmdb.h>

#include "common/store_index.h"

#define IDX_KEYMAX	(STORE_KEY_MAX + 4)	/* folder NUL uid */

/* Cache writes waiting for their commit (store_index_cache_put), packed
 * one after the other in one buffer: key length (2 octets), key, value
 * length (4 octets), value.  A batch is committed when it reaches
 * IDX_CACHE_BATCH_BYTES, or when the session has answered. */
#define IDX_CACHE_BATCH_BYTES	(32 << 20)

struct store_index {
	MDB_env		*env;
	MDB_dbi		 folders;
	MDB_dbi		 msgs;
	MDB_dbi		 vanished;
	MDB_dbi		 cache;
	MDB_dbi		 meta;
	size_t		 mapsize;
	int		 dirfd;
	int		 markfd;	/* our postern-open.* marker, locked */
	char		 mark[64];
	dev_t		 dev;
	ino_t		 ino;
	char		 path[PATH_MAX];
	unsigned char	*cq;		/* cache writes not committed yet */
	size_t		 cqlen;
	size_t		 cqsize;
};

/* idx_begin: a transaction, following a map another process grew. */
int	idx_begin(struct store_index *idx, int write, MDB_txn **txn);

/* idx_fail: log what failed; STORE_INDEX_CORRUPT when rc says the index
 * is damaged, else -1. */
int	idx_fail(const char *what, int rc);
int	idx_is_corrupt(int rc);

/* idx_grow: double the map on MDB_MAP_FULL, up to a bound. */
int	idx_grow(struct store_index *idx);

#endif
