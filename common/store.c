/*
 * store.c: the mail store's public API (store.h): open, sync, list, open a
 * message, expunge, set flags, create a folder.  Runs in the imapd/pop3d
 * mail process, chrooted to the user's Maildir as the user's uid, so every
 * path is relative to the Maildir's descriptor.  The message files and
 * each folder's postern-uids are the truth; the LMDB index is a cache,
 * rebuilt from them when it is missing or corrupt.  Everything that gives
 * out UIDs or renames files in a folder runs under the folder's lock, so
 * an imapd and a pop3d session of one user never hand out a UID twice.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_index.h"
#include "common/store_maildir.h"
#include "common/util.h"

#define STORE_ALLFLAGS	(STORE_SEEN | STORE_ANSWERED | STORE_FLAGGED | \
			 STORE_DELETED | STORE_DRAFT)

struct store {
	int			 dirfd;
	struct store_index	*idx;
};

/* One run of store_sync on one folder. */
struct store_sync {
	struct store		*s;
	const char		*folder;	/* the index key */
	int			 ffd, curfd, newfd, lockfd;
	struct maildir_list	 list;
	struct maildir_uids	 uids;
	int			 uids_dirty;
	int			 recovering;	/* postern-uids was lost */
	struct store_folder	 ifo;		/* the index's record */
	int			 ifo_found;
	int			 im_valid;	/* im is of this UIDVALIDITY */
	struct store_msg	*im;
	size_t			 nim;
};

/* store_folder_key: the index key of folder: "INBOX" in any case, else
 * the name itself, which becomes the Maildir++ directory ".<name>". */
static int
store_folder_key(const char *folder, char *key, size_t keylen)
{
	size_t i, len = strlen(folder);

	if (strcasecmp(folder, "INBOX") == 0)
		return str_copy(key, "INBOX", keylen);
	if (len == 0 || len >= STORE_FOLDER_MAX - 1 || folder[0] == '.' ||
	    folder[0] == ' ' || folder[len - 1] == '.' ||
	    strstr(folder, "..") != NULL)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)folder[i] < 0x20 ||
		    (unsigned char)folder[i] >= 0x7f || folder[i] == '/')
			return -1;
	return str_copy(key, folder, keylen);
}

static int
store_folder_fd(struct store *s, const char *key)
{
	char dir[STORE_FOLDER_MAX + 1];
	int n;

	if (strcmp(key, "INBOX") == 0)
		return maildir_subdir_open(s->dirfd, ".");
	n = snprintf(dir, sizeof(dir), ".%s", key);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return maildir_subdir_open(s->dirfd, dir);
}

static int
store_key(const char *fn, const char *folder, char *key, size_t keylen)
{
	if (store_folder_key(folder, key, keylen) == 0)
		return 0;
	log_warnx("%s: bad folder name", fn);
	errno = EINVAL;
	return -1;
}

int
store_open(struct store **sp, const char *maildir, char *err, size_t errlen)
{
	struct store *s;
	const char *what = "open";

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "store_open: %s", strerror(errno));
		return -1;
	}
	s->dirfd = -1;
	if (mkdir(maildir, 0700) == -1 && errno != EEXIST)
		goto fail;
	s->dirfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (s->dirfd == -1)
		goto fail;
	what = "cur/ new/ tmp/";
	if (maildir_mkdirs(s->dirfd) == -1)
		goto fail;
	if (store_index_open(&s->idx, s->dirfd, maildir) == -1) {
		(void)snprintf(err, errlen, "store_open: cannot open index");
		(void)close(s->dirfd);
		free(s);
		return -1;
	}
	*sp = s;
	return 0;
fail:
	(void)snprintf(err, errlen, "store_open: %s: %s", what,
	    strerror(errno));
	if (s->dirfd != -1)
		(void)close(s->dirfd);
	free(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_index_close(s->idx);
	(void)close(s->dirfd);
	free(s);
}

static int
store_ent_cmp_uid(const void *a, const void *b, void *arg)
{
	const struct maildir_ent *x = a, *y = b;

	if (x->dead != y->dead)
		return x->dead - y->dead;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->known != y->known)
		return y->known - x->known;
	return strcmp(maildir_list_name(arg, x), maildir_list_name(arg, y));
}

