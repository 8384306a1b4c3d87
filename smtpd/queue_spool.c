/*
 * queue_spool.c: the queue's files (queue.h): ids, the message file's
 * commit, envelopes written and read, removal, and the start-up scan
 * that removes what a crash left.  Runs in the queue role, chrooted to
 * the spool, as the queue uid.  The spool is the queue's own, but an
 * envelope is still parsed with every field checked: a file damaged by a
 * crash or an administrator must not crash the queue.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/intake.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue.h"

#define SPOOL_ENV_MAX	(16U << 20)	/* an envelope's bytes */
/* The message file's last line: where its envelope starts. */
#define SPOOL_FOOT	"postern-envelope-at "
#define SPOOL_FOOT_LEN	(sizeof(SPOOL_FOOT) - 1 + 20 + 1)

static int
spool_mkdir(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) == -1 && errno != EEXIST) {
		log_warn("cannot create the spool directory %s", dir);
		return -1;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("the spool's %s is not a directory", dir);
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(dir, mode) == -1) {
		log_warn("cannot set the mode of the spool directory %s", dir);
		return -1;
	}
	return 0;
}

int
spool_setup(void)
{
	if (spool_mkdir(INTAKE_DIR, 01733) == -1 ||
	    spool_mkdir("queue", 0700) == -1 || spool_mkdir("bad", 0700) == -1)
		return -1;
	return 0;
}

static int
spool_fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

static void
spool_path(char *buf, size_t len, const char *id, const char *suffix,
    int tmp)
{
	(void)snprintf(buf, len, "queue/%s%s%s%s", tmp ? "." : "", id, suffix,
	    tmp ? ".tmp" : "");
}

int
spool_new_id(char *id)
{
	char path[64], env[64];
	struct stat st;
	uint32_t r;
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		random_bytes(&r, sizeof(r));
		(void)snprintf(id, QUEUE_ID_LEN + 1, "%08" PRIx32 "%08" PRIx32,
		    (uint32_t)(now_us() / 1000000), r);
		spool_path(env, sizeof(env), id, ".env", 0);
		spool_path(path, sizeof(path), id, ".msg", 0);
		if (lstat(env, &st) == 0 || lstat(path, &st) == 0)
			continue;
		spool_path(path, sizeof(path), id, ".msg", 1);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1)
			return fd;
		if (errno != EEXIST) {
			log_warn("cannot create a message file in the spool");
			return -1;
		}
	}
	log_warnx("cannot find an unused queue id");
	return -1;
}

void
spool_tmp_discard(const char *id)
{
	char path[64];

	spool_path(path, sizeof(path), id, ".msg", 1);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove %s", path);
}

/* spool_clean: s with control characters and blanks at the ends turned
 * into '?', for one envelope line. */
static void
spool_clean(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
}

/* spool_word_ok: s can be one word of an envelope line (not "", no
 * blank or control character, not "-"). */
