/*
 * test_store.c: unit test of the mail store (common/store*.c): delivery,
 * UIDs assigned in delivery order and kept across reopening and across
 * rebuilding a deleted or corrupt index, expunge without UID reuse, flags
 * in file names, W= sizes, files dropped in by other programs, vanished
 * and hostile names, files with unusable names renamed (not skipped) and
 * logged, concurrent syncs, and a 2000-message folder.  Runs as
 * a plain program in a fresh directory under $TMPDIR; trusts nothing: it
 * is the test.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_folder.h"
#include "tests/unit/check.h"

static char	topdir[256];
static char	mdir[300];

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_rf(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
new_maildir(const char *name)
{
	(void)snprintf(mdir, sizeof(mdir), "%s/%s", topdir, name);
}

static const char *
path_in(const char *sub)
{
	static char buf[1024];

	(void)snprintf(buf, sizeof(buf), "%s/%s", mdir, sub);
	return buf;
}

static int
deliver(const char *text)
{
	char err[256];

	if (store_deliver(mdir, text, strlen(text), err, sizeof(err)) == -1) {
		printf("# deliver: %s\n", err);
		return -1;
	}
	return 0;
}

static struct store *
open_store(void)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, mdir, err, sizeof(err)) == -1) {
		printf("# store_open: %s\n", err);
		return NULL;
	}
	return s;
}

static struct store *
open_sync(struct store_folder *info)
{
	struct store *s;

	if ((s = open_store()) == NULL)
		return NULL;
	if (store_sync(s, "INBOX", info) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* read_msg: the content of m, NUL-terminated, into buf. */
static int
read_msg(struct store *s, const struct store_msg *m, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	if ((fd = store_msg_open(s, "INBOX", m)) == -1)
		return -1;
	r = read(fd, buf, len - 1);
	(void)close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

static size_t
count_dir(const char *sub)
{
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	if ((d = opendir(path_in(sub))) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* uids_seq: 1 when the n messages have UIDs first, first+1, ... */
static int
uids_seq(const struct store_msg *m, size_t n, uint32_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].uid != first + i)
			return 0;
	return 1;
}

static void
test_deliver_sync(void)
{
	struct store_folder info, again;
	struct store_msg *m = NULL;
	struct store *s;
	char buf[256], want[64];
	size_t n = 0, i, ok = 0;

	new_maildir("basic");
	for (i = 0; i < 5; i++) {
		(void)snprintf(want, sizeof(want), "Subject: %zu\n\nbody\n", i);
		CHECK_INT_EQ(deliver(want), 0, "deliver");
	}
	CHECK_INT_EQ(count_dir("new"), 5, "five files in new/");
	CHECK_INT_EQ(count_dir("tmp"), 0, "nothing left in tmp/");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open and sync"))
		return;
	CHECK_INT_EQ(info.exists, 5, "exists 5");
	CHECK_INT_EQ(info.uidnext, 6, "uidnext 6");
	CHECK_TRUE(info.uidvalidity != 0, "uidvalidity set");
	CHECK_INT_EQ(count_dir("new"), 0, "new/ emptied");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_INT_EQ(n, 5, "five listed");
	CHECK_TRUE(uids_seq(m, n, 1), "UIDs 1..5");
	for (i = 0; i < n; i++) {
		(void)snprintf(want, sizeof(want), "Subject: %zu\n\nbody\n", i);
		if (read_msg(s, &m[i], buf, sizeof(buf)) == 0 &&
		    strcmp(buf, want) == 0 && strstr(m[i].name, ",U=") != NULL)
			ok++;
	}
	CHECK_INT_EQ(ok, 5, "UIDs in delivery order, U= in the names");
	free(m);
	store_close(s);
	if (!CHECK_TRUE((s = open_sync(&again)) != NULL, "reopen"))
		return;
	CHECK_INT_EQ(again.uidvalidity, info.uidvalidity,
	    "uidvalidity stable across reopen");
	CHECK_INT_EQ(again.uidnext, 6, "uidnext stable");
	CHECK_INT_EQ(again.highestmodseq, info.highestmodseq,
	    "nothing changed: same modseq");
	store_close(s);
}

/* check_rebuilt: reopen and compare with the listing taken before. */
static void
check_rebuilt(const struct store_folder *before, const struct store_msg *bm,
    size_t bn, int bumped, const char *what)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0, i, same = 0;

	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, what))
		return;
	CHECK_INT_EQ(info.uidvalidity, before->uidvalidity, what);
	CHECK_INT_EQ(info.uidnext, before->uidnext, what);
	CHECK_TRUE(bumped ? info.highestmodseq > before->highestmodseq :
	    info.highestmodseq == before->highestmodseq, what);
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, what);
	CHECK_INT_EQ(n, bn, what);
	for (i = 0; i < n && i < bn; i++)
		if (m[i].uid == bm[i].uid && m[i].flags == bm[i].flags &&
		    m[i].size == bm[i].size && strcmp(m[i].name,
		    bm[i].name) == 0 && m[i].internal_date ==
		    bm[i].internal_date)
			same++;
	CHECK_INT_EQ(same, bn, what);
	free(m);
	store_close(s);
}