/* store_ent_cmp_arrival: cur/ by mtime then name, then new/ by name. */
static int
store_ent_cmp_arrival(const void *a, const void *b, void *arg)
{
	const struct maildir_ent *x = *(struct maildir_ent *const *)a;
	const struct maildir_ent *y = *(struct maildir_ent *const *)b;

	if (x->in_new != y->in_new)
		return x->in_new - y->in_new;
	if (!x->in_new && x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return maildir_name_cmp(maildir_list_name(arg, x),
	    maildir_list_name(arg, y));
}

/* store_sync_sort: the list by UID, the one whose name the index has
 * first among equals, the dead ones last. */
static void
store_sync_sort(struct store_sync *sy)
{
	if (sy->list.n > 0)
		qsort_r(sy->list.ent, sy->list.n, sizeof(*sy->list.ent),
		    store_ent_cmp_uid, &sy->list);
}

static struct store_msg *
store_sync_lookup(struct store_sync *sy, uint32_t uid)
{
	size_t lo = 0, hi = sy->im_valid ? sy->nim : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sy->im[mid].uid == uid)
			return &sy->im[mid];
		if (sy->im[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* store_sync_uidstate: settle UIDVALIDITY and UIDNEXT from postern-uids
 * (found or not) and the index's folder record. */
static void
store_sync_uidstate(struct store_sync *sy, int found)
{
	time_t t;

	sy->im_valid = sy->ifo_found;
	if (!found) {
		sy->recovering = sy->uids_dirty = 1;
		if (sy->ifo_found) {
			sy->uids.uidvalidity = sy->ifo.uidvalidity;
			sy->uids.uidnext = sy->ifo.uidnext;
			log_warnx("folder %s: postern-uids rebuilt from "
			    "the index", sy->folder);
			return;
		}
		t = time(NULL);
		sy->uids.uidvalidity = t > 0 && t <= UINT32_MAX ?
		    (uint32_t)t : 1;
		sy->uids.uidnext = 1;
		return;
	}
	if (!sy->ifo_found)
		return;
	if (sy->ifo.uidvalidity != sy->uids.uidvalidity) {
		log_warnx("folder %s: UIDVALIDITY differs from the "
		    "index; reindexing", sy->folder);
		sy->im_valid = 0;
	} else if (sy->ifo.uidnext > sy->uids.uidnext) {
		sy->uids.uidnext = sy->ifo.uidnext;
		sy->uids_dirty = 1;
	}
}

static int
store_sync_load(struct store_sync *sy)
{
	struct store_index *idx = sy->s->idx;
	int found, rc;

	if ((rc = maildir_uids_read(sy->ffd, &sy->uids)) == -1)
		return -1;
	found = rc == 0;
	if ((rc = store_index_folder_get(idx, sy->folder, &sy->ifo)) < 0)
		return rc;
	sy->ifo_found = rc == 0;
	if (sy->ifo_found && (rc = store_index_msgs_get(idx, sy->folder,
	    &sy->im, &sy->nim)) != 0)
		return rc;
	store_sync_uidstate(sy, found);
	return 0;
}

/* store_sync_match: check the U= of cur/ files against UIDNEXT, the index
 * and each other; a UID that can't be trusted is dropped (reassigned). */
static void
store_sync_match(struct store_sync *sy)
{
	struct maildir_ent *e;
	struct store_msg *m;
	uint32_t max = 0, prev = 0;
	size_t i;

	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid == 0)
			continue;
		if (!sy->recovering && e->uid >= sy->uids.uidnext) {
			e->uid = 0;
			continue;
		}
		if ((m = store_sync_lookup(sy, e->uid)) == NULL)
			continue;
		e->known = strcmp(m->name, maildir_list_name(&sy->list, e)) ==
		    0 ? 2 : 1;
		e->mtime = m->internal_date;
		e->wsize = m->size;
		e->modseq = m->modseq;
	}
	store_sync_sort(sy);
	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid != 0 && e->uid == prev)
			e->uid = e->known = 0;
		else if (e->uid != 0 && e->known == 0 &&
		    maildir_ent_stat(sy->curfd,
		    maildir_list_name(&sy->list, e), e) == -1)
			e->dead = 1;
		if (e->uid != 0)
			prev = e->uid;
		if (e->uid > max)
			max = e->uid;
	}
	if (sy->recovering && max >= sy->uids.uidnext)
		sy->uids.uidnext = max + 1;
}

