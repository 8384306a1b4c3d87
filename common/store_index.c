/*
 * store_index.c: the records of the per-user LMDB index of the mail store
 * (store_index.h; opening and checking the env is store_index_env.c).
 * Runs in the process that opened the store.  The index is only a cache:
 * records are checked for size and magic when read, and anything wrong is
 * reported as STORE_INDEX_CORRUPT for the caller to rebuild from the
 * message files.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_index.h"
#include "common/store_index_int.h"

#define IDX_BATCH	4096
#define IDX_MAGIC_FOLDER 0x70784632	/* "pxF2" */
#define IDX_MAGIC_MSG	0x70784d32	/* "pxM2" */
#define IDX_CACHE_MAX	(1U << 20)	/* both strings of one message */

/* Records as stored; read back with memcpy, LMDB gives no alignment. */
struct idx_folder_rec {
	uint32_t	magic;
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint32_t	count;
	uint64_t	bytes;
	uint64_t	highestmodseq;
	uint64_t	floor;
	int64_t		cur_mtime;
	int64_t		new_mtime;
	uint32_t	nvanished;
	uint32_t	pad;
};

struct idx_msg_rec {
	uint32_t	magic;
	uint32_t	flags;
	uint32_t	keywords;
	uint32_t	pad;
	uint64_t	size;
	int64_t		date;
	uint64_t	modseq;
	/* the file name follows, without NUL */
};

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
idx_key_uid(const MDB_val *k)
{
	const unsigned char *p = (const unsigned char *)k->mv_data +
	    k->mv_size - 4;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* idx_key_in: 1 when k is one of folder's keys (prefix plen bytes). */
static int
idx_key_in(const MDB_val *k, const char *prefix, size_t plen)
{
	return k->mv_size == plen + 4 && memcmp(k->mv_data, prefix, plen) == 0;
}

static int
idx_folder_decode(const MDB_val *v, struct store_index_folder *f)
{
	struct idx_folder_rec r;

	if (v->mv_size != sizeof(r))
		return -1;
	memcpy(&r, v->mv_data, sizeof(r));
	if (r.magic != IDX_MAGIC_FOLDER || r.uidvalidity == 0 ||
	    r.uidnext == 0)
		return -1;
	f->uidvalidity = r.uidvalidity;
	f->uidnext = r.uidnext;
	f->count = r.count;
	f->bytes = r.bytes;
	f->highestmodseq = r.highestmodseq;
	f->floor = r.floor;
	f->cur_mtime = r.cur_mtime;
	f->new_mtime = r.new_mtime;
	f->nvanished = r.nvanished;
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
	    memchr(name, '/', nlen) != NULL || name[0] == '.' ||
	    (r.keywords & ~STORE_KEYWORDS_ALL) != 0)
		return -1;
	m->uid = uid;
	m->flags = r.flags;
	m->keywords = r.keywords;
	m->size = r.size;
	m->internal_date = r.date;
	m->modseq = r.modseq;
	memcpy(m->name, name, nlen);
	m->name[nlen] = '\0';
	return 0;
}

int
store_index_folder_get(struct store_index *idx, const char *folder,
    struct store_index_folder *f)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("reading a folder's index record", rc);
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	rc = mdb_get(txn, idx->folders, &k, &v);
	if (rc == 0 && idx_folder_decode(&v, f) == -1)
		rc = MDB_CORRUPTED;
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0)
		return idx_fail("reading a folder's index record", rc);
	return 0;
}

static int
idx_folders_add(char **keys, struct store_index_folder **f, size_t *n,
    size_t *cap, const MDB_val *k, const MDB_val *v)
{
	void *p;
	size_t ncap;

	if (k->mv_size == 0 || k->mv_size >= STORE_KEY_MAX ||
	    memchr(k->mv_data, '\0', k->mv_size) != NULL)
		return MDB_CORRUPTED;
	if (*n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((p = reallocarray(*f, ncap, sizeof(**f))) == NULL)
			return ENOMEM;
		*f = p;
		if ((p = reallocarray(*keys, ncap, STORE_KEY_MAX)) == NULL)
			return ENOMEM;
		*keys = p;
		*cap = ncap;
	}
	if (idx_folder_decode(v, &(*f)[*n]) == -1)
		return MDB_CORRUPTED;
	memcpy(*keys + *n * STORE_KEY_MAX, k->mv_data, k->mv_size);
	(*keys)[*n * STORE_KEY_MAX + k->mv_size] = '\0';
	(*n)++;
	return 0;
}