static int
snapshot(struct store_folder *info, struct store_msg **m, size_t *n)
{
	struct store *s;
	int rc;

	if ((s = open_sync(info)) == NULL)
		return -1;
	rc = store_list(s, "INBOX", m, n);
	store_close(s);
	return rc;
}

static int
has_corrupt_copy(void)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = opendir(mdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "index.lmdb.corrupt-", 19) == 0)
			found = 1;
	(void)closedir(d);
	return found;
}

/*
 * crash_on_pages: garble the pages after LMDB's two meta pages (with
 * fill, or a pattern when it is negative), where
 * LMDB trusts page numbers and may die of SIGBUS rather than return
 * MDB_CORRUPTED; a child opens the store, syncs and lists INBOX as a
 * session does, which may crash it, and the next open must notice (a
 * process died with the index open: the index is checked, with faults
 * caught) and rebuild.
 */
static int
crash_on_pages(int fill)
{
	struct store *s;
	struct store_msg *m;
	size_t n;
	unsigned char junk[8192];
	size_t i;
	pid_t pid;
	int fd, st;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(fill < 0 ? (int)(i * 31 + 7) : fill);
	if ((fd = open(path_in("index.lmdb/data.mdb"), O_WRONLY)) == -1)
		return -1;
	if (pwrite(fd, junk, sizeof(junk), 8192) != (ssize_t)sizeof(junk)) {
		(void)close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(fd, 2);
		/* a session: open, sync and list, as pop3d does */
		if ((s = open_sync(NULL)) != NULL &&
		    store_list(s, "INBOX", &m, &n) == 0)
			free(m);
		store_close(s);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	printf("# child opening it: %s %d\n", WIFSIGNALED(st) ? "signal" :
	    "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}

static void
test_rebuild(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct stat st;
	char *junk;
	size_t n = 0, i;

	new_maildir("basic");
	if (!CHECK_INT_EQ(snapshot(&info, &m, &n), 0, "snapshot"))
		return;
	rm_rf(path_in("index.lmdb"));
	check_rebuilt(&info, m, n, 1, "index deleted: rebuilt, same UIDs");
	free(m);

	if (!CHECK_INT_EQ(snapshot(&info, &m, &n), 0, "snapshot"))
		return;
	if (stat(path_in("index.lmdb/data.mdb"), &st) == 0 &&
	    (junk = malloc((size_t)st.st_size)) != NULL) {
		for (i = 0; i < (size_t)st.st_size; i++)
			junk[i] = (char)(i * 7 + 13);
		CHECK_INT_EQ(write_file(path_in("index.lmdb/data.mdb"), junk,
		    (size_t)st.st_size), 0, "garbage into data.mdb");
		free(junk);
	}
	check_rebuilt(&info, m, n, 1, "index corrupt: rebuilt, same UIDs");
	CHECK_TRUE(has_corrupt_copy(), "corrupt index moved aside");
	free(m);

	if (!CHECK_INT_EQ(snapshot(&info, &m, &n), 0, "snapshot"))
		return;
	CHECK_INT_EQ(crash_on_pages(-1), 0, "garbage in the B-tree pages");
	check_rebuilt(&info, m, n, 1, "pages corrupt: rebuilt, same UIDs");
	free(m);

	if (!CHECK_INT_EQ(snapshot(&info, &m, &n), 0, "snapshot"))
		return;
	CHECK_INT_EQ(crash_on_pages(0x7f), 0, "page numbers past the end");
	check_rebuilt(&info, m, n, 1, "LMDB crashed: rebuilt, same UIDs");
	free(m);

	if (!CHECK_INT_EQ(snapshot(&info, &m, &n), 0, "snapshot"))
		return;
	CHECK_INT_EQ(unlink(path_in("postern-uids")), 0, "drop postern-uids");
	check_rebuilt(&info, m, n, 0, "postern-uids lost: from the index");
	CHECK_INT_EQ(access(path_in("postern-uids"), F_OK), 0,
	    "postern-uids written again");
	free(m);
}

static uint32_t
last_uid(struct store *s)
{
	struct store_msg *m = NULL;
	size_t n = 0;
	uint32_t uid = 0;

	if (store_list(s, "INBOX", &m, &n) == 0 && n > 0)
		uid = m[n - 1].uid;
	free(m);
	return uid;
}

static void
test_expunge(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0;
	uint32_t uid;
	int fd;

	new_maildir("basic");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	if (store_list(s, "INBOX", &m, &n) == -1 || n < 2) {
		CHECK_TRUE(0, "list before expunge");
		store_close(s);
		free(m);
		return;
	}
	uid = m[n - 1].uid;
	CHECK_INT_EQ(store_expunge(s, "INBOX", &uid, 1), 0, "expunge highest");
	CHECK_INT_EQ(count_dir("cur"), n - 1, "file removed");
	errno = 0;
	fd = store_msg_open(s, "INBOX", &m[n - 1]);
	CHECK_TRUE(fd == -1 && errno == ENOENT, "expunged: open ENOENT");
	CHECK_INT_EQ(store_expunge(s, "INBOX", &uid, 1), 0,
	    "expunge again: already gone counts");
	CHECK_INT_EQ(last_uid(s), uid - 1, "index entry dropped");
	CHECK_INT_EQ(deliver("Subject: after\n\nx\n"), 0, "deliver");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(last_uid(s), uid + 1, "new message gets uidnext");
	uid = uid + 1;
	CHECK_INT_EQ(store_expunge(s, "INBOX", &uid, 1), 0, "expunge it");
	store_close(s);
	free(m);
	rm_rf(path_in("index.lmdb"));
	CHECK_INT_EQ(deliver("Subject: after rebuild\n\nx\n"), 0, "deliver");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "rebuild"))
		return;
	CHECK_INT_EQ(last_uid(s), uid + 1, "no reuse after rebuild either");
	CHECK_INT_EQ(info.uidnext, uid + 2, "uidnext after rebuild");
	store_close(s);
}

static const struct store_msg *
find_uid(const struct store_msg *m, size_t n, uint32_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].uid == uid)
			return &m[i];
	return NULL;
}