/* store_sync_fits: 1 when name can still take S=, W=, U= and every flag
 * within STORE_NAME_MAX. */
static int
store_sync_fits(const char *name, const struct maildir_ent *e)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];

	if (maildir_name_parse(name, &mn) == -1)
		return 0;
	mn.uid = MAILDIR_UID_MAX;
	mn.size = e->size;
	mn.wsize = e->wsize;
	mn.has_size = mn.has_wsize = mn.has_info = 1;
	mn.flags = STORE_ALLFLAGS;
	return maildir_name_build(&mn, buf, sizeof(buf)) == 0;
}

/* store_sync_usable: stat a file that needs a UID; it must be a regular
 * file, and a name too long to take S=, W= and U= is renamed. */
static int
store_sync_usable(struct store_sync *sy, struct maildir_ent *e)
{
	const char *name = maildir_list_name(&sy->list, e);
	const char *sub = e->in_new ? "new" : "cur";
	int dfd = e->in_new ? sy->newfd : sy->curfd;
	char buf[STORE_NAME_MAX], vis[512];

	if (maildir_ent_stat(dfd, name, e) == -1) {
		/* Mail the user cannot see must not vanish without a word:
		 * a delivery agent that left a file unreadable, say. */
		maildir_name_vis(name, vis, sizeof(vis));
		if (errno == EINVAL)
			log_warnx("folder %s: %s/%s: not a regular "
			    "file; left alone", sy->folder, sub, vis);
		else if (errno != ENOENT)
			log_warn("folder %s: %s/%s: left out",
			    sy->folder, sub, vis);
		return 0;
	}
	if (store_sync_fits(name, e))
		return 1;
	maildir_name_vis(name, vis, sizeof(vis));
	if (maildir_salvage(dfd, name, buf, sizeof(buf)) == -1) {
		if (errno != ENOENT)
			log_warn("folder %s: %s/%s: name too long to "
			    "take a UID, and renaming it failed", sy->folder,
			    sub, vis);
		return 0;
	}
	log_warnx("folder %s: %s/%s: name too long to take a UID; "
	    "renamed to %s/%s", sy->folder, sub, vis, sub, buf);
	if (maildir_list_rename(&sy->list, e, buf) == -1)
		fatal("folder %s: cannot rename a file to take a UID",
		    sy->folder);
	return 1;
}

/* store_sync_assign: give UIDs, in arrival order, to the files without a
 * trusted one.  Fills *vp (caller frees) with them. */
static int
store_sync_assign(struct store_sync *sy, struct maildir_ent ***vp,
    size_t *np)
{
	struct maildir_ent **v, *e;
	size_t i, n = 0;

	if ((v = calloc(sy->list.n + 1, sizeof(*v))) == NULL) {
		log_warn("out of memory assigning UIDs");
		return -1;
	}
	for (i = 0; i < sy->list.n; i++) {
		e = &sy->list.ent[i];
		if (e->uid != 0 || e->dead)
			continue;
		if (!store_sync_usable(sy, e))
			e->dead = 1;
		else
			v[n++] = e;
	}
	qsort_r(v, n, sizeof(*v), store_ent_cmp_arrival, &sy->list);
	if ((uint64_t)sy->uids.uidnext + n > (uint64_t)MAILDIR_UID_MAX + 1) {
		log_warnx("folder %s: out of UIDs", sy->folder);
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i]->uid = sy->uids.uidnext++;
	if (n > 0)
		sy->uids_dirty = 1;
	*vp = v;
	*np = n;
	return 0;
}

/* store_sync_move_one: rename e into cur/ with its U=, S=, W= and ":2,". */
static int
store_sync_move_one(struct store_sync *sy, struct maildir_ent *e)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];
	const char *name = maildir_list_name(&sy->list, e);

	if (maildir_name_parse(name, &mn) == -1)
		return -1;
	mn.uid = e->uid;
	mn.size = e->size;
	mn.wsize = e->wsize;
	mn.has_size = mn.has_wsize = mn.has_info = 1;
	if (maildir_name_build(&mn, buf, sizeof(buf)) == -1)
		return -1;
	if (renameat2(e->in_new ? sy->newfd : sy->curfd, name, sy->curfd,
	    buf, RENAME_NOREPLACE) == -1) {
		if (errno != ENOENT)
			log_warn("folder %s: cannot rename a message file",
			    sy->folder);
		return -1;
	}
	e->flags = mn.flags;
	if (maildir_list_rename(&sy->list, e, buf) == -1)
		fatal("cannot rename a message file");
	return 0;
}

