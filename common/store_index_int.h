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

/* A cache write waiting for the next batch (store_index_cache_put). */
struct idx_cached {
	char		 key[IDX_KEYMAX];
	size_t		 klen;
	unsigned char	*val;
	size_t		 vlen;
};

#define IDX_CACHE_BATCH		512		/* entries per commit */
#define IDX_CACHE_BATCH_BYTES	(4 << 20)	/* or octets */

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
	struct idx_cached *cq;		/* cache writes not committed yet */
	size_t		 ncq;
	size_t		 cqbytes;
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