static void
test_flags(void)
{
	struct store_folder info, after;
	struct store_msg *m = NULL;
	const struct store_msg *p;
	struct store *s;
	char from[1024] = "", to[1024] = "";
	size_t n = 0, len;

	new_maildir("basic");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_set_flags(s, "INBOX", 2, STORE_SEEN |
	    STORE_FLAGGED), 0, "set_flags");
	CHECK_INT_EQ(store_sync(s, "INBOX", &after), 0, "sync");
	CHECK_TRUE(after.highestmodseq > info.highestmodseq, "modseq bumped");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	p = find_uid(m, n, 2);
	if (CHECK_TRUE(p != NULL, "uid 2 listed")) {
		len = strlen(p->name);
		CHECK_TRUE(len > 5 && strcmp(p->name + len - 5, ":2,FS") == 0,
		    "renamed to :2,FS");
		CHECK_INT_EQ(p->flags, STORE_SEEN | STORE_FLAGGED, "flags");
		CHECK_INT_EQ(p->modseq, after.highestmodseq, "msg modseq");
		/* Another program changes the flags on disk. */
		(void)snprintf(from, sizeof(from), "%s/cur/%s", mdir, p->name);
		(void)snprintf(to, sizeof(to), "%s/cur/%.*sRT", mdir,
		    (int)(len - 2), p->name);
	}
	store_close(s);
	free(m);
	rm_rf(path_in("index.lmdb"));
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "rebuild"))
		return;
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	p = find_uid(m, n, 2);
	CHECK_TRUE(p != NULL && p->flags == (STORE_SEEN | STORE_FLAGGED),
	    "flags survive a rebuild");
	free(m);
	CHECK_INT_EQ(rename(from, to), 0, "rename on disk to :2,RT");
	CHECK_INT_EQ(store_sync(s, "INBOX", &after), 0, "sync");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	p = find_uid(m, n, 2);
	CHECK_TRUE(p != NULL && p->flags == (STORE_ANSWERED | STORE_DELETED),
	    "flags re-read from disk");
	CHECK_TRUE(p != NULL && p->modseq > info.highestmodseq,
	    "changed on disk: modseq bumped");
	free(m);
	CHECK_INT_EQ(store_set_flags(s, "INBOX", 2, 0), 0, "clear flags");
	CHECK_INT_EQ(store_set_flags(s, "INBOX", 999, STORE_SEEN), -1,
	    "set_flags of an unknown UID fails");
	store_close(s);
}