/* store_sync_move: persist UIDNEXT, then rename; a file that vanished in
 * between only wastes its UID. */
static int
store_sync_move(struct store_sync *sy, struct maildir_ent **v, size_t n)
{
	size_t i, moved = 0, fromnew = 0;

	if (sy->uids_dirty && maildir_uids_write(sy->ffd, &sy->uids) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (store_sync_move_one(sy, v[i]) == -1) {
			v[i]->dead = 1;
			continue;
		}
		moved++;
		if (v[i]->in_new)
			fromnew++;
		v[i]->in_new = 0;
	}
	if ((moved > 0 && fsync(sy->curfd) == -1) ||
	    (fromnew > 0 && fsync(sy->newfd) == -1)) {
		log_warn("folder %s: cannot fsync", sy->folder);
		return -1;
	}
	return 0;
}

static void
store_sync_msg(struct store_sync *sy, const struct maildir_ent *e,
    uint64_t modseq, struct store_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = e->uid;
	m->flags = e->flags;
	m->size = e->wsize;
	m->internal_date = e->mtime;
	m->modseq = modseq;
	(void)str_copy(m->name, maildir_list_name(&sy->list, e),
	    sizeof(m->name));
}

/* store_sync_diff: what the index must drop and put to match the list
 * (sorted by UID, dead entries last). */
static void
store_sync_diff(struct store_sync *sy, uint64_t mod, uint32_t *del,
    size_t *ndel, struct store_msg *put, size_t *nput)
{
	const struct maildir_ent *e;
	const struct store_msg *m;
	size_t i = 0, j = 0, jn = sy->im_valid ? sy->nim : 0;

	for (j = jn; j < sy->nim; j++)
		del[(*ndel)++] = sy->im[j].uid;
	for (j = 0; i < sy->list.n && !sy->list.ent[i].dead; ) {
		e = &sy->list.ent[i];
		m = j < jn ? &sy->im[j] : NULL;
		if (e->uid == 0)
			i++;
		else if (m != NULL && m->uid < e->uid) {
			del[(*ndel)++] = m->uid;
			j++;
		} else if (m == NULL || m->uid > e->uid) {
			store_sync_msg(sy, e, mod, &put[(*nput)++]);
			i++;
		} else {
			if (e->known != 2)
				store_sync_msg(sy, e, e->flags == m->flags ?
				    m->modseq : mod, &put[(*nput)++]);
			i++;
			j++;
		}
	}
	for (; j < jn; j++)
		del[(*ndel)++] = sy->im[j].uid;
}

static int
store_sync_index(struct store_sync *sy, struct store_folder *info)
{
	struct store_folder f;
	struct store_msg *put;
	uint32_t *del;
	size_t i, ndel = 0, nput = 0;
	uint64_t hms;
	int rc = 0;

	store_sync_sort(sy);
	hms = sy->im_valid ? sy->ifo.highestmodseq : (uint64_t)now_us();
	del = calloc(sy->nim + 1, sizeof(*del));
	put = calloc(sy->list.n + 1, sizeof(*put));
	if (del == NULL || put == NULL) {
		log_warn("out of memory updating the mail index");
		free(del);
		free(put);
		return -1;
	}
	store_sync_diff(sy, hms + 1, del, &ndel, put, &nput);
	memset(&f, 0, sizeof(f));
	f.uidvalidity = sy->uids.uidvalidity;
	f.uidnext = sy->uids.uidnext;
	f.highestmodseq = ndel + nput > 0 ? hms + 1 : hms;
	if (ndel + nput > 0 || !sy->im_valid ||
	    f.uidnext != sy->ifo.uidnext || f.highestmodseq !=
	    sy->ifo.highestmodseq)
		rc = store_index_update(sy->s->idx, sy->folder, &f, del, ndel,
		    put, nput);
	for (i = 0; i < sy->list.n; i++)
		if (!sy->list.ent[i].dead && sy->list.ent[i].uid != 0)
			f.exists++;
	free(del);
	free(put);
	if (rc == 0 && info != NULL)
		*info = f;
	return rc;
}

