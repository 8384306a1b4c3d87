/*
 * store_flags.c: keywords (the folder's dovecot-keywords file) and
 * changing flags and keywords (store_msgs_store in store_imap.h,
 * store_set_flags in store.h).  Runs in the mail process; the keywords
 * file is the user's own but read as hostile (bounded, each line
 * checked).  Changes run under the folder's lock: the file is renamed to
 * its new ":2," letters, cur/ fsynced, then the index gets the new
 * modseq.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/store_int.h"
#include "common/util.h"

#define KW_FILE		"dovecot-keywords"
#define KW_TMP		"dovecot-keywords.tmp"
#define KW_SIZE_MAX	65536
#define FLAGS_BATCH	4096

/* kw_name_ok: an IMAP atom, not a system flag, bounded. */
static int
kw_name_ok(const char *p)
{
	size_t i;

	if (p[0] == '\0' || p[0] == '\\')
		return 0;
	for (i = 0; p[i] != '\0'; i++)
		if (i >= STORE_KEYWORD_LEN - 1 ||
		    (unsigned char)p[i] <= 0x20 ||
		    (unsigned char)p[i] >= 0x7f || strchr("(){%*\"\\]", p[i]))
			return 0;
	return 1;
}

/* kw_parse: "<index> <name>" lines; bad ones are skipped. */
static void
kw_parse(char *buf, struct store_keywords *kw)
{
	char *line, *next, *sp, *end;
	unsigned long i;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL || sp == line ||
		    sp - line > 2)
			continue;
		*sp = '\0';
		i = strtoul(line, &end, 10);
		if (*end != '\0' || i >= STORE_KEYWORDS_MAX ||
		    !kw_name_ok(sp + 1) || (kw->defined & (1U << i)))
			continue;
		(void)str_copy(kw->name[i], sp + 1, STORE_KEYWORD_LEN);
		kw->defined |= 1U << i;
	}
}