static void
test_sizes(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	struct stat st;
	char buf[64], path[1024];
	size_t n = 0;

	new_maildir("sizes");
	CHECK_INT_EQ(deliver("a\nbc\n\n"), 0, "deliver LF");
	CHECK_INT_EQ(deliver("a\r\nbc\r\n\r\nlone\rcr\r\n"), 0, "deliver CRLF");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	if (store_list(s, "INBOX", &m, &n) == 0 && n == 2) {
		CHECK_INT_EQ(m[0].size, 6 + 3, "LF: W = bytes + LFs");
		CHECK_TRUE(strstr(m[0].name, ",S=6,W=9,") != NULL, "S= W=");
		CHECK_INT_EQ(m[1].size, 18, "CRLF: W = CRLF size");
		CHECK_INT_EQ(read_msg(s, &m[1], buf, sizeof(buf)), 0, "read");
		CHECK_STR_EQ(buf, "a\nbc\n\nlone\rcr\n", "stored with LF");
		(void)snprintf(path, sizeof(path), "%s/cur/%s", mdir,
		    m[1].name);
		CHECK_TRUE(stat(path, &st) == 0 && st.st_size == 14 &&
		    (st.st_mode & 0777) == 0600, "file 14 bytes, 0600");
	} else
		CHECK_TRUE(0, "two messages");
	free(m);
	store_close(s);
}

static void
test_foreign(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0;

	new_maildir("sizes");
	CHECK_INT_EQ(write_file(path_in("new/1900000000.12345.otherhost"),
	    "x\r\ny\nz", 6), 0, "drop a file into new/");
	CHECK_INT_EQ(write_file(path_in("new/1900000001.M5P1.h,S=3"),
	    "ab\n", 3), 0, "and one with S= only");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	CHECK_INT_EQ(info.exists, 4, "picked up");
	if (store_list(s, "INBOX", &m, &n) == 0 && n == 4) {
		/* x CRLF y LF z: a CR for the bare LF, and the CRLF the
		 * wire adds after the last line */
		CHECK_INT_EQ(m[2].size, 9, "W counts bare LFs and the end");
		CHECK_STR_EQ(m[2].name,
		    "1900000000.12345.otherhost,S=6,W=9,U=3:2,", "name");
		CHECK_INT_EQ(m[3].size, 4, "W measured");
		CHECK_STR_EQ(m[3].name, "1900000001.M5P1.h,S=3,W=4,U=4:2,",
		    "name");
	} else
		CHECK_TRUE(0, "four messages");
	free(m);
	CHECK_INT_EQ(unlink(path_in("cur/1900000000.12345.otherhost,S=6,"
	    "W=9,U=3:2,")), 0, "another program removes a file");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(info.exists, 3, "vanished file dropped");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_TRUE(n == 3 && find_uid(m, n, 3) == NULL, "not listed");
	free(m);
	store_close(s);
}