/* store_sync_folder: the steps, with the folder's lock held throughout so
 * UIDs, renames and the index change together. */
static int
store_sync_folder(struct store_sync *sy, struct store_folder *info)
{
	struct maildir_ent **v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_sync_load(sy)) != 0)
		return rc;
	if (maildir_list_read(&sy->list, sy->ffd, "cur", 0) == -1 ||
	    maildir_list_salvage(&sy->list, sy->ffd, "cur", 0,
	    sy->folder) == -1 ||
	    maildir_list_read(&sy->list, sy->ffd, "new", 1) == -1 ||
	    maildir_list_salvage(&sy->list, sy->ffd, "new", 1,
	    sy->folder) == -1)
		return -1;
	if (sy->list.skipped > 0)
		log_warnx("folder %s: %zu files left out: more than %d "
		    "messages, or more than %d unusable names at once",
		    sy->folder, sy->list.skipped, MAILDIR_MSGS_MAX,
		    MAILDIR_BAD_MAX);
	store_sync_match(sy);
	if (store_sync_assign(sy, &v, &n) == -1)
		return -1;
	rc = store_sync_move(sy, v, n);
	free(v);
	if (rc == -1)
		return -1;
	return store_sync_index(sy, info);
}

static int
store_sync_run(struct store *s, const char *key, struct store_folder *info)
{
	struct store_sync sy;
	int rc = -1;

	memset(&sy, 0, sizeof(sy));
	sy.s = s;
	sy.folder = key;
	sy.curfd = sy.newfd = sy.lockfd = -1;
	if ((sy.ffd = store_folder_fd(s, key)) == -1 ||
	    (sy.curfd = maildir_subdir_open(sy.ffd, "cur")) == -1 ||
	    (sy.newfd = maildir_subdir_open(sy.ffd, "new")) == -1)
		log_warn("folder %s: cannot open cur/ or new/", key);
	else if ((sy.lockfd = maildir_lock(sy.ffd)) != -1)
		rc = store_sync_folder(&sy, info);
	maildir_unlock(sy.lockfd);
	if (sy.newfd != -1)
		(void)close(sy.newfd);
	if (sy.curfd != -1)
		(void)close(sy.curfd);
	if (sy.ffd != -1)
		(void)close(sy.ffd);
	maildir_list_free(&sy.list);
	free(sy.im);
	return rc;
}

int
store_sync(struct store *s, const char *folder, struct store_folder *info)
{
	char key[STORE_FOLDER_MAX];
	int rc;

	if (store_key("store_sync", folder, key, sizeof(key)) == -1)
		return -1;
	if (store_index_refresh(s->idx) == -1)
		return -1;
	rc = store_sync_run(s, key, info);
	if (rc == STORE_INDEX_CORRUPT) {
		if (store_index_reset(s->idx) == -1)
			return -1;
		rc = store_sync_run(s, key, info);
	}
	return rc == 0 ? 0 : -1;
}

int
store_list(struct store *s, const char *folder, struct store_msg **msgs,
    size_t *n)
{
	struct store_folder info;
	char key[STORE_FOLDER_MAX];
	int rc;

	*msgs = NULL;
	*n = 0;
	if (store_key("store_list", folder, key, sizeof(key)) == -1)
		return -1;
	rc = store_index_msgs_get(s->idx, key, msgs, n);
	if (rc == STORE_INDEX_CORRUPT && store_index_reset(s->idx) == 0 &&
	    store_sync_run(s, key, &info) == 0)
		rc = store_index_msgs_get(s->idx, key, msgs, n);
	return rc == 0 ? 0 : -1;
}

/* store_cur_open: the folder's descriptor and its cur/ (both or none). */
static int
store_cur_open(struct store *s, const char *key, int *ffd, int *curfd)
{
	int save;

	if ((*ffd = store_folder_fd(s, key)) == -1)
		return -1;
	if ((*curfd = maildir_subdir_open(*ffd, "cur")) == -1) {
		save = errno;
		(void)close(*ffd);
		errno = save;
		return -1;
	}
	return 0;
}