int
store_index_folders(struct store_index *idx, char **keys,
    struct store_index_folder **f, size_t *n)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t cap = 0;
	int rc;

	*keys = NULL;
	*f = NULL;
	*n = 0;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("listing the folders' index records", rc);
	if ((rc = mdb_cursor_open(txn, idx->folders, &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
			if ((rc = idx_folders_add(keys, f, n, &cap, &k, &v)) !=
			    0)
				break;
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	free(*keys);
	free(*f);
	*keys = NULL;
	*f = NULL;
	*n = 0;
	return idx_fail("listing the folders' index records", rc);
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
		return idx_fail("reading a message's index record", rc);
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, uid);
	rc = mdb_get(txn, idx->msgs, &k, &v);
	if (rc == 0 && idx_msg_decode(&v, uid, m) == -1)
		rc = MDB_CORRUPTED;
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0)
		return idx_fail("reading a message's index record", rc);
	return 0;
}

/* idx_presize: room for the count folder's record says it has (a
 * listing then needs no regrowing: a big folder's listing is tens of
 * megabytes, and each doubling touches fresh pages). */
static void *
idx_presize(struct store_index *idx, MDB_txn *txn, const char *folder,
    size_t size, size_t *cap)
{
	struct store_index_folder f;
	MDB_val k, v;
	void *p;

	*cap = 0;
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	if (mdb_get(txn, idx->folders, &k, &v) != 0 ||
	    idx_folder_decode(&v, &f) == -1 || f.count == 0 ||
	    f.count > 4000000 ||
	    (p = reallocarray(NULL, (size_t)f.count + 1, size)) == NULL)
		return NULL;
	*cap = (size_t)f.count + 1;
	return p;
}

/* idx_msg_put: decode one record into the store_msg at p. */
static int
idx_msg_put(void *p, const MDB_val *k, const MDB_val *v)
{
	return idx_msg_decode(v, idx_key_uid(k), p) == -1 ? MDB_CORRUPTED : 0;
}

/* idx_info_put: the same without the name, into the store_msginfo at p
 * (the name is checked all the same). */
static int
idx_info_put(void *out, const MDB_val *k, const MDB_val *val)
{
	struct store_msginfo *p = out;
	struct idx_msg_rec r;
	const char *name;
	size_t nlen;

	if (val->mv_size <= sizeof(r) ||
	    val->mv_size - sizeof(r) >= STORE_NAME_MAX)
		return MDB_CORRUPTED;
	memcpy(&r, val->mv_data, sizeof(r));
	name = (const char *)val->mv_data + sizeof(r);
	nlen = val->mv_size - sizeof(r);
	p->uid = idx_key_uid(k);
	/* The name is not copied, so only looked at as far as it must be:
	 * it is checked whole where it is used (idx_msg_decode). */
	if (r.magic != IDX_MAGIC_MSG || (r.keywords & ~STORE_KEYWORDS_ALL) ||
	    nlen == 0 || name[0] == '.' || name[nlen - 1] == '\0' ||
	    p->uid == 0)
		return MDB_CORRUPTED;
	p->flags = r.flags;
	p->keywords = r.keywords;
	p->pad = 0;
	p->size = r.size;
	p->internal_date = r.date;
	p->modseq = r.modseq;
	return 0;
}

/* idx_scan: every message record of folder, each decoded by put into
 * the next of a growing array of elements of size octets. */