static void
hostile_files(void)
{
	char name[300], path[1024];
	int i;

	(void)write_file(path_in("cur/noinfo"), "a\n", 2);
	(void)write_file(path_in("cur/x..y:2,S"), "a\n", 2);
	(void)write_file(path_in("cur/\xff\xfe\x80:2,S"), "a\n", 2);
	(void)write_file(path_in("cur/two:2,S:2,T"), "a\n", 2);
	(void)write_file(path_in("cur/bad,U=99999999999,S=x:2,S"), "a\n", 2);
	(void)write_file(path_in("cur/huge,U=4000000000:2,"), "a\n", 2);
	(void)write_file(path_in("cur/sp ace:2,"), "a\n", 2);
	(void)write_file(path_in("cur/.hidden:2,"), "a\n", 2);
	if (symlink("/etc/passwd", path_in("cur/link,U=1:2,S")) == -1 ||
	    symlink("/etc/passwd", path_in("new/link2")) == -1)
		printf("# symlink: %s\n", strerror(errno));
	(void)mkdir(path_in("cur/adir:2,"), 0700);
	(void)mkfifo(path_in("new/fifo"), 0600);
	for (i = 0; i < 250; i++)
		name[i] = 'L';
	name[i] = '\0';
	(void)snprintf(path, sizeof(path), "%s/cur/%s", mdir, name);
	(void)write_file(path, "a\n", 2);
	(void)snprintf(path, sizeof(path), "%s/new/%s", mdir, name);
	(void)write_file(path, "a\n", 2);
}

static void
test_hostile(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0, i, seen = 0;

	new_maildir("hostile");
	CHECK_INT_EQ(deliver("ok\n"), 0, "deliver");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	hostile_files();
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync survives");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	/* ok, noinfo, x..y, bad (new UID), huge (new UID), and renamed:
	 * the 8-bit name, two colons, the blank, the two long names */
	CHECK_INT_EQ(n, 10, "usable files kept, unusable names renamed, "
	    "symlinks, a directory and a fifo left out");
	for (i = 0; i < n; i++)
		if (m[i].uid >= 1 && m[i].uid <= 10)
			seen++;
	CHECK_INT_EQ(seen, 10, "UIDs 1..10, no hostile UID trusted");
	for (i = 0; i < n; i++)
		if (strncmp(m[i].name, "link", 4) == 0)
			break;
	CHECK_INT_EQ(i, n, "symlink not taken");
	CHECK_INT_EQ(info.uidnext, 11, "uidnext not pushed by U=4000000000");
	free(m);
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync again");
	CHECK_INT_EQ(info.exists, 10, "stable");
	CHECK_INT_EQ(store_sync(s, "../etc", &info), -1, "bad folder name");
	CHECK_INT_EQ(store_sync(s, ".hidden", &info), -1, "dot folder name");
	CHECK_INT_EQ(store_sync(s, "NoSuch", &info), -1, "missing folder");
	CHECK_INT_EQ(store_folder_create(s, "Sent", 0), 0, "create Sent");
	CHECK_INT_EQ(store_folder_create(s, "Sent", 0), -1, "exists");
	CHECK_INT_EQ(store_sync(s, "Sent", &info), 0, "sync Sent");
	CHECK_INT_EQ(info.exists, 0, "Sent empty");
	CHECK_INT_EQ(store_sync(s, "inbox", &info), 0, "inbox any case");
	store_close(s);
}

/* sync_logged: run store_sync with stderr (the log) in logbuf. */
static int
sync_logged(struct store *s, struct store_folder *info, char *logbuf,
    size_t len)
{
	char path[1024];
	ssize_t r;
	int fd, saved, rc;

	(void)snprintf(path, sizeof(path), "%s/log", topdir);
	fflush(stderr);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(2)) == -1)
		return -1;
	(void)dup2(fd, 2);
	rc = store_sync(s, "INBOX", info);
	fflush(stderr);
	(void)dup2(saved, 2);
	(void)close(saved);
	r = pread(fd, logbuf, len - 1, 0);
	logbuf[r > 0 ? r : 0] = '\0';
	(void)close(fd);
	return rc;
}

