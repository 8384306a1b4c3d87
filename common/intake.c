/*
 * intake.c: the offline intake's writer and reader (intake.h).  The
 * writer runs in sendmail(8) as any local user and in authd; it trusts
 * its caller's arguments only after checking them against the format.
 * The reader runs in smtpd's queue role and trusts nothing in the file:
 * every local user can write one.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/intake.h"
#include "common/util.h"

static void
intake_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
intake_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
intake_addr_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > INTAKE_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			continue;
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

int
intake_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len >= INTAKE_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/* intake_header: the header of a file into buf; -1 when it does not fit
 * or an address is invalid. */
static int
intake_header(char *buf, size_t size, size_t *len, const char *sender,
    const char *const *rcpts, size_t n, char *err, size_t errlen)
{
	size_t i, off;
	int w;

	if (sender[0] != '\0' && !intake_addr_valid(sender, strlen(sender))) {
		intake_err(err, errlen, "invalid sender address");
		return -1;
	}
	if (n == 0 || n > INTAKE_RCPT_MAX) {
		intake_err(err, errlen, "%zu recipients (1 to %d allowed)", n,
		    INTAKE_RCPT_MAX);
		return -1;
	}
	w = snprintf(buf, size, INTAKE_MAGIC "\nfrom <%s>\n", sender);
	if (w < 0 || (size_t)w >= size)
		return -1;
	off = (size_t)w;
	for (i = 0; i < n; i++) {
		if (!intake_addr_valid(rcpts[i], strlen(rcpts[i]))) {
			intake_err(err, errlen, "invalid recipient address "
			    "(number %zu)", i + 1);
			return -1;
		}
		w = snprintf(buf + off, size - off, "rcpt <%s>\n", rcpts[i]);
		if (w < 0 || (size_t)w >= size - off)
			return -1;
		off += (size_t)w;
	}
	if (off + 1 >= size)
		return -1;
	buf[off++] = '\n';
	*len = off;
	return 0;
}

/* intake_name: a fresh finished-file name. */
static void
intake_name(char *name, size_t size)
{
	struct timeval tv;
	uint64_t r;

	(void)gettimeofday(&tv, NULL);
	random_bytes(&r, sizeof(r));
	(void)snprintf(name, size, "%lld.%06ld.%ld.%016llx",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    (unsigned long long)r);
}

/* intake_sync_dir: make the rename durable (intake.h says how). */
static int
intake_sync_dir(int dirfd, int filefd)
{
	int fd, rc;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if (errno != EACCES)
			return -1;
		return syncfs(filefd);
	}
	rc = fsync(fd);
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

/* intake_place: rename tmp to a fresh name (into name), never replacing
 * a file. */
static int
intake_place(int dirfd, const char *tmp, char *name, size_t size)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		intake_name(name, size);
		if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int
