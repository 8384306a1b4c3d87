/*
 * store_maildir.c: the Maildir side of the mail store (store_maildir.h)
 * and delivery (store_deliver in store.h).  Runs in the imapd/pop3d mail
 * process, chrooted to the user's Maildir, and in smtpd's deliver process.
 * Every name read from a directory goes through maildir_name_parse, and
 * a regular file whose name fails it is renamed (maildir_salvage) rather
 * than skipped; files are opened with O_NOFOLLOW and must be regular
 * files; nothing else about the directory contents is trusted, though
 * they are the user's own.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_maildir.h"
#include "common/util.h"

#define MAILDIR_UIDS		"postern-uids"
#define MAILDIR_UIDS_TMP	"postern-uids.tmp"
#define MAILDIR_UIDS_LOCK	"postern-uids.lock"
#define MAILDIR_HOST_MAX	64
#define MAILDIR_IOBUF		16384

static const struct {
	char		letter;
	uint32_t	flag;
} maildir_letters[] = {		/* sorted by letter, as Maildir wants */
	{ 'D', STORE_DRAFT },
	{ 'F', STORE_FLAGGED },
	{ 'R', STORE_ANSWERED },
	{ 'S', STORE_SEEN },
	{ 'T', STORE_DELETED },
};
#define MAILDIR_NLETTERS (sizeof(maildir_letters) / sizeof(maildir_letters[0]))

void
maildir_flags_string(uint32_t flags, uint32_t keywords, char *buf)
{
	size_t i, n = 0;

	for (i = 0; i < MAILDIR_NLETTERS; i++)
		if (flags & maildir_letters[i].flag)
			buf[n++] = maildir_letters[i].letter;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		if (keywords & (1U << i))
			buf[n++] = (char)('a' + i);
	buf[n] = '\0';
}

/* maildir_flags_parse: capitals are flags, small letters keywords
 * (Dovecot's convention); other characters are ignored. */
static void
maildir_flags_parse(const char *s, uint32_t *flags, uint32_t *keywords)
{
	size_t i;

	*flags = *keywords = 0;
	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z') {
			*keywords |= 1U << (*s - 'a');
			continue;
		}
		for (i = 0; i < MAILDIR_NLETTERS; i++)
			if (*s == maildir_letters[i].letter)
				*flags |= maildir_letters[i].flag;
	}
}

/* maildir_num: the decimal number in s[0..len), without sign or excess. */
static int
maildir_num(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return 0;
}

/* maildir_field: take one ",x=y" field: ours go into mn, others to base. */
static void
maildir_field(struct maildir_name *mn, const char *f, size_t len,
    unsigned int *seen)
{
	uint64_t v = 0;
	size_t blen;
	int ok, bit;

	if (len >= 2 && f[1] == '=' && (f[0] == 'S' || f[0] == 'W' ||
	    f[0] == 'U')) {
		bit = f[0] == 'S' ? 1 : f[0] == 'W' ? 2 : 4;
		ok = maildir_num(f + 2, len - 2, &v) == 0 &&
		    (*seen & bit) == 0;
		*seen |= bit;
		if (bit == 1) {
			mn->has_size = ok;
			mn->size = ok ? v : 0;
		} else if (bit == 2) {
			mn->has_wsize = ok;
			mn->wsize = ok ? v : 0;
		} else
			mn->uid = ok && v >= 1 && v <= MAILDIR_UID_MAX ?
			    (uint32_t)v : 0;
		return;
	}
	blen = strlen(mn->base);	/* fits: base is a part of the name */
	mn->base[blen] = ',';
	memcpy(mn->base + blen + 1, f, len);
	mn->base[blen + 1 + len] = '\0';
}

static int
maildir_name_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i;

	if (p[0] == '\0' || p[0] == '.')
		return 0;
	for (i = 0; p[i] != '\0'; i++)
		if (i >= STORE_NAME_MAX - 1 || p[i] <= 0x20 || p[i] >= 0x7f ||
		    p[i] == '/')
			return 0;
	return 1;
}