static int
idx_scan(struct store_index *idx, MDB_txn *txn, const char *folder,
    size_t size, int (*put)(void *, const MDB_val *, const MDB_val *),
    void **arr, size_t *n)
{
	char key[IDX_KEYMAX];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t cap = 0, ncap, plen = strlen(folder) + 1;
	void *grown;
	int rc;

	if ((rc = mdb_cursor_open(txn, idx->msgs, &cur)) != 0)
		return rc;
	*arr = idx_presize(idx, txn, folder, size, &cap);
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, 0);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && idx_key_in(&k, key, plen)) {
		if (*n == cap) {
			ncap = cap == 0 ? 64 : cap * 2;
			if ((grown = reallocarray(*arr, ncap, size)) == NULL) {
				rc = ENOMEM;
				break;
			}
			*arr = grown;
			cap = ncap;
		}
		if ((rc = put((char *)*arr + *n * size, &k, &v)) != 0)
			break;
		(*n)++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* idx_list: idx_scan in a read transaction, with the caller's errors. */
static int
idx_list(struct store_index *idx, const char *folder, size_t size,
    int (*put)(void *, const MDB_val *, const MDB_val *), void **arr,
    size_t *n)
{
	MDB_txn *txn;
	int rc;

	*arr = NULL;
	*n = 0;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("listing a folder's messages", rc);
	rc = idx_scan(idx, txn, folder, size, put, arr, n);
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(*arr);
		*arr = NULL;
		*n = 0;
		return idx_fail("listing a folder's messages", rc);
	}
	return 0;
}

int
store_index_infos_get(struct store_index *idx, const char *folder,
    struct store_msginfo **v, size_t *n)
{
	void *arr;
	int rc;

	rc = idx_list(idx, folder, sizeof(**v), idx_info_put, &arr, n);
	*v = arr;
	return rc;
}

int
store_index_msgs_get(struct store_index *idx, const char *folder,
    struct store_msg **msgs, size_t *n)
{
	void *arr;
	int rc;

	rc = idx_list(idx, folder, sizeof(**msgs), idx_msg_put, &arr, n);
	*msgs = arr;
	return rc;
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
	r.keywords = m->keywords & STORE_KEYWORDS_ALL;
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
    const struct store_index_folder *f)
{
	struct idx_folder_rec r;
	MDB_val k, v;

	memset(&r, 0, sizeof(r));
	r.magic = IDX_MAGIC_FOLDER;
	r.uidvalidity = f->uidvalidity;
	r.uidnext = f->uidnext;
	r.count = f->count;
	r.bytes = f->bytes;
	r.highestmodseq = f->highestmodseq;
	r.floor = f->floor;
	r.cur_mtime = f->cur_mtime;
	r.new_mtime = f->new_mtime;
	r.nvanished = f->nvanished;
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	v.mv_data = &r;
	v.mv_size = sizeof(r);
	return mdb_put(txn, idx->folders, &k, &v, 0);
}

