/*
 * store_subs.c: the subscriptions file (store_subscriptions and
 * store_subscribe in store_folder.h).  Runs in the mail process and
 * authctl; the file is the user's own but is read as hostile: bounded in
 * size, each line checked with the folder name rules.
 */
#include <sys/file.h>
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
#include "common/store_folder.h"
#include "common/store_int.h"
#include "common/util.h"

#define SUBS_FILE	"subscriptions"
#define SUBS_TMP	"subscriptions.tmp"
#define SUBS_LOCK	"postern-folders.lock"
#define SUBS_SIZE_MAX	(1U << 20)

/* subs_read_file: the whole file, NUL-terminated, in a new buffer; NULL
 * with *len 0 when there is none. */
static int
subs_read_file(struct store *s, char **buf, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t n = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = openat(s->dirfd, SUBS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > SUBS_SIZE_MAX ||
	    (*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, *buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	(void)close(fd);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

static int
subs_add(char **names, size_t *n, size_t *cap, const char *name)
{
	char key[STORE_KEY_MAX];
	void *p;
	size_t i;

	if (strlen(name) >= STORE_FOLDER_NAME_MAX || store_key(name, key) ==
	    -1)
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp(*names + i * STORE_FOLDER_NAME_MAX, name) == 0)
			return 0;
	if (*n >= STORE_SUBSCRIPTIONS_MAX)
		return 0;
	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((p = reallocarray(*names, *cap, STORE_FOLDER_NAME_MAX)) ==
		    NULL)
			return -1;
		*names = p;
	}
	(void)str_copy(*names + *n * STORE_FOLDER_NAME_MAX, name,
	    STORE_FOLDER_NAME_MAX);
	(*n)++;
	return 0;
}

int
store_subscriptions(struct store *s, char **names, size_t *n)
{
	char *buf, *line, *next, *p;
	size_t len, cap = 0;
	int v2 = 0, header = 0;

	*names = NULL;
	*n = 0;
	if (subs_read_file(s, &buf, &len) == -1) {
		log_warn("cannot read %s", SUBS_FILE);
		return -1;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line == buf && strcmp(line, "V\t2") == 0) {
			v2 = header = 1;
			continue;
		}
		if (header) {
			/* Dovecot's header ends at its first empty line */
			header = *line != '\0';
			continue;
		}
		if (v2)
			for (p = line; *p != '\0'; p++)
				if (*p == '\t')
					*p = '/';
		if (*line != '\0' && subs_add(names, n, &cap, line) == -1) {
			log_warn("out of memory reading %s", SUBS_FILE);
			free(buf);
			free(*names);
			*names = NULL;
			*n = 0;
			return -1;
		}
	}
	free(buf);
	return 0;
}

static int
subs_write(struct store *s, const char *names, size_t n)
{
	const char *name;
	size_t i;
	int fd;

	fd = openat(s->dirfd, SUBS_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	for (i = 0; i < n; i++) {
		name = names + i * STORE_FOLDER_NAME_MAX;
		if (write_all(fd, name, strlen(name)) == -1 ||
		    write_all(fd, "\n", 1) == -1) {
			(void)close(fd);
			return -1;
		}
	}
	if (fsync(fd) == -1) {
		(void)close(fd);
		return -1;
	}
	if (close(fd) == -1 ||
	    renameat(s->dirfd, SUBS_TMP, s->dirfd, SUBS_FILE) == -1 ||
	    fsync(s->dirfd) == -1)
		return -1;
	return 0;
}

static int
subs_change(struct store *s, const char *name, int on)
{
	char *names = NULL, canon[STORE_FOLDER_NAME_MAX];
	size_t i, n = 0, cap;
	int rc = 0;

	/* INBOX in any case is written as INBOX */
	if (str_copy(canon, name, sizeof(canon)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (strncasecmp(canon, "INBOX", 5) == 0 && (canon[5] == '\0' ||
	    canon[5] == '/'))
		memcpy(canon, "INBOX", 5);
	if (store_subscriptions(s, &names, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names + i * STORE_FOLDER_NAME_MAX, canon) == 0)
			break;
	if (on && i == n) {
		if (n >= STORE_SUBSCRIPTIONS_MAX) {
			free(names);
			errno = EMLINK;
			return -1;
		}
		cap = n;
		rc = subs_add(&names, &n, &cap, canon);
		if (rc == 0)
			rc = subs_write(s, names, n);
	} else if (!on && i < n) {
		memmove(names + i * STORE_FOLDER_NAME_MAX, names + (i + 1) *
		    STORE_FOLDER_NAME_MAX, (n - i - 1) * STORE_FOLDER_NAME_MAX);
		rc = subs_write(s, names, n - 1);
	}
	if (rc == -1)
		log_warn("cannot write %s", SUBS_FILE);
	free(names);
	return rc;
}

int
store_subscribe(struct store *s, const char *name, int on)
{
	char key[STORE_KEY_MAX];
	int lfd, rc;

	if (store_key(name, key) == -1)
		return -1;
	lfd = openat(s->dirfd, SUBS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK, 0600);
	if (lfd == -1 || flock(lfd, LOCK_EX) == -1) {
		log_warn("cannot lock the folder list");
		if (lfd != -1)
			(void)close(lfd);
		return -1;
	}
	rc = subs_change(s, name, on);
	(void)close(lfd);
	return rc;
}