static void
store_cur_close(int ffd, int curfd)
{
	(void)close(curfd);
	(void)close(ffd);
}

void
store_trim(struct store *s)
{
	store_index_trim(s->idx);
	malloc_trim(0);
}

int
store_msg_get(struct store *s, const char *folder, uint32_t uid,
    struct store_msg *m)
{
	char key[STORE_FOLDER_MAX];
	int rc;

	if (store_key("store_msg_get", folder, key, sizeof(key)) == -1)
		return -1;
	if ((rc = store_index_msg_get(s->idx, key, uid, m)) == 1)
		errno = ENOENT;
	return rc == 0 ? 0 : -1;
}

int
store_msg_open(struct store *s, const char *folder,
    const struct store_msg *m)
{
	struct maildir_name mn;
	char key[STORE_FOLDER_MAX];
	struct stat st;
	int ffd, curfd, fd, save;

	if (store_key("store_msg_open", folder, key, sizeof(key)) == -1)
		return -1;
	if (memchr(m->name, '\0', sizeof(m->name)) == NULL ||
	    maildir_name_parse(m->name, &mn) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (store_cur_open(s, key, &ffd, &curfd) == -1)
		return -1;
	fd = openat(curfd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	save = errno;
	store_cur_close(ffd, curfd);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		(void)close(fd);
		fd = -1;
		save = EINVAL;
	}
	errno = save;
	return fd;
}

static int
store_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* store_unlink_stale: unlink the cur/ files carrying one of the n sorted
 * UIDs in miss, whose names the index had out of date. */
static int
store_unlink_stale(int ffd, int curfd, const uint32_t *miss, size_t n)
{
	struct maildir_list l;
	const struct maildir_ent *e;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	memset(&l, 0, sizeof(l));
	if (maildir_list_read(&l, ffd, "cur", 0) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		e = &l.ent[i];
		if (e->uid == 0 || bsearch(&e->uid, miss, n, sizeof(*miss),
		    store_uid_cmp) == NULL)
			continue;
		if (unlinkat(curfd, maildir_list_name(&l, e), 0) == -1 &&
		    errno != ENOENT) {
			log_warn("cannot remove a deleted message file");
			rc = -1;
		}
	}
	maildir_list_free(&l);
	return rc;
}

static int
store_expunge_files(struct store *s, const char *key, int ffd, int curfd,
    const uint32_t *uids, size_t n)
{
	struct store_msg m;
	uint32_t *miss;
	size_t i, nmiss = 0;
	int rc = 0;

	if ((miss = calloc(n + 1, sizeof(*miss))) == NULL) {
		log_warn("out of memory removing messages");
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_index_msg_get(s->idx, key, uids[i], &m);
		if (rc == 1)
			rc = 0;
		else if (rc == 0 && unlinkat(curfd, m.name, 0) == -1) {
			if (errno == ENOENT)
				miss[nmiss++] = uids[i];
			else {
				log_warn("cannot remove a deleted message "
				    "file");
				rc = -1;
			}
		}
	}
	qsort(miss, nmiss, sizeof(*miss), store_uid_cmp);
	if (rc == 0)
		rc = store_unlink_stale(ffd, curfd, miss, nmiss);
	free(miss);
	if (rc == 0 && n > 0 && fsync(curfd) == -1) {
		log_warn("cannot fsync the folder after removing messages");
		rc = -1;
	}
	return rc;
}

/* store_bump: raise folder's HIGHESTMODSEQ; put n messages, del others. */
static int
store_bump(struct store *s, const char *key, const uint32_t *del,
    size_t ndel, struct store_msg *put, size_t nput)
{
	struct store_folder f;
	size_t i;

	if (store_index_folder_get(s->idx, key, &f) != 0)
		return -1;
	f.highestmodseq++;
	for (i = 0; i < nput; i++)
		put[i].modseq = f.highestmodseq;
	return store_index_update(s->idx, key, &f, del, ndel, put, nput) ==
	    0 ? 0 : -1;
}

int
store_expunge(struct store *s, const char *folder, const uint32_t *uids,
    size_t n)
{
	char key[STORE_FOLDER_MAX];
	int ffd, curfd, lockfd, rc = -1;

	if (store_key("store_expunge", folder, key, sizeof(key)) == -1)
		return -1;
	if (store_cur_open(s, key, &ffd, &curfd) == -1) {
		log_warn("folder %s: cannot remove messages", key);
		return -1;
	}
	if ((lockfd = maildir_lock(ffd)) != -1 &&
	    store_expunge_files(s, key, ffd, curfd, uids, n) == 0)
		rc = n == 0 ? 0 : store_bump(s, key, uids, n, NULL, 0);
	maildir_unlock(lockfd);
	store_cur_close(ffd, curfd);
	return rc;
}

/* store_flags_find: the name the file of uid has in cur/ now, for when
 * the index's is out of date.  0, or -1 with errno ENOENT. */
static int
store_flags_find(int ffd, uint32_t uid, char *name, size_t len)
{
	struct maildir_list l;
	size_t i;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	if (maildir_list_read(&l, ffd, "cur", 0) == -1)
		return -1;
	for (i = 0; i < l.n && rc == -1; i++)
		if (l.ent[i].uid == uid)
			rc = str_copy(name, maildir_list_name(&l, &l.ent[i]),
			    len);
	maildir_list_free(&l);
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

static int
store_flags_rename(int ffd, int curfd, struct store_msg *m, uint32_t flags)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];

	if (maildir_name_parse(m->name, &mn) == -1)
		return -1;
	mn.flags = flags;
	mn.has_info = 1;
	if (maildir_name_build(&mn, buf, sizeof(buf)) == -1)
		return -1;
	if (renameat2(curfd, m->name, curfd, buf, RENAME_NOREPLACE) == -1) {
		if (errno != ENOENT || store_flags_find(ffd, m->uid, m->name,
		    sizeof(m->name)) == -1 || renameat2(curfd, m->name, curfd,
		    buf, RENAME_NOREPLACE) == -1)
			return -1;
	}
	if (fsync(curfd) == -1)
		return -1;
	m->flags = flags;
	return str_copy(m->name, buf, sizeof(m->name));
}