/* kw_read: the keywords file of the folder at ffd into kw. */
static int
kw_read(int ffd, struct store_keywords *kw)
{
	char buf[KW_SIZE_MAX + 1];
	struct stat st;
	ssize_t r;
	size_t n = 0;
	int fd;

	memset(kw, 0, sizeof(*kw));
	fd = openat(ffd, KW_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	while (n < KW_SIZE_MAX) {
		r = read(fd, buf + n, KW_SIZE_MAX - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	(void)close(fd);
	buf[n] = '\0';
	kw_parse(buf, kw);
	return 0;
}

static int
kw_write(int ffd, const struct store_keywords *kw)
{
	char line[STORE_KEYWORD_LEN + 8];
	size_t i;
	int fd, n;

	fd = openat(ffd, KW_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++) {
		if (!(kw->defined & (1U << i)))
			continue;
		n = snprintf(line, sizeof(line), "%zu %s\n", i, kw->name[i]);
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    write_all(fd, line, (size_t)n) == -1) {
			(void)close(fd);
			return -1;
		}
	}
	if (fsync(fd) == -1) {
		(void)close(fd);
		return -1;
	}
	if (close(fd) == -1 || renameat(ffd, KW_TMP, ffd, KW_FILE) == -1 ||
	    fsync(ffd) == -1)
		return -1;
	return 0;
}

int
store_keyword_index(int ffd, const char *name, int create)
{
	struct store_keywords kw;
	int i, free_i = -1;

	if (!kw_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (kw_read(ffd, &kw) == -1)
		return -1;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++) {
		if ((kw.defined & (1U << i)) &&
		    strcasecmp(kw.name[i], name) == 0)
			return i;
		if (!(kw.defined & (1U << i)) && free_i == -1)
			free_i = i;
	}
	if (!create) {
		errno = ENOENT;
		return -1;
	}
	if (free_i == -1) {
		errno = EMLINK;
		return -1;
	}
	(void)str_copy(kw.name[free_i], name, STORE_KEYWORD_LEN);
	kw.defined |= 1U << free_i;
	if (kw_write(ffd, &kw) == -1) {
		log_warn("cannot write %s", KW_FILE);
		return -1;
	}
	return free_i;
}

int
store_keywords_read(int ffd, struct store_keywords *kw)
{
	return kw_read(ffd, kw);
}

int
store_keywords_get(struct store *s, const char *folder,
    struct store_keywords *kw)
{
	char key[STORE_KEY_MAX], dir[STORE_KEY_MAX + 1];
	int ffd, rc;

	memset(kw, 0, sizeof(*kw));
	if (store_key(folder, key) == -1 ||
	    store_key_dir(key, dir, sizeof(dir)) == -1)
		return -1;
	if ((ffd = maildir_subdir_open(s->dirfd, dir)) == -1)
		return -1;
	rc = kw_read(ffd, kw);
	(void)close(ffd);
	return rc;
}

int
store_keyword_find(struct store *s, const char *folder, const char *name,
    int create)
{
	struct store_locked lk;
	char key[STORE_KEY_MAX];
	int rc;

	if (store_key(folder, key) == -1)
		return -1;
	if (!kw_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (store_lock(s, key, &lk) == -1)
		return -1;
	rc = store_keyword_index(lk.ffd, name, create);
	store_unlock(&lk);
	return rc;
}

int
store_cur_find(int ffd, uint32_t uid, char *name, size_t len)
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

/* store_flags_rename: rename m's file to carry flags and keywords. */
int
store_flags_rename(struct store_locked *lk, struct store_msg *m,
    uint32_t flags, uint32_t keywords)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];

	if (maildir_name_parse(m->name, &mn) == -1) {
		errno = EINVAL;
		return -1;
	}
	mn.flags = flags;
	mn.keywords = keywords;
	mn.has_info = 1;
	if (maildir_name_build(&mn, buf, sizeof(buf)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (renameat2(lk->curfd, m->name, lk->curfd, buf,
	    RENAME_NOREPLACE) == -1) {
		if (errno != ENOENT || store_cur_find(lk->ffd, m->uid, m->name,
		    sizeof(m->name)) == -1 || renameat2(lk->curfd, m->name,
		    lk->curfd, buf, RENAME_NOREPLACE) == -1)
			return -1;
	}
	m->flags = flags;
	m->keywords = keywords;
	return str_copy(m->name, buf, sizeof(m->name));
}

static void
flags_apply(const struct store_change *c, const struct store_msg *m,
    uint32_t *f, uint32_t *k)
{
	uint32_t cf = c->flags & STORE_ALLFLAGS;
	uint32_t ck = c->keywords & STORE_KEYWORDS_ALL;

	switch (c->op) {
	case STORE_OP_SET:
		*f = cf;
		*k = ck;
		break;
	case STORE_OP_ADD:
		*f = m->flags | cf;
		*k = m->keywords | ck;
		break;
	case STORE_OP_REMOVE:
		*f = m->flags & ~cf;
		*k = m->keywords & ~ck;
		break;
	default:
		*f = cf;
		*k = m->keywords;
		break;
	}
}

struct flags_run {
	const struct store_change *c;
	struct store_msg	*out;
	size_t			*nout;
	uint32_t		*failed;
	size_t			*nfailed;
	struct store_msg	*put;
	size_t			 nput;
};

/* flags_one: one UID; its new state goes to put when it changed. */
static int
flags_one(struct store *s, struct store_locked *lk, struct flags_run *r,
    uint32_t uid)
{
	struct store_msg m;
	uint32_t f, k;
	int rc;

	if ((rc = store_index_msg_get(s->idx, lk->key, uid, &m)) == 1)
		return 0;
	if (rc != 0)
		return -1;
	if (r->c->unchangedsince != STORE_UNCHANGED_ANY &&
	    m.modseq > r->c->unchangedsince) {
		if (r->failed != NULL)
			r->failed[(*r->nfailed)++] = uid;
		return 0;
	}
	flags_apply(r->c, &m, &f, &k);
	if (f != m.flags || k != m.keywords) {
		if (store_flags_rename(lk, &m, f, k) == -1) {
			if (errno == ENOENT)
				return 0;
			log_warn("folder %s: cannot set flags", lk->key);
			return -1;
		}
		m.modseq = lk->f.highestmodseq + 1;
		r->put[r->nput++] = m;
	}
	r->out[(*r->nout)++] = m;
	return 0;
}

static int
flags_batch(struct store *s, struct store_locked *lk, struct flags_run *r,
    const uint32_t *uids, size_t n)
{
	int64_t pre = store_dir_mtime(lk->curfd);
	size_t i;

	r->nput = 0;
	for (i = 0; i < n; i++)
		if (flags_one(s, lk, r, uids[i]) == -1)
			return -1;
	if (r->nput == 0)
		return 0;
	if (fsync(lk->curfd) == -1) {
		log_warn("folder %s: cannot fsync after setting flags",
		    lk->key);
		return -1;
	}
	lk->f.highestmodseq++;
	return store_commit(s, lk, pre, NULL, 0, 0, r->put, r->nput) == 0 ?
	    0 : -1;
}

int
store_msgs_store(struct store *s, const char *folder, const uint32_t *uids,
    size_t n, const struct store_change *c, struct store_msg *out,
    size_t *nout, uint32_t *failed, size_t *nfailed)
{
	struct store_locked lk;
	struct flags_run r;
	char key[STORE_KEY_MAX];
	size_t i, chunk;
	int rc = 0;

	*nout = 0;
	if (nfailed != NULL)
		*nfailed = 0;
	if (c->op < STORE_OP_SET || c->op > STORE_OP_SET_FLAGS ||
	    (failed != NULL && nfailed == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (store_key(folder, key) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.out = out;
	r.nout = nout;
	r.failed = failed;
	r.nfailed = nfailed;
	if ((r.put = calloc(n < FLAGS_BATCH ? n + 1 : FLAGS_BATCH,
	    sizeof(*r.put))) == NULL)
		return -1;
	if (store_lock(s, key, &lk) == -1) {
		free(r.put);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i += chunk) {
		chunk = n - i < FLAGS_BATCH ? n - i : FLAGS_BATCH;
		rc = flags_batch(s, &lk, &r, uids + i, chunk);
	}
	store_unlock(&lk);
	free(r.put);
	return rc;
}

int
store_set_flags(struct store *s, const char *folder, uint32_t uid,
    uint32_t flags)
{
	struct store_change c;
	struct store_msg m;
	size_t nout = 0;

	c.op = STORE_OP_SET_FLAGS;
	c.flags = flags;
	c.keywords = 0;
	c.unchangedsince = STORE_UNCHANGED_ANY;
	if (store_msgs_store(s, folder, &uid, 1, &c, &m, &nout, NULL,
	    NULL) == -1)
		return -1;
	if (nout == 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