/* by_body: the listed message whose file holds body. */
static const struct store_msg *
by_body(struct store *s, const struct store_msg *m, size_t n,
    const char *body)
{
	char buf[64];
	size_t i;

	for (i = 0; i < n; i++)
		if (read_msg(s, &m[i], buf, sizeof(buf)) == 0 &&
		    strcmp(buf, body) == 0)
			return &m[i];
	return NULL;
}

static void
salvage_files(void)
{
	char name[300], path[1024];

	(void)write_file(path_in("cur/ctl\001name:2,FS"), "ctl\n", 4);
	(void)write_file(path_in("new/sp ace"), "space\n", 6);
	(void)write_file(path_in("cur/two:2,S:2,RT"), "two\n", 4);
	(void)write_file(path_in("cur/junk:2,S\x7f"), "junk\n", 5);
	(void)write_file(path_in("cur/,starts-with-comma:2,F"), "comma\n", 6);
	memset(name, 'L', 240);
	(void)snprintf(name + 240, 60, ":2,R");	/* fits, but not with U= */
	(void)snprintf(path, sizeof(path), "%s/cur/%s", mdir, name);
	(void)write_file(path, "long\n", 5);
	memset(name, 'M', 255);			/* NAME_MAX */
	name[255] = '\0';
	(void)snprintf(path, sizeof(path), "%s/new/%s", mdir, name);
	(void)write_file(path, "max\n", 4);
	if (symlink("/etc/passwd", path_in("cur/li\x01nk:2,S")) == -1)
		printf("# symlink: %s\n", strerror(errno));
}

static void
test_salvage(void)
{
	static const struct {
		const char	*body;
		uint32_t	 flags;
		const char	*logged;
	} want[] = {
		{ "ctl\n", STORE_FLAGGED | STORE_SEEN, "cur/ctl\\001name:2,FS" },
		{ "space\n", 0, "new/sp ace" },
		{ "two\n", STORE_ANSWERED | STORE_DELETED, "cur/two:2,S:2,RT" },
		{ "junk\n", 0, "cur/junk:2,S\\177" },
		{ "comma\n", STORE_FLAGGED, "cur/,starts-with-comma:2,F" },
		{ "long\n", STORE_ANSWERED, "LLLL:2,R: name too long to take "
		    "a UID; renamed to cur/" },
		{ "max\n", 0, "MMMM: name too long to take a UID; renamed to "
		    "new/" },
	};
	static char log[16384];
	struct store_folder info;
	struct store_msg *m = NULL;
	const struct store_msg *p;
	struct store *s;
	size_t n = 0, i;

	new_maildir("salvage");
	CHECK_INT_EQ(deliver("ok\n"), 0, "deliver");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	salvage_files();
	CHECK_INT_EQ(sync_logged(s, &info, log, sizeof(log)), 0, "sync");
	CHECK_INT_EQ(info.exists, 8, "every file with an unusable name shown");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = by_body(s, m, n, want[i].body);
		if (!CHECK_TRUE(p != NULL, "listed"))
			continue;
		CHECK_INT_EQ(p->flags, want[i].flags, "flags kept where "
		    "parseable");
		CHECK_TRUE(p->uid >= 2 && p->uid <= 8, "a fresh UID");
		CHECK_TRUE(strstr(log, want[i].logged) != NULL,
		    "logged by name");
	}
	if (!CHECK_TRUE(strstr(log, "test_store[") != NULL &&
	    strstr(log, "]: folder INBOX: cur/ctl\\001name:2,FS: a name "
	    "the store cannot use; renamed to cur/") != NULL,
	    "the warning says folder, file and new name"))
		printf("# log:\n%s", log);
	CHECK_TRUE(strstr(log, "]: folder INBOX: cur/li\\001nk:2,S: not a "
	    "regular file; left alone") != NULL, "a symlink is named, not "
	    "followed");
	free(m);
	CHECK_INT_EQ(sync_logged(s, &info, log, sizeof(log)), 0, "sync again");
	CHECK_INT_EQ(info.exists, 8, "stable");
	CHECK_TRUE(strstr(log, "renamed") == NULL, "renamed once");
	store_close(s);
}