/* idx_del_msg: one message, its cache entry, and its expunge record. */
static int
idx_del_msg(struct store_index *idx, MDB_txn *txn, const char *folder,
    uint32_t uid, uint64_t delmodseq)
{
	char key[IDX_KEYMAX];
	unsigned char mod[8];
	MDB_val k, v;
	int rc, i;

	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, uid);
	if ((rc = mdb_del(txn, idx->msgs, &k, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_del(txn, idx->cache, &k, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return rc;
	if (delmodseq == 0)
		return 0;
	for (i = 0; i < 8; i++)
		mod[i] = (unsigned char)(delmodseq >> (56 - 8 * i));
	v.mv_data = mod;
	v.mv_size = sizeof(mod);
	return mdb_put(txn, idx->vanished, &k, &v, 0);
}

struct idx_update {
	const char			*folder;
	struct store_index_folder	*f;
	const uint32_t			*del;
	size_t				 ndel, di;
	uint64_t			 delmodseq;
	const struct store_msg		*put;
	size_t				 nput, pi;
};

/* idx_vanished_clear: empty folder's expunge log, in the transaction
 * that raises its floor (so no answer is ever exact on a shortened
 * log). */
static int
idx_vanished_clear(struct store_index *idx, MDB_txn *txn,
    const char *folder)
{
	char key[IDX_KEYMAX];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t plen = strlen(folder) + 1;
	int rc;

	if ((rc = mdb_cursor_open(txn, idx->vanished, &cur)) != 0)
		return rc;
	(void)idx_msg_key(key, folder, 0);
	for (;;) {
		k.mv_data = key;
		k.mv_size = plen + 4;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || !idx_key_in(&k, key, plen))
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* idx_update_batch: one transaction of at most IDX_BATCH changes,
 * starting at u->di and u->pi, which advance only when it commits. */
static int
idx_update_batch(struct store_index *idx, struct idx_update *u)
{
	MDB_txn *txn;
	size_t d = u->di, p = u->pi, ops = 0;
	int rc;

	if ((rc = idx_begin(idx, 1, &txn)) != 0)
		return rc;
	for (; rc == 0 && d < u->ndel && ops < IDX_BATCH; d++, ops++)
		rc = idx_del_msg(idx, txn, u->folder, u->del[d],
		    u->delmodseq);
	for (; rc == 0 && p < u->nput && ops < IDX_BATCH; p++, ops++)
		rc = idx_put_msg(idx, txn, u->folder, &u->put[p]);
	if (rc == 0 && d == u->ndel && p == u->nput && u->f != NULL) {
		if (u->f->nvanished > STORE_VANISHED_MAX &&
		    (rc = idx_vanished_clear(idx, txn, u->folder)) == 0) {
			u->f->nvanished = 0;
			u->f->floor = u->f->highestmodseq;
		}
		if (rc == 0)
			rc = idx_put_folder(idx, txn, u->folder, u->f);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	u->di = d;
	u->pi = p;
	return 0;
}

int
store_index_update(struct store_index *idx, const char *folder,
    struct store_index_folder *f, const uint32_t *del, size_t ndel,
    uint64_t delmodseq, const struct store_msg *put, size_t nput)
{
	struct idx_update u = { folder, f, del, ndel, 0, delmodseq, put,
	    nput, 0 };
	int rc;

	if (strlen(folder) >= STORE_KEY_MAX)
		return idx_fail("updating the mail index", EINVAL);
	if (f != NULL && delmodseq != 0)
		f->nvanished = ndel > UINT32_MAX - f->nvanished ? UINT32_MAX :
		    f->nvanished + (uint32_t)ndel;
	for (;;) {
		rc = idx_update_batch(idx, &u);
		if (rc == MDB_MAP_FULL && (rc = idx_grow(idx)) == 0)
			continue;
		if (rc != 0)
			return idx_fail("updating the mail index", rc);
		if (u.di == ndel && u.pi == nput)
			return 0;
	}
}

/* idx_drop_batch: delete up to IDX_BATCH of folder's keys in dbi; *more
 * tells whether any are left. */
static int
idx_drop_batch(struct store_index *idx, MDB_dbi dbi, const char *folder,
    int *more)
{
	char key[IDX_KEYMAX];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t ops = 0, plen = strlen(folder) + 1;
	int rc;

	*more = 0;
	if ((rc = idx_begin(idx, 1, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	(void)idx_msg_key(key, folder, 0);
	for (;;) {
		k.mv_data = key;
		k.mv_size = plen + 4;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || !idx_key_in(&k, key, plen))
			break;
		if (ops++ == IDX_BATCH) {
			*more = 1;
			break;
		}
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

int
store_index_folder_drop(struct store_index *idx, const char *folder)
{
	MDB_dbi dbis[3] = { idx->msgs, idx->vanished, idx->cache };
	MDB_txn *txn;
	MDB_val k;
	size_t i;
	int rc, more;

	for (i = 0; i < 3; i++)
		do {
			if ((rc = idx_drop_batch(idx, dbis[i], folder,
			    &more)) != 0)
				return idx_fail("dropping a folder from the "
				    "mail index", rc);
		} while (more);
	if ((rc = idx_begin(idx, 1, &txn)) != 0)
		return idx_fail("dropping a folder from the mail index", rc);
	k.mv_data = (void *)folder;
	k.mv_size = strlen(folder);
	if ((rc = mdb_del(txn, idx->folders, &k, NULL)) != 0 &&
	    rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return idx_fail("dropping a folder from the mail index", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return idx_fail("dropping a folder from the mail index", rc);
	return 0;
}

static int
idx_vanished_scan(struct store_index *idx, MDB_txn *txn, const char *folder,
    uint64_t since, uint32_t **uids, size_t *n)
{
	char key[IDX_KEYMAX];
	const unsigned char *p;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t mod;
	uint32_t *np;
	size_t cap = 0, plen = strlen(folder) + 1;
	int rc, i;

	if ((rc = mdb_cursor_open(txn, idx->vanished, &cur)) != 0)
		return rc;
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, 0);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (; rc == 0 && idx_key_in(&k, key, plen);
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		for (i = 0, mod = 0, p = v.mv_data; i < 8; i++)
			mod = mod << 8 | p[i];
		if (mod <= since)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((np = reallocarray(*uids, cap, sizeof(*np))) ==
			    NULL) {
				rc = ENOMEM;
				break;
			}
			*uids = np;
		}
		(*uids)[(*n)++] = idx_key_uid(&k);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_index_vanished(struct store_index *idx, const char *folder,
    uint64_t since, uint32_t **uids, size_t *n)
{
	MDB_txn *txn;
	int rc;

	*uids = NULL;
	*n = 0;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("reading the expunge log", rc);
	rc = idx_vanished_scan(idx, txn, folder, since, uids, n);
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(*uids);
		*uids = NULL;
		*n = 0;
		return idx_fail("reading the expunge log", rc);
	}
	return 0;
}

/* idx_cache_next: the entry of the queue at *off into k and v; advances
 * *off. */
static void
idx_cache_next(const struct store_index *idx, size_t *off, MDB_val *k,
    MDB_val *v)
{
	uint16_t kl;
	uint32_t vl;

	memcpy(&kl, idx->cq + *off, 2);
	k->mv_data = idx->cq + *off + 2;
	k->mv_size = kl;
	memcpy(&vl, idx->cq + *off + 2 + kl, 4);
	v->mv_data = idx->cq + *off + 6 + kl;
	v->mv_size = vl;
	*off += 6 + (size_t)kl + vl;
}

/* idx_cache_commit: the queued cache writes in one transaction, each
 * only for a message still indexed (one expunged meanwhile is skipped).
 * The queue is empty afterwards, whatever happened: it is a cache. */
static int
idx_cache_commit(struct store_index *idx)
{
	MDB_txn *txn;
	MDB_val k, v, m;
	size_t off;
	int rc;

	for (;;) {
		if ((rc = idx_begin(idx, 1, &txn)) != 0)
			break;
		for (off = 0; off < idx->cqlen && rc == 0;) {
			idx_cache_next(idx, &off, &k, &v);
			rc = mdb_get(txn, idx->msgs, &k, &m);
			if (rc == MDB_NOTFOUND) {
				rc = 0;
				continue;
			}
			if (rc == 0)
				rc = mdb_put(txn, idx->cache, &k, &v, 0);
		}
		if (rc != 0)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		if (rc != MDB_MAP_FULL || idx_grow(idx) != 0)
			break;
	}
	idx->cqlen = 0;
	return rc == 0 ? 0 : idx_fail("caching messages' structure", rc);
}

int
store_index_cache_flush(struct store_index *idx)
{
	return idx->cqlen == 0 ? 0 : idx_cache_commit(idx);
}

/* idx_cache_room: room for need more octets in the queue. */
static int
idx_cache_room(struct store_index *idx, size_t need)
{
	unsigned char *grown;
	size_t size = idx->cqsize ? idx->cqsize : 65536;

	while (size - idx->cqlen < need)
		size *= 2;
	if (size == idx->cqsize)
		return 0;
	if ((grown = realloc(idx->cq, size)) == NULL)
		return -1;
	idx->cq = grown;
	idx->cqsize = size;
	return 0;
}

int
store_index_cache_put(struct store_index *idx, const char *folder,
    uint32_t uid, const void *a, size_t alen, const void *b, size_t blen)
{
	char key[IDX_KEYMAX];
	uint32_t la = (uint32_t)alen, lb = (uint32_t)blen, vl;
	uint16_t kl;
	unsigned char *p;

	if (alen > IDX_CACHE_MAX || blen > IDX_CACHE_MAX - alen)
		return idx_fail("caching a message's structure", EINVAL);
	kl = (uint16_t)idx_msg_key(key, folder, uid);
	vl = 8 + la + lb;
	if (idx->cqlen + 6 + kl + vl > IDX_CACHE_BATCH_BYTES &&
	    idx_cache_commit(idx) != 0)
		return -1;
	if (idx_cache_room(idx, 6 + (size_t)kl + vl) == -1)
		return idx_fail("caching a message's structure", ENOMEM);
	p = idx->cq + idx->cqlen;
	memcpy(p, &kl, 2);
	memcpy(p + 2, key, kl);
	memcpy(p + 2 + kl, &vl, 4);
	p += 6 + kl;
	memcpy(p, &la, 4);
	memcpy(p + 4, &lb, 4);
	memcpy(p + 8, a, alen);
	memcpy(p + 8 + alen, b, blen);
	idx->cqlen += 6 + (size_t)kl + vl;
	return 0;
}

static char *
idx_strdup(const unsigned char *p, size_t len)
{
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

int
store_index_cache_get(struct store_index *idx, const char *folder,
    uint32_t uid, char **a, size_t *alen, char **b, size_t *blen)
{
	char key[IDX_KEYMAX];
	const unsigned char *p;
	uint32_t la, lb;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*a = *b = NULL;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("reading a message's cached structure", rc);
	k.mv_data = key;
	k.mv_size = idx_msg_key(key, folder, uid);
	if ((rc = mdb_get(txn, idx->cache, &k, &v)) == 0) {
		p = v.mv_data;
		if (v.mv_size < 8)
			rc = MDB_CORRUPTED;
		else {
			memcpy(&la, p, 4);
			memcpy(&lb, p + 4, 4);
			if ((uint64_t)la + lb != v.mv_size - 8)
				rc = MDB_CORRUPTED;
			else if ((*a = idx_strdup(p + 8, la)) == NULL ||
			    (*b = idx_strdup(p + 8 + la, lb)) == NULL)
				rc = ENOMEM;
			*alen = la;
			*blen = lb;
		}
	}
	mdb_txn_abort(txn);
	if (rc == 0)
		return 0;
	free(*a);
	free(*b);
	*a = *b = NULL;
	if (rc == MDB_NOTFOUND)
		return 1;
	return idx_fail("reading a message's cached structure", rc);
}

int
store_index_meta_get(struct store_index *idx, const char *name,
    uint64_t *val)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*val = 0;
	if ((rc = idx_begin(idx, 0, &txn)) != 0)
		return idx_fail("reading the mail index", rc);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_get(txn, idx->meta, &k, &v)) == 0) {
		if (v.mv_size != sizeof(*val))
			rc = MDB_CORRUPTED;
		else
			memcpy(val, v.mv_data, sizeof(*val));
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc == 0 ? 0 : idx_fail("reading the mail index", rc);
}

int
store_index_meta_put(struct store_index *idx, const char *name,
    uint64_t val)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = idx_begin(idx, 1, &txn)) != 0)
		return idx_fail("updating the mail index", rc);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	v.mv_data = &val;
	v.mv_size = sizeof(val);
	if ((rc = mdb_put(txn, idx->meta, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return idx_fail("updating the mail index", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return idx_fail("updating the mail index", rc);
	return 0;
}