int
maildir_name_parse(const char *name, struct maildir_name *mn)
{
	const char *colon, *end, *p, *c;
	unsigned int seen = 0;

	memset(mn, 0, sizeof(*mn));
	if (!maildir_name_valid(name))
		return -1;
	if ((colon = strchr(name, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return -1;
		if (colon[1] == '2' && colon[2] == ',') {
			mn->has_info = 1;
			maildir_flags_parse(colon + 3, &mn->flags,
			    &mn->keywords);
		}
		end = colon;
	} else
		end = name + strlen(name);
	if ((c = memchr(name, ',', (size_t)(end - name))) == NULL)
		c = end;
	if (c == name)
		return -1;
	memcpy(mn->base, name, (size_t)(c - name));
	mn->base[c - name] = '\0';
	for (p = c; p < end; p = c) {
		p++;
		if ((c = memchr(p, ',', (size_t)(end - p))) == NULL)
			c = end;
		maildir_field(mn, p, (size_t)(c - p), &seen);
	}
	return 0;
}

int
maildir_name_build(const struct maildir_name *mn, char *buf, size_t len)
{
	char s[32] = "", w[32] = "", u[16] = "", fl[MAILDIR_FLAGS_MAX];
	char info[MAILDIR_FLAGS_MAX + 4] = "";
	int n;

	if (mn->has_size)
		(void)snprintf(s, sizeof(s), ",S=%" PRIu64, mn->size);
	if (mn->has_wsize)
		(void)snprintf(w, sizeof(w), ",W=%" PRIu64, mn->wsize);
	if (mn->uid != 0)
		(void)snprintf(u, sizeof(u), ",U=%" PRIu32, mn->uid);
	if (mn->has_info) {
		maildir_flags_string(mn->flags, mn->keywords, fl);
		(void)snprintf(info, sizeof(info), ":2,%s", fl);
	}
	n = snprintf(buf, len, "%s%s%s%s%s", mn->base, s, w, u, info);
	if (n < 0 || (size_t)n >= len || n >= STORE_NAME_MAX)
		return -1;
	return 0;
}

/* maildir_name_time: the leading "<secs>[.M<usecs>]" of a name. */
static void
maildir_name_time(const char *s, uint64_t *secs, uint64_t *usecs)
{
	size_t n;

	*secs = *usecs = 0;
	n = strspn(s, "0123456789");
	if (maildir_num(s, n, secs) == -1)
		return;
	if (s[n] != '.' || s[n + 1] != 'M')
		return;
	s += n + 2;
	(void)maildir_num(s, strspn(s, "0123456789"), usecs);
}

int
maildir_name_cmp(const char *a, const char *b)
{
	uint64_t sa, ua, sb, ub;

	maildir_name_time(a, &sa, &ua);
	maildir_name_time(b, &sb, &ub);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (ua != ub)
		return ua < ub ? -1 : 1;
	return strcmp(a, b);
}

/* maildir_list_grow: room for one more name and, with ent, one entry. */
static int
maildir_list_grow(struct maildir_list *l, size_t namelen, int ent)
{
	void *p;
	size_t cap;

	if (ent && l->n == l->cap) {
		cap = l->cap == 0 ? 256 : l->cap * 2;
		if ((p = reallocarray(l->ent, cap, sizeof(*l->ent))) == NULL)
			return -1;
		l->ent = p;
		l->cap = cap;
	}
	if (l->ncap - l->nlen < namelen + 1) {
		cap = l->ncap == 0 ? 16384 : l->ncap;
		while (cap - l->nlen < namelen + 1)
			cap *= 2;
		if ((p = realloc(l->names, cap)) == NULL)
			return -1;
		l->names = p;
		l->ncap = cap;
	}
	return 0;
}

/* maildir_list_add: the names size check is done before, by the parse. */
static int
maildir_list_add(struct maildir_list *l, const char *name,
    const struct maildir_name *mn, int in_new)
{
	struct maildir_ent *e;
	size_t len = strlen(name);

	if (maildir_list_grow(l, len, 1) == -1)
		return -1;
	e = &l->ent[l->n++];
	memset(e, 0, sizeof(*e));
	e->off = l->nlen;
	memcpy(l->names + l->nlen, name, len + 1);
	l->nlen += len + 1;
	e->uid = in_new ? 0 : mn->uid;
	e->flags = mn->flags;
	e->keywords = mn->keywords;
	e->size = mn->size;
	e->wsize = mn->wsize;
	e->sized = mn->has_size && mn->has_wsize;
	e->in_new = in_new;
	return 0;
}

int
maildir_list_rename(struct maildir_list *l, struct maildir_ent *e,
    const char *name)
{
	size_t len = strlen(name);

	if (maildir_list_grow(l, len, 0) == -1)
		return -1;
	e->off = l->nlen;
	memcpy(l->names + l->nlen, name, len + 1);
	l->nlen += len + 1;
	return 0;
}

const char *
maildir_list_name(const struct maildir_list *l, const struct maildir_ent *e)
{
	return l->names + e->off;
}

void
maildir_list_free(struct maildir_list *l)
{
	free(l->ent);
	free(l->names);
	free(l->bad);
	memset(l, 0, sizeof(*l));
}

/* maildir_list_bad: keep an unusable name for maildir_list_salvage. */
static int
maildir_list_bad(struct maildir_list *l, const char *name)
{
	size_t len = strlen(name), cap;
	char *p;

	if (l->nbad >= MAILDIR_BAD_MAX) {
		l->skipped++;
		return 0;
	}
	if (l->badcap - l->badlen < len + 1) {
		cap = l->badcap == 0 ? 4096 : l->badcap * 2;
		while (cap - l->badlen < len + 1)
			cap *= 2;
		if ((p = realloc(l->bad, cap)) == NULL)
			return -1;
		l->bad = p;
		l->badcap = cap;
	}
	memcpy(l->bad + l->badlen, name, len + 1);
	l->badlen += len + 1;
	l->nbad++;
	return 0;
}

static int
maildir_list_entry(struct maildir_list *l, const struct dirent *de,
    int in_new)
{
	struct maildir_name mn;

	if (de->d_name[0] == '.')
		return 0;
	if (l->n >= MAILDIR_MSGS_MAX) {
		l->skipped++;
		return 0;
	}
	if ((de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
	    maildir_name_parse(de->d_name, &mn) == -1)
		return maildir_list_bad(l, de->d_name);
	return maildir_list_add(l, de->d_name, &mn, in_new);
}

void
maildir_name_vis(const char *name, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;

	for (; *p != '\0'; p++) {
		if (n + 5 > len - 4) {
			memcpy(buf + n, "...", 4);
			return;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%03o", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
}

/* maildir_salvage_flags: the flags of a trailing ":2,<letters>" in name;
 * 0 and no info when there is none or it holds anything else. */
static void
maildir_salvage_flags(const char *name, struct maildir_name *mn)
{
	const char *p, *colon = strrchr(name, ':');

	if (colon == NULL || colon[1] != '2' || colon[2] != ',')
		return;
	for (p = colon + 3; *p != '\0'; p++)
		if ((*p < 'A' || *p > 'Z') && (*p < 'a' || *p > 'z'))
			return;
	mn->has_info = 1;
	maildir_flags_parse(colon + 3, &mn->flags, &mn->keywords);
}

/* maildir_hostname: the host name with '/', ':', ',' and anything not
 * printable as \ooo, so it can't break the name's syntax. */
static void
maildir_hostname(char *buf, size_t len)
{
	char host[MAILDIR_HOST_MAX + 1];
	unsigned char c;
	size_t i, n = 0;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		(void)str_copy(host, "localhost", sizeof(host));
	host[MAILDIR_HOST_MAX] = '\0';
	for (i = 0; host[i] != '\0' && n + 5 < len; i++) {
		c = (unsigned char)host[i];
		if (c == '/' || c == ':' || c == ',' || c == '\\' ||
		    c <= 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\%03o", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
}

int
maildir_unique_base(char *base, size_t len)
{
	char host[MAILDIR_HOST_MAX * 4 + 1];
	uint64_t rnd;
	int64_t us = now_us();
	int n;

	random_bytes(&rnd, sizeof(rnd));
	maildir_hostname(host, sizeof(host));
	n = snprintf(base, len, "%" PRId64 ".M%06" PRId64 "P%ldR%016" PRIx64
	    ".%s", us / 1000000, us % 1000000, (long)getpid(), rnd, host);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
maildir_salvage(int dirfd, const char *name, char *buf, size_t len)
{
	struct maildir_name mn;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	memset(&mn, 0, sizeof(mn));
	maildir_salvage_flags(name, &mn);
	if (maildir_unique_base(mn.base, sizeof(mn.base)) == -1 ||
	    maildir_name_build(&mn, buf, len) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return renameat2(dirfd, name, dirfd, buf, RENAME_NOREPLACE);
}

/* maildir_salvage_one: one unusable name of sub, logged; 1 and its new
 * name in buf when it was renamed, else 0. */
static int
maildir_salvage_one(int dirfd, const char *sub, const char *name,
    const char *folder, char *buf, size_t len)
{
	char vis[512];

	maildir_name_vis(name, vis, sizeof(vis));
	if (maildir_salvage(dirfd, name, buf, len) == 0) {
		log_warnx("folder %s: %s/%s: a name the store cannot "
		    "use; renamed to %s/%s", folder, sub, vis, sub, buf);
		return 1;
	}
	if (errno == ENOENT)
		return 0;	/* removed meanwhile: nothing to show */
	if (errno == EINVAL)
		log_warnx("folder %s: %s/%s: not a regular file; "
		    "left alone", folder, sub, vis);
	else
		log_warn("folder %s: %s/%s: a name the store cannot "
		    "use, and renaming it failed", folder, sub, vis);
	return 0;
}

int
maildir_list_salvage(struct maildir_list *l, int folderfd, const char *sub,
    int in_new, const char *folder)
{
	struct maildir_name mn;
	char buf[STORE_NAME_MAX];
	const char *name;
	size_t i;
	int fd, rc = 0;

	if (l->nbad == 0)
		return 0;
	if ((fd = maildir_subdir_open(folderfd, sub)) == -1) {
		log_warn("folder %s: %s", folder, sub);
		return -1;
	}
	for (i = 0, name = l->bad; i < l->nbad && rc == 0; i++,
	    name += strlen(name) + 1)
		if (maildir_salvage_one(fd, sub, name, folder, buf,
		    sizeof(buf)) && maildir_name_parse(buf, &mn) == 0 &&
		    l->n < MAILDIR_MSGS_MAX &&
		    (rc = maildir_list_add(l, buf, &mn, in_new)) == -1)
			log_warn("folder %s", folder);
	(void)close(fd);
	l->nbad = l->badlen = 0;
	return rc;
}

int
maildir_list_read(struct maildir_list *l, int folderfd, const char *sub,
    int in_new)
{
	struct dirent *de;
	DIR *dir;
	int fd, save;

	if ((fd = maildir_subdir_open(folderfd, sub)) == -1) {
		log_warn("cannot list %s", sub);
		return -1;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		log_warn("cannot read the directory %s", sub);
		(void)close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL)
			break;
		if (maildir_list_entry(l, de, in_new) == -1)
			break;
	}
	save = errno;
	(void)closedir(dir);
	if (save != 0) {
		errno = save;
		log_warn("cannot list %s", sub);
		return -1;
	}
	return 0;
}

int
maildir_measure(int fd, uint64_t *size, uint64_t *wsize)
{
	char buf[MAILDIR_IOBUF];
	uint64_t n = 0, bare = 0;
	ssize_t r, i;
	int prevcr = 0, lastlf = 1;

	for (;;) {
		if ((r = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n' && !prevcr)
				bare++;
			prevcr = buf[i] == '\r';
		}
		lastlf = buf[r - 1] == '\n';
		n += (uint64_t)r;
	}
	*size = n;
	/* the wire form ends with a line end even when the file does not */
	*wsize = n + bare + (lastlf ? 0 : 2);
	return 0;
}

int
maildir_ent_stat(int dirfd, const char *name, struct maildir_ent *e)
{
	struct stat st;
	int fd, rc, save;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	e->mtime = (int64_t)st.st_mtime;
	if (e->sized && e->size == (uint64_t)st.st_size)
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	rc = maildir_measure(fd, &e->size, &e->wsize);
	save = errno;
	(void)close(fd);
	errno = save;
	if (rc == 0)
		e->sized = 1;
	return rc;
}

int
maildir_subdir_open(int dirfd, const char *sub)
{
	return openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

int
maildir_fsync_dir(int dirfd, const char *sub)
{
	int fd, rc, save;

	if ((fd = maildir_subdir_open(dirfd, sub)) == -1)
		return -1;
	rc = fsync(fd);
	save = errno;
	if (close(fd) == -1 && rc == 0)
		return -1;
	errno = save;
	return rc;
}

int
maildir_mkdirs(int dirfd)
{
	static const char *subs[] = { "cur", "new", "tmp" };
	struct stat st;
	size_t i;
	int made = 0;

	for (i = 0; i < 3; i++) {
		if (mkdirat(dirfd, subs[i], 0700) == 0)
			made = 1;
		else if (errno != EEXIST)
			return -1;
		if (fstatat(dirfd, subs[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	if (made && maildir_fsync_dir(dirfd, ".") == -1)
		return -1;
	return 0;
}

/* maildir_uids_parse: "v1 <uidvalidity> <uidnext>\n", nothing else. */
static int
maildir_uids_parse(const char *s, struct maildir_uids *u)
{
	uint64_t v, n;
	size_t a, b;

	if (strncmp(s, "v1 ", 3) != 0)
		return -1;
	s += 3;
	a = strspn(s, "0123456789");
	if (s[a] != ' ')
		return -1;
	b = strspn(s + a + 1, "0123456789");
	if (strcmp(s + a + 1 + b, "\n") != 0)
		return -1;
	if (maildir_num(s, a, &v) == -1 || maildir_num(s + a + 1, b, &n) ==
	    -1 || v == 0 || v > UINT32_MAX || n == 0 || n > UINT32_MAX)
		return -1;
	u->uidvalidity = (uint32_t)v;
	u->uidnext = (uint32_t)n;
	return 0;
}

int
maildir_uids_read(int folderfd, struct maildir_uids *u)
{
	char buf[64];
	struct stat st;
	ssize_t r;
	int fd;

	fd = openat(folderfd, MAILDIR_UIDS, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT)
		return 1;
	if (fd == -1) {
		log_warn("cannot read %s", MAILDIR_UIDS);
		return errno == ELOOP ? 1 : -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		r = -1;
	else
		while ((r = read(fd, buf, sizeof(buf) - 1)) == -1 &&
		    errno == EINTR)
			;
	(void)close(fd);
	if (r >= 0) {
		buf[r] = '\0';
		if (maildir_uids_parse(buf, u) == 0)
			return 0;
	}
	log_warnx("%s unreadable or malformed",
	    MAILDIR_UIDS);
	return 1;
}

int
maildir_uids_write(int folderfd, const struct maildir_uids *u)
{
	char buf[64];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "v1 %" PRIu32 " %" PRIu32 "\n",
	    u->uidvalidity, u->uidnext);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fatalx("internal error: UID file contents too long");
	fd = openat(folderfd, MAILDIR_UIDS_TMP, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (write_all(fd, buf, (size_t)n) == -1 || fsync(fd) == -1) {
		(void)close(fd);
		goto fail;
	}
	if (close(fd) == -1 ||
	    renameat(folderfd, MAILDIR_UIDS_TMP, folderfd, MAILDIR_UIDS) ==
	    -1 || fsync(folderfd) == -1)
		goto fail;
	return 0;
fail:
	log_warn("cannot write %s", MAILDIR_UIDS);
	return -1;
}

int
maildir_lock(int folderfd)
{
	int fd;

	fd = openat(folderfd, MAILDIR_UIDS_LOCK, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd == -1) {
		log_warn("cannot open the lock file %s", MAILDIR_UIDS_LOCK);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		log_warn("cannot lock the folder");
		(void)close(fd);
		return -1;
	}
	return fd;
}

void
maildir_unlock(int lockfd)
{
	if (lockfd != -1)
		(void)close(lockfd);	/* releases the flock */
}

/* maildir_lf_size: the stored size (CRLF turned into LF) and W=. */
static void
maildir_lf_size(const char *p, size_t len, uint64_t *size, uint64_t *wsize)
{
	size_t i;
	uint64_t n = 0, lf = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			continue;
		n++;
		if (p[i] == '\n')
			lf++;
	}
	*size = n;
	/* the wire form ends with a line end even when the message does not */
	*wsize = n + lf + (len > 0 && p[len - 1] != '\n' ? 2 : 0);
}

static int
maildir_write_lf(int fd, const char *p, size_t len)
{
	char buf[MAILDIR_IOBUF];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			continue;
		buf[n++] = p[i];
		if (n == sizeof(buf)) {
			if (write_all(fd, buf, n) == -1)
				return -1;
			n = 0;
		}
	}
	return write_all(fd, buf, n);
}

static int
maildir_deliver_name(char *buf, size_t len, const char *data, size_t dlen)
{
	struct maildir_name mn;

	memset(&mn, 0, sizeof(mn));
	if (maildir_unique_base(mn.base, sizeof(mn.base)) == -1)
		return -1;
	maildir_lf_size(data, dlen, &mn.size, &mn.wsize);
	mn.has_size = mn.has_wsize = 1;
	return maildir_name_build(&mn, buf, len);
}

int
maildir_mkpath(const char *path)
{
	char buf[PATH_MAX];
	size_t i;

	if (str_copy(buf, path, sizeof(buf)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; ; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		if (path[i] == '\0')
			return 0;
		buf[i] = '/';
	}
}

/* maildir_deliver_file: write tmp/name; on failure nothing is left. */
static int
maildir_deliver_file(int tfd, const char *name, const char *data,
    size_t len)
{
	int fd, save;

	fd = openat(tfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (maildir_write_lf(fd, data, len) == -1 || fsync(fd) == -1) {
		save = errno;
		(void)close(fd);
		(void)unlinkat(tfd, name, 0);
		errno = save;
		return -1;
	}
	if (close(fd) == -1) {
		save = errno;
		(void)unlinkat(tfd, name, 0);
		errno = save;
		return -1;
	}
	return 0;
}

static int
maildir_deliver_at(int dfd, const char *data, size_t len, const char **what)
{
	char name[STORE_NAME_MAX];
	int tfd = -1, nfd = -1, rc = -1, save;

	*what = "mkdir";
	if (maildir_mkdirs(dfd) == -1)
		return -1;
	*what = "open tmp/ new/";
	if ((tfd = maildir_subdir_open(dfd, "tmp")) == -1 ||
	    (nfd = maildir_subdir_open(dfd, "new")) == -1)
		goto done;
	*what = "file name";
	errno = ENAMETOOLONG;
	if (maildir_deliver_name(name, sizeof(name), data, len) == -1)
		goto done;
	*what = "write tmp/";
	if (maildir_deliver_file(tfd, name, data, len) == -1)
		goto done;
	*what = "rename into new/";
	if (renameat2(tfd, name, nfd, name, RENAME_NOREPLACE) == -1) {
		save = errno;
		(void)unlinkat(tfd, name, 0);
		errno = save;
		goto done;
	}
	*what = "fsync new/";
	if (fsync(nfd) == -1) {
		save = errno;
		(void)unlinkat(nfd, name, 0);
		errno = save;
		goto done;
	}
	rc = 0;
done:
	save = errno;
	if (tfd != -1)
		(void)close(tfd);
	if (nfd != -1)
		(void)close(nfd);
	errno = save;
	return rc;
}

int
store_deliver(const char *maildir, const void *data, size_t len, char *err,
    size_t errlen)
{
	const char *what = "mkdir";
	int dfd, rc, save;

	if (maildir_mkpath(maildir) == -1 ||
	    (dfd = open(maildir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "store_deliver: %s: %s", what,
		    strerror(errno));
		return -1;
	}
	rc = maildir_deliver_at(dfd, data, len, &what);
	save = errno;
	(void)close(dfd);
	if (rc == -1)
		(void)snprintf(err, errlen, "store_deliver: %s: %s", what,
		    strerror(save));
	return rc;
}