intake_write(const char *spool_dir, const char *sender,
    const char *const *rcpts, size_t n, const void *msg, size_t len,
    char *err, size_t errlen)
{
	char hdr[INTAKE_HDR_MAX], path[4096], tmp[INTAKE_NAME_MAX + 8];
	char name[INTAKE_NAME_MAX];
	size_t hlen;
	int dirfd, fd = -1, saved, w;
	const char *what;

	if (intake_header(hdr, sizeof(hdr), &hlen, sender, rcpts, n, err,
	    errlen) == -1) {
		errno = EINVAL;
		return -1;
	}
	w = snprintf(path, sizeof(path), "%s/" INTAKE_DIR, spool_dir);
	if (w < 0 || (size_t)w >= sizeof(path)) {
		intake_err(err, errlen, "spool directory name too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		saved = errno;
		intake_err(err, errlen, "cannot open %s: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	memcpy(tmp, ".tmp.", 5);
	intake_name(tmp + 5, sizeof(tmp) - 5);
	what = "cannot create a file in";
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1)
		goto fail;
	what = "cannot write a file in";
	if (fchmod(fd, 0644) == -1 || write_all(fd, hdr, hlen) == -1 ||
	    (len > 0 && write_all(fd, msg, len) == -1))
		goto fail;
	what = "cannot save a file in";
	if (fsync(fd) == -1 || intake_place(dirfd, tmp, name, sizeof(name)) == -1)
		goto fail;
	what = "cannot make durable the new file in";
	if (intake_sync_dir(dirfd, fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail_placed;
	}
	(void)close(dirfd);
	return 0;

fail:
	saved = errno;
	if (fd != -1) {
		(void)unlinkat(dirfd, tmp, 0);
		(void)close(fd);
	}
	(void)close(dirfd);
	intake_err(err, errlen, "%s %s: %s", what, path, strerror(saved));
	errno = saved;
	return -1;

fail_placed:
	/* The file has its final name, but the name is not known to be
	 * durable: take it back.  If the queue picked it up in between, the
	 * message goes out although the caller reports a failure (a
	 * duplicate beats a loss). */
	saved = errno;
	(void)unlinkat(dirfd, name, 0);
	if (fd != -1)
		(void)close(fd);
	(void)close(dirfd);
	intake_err(err, errlen, "%s %s: %s", what, path, strerror(saved));
	errno = saved;
	return -1;
}

/* intake_line_addr: the address in a "<kw> <addr>" line of len bytes
 * into out; -1 when the line is not that. */
static int
intake_line_addr(const char *line, size_t len, const char *kw, int empty_ok,
    char *out)
{
	size_t klen = strlen(kw), alen;

	if (len < klen + 3 || memcmp(line, kw, klen) != 0 ||
	    line[klen] != ' ' || line[klen + 1] != '<' || line[len - 1] != '>')
		return -1;
	alen = len - klen - 3;
	if (alen == 0 && empty_ok) {
		out[0] = '\0';
		return 0;
	}
	if (!intake_addr_valid(line + klen + 2, alen))
		return -1;
	memcpy(out, line + klen + 2, alen);
	out[alen] = '\0';
	return 0;
}

/* intake_parse: the header in buf (got bytes read) into *m. */
static int
intake_parse(const char *buf, size_t got, struct intake_msg *m, char *err,
    size_t errlen)
{
	size_t off = 0, len, lineno = 0;
	const char *nl;

	m->nrcpt = 0;
	for (;;) {
		nl = memchr(buf + off, '\n', got - off);
		lineno++;
		if (nl == NULL) {
			intake_err(err, errlen, "line %zu: header not ended "
			    "within %d bytes", lineno, INTAKE_HDR_MAX);
			return INTAKE_BAD;
		}
		len = (size_t)(nl - (buf + off));
		if (lineno == 1) {
			if (len != strlen(INTAKE_MAGIC) ||
			    memcmp(buf, INTAKE_MAGIC, len) != 0) {
				intake_err(err, errlen, "line 1: not \""
				    INTAKE_MAGIC "\"");
				return INTAKE_BAD;
			}
		} else if (lineno == 2) {
			if (intake_line_addr(buf + off, len, "from", 1,
			    m->sender) == -1) {
				intake_err(err, errlen, "line 2: not \"from "
				    "<address>\" with a valid address");
				return INTAKE_BAD;
			}
		} else if (len == 0) {
			break;
		} else if (m->nrcpt == INTAKE_RCPT_MAX) {
			intake_err(err, errlen, "line %zu: more than %d "
			    "recipients", lineno, INTAKE_RCPT_MAX);
			return INTAKE_BAD;
		} else if (intake_line_addr(buf + off, len, "rcpt", 0,
		    m->rcpt[m->nrcpt]) == -1) {
			intake_err(err, errlen, "line %zu: not \"rcpt "
			    "<address>\" with a valid address", lineno);
			return INTAKE_BAD;
		} else
			m->nrcpt++;
		off += len + 1;
	}
	if (m->nrcpt == 0) {
		intake_err(err, errlen, "no recipient");
		return INTAKE_BAD;
	}
	m->body_off = (off_t)(off + 1);
	return INTAKE_OK;
}

int
intake_read(int fd, uint64_t max_body, struct intake_msg *m, char *err,
    size_t errlen)
{
	char buf[INTAKE_HDR_MAX];
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int rc;

	if (fstat(fd, &st) == -1) {
		intake_err(err, errlen, "cannot stat: %s", strerror(errno));
		return INTAKE_IOERR;
	}
	m->owner = st.st_uid;
	if (!S_ISREG(st.st_mode)) {
		intake_err(err, errlen, "not a regular file");
		return INTAKE_BAD;
	}
	if (st.st_nlink != 1) {
		intake_err(err, errlen, "%ju links to the file (1 allowed)",
		    (uintmax_t)st.st_nlink);
		return INTAKE_BAD;
	}
	while (got < sizeof(buf)) {
		r = pread(fd, buf + got, sizeof(buf) - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			intake_err(err, errlen, "cannot read: %s",
			    strerror(errno));
			return INTAKE_IOERR;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rc = intake_parse(buf, got, m, err, errlen);
	if (rc != INTAKE_OK)
		return rc;
	if ((uint64_t)st.st_size < (uint64_t)m->body_off) {
		intake_err(err, errlen, "the file shrank while read");
		return INTAKE_BAD;
	}
	m->body_len = (uint64_t)st.st_size - (uint64_t)m->body_off;
	if (m->body_len > max_body) {
		intake_err(err, errlen, "message of %ju bytes (at most %ju "
		    "allowed)", (uintmax_t)m->body_len, (uintmax_t)max_body);
		return INTAKE_BAD;
	}
	return INTAKE_OK;
}