static void
test_duplicate_uid(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0;
	char from[1024], to[1024];

	new_maildir("dup");
	CHECK_INT_EQ(deliver("one\n"), 0, "deliver");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	if (store_list(s, "INBOX", &m, &n) == 0 && n == 1) {
		(void)snprintf(from, sizeof(from), "%s/cur/%s", mdir,
		    m[0].name);
		(void)snprintf(to, sizeof(to), "%s/cur/copy%s", mdir,
		    m[0].name);
		CHECK_INT_EQ(link(from, to), 0, "copy with the same U=");
	}
	free(m);
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_TRUE(n == 2 && m[0].uid == 1 && m[1].uid == 2 &&
	    strncmp(m[1].name, "copy", 4) == 0, "the copy gets a new UID");
	free(m);
	store_close(s);
}

static void
sync_child(int k)
{
	struct store_folder info;
	struct store *s;
	char msg[64];
	int i, rc = 0;

	for (i = 0; i < 10; i++) {
		(void)snprintf(msg, sizeof(msg), "child %d msg %d\n", k, i);
		if (deliver(msg) == -1 || (s = open_sync(&info)) == NULL)
			_exit(1);
		if (store_set_flags(s, "INBOX", 1 + (uint32_t)i,
		    STORE_SEEN) == -1)
			rc = 1;
		store_close(s);
	}
	_exit(rc);
}

/* disk_uids_unique: every file in cur/ has a U= and no two the same. */
static int
disk_uids_unique(size_t *count)
{
	static unsigned char seen[4096];
	struct dirent *de;
	const char *p;
	DIR *d;
	unsigned long u;
	int ok = 1;

	memset(seen, 0, sizeof(seen));
	*count = 0;
	if ((d = opendir(path_in("cur"))) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(*count)++;
		if ((p = strstr(de->d_name, ",U=")) == NULL ||
		    (u = strtoul(p + 3, NULL, 10)) == 0 || u >= sizeof(seen) ||
		    seen[u]++)
			ok = 0;
	}
	(void)closedir(d);
	return ok;
}

static void
test_concurrent(void)
{
	struct store_folder info;
	struct store *s;
	pid_t pid[4];
	size_t n = 0;
	int i, st, ok = 0;

	new_maildir("conc");
	for (i = 0; i < 20; i++)
		(void)deliver("before\n");
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0)
			sync_child(i);
	for (i = 0; i < 4; i++)
		if (pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] &&
		    WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	CHECK_INT_EQ(ok, 4, "four concurrent sessions");
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open"))
		return;
	CHECK_INT_EQ(info.exists, 60, "all 60 messages");
	CHECK_INT_EQ(info.uidnext, 61, "UIDs 1..60, none wasted");
	CHECK_TRUE(disk_uids_unique(&n), "no UID given twice");
	CHECK_INT_EQ(n, 60, "60 files");
	store_close(s);
}

static void
test_many(void)
{
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	struct timespec t0, t1, t2;
	char msg[128];
	size_t n = 0, i;

	new_maildir("many");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++) {
		(void)snprintf(msg, sizeof(msg), "Subject: %zu\n\nbody\n", i);
		if (deliver(msg) == -1)
			break;
	}
	CHECK_INT_EQ(i, 2000, "2000 delivered");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "open and sync"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	CHECK_INT_EQ(info.exists, 2000, "2000 messages");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_TRUE(n == 2000 && uids_seq(m, n, 1), "UIDs 1..2000");
	printf("# 2000 deliveries %.3fs, first sync %.3fs\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (double)(t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9);
	free(m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync again");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	store_close(s);
	rm_rf(path_in("index.lmdb"));
	if (!CHECK_TRUE((s = open_sync(&info)) != NULL, "rebuild"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	CHECK_INT_EQ(info.exists, 2000, "rebuilt");
	printf("# unchanged sync %.3fs, rebuild %.3fs\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (double)(t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9);
	store_close(s);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	log_init("test_store", 1, 0);
	(void)snprintf(topdir, sizeof(topdir), "%s/test_store.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(topdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(077);
	test_deliver_sync();
	test_rebuild();
	test_expunge();
	test_flags();
	test_sizes();
	test_foreign();
	test_hostile();
	test_salvage();
	test_duplicate_uid();
	test_concurrent();
	test_many();
	rm_rf(topdir);
	return check_done();
}