int
store_set_flags(struct store *s, const char *folder, uint32_t uid,
    uint32_t flags)
{
	char key[STORE_FOLDER_MAX];
	struct store_msg m;
	int ffd, curfd, lockfd, rc = -1;

	if (store_key("store_set_flags", folder, key, sizeof(key)) == -1)
		return -1;
	flags &= STORE_ALLFLAGS;
	if (store_cur_open(s, key, &ffd, &curfd) == -1) {
		log_warn("folder %s: cannot set flags", key);
		return -1;
	}
	if ((lockfd = maildir_lock(ffd)) == -1)
		goto done;
	if ((rc = store_index_msg_get(s->idx, key, uid, &m)) == 1)
		errno = ENOENT;
	if (rc == 0 && m.flags == flags)
		goto done;
	if (rc != 0 || store_flags_rename(ffd, curfd, &m, flags) == -1) {
		if (errno != ENOENT)
			log_warn("folder %s: cannot set flags", key);
		rc = -1;
		goto done;
	}
	rc = store_bump(s, key, NULL, 0, &m, 1);
done:
	maildir_unlock(lockfd);
	store_cur_close(ffd, curfd);
	return rc;
}

int
store_folder_create(struct store *s, const char *folder)
{
	char key[STORE_FOLDER_MAX], dir[STORE_FOLDER_MAX + 1];
	int ffd, fd, rc;

	if (store_key("store_folder_create", folder, key, sizeof(key)) == -1)
		return -1;
	if (strcmp(key, "INBOX") == 0) {
		errno = EEXIST;
		return -1;
	}
	rc = snprintf(dir, sizeof(dir), ".%s", key);
	if (rc < 0 || (size_t)rc >= sizeof(dir) ||
	    mkdirat(s->dirfd, dir, 0700) == -1)
		return -1;
	if ((ffd = maildir_subdir_open(s->dirfd, dir)) == -1)
		return -1;
	rc = maildir_mkdirs(ffd);
	fd = openat(ffd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 || close(fd) == -1 || fsync(ffd) == -1)
		rc = -1;
	(void)close(ffd);
	if (rc == 0 && fsync(s->dirfd) == -1)
		rc = -1;
	if (rc == -1)
		log_warn("cannot create the folder %s", key);
	return rc;
}