static int
spool_word_ok(const char *s)
{
	const char *p;

	if (s[0] == '\0' || strcmp(s, "-") == 0)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static const char *const spool_states[] = { "pending", "delivered",
	"failed" };

/* spool_env_text: m's envelope into a new buffer (*len bytes). */
static char *
spool_env_text(const struct qmsg *m, size_t *len)
{
	char err[QUEUE_ERROR_MAX], origin[sizeof(m->origin)];
	size_t i, size, off;
	char *buf;
	int n;

	size = 2048 + QUEUE_AUTHRES_MAX + m->nrcpt * (3 * QUEUE_ADDR_MAX +
	    QUEUE_ORCPT_MAX + QUEUE_ERROR_MAX + QUEUE_DSN_MAX + QUEUE_HOST_MAX +
	    120);
	if ((buf = malloc(size)) == NULL)
		return NULL;
	spool_clean(origin, sizeof(origin), m->origin);
	n = snprintf(buf, size, "postern-envelope 2\nid %s\narrival %" PRId64
	    "\nsize %" PRIu64 "\nfrom <%s>\norigin %s\nbody %" PRIu32
	    " flags %" PRIu32 " envid %s\n", m->id, m->arrival, m->size,
	    m->sender, origin, m->body, m->flags,
	    m->envid[0] != '\0' ? m->envid : "-");
	if (n < 0 || (size_t)n >= size)
		goto fail;
	off = (size_t)n;
	if (m->authres != NULL || m->junk) {
		n = snprintf(buf + off, size - off, "%s%s%s%s",
		    m->authres != NULL ? "authres " : "",
		    m->authres != NULL ? m->authres : "",
		    m->authres != NULL ? "\n" : "", m->junk ? "junk 1\n" : "");
		if (n < 0 || (size_t)n >= size - off)
			goto fail;
		off += (size_t)n;
	}
	for (i = 0; i < m->nrcpt; i++) {
		const struct qrcpt *r = &m->rcpts[i];

		spool_clean(err, sizeof(err), r->error);
		n = snprintf(buf + off, size - off, "rcpt %s %" PRIu32 " %"
		    PRId64 " %s %" PRIu32 " %s %s %s %s\n",
		    spool_states[r->state], r->attempts, r->next,
		    r->local ? "local" : "remote", r->notify, r->dest,
		    r->address[0] != '\0' ? r->address : "-",
		    r->orcpt[0] != '\0' ? r->orcpt : "-", err);
		if (n < 0 || (size_t)n >= size - off)
			goto fail;
		off += (size_t)n;
		if (r->code == 0 && r->dsn[0] == '\0' && r->host[0] == '\0' &&
		    r->noticed == 0 && r->last == 0)
			continue;
		n = snprintf(buf + off, size - off, "answer %" PRIu32 " %s %s "
		    "%" PRIu32 " %" PRId64 "\n", r->code,
		    spool_word_ok(r->dsn) ? r->dsn : "-",
		    spool_word_ok(r->host) ? r->host : "-", r->noticed,
		    r->last > 0 ? r->last : 0);
		if (n < 0 || (size_t)n >= size - off)
			goto fail;
		off += (size_t)n;
	}
	*len = off;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* spool_env_put: write the envelope as tmp, fsync, rename (no directory
 * fsync: the caller does it). */
static int
spool_env_put(const struct qmsg *m)
{
	char tmp[64], path[64];
	size_t len;
	char *text;
	int fd, save;

	if ((text = spool_env_text(m, &len)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	spool_path(tmp, sizeof(tmp), m->id, ".env", 1);
	spool_path(path, sizeof(path), m->id, ".env", 0);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		free(text);
		return -1;
	}
	if (write_all(fd, text, len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1) {
		save = errno;
		free(text);
		(void)unlink(tmp);
		errno = save;
		return -1;
	}
	free(text);
	if (rename(tmp, path) == -1) {
		save = errno;
		(void)unlink(tmp);
		errno = save;
		return -1;
	}
	return 0;
}

int
spool_env_write(const struct qmsg *m)
{
	if (spool_env_put(m) == -1 || spool_fsync_dir("queue") == -1) {
		log_warn("cannot save the envelope of %s", m->id);
		return -1;
	}
	return 0;
}

/*
 * spool_commit: the message file is the commit mark and carries the
 * first envelope (queue.h): one file, so one fsync of it and one of
 * queue/.  The tmp file holds the message, then the envelope, then the
 * footer; only its rename makes <id>.msg appear, so a crash leaves either
 * no <id>.msg (the dot file is swept) or a complete one.
 */
int
spool_commit(const struct qmsg *m, int fd, char *err, size_t errlen)
{
	char tmp[64], path[64], foot[SPOOL_FOOT_LEN + 1];
	const char *what;
	size_t len;
	off_t end;
	char *text;
	int rc;

	spool_path(tmp, sizeof(tmp), m->id, ".msg", 1);
	spool_path(path, sizeof(path), m->id, ".msg", 0);
	what = "write the envelope";
	if ((end = lseek(fd, 0, SEEK_END)) == -1 || (uint64_t)end != m->size) {
		if (end != -1)
			errno = EIO;
		(void)close(fd);
		goto fail;
	}
	if ((text = spool_env_text(m, &len)) == NULL) {
		errno = ENOMEM;
		(void)close(fd);
		goto fail;
	}
	(void)snprintf(foot, sizeof(foot), SPOOL_FOOT "%020" PRIu64 "\n",
	    m->size);
	rc = write_all(fd, text, len) == -1 ||
	    write_all(fd, foot, SPOOL_FOOT_LEN) == -1 ? -1 : 0;
	free(text);
	what = "write the message";
	if (rc == -1 || fsync(fd) == -1) {
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	what = "save the message";
	if (rename(tmp, path) == -1)
		goto fail;
	what = "make the queue directory durable";
	if (spool_fsync_dir("queue") == -1)
		goto fail;
	return 0;
fail:
	(void)snprintf(err, errlen, "cannot %s: %s", what, strerror(errno));
	(void)unlink(path);
	(void)unlink(tmp);
	return -1;
}

int
spool_remove(const char *id, int durable)
{
	char path[64];

	spool_path(path, sizeof(path), id, ".msg", 0);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("cannot remove the message file of %s", id);
		return -1;
	}
	spool_path(path, sizeof(path), id, ".env", 0);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove the envelope of %s", id);
	if (durable && spool_fsync_dir("queue") == -1) {
		log_warn("cannot make the removal of %s durable", id);
		return -1;
	}
	return 0;
}

int
spool_msg_open(const char *id)
{
	char path[64];

	spool_path(path, sizeof(path), id, ".msg", 0);
	return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

void
spool_msg_free(struct qmsg *m)
{
	if (m == NULL)
		return;
	free(m->rcpts);
	free(m->authres);
	free(m);
}

/* ---- reading an envelope -------------------------------------------- */

/* spool_word: the next blank-separated word of *s into out; -1 when
 * missing or too long. */
static int
spool_word(char **s, char *out, size_t len)
{
	char *p = *s, *e;
	size_t n;

	if (*p == '\0')
		return -1;
	e = strchr(p, ' ');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n == 0 || n >= len)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	*s = e != NULL ? e + 1 : p + n;
	return 0;
}

static int
spool_num(char **s, uint64_t max, uint64_t *v)
{
	char w[24], *end;

	if (spool_word(s, w, sizeof(w)) == -1 || w[0] < '0' || w[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(w, &end, 10);
	return errno != 0 || *end != '\0' || *v > max ? -1 : 0;
}

static int
spool_rcpt_parse(char *s, struct qrcpt *r)
{
	char w[16];
	uint64_t v;
	int i;

	memset(r, 0, sizeof(*r));
	if (spool_word(&s, w, sizeof(w)) == -1)
		return -1;
	for (i = 0; i < 3 && strcmp(w, spool_states[i]) != 0; i++)
		;
	if (i == 3)
		return -1;
	r->state = (enum qrcpt_state)i;
	if (spool_num(&s, UINT32_MAX, &v) == -1)
		return -1;
	r->attempts = (uint32_t)v;
	if (spool_num(&s, INT64_MAX, &v) == -1)
		return -1;
	r->next = (int64_t)v;
	if (spool_word(&s, w, sizeof(w)) == -1 ||
	    (strcmp(w, "local") != 0 && strcmp(w, "remote") != 0))
		return -1;
	r->local = w[0] == 'l';
	if (spool_num(&s, QUEUE_NOTIFY_ALL, &v) == -1)
		return -1;
	r->notify = (uint32_t)v;
	if (spool_word(&s, r->dest, sizeof(r->dest)) == -1 ||
	    spool_word(&s, r->address, sizeof(r->address)) == -1 ||
	    spool_word(&s, r->orcpt, sizeof(r->orcpt)) == -1)
		return -1;
	if (strcmp(r->address, "-") == 0)
		r->address[0] = '\0';
	if (strcmp(r->orcpt, "-") == 0)
		r->orcpt[0] = '\0';
	return str_copy(r->error, s, sizeof(r->error)) == -1 ? -1 : 0;
}

/* spool_answer_parse: an "answer" line (version 2) into r. */
static int
spool_answer_parse(char *s, struct qrcpt *r)
{
	uint64_t v;

	if (spool_num(&s, 999, &v) == -1)
		return -1;
	r->code = (uint32_t)v;
	if (spool_word(&s, r->dsn, sizeof(r->dsn)) == -1 ||
	    spool_word(&s, r->host, sizeof(r->host)) == -1 ||
	    spool_num(&s, QRCPT_NOTICED_ALL, &v) == -1)
		return -1;
	r->noticed = (uint32_t)v;
	if (spool_num(&s, INT64_MAX, &v) == -1 || *s != '\0')
		return -1;
	r->last = (int64_t)v;
	if (strcmp(r->dsn, "-") == 0)
		r->dsn[0] = '\0';
	if (strcmp(r->host, "-") == 0)
		r->host[0] = '\0';
	return 0;
}

/* What the reader of one envelope carries from line to line. */
struct spool_parse {
	size_t	cap;		/* rcpts allocated */
	int	version;	/* the first line's: 1 or 2 */
	int	answer_ok;	/* the last line was a rcpt line */
};

/* spool_env_line: one line (NUL-terminated, no LF) of an envelope. */
static int
spool_env_line(struct qmsg *m, size_t lineno, char *s,
    struct spool_parse *ps)
{
	int answer_ok = ps->answer_ok;

	char envid[QUEUE_ENVID_MAX + 8];
	uint64_t v, body, flags;
	size_t n;
	struct qrcpt *r;

	ps->answer_ok = 0;
	if (lineno == 1) {
		if (strcmp(s, "postern-envelope 1") == 0)
			ps->version = 1;
		else if (strcmp(s, "postern-envelope 2") == 0)
			ps->version = 2;
		else
			return -1;
		return 0;
	}
	if (strncmp(s, "answer ", 7) == 0) {
		/* at most one per recipient, right after its rcpt line */
		if (ps->version < 2 || !answer_ok)
			return -1;
		return spool_answer_parse(s + 7, &m->rcpts[m->nrcpt - 1]);
	}
	if (strncmp(s, "id ", 3) == 0)
		return strcmp(s + 3, m->id) == 0 ? 0 : -1;
	if (strncmp(s, "arrival ", 8) == 0) {
		s += 8;
		if (spool_num(&s, INT64_MAX, &v) == -1)
			return -1;
		m->arrival = (int64_t)v;
		return 0;
	}
	if (strncmp(s, "size ", 5) == 0) {
		s += 5;
		return spool_num(&s, UINT64_MAX, &m->size);
	}
	if (strncmp(s, "from <", 6) == 0) {
		n = strlen(s + 6);
		if (n == 0 || s[6 + n - 1] != '>' || n > QUEUE_ADDR_MAX)
			return -1;
		memcpy(m->sender, s + 6, n - 1);
		m->sender[n - 1] = '\0';
		return 0;
	}
	if (strncmp(s, "origin ", 7) == 0)
		return str_copy(m->origin, s + 7, sizeof(m->origin));
	if (strncmp(s, "body ", 5) == 0) {
		s += 5;
		if (spool_num(&s, QUEUE_BODY_BINARYMIME, &body) == -1 ||
		    strncmp(s, "flags ", 6) != 0)
			return -1;
		s += 6;
		if (spool_num(&s, QUEUE_F_ALL, &flags) == -1 ||
		    strncmp(s, "envid ", 6) != 0 ||
		    str_copy(envid, s + 6, sizeof(m->envid)) == -1)
			return -1;
		m->body = (uint32_t)body;
		m->flags = (uint32_t)flags;
		(void)str_copy(m->envid, strcmp(envid, "-") == 0 ? "" : envid,
		    sizeof(m->envid));
		return 0;
	}
	if (strncmp(s, "authres ", 8) == 0) {
		if (m->authres != NULL || !queueproto_authres_valid(s + 8))
			return -1;
		return (m->authres = strdup(s + 8)) == NULL ? -1 : 0;
	}
	if (strcmp(s, "junk 1") == 0) {
		m->junk = 1;
		return 0;
	}
	if (strncmp(s, "rcpt ", 5) == 0) {
		if (m->nrcpt == QUEUE_RCPTS_MAX)
			return -1;
		if (m->nrcpt == ps->cap) {
			ps->cap = ps->cap == 0 ? 4 : ps->cap * 2;
			r = reallocarray(m->rcpts, ps->cap, sizeof(*r));
			if (r == NULL)
				return -1;
			m->rcpts = r;
		}
		if (spool_rcpt_parse(s + 5, &m->rcpts[m->nrcpt]) == -1)
			return -1;
		m->nrcpt++;
		ps->answer_ok = 1;
		return 0;
	}
	return -1;
}

/* spool_file_read: the whole of path (at most max bytes) into a new
 * NUL-terminated buffer. */
static char *
spool_file_read(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)close(fd);
		errno = EFBIG;
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	(void)close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* spool_trailer_read: the envelope the message file queue/<id>.msg
 * carries after the message (spool_commit) into a new NUL-terminated
 * buffer; *at is where it starts (the message's size). */
static char *
spool_trailer_read(const char *id, size_t *len, uint64_t *at)
{
	char path[64], foot[SPOOL_FOOT_LEN + 1], *buf, *end;
	struct stat st;
	uint64_t size;
	int fd, save;

	spool_path(path, sizeof(path), id, ".msg", 0);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	errno = EINVAL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < SPOOL_FOOT_LEN)
		goto fail;
	size = (uint64_t)st.st_size - SPOOL_FOOT_LEN;
	if (pread(fd, foot, SPOOL_FOOT_LEN, (off_t)size) !=
	    (ssize_t)SPOOL_FOOT_LEN)
		goto fail;
	foot[SPOOL_FOOT_LEN] = '\0';
	if (strncmp(foot, SPOOL_FOOT, sizeof(SPOOL_FOOT) - 1) != 0 ||
	    foot[SPOOL_FOOT_LEN - 1] != '\n')
		goto fail;
	foot[SPOOL_FOOT_LEN - 1] = '\0';
	if (foot[sizeof(SPOOL_FOOT) - 1] < '0' ||
	    foot[sizeof(SPOOL_FOOT) - 1] > '9')
		goto fail;
	errno = 0;
	*at = strtoull(foot + sizeof(SPOOL_FOOT) - 1, &end, 10);
	if (errno != 0 || *end != '\0' || *at > size ||
	    size - *at > SPOOL_ENV_MAX) {
		errno = EINVAL;
		goto fail;
	}
	*len = (size_t)(size - *at);
	if ((buf = malloc(*len + 1)) == NULL)
		goto fail;
	if (pread(fd, buf, *len, (off_t)*at) != (ssize_t)*len) {
		free(buf);
		errno = EIO;
		goto fail;
	}
	(void)close(fd);
	buf[*len] = '\0';
	return buf;
fail:
	save = errno;
	(void)close(fd);
	errno = save != 0 ? save : EINVAL;
	return NULL;
}

int
spool_env_read(const char *id, struct qmsg *m, char *err, size_t errlen)
{
	struct spool_parse ps = { 0, 0, 0 };
	char path[64], *buf, *line, *nl;
	size_t len, lineno = 0;
	uint64_t at = 0;
	int trailer = 0;

	memset(m, 0, sizeof(*m));
	(void)str_copy(m->id, id, sizeof(m->id));
	spool_path(path, sizeof(path), id, ".env", 0);
	buf = spool_file_read(path, SPOOL_ENV_MAX, &len);
	if (buf == NULL && errno == ENOENT) {
		trailer = 1;
		buf = spool_trailer_read(id, &len, &at);
	}
	if (buf == NULL) {
		(void)snprintf(err, errlen, "cannot read%s: %s", trailer ?
		    " the envelope in the message file" : "",
		    strerror(errno));
		return -1;
	}
	if (strlen(buf) != len) {
		(void)snprintf(err, errlen, "a NUL byte in the envelope");
		goto fail;
	}
	for (line = buf; *line != '\0'; line = nl + 1) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL) {
			(void)snprintf(err, errlen, "line %zu: no line end",
			    lineno);
			goto fail;
		}
		*nl = '\0';
		if (spool_env_line(m, lineno, line, &ps) == -1) {
			(void)snprintf(err, errlen, "line %zu is malformed",
			    lineno);
			goto fail;
		}
	}
	if (m->nrcpt == 0 || m->arrival == 0) {
		(void)snprintf(err, errlen, "incomplete envelope");
		goto fail;
	}
	if (trailer && m->size != at) {
		(void)snprintf(err, errlen, "the envelope's size is not the "
		    "message's");
		goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	free(m->rcpts);
	m->rcpts = NULL;
	free(m->authres);
	m->authres = NULL;
	return -1;
}

/* ---- start-up --------------------------------------------------------- */

/* spool_name_id: the id of a "<id>.msg" or "<id>.env" name into id; the
 * suffix's letter ('m' or 'e'), or 0 when the name is not one. */
static int
spool_name_id(const char *name, char *id)
{
	if (strlen(name) != QUEUE_ID_LEN + 4 || name[QUEUE_ID_LEN] != '.')
		return 0;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (!queueproto_id_valid(id))
		return 0;
	if (strcmp(name + QUEUE_ID_LEN, ".msg") == 0)
		return 'm';
	if (strcmp(name + QUEUE_ID_LEN, ".env") == 0)
		return 'e';
	return 0;
}

static int
spool_exists(const char *id, const char *suffix)
{
	char path[64];
	struct stat st;

	spool_path(path, sizeof(path), id, suffix, 0);
	return lstat(path, &st) == 0;
}

/* spool_sweep: remove the leftovers of a crash (queue.h lists them). */
static int
spool_sweep(void)
{
	char id[QUEUE_ID_LEN + 1], path[600];
	struct dirent *e;
	DIR *d;
	int kind, drop;

	if ((d = opendir("queue")) == NULL) {
		log_warn("cannot read the spool's queue directory");
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		kind = spool_name_id(e->d_name, id);
		drop = e->d_name[0] == '.' ||
		    (kind == 'e' && !spool_exists(id, ".msg"));
		if (kind == 0 && e->d_name[0] != '.') {
			log_warnx("the spool holds a file that is not the "
			    "queue's: queue/%s (left alone)", e->d_name);
			continue;
		}
		if (!drop)
			continue;
		(void)snprintf(path, sizeof(path), "queue/%s", e->d_name);
		if (unlinkat(dirfd(d), e->d_name, 0) == -1)
			log_warn("cannot remove the leftover %s", path);
		else
			log_info("removed %s, left by an interrupted %s", path,
			    e->d_name[0] == '.' ? "write" : "removal");
	}
	(void)closedir(d);
	return spool_fsync_dir("queue");
}

/* spool_set_aside: move a bad envelope and its message to bad/. */
static void
spool_set_aside(const char *id, const char *why)
{
	char from[64], to[64];

	log_warnx("queued message %s: envelope unusable (%s): moved to bad/",
	    id, why);
	spool_path(from, sizeof(from), id, ".env", 0);
	(void)snprintf(to, sizeof(to), "bad/%s.env", id);
	if (rename(from, to) == -1 && errno != ENOENT)
		log_warn("cannot move %s to bad/", from);
	spool_path(from, sizeof(from), id, ".msg", 0);
	(void)snprintf(to, sizeof(to), "bad/%s.msg", id);
	if (rename(from, to) == -1)
		log_warn("cannot move %s to bad/", from);
}

long
spool_load(struct qmsg **head)
{
	char id[QUEUE_ID_LEN + 1], err[128];
	struct qmsg *m;
	struct dirent *e;
	long n = 0;
	DIR *d;

	*head = NULL;
	if (spool_sweep() == -1 || (d = opendir("queue")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (spool_name_id(e->d_name, id) != 'm')
			continue;
		if ((m = malloc(sizeof(*m))) == NULL)
			fatal("loading the queue");
		if (spool_env_read(id, m, err, sizeof(err)) == -1) {
			free(m);
			spool_set_aside(id, err);
			continue;
		}
		m->recovering = 1;
		m->next = *head;
		*head = m;
		n++;
	}
	(void)closedir(d);
	return n;
}
