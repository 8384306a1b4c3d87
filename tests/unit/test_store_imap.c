/*
 * test_store_imap.c: unit test of what the mail store offers IMAP
 * (common/store_folder.h, common/store_imap.h): folder names on disk as
 * Dovecot writes them, hierarchy in LIST, create/delete/rename (INBOX's
 * too), subscriptions (ours and Dovecot's file), SPECIAL-USE, the folder
 * limit, keywords in file names and dovecot-keywords (and their limit),
 * STORE with UNCHANGEDSINCE, APPEND from memory and streamed, COPY and
 * MOVE with their UIDs, QRESYNC's vanished and changed (exact, and
 * conservative after a rebuild), the per-message cache, quota, and the
 * IDLE probe.  Runs as a plain program in a fresh directory under
 * $TMPDIR; it is the test.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_folder.h"
#include "common/store_imap.h"
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

static const char *
path_in(const char *sub)
{
	static char buf[1024];

	(void)snprintf(buf, sizeof(buf), "%s/%s", mdir, sub);
	return buf;
}

static struct store *
fresh(const char *name)
{
	struct store *s = NULL;
	char err[256];

	(void)snprintf(mdir, sizeof(mdir), "%s/%s", topdir, name);
	if (store_open(&s, mdir, err, sizeof(err)) == -1) {
		printf("# store_open: %s\n", err);
		return NULL;
	}
	return s;
}

static struct store *
reopen(void)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(&s, mdir, err, sizeof(err)) == -1)
		printf("# store_open: %s\n", err);
	return s;
}

static int
is_dir(const char *sub)
{
	struct stat st;

	return lstat(path_in(sub), &st) == 0 && S_ISDIR(st.st_mode);
}

static int
write_file(const char *path, const char *data)
{
	int fd;
	size_t len = strlen(data);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

static char *
read_text(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	r = read(fd, buf, len - 1);
	(void)close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return buf;
}

static const struct store_folder_entry *
find_entry(const struct store_folder_entry *l, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i].name, name) == 0)
			return &l[i];
	return NULL;
}

static int
append_text(struct store *s, const char *folder, const char *text,
    uint32_t flags, uint32_t kw, struct store_appended *res)
{
	return store_append(s, folder, text, strlen(text), flags, kw, 0, res);
}

static void
test_names(void)
{
	struct store_folder_entry *l = NULL;
	const struct store_folder_entry *e;
	struct store *s;
	char big[300];
	size_t n = 0;

	if (!CHECK_TRUE((s = fresh("names")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_folder_create(s, "Archive/2026", 0), 0,
	    "create Archive/2026");
	CHECK_TRUE(is_dir(".Archive.2026/cur"), "on disk as .Archive.2026");
	CHECK_TRUE(!is_dir(".Archive"), "its parent is only implied");
	CHECK_INT_EQ(store_folder_create(s, "Entw\xc3\xbcrfe", 0), 0,
	    "create Entwürfe");
	CHECK_TRUE(is_dir(".Entw&APw-rfe"), "on disk in modified UTF-7");
	CHECK_INT_EQ(store_folder_create(s, "A&B", 0), 0, "create A&B");
	CHECK_TRUE(is_dir(".A&-B"), "& as &-");
	CHECK_INT_EQ(store_folder_create(s, "inbox/Lists", 0), 0,
	    "create inbox/Lists");
	CHECK_TRUE(is_dir(".INBOX.Lists"), "an INBOX child as Dovecot has it");
	CHECK_INT_EQ(store_folder_create(s, "INBOX/Lists", 0), -1,
	    "INBOX/Lists exists (the case of INBOX does not matter)");
	CHECK_INT_EQ(errno, EEXIST, "EEXIST");
	CHECK_INT_EQ(store_folder_create(s, "Inbox", 0), -1, "INBOX exists");
#define BAD(name, what) do { \
	errno = 0; \
	CHECK_TRUE(store_folder_create(s, name, 0) == -1 && \
	    errno == EINVAL, what); \
} while (0)
	BAD("a.b", "a '.' in a level is refused");
	BAD("..", "..");
	BAD(".hidden", "leading .");
	BAD("/abs", "leading /");
	BAD("a/", "trailing /");
	BAD("a//b", "empty level");
	BAD("", "empty name");
	BAD("tab\there", "control character");
	BAD("c1\xc2\x85", "C1 control character");
	BAD("bad\xff", "invalid UTF-8");
	BAD("wild*", "LIST wildcard");
	BAD("over\xc0\xae", "overlong UTF-8");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = 0;
	CHECK_TRUE(store_folder_create(s, big, 0) == -1 &&
	    errno == ENAMETOOLONG, "too long a name");
	CHECK_INT_EQ(mkdir(path_in(".bad.&AGE-"), 0700), 0, "foreign dir");
	CHECK_INT_EQ(mkdir(path_in(".Trailing."), 0700), 0, "foreign dir");
	CHECK_INT_EQ(symlink("/etc", path_in(".Link")), 0, "foreign link");
	if (!CHECK_INT_EQ(store_folder_list(s, &l, &n), 0, "list")) {
		store_close(s);
		return;
	}
	CHECK_STR_EQ(l[0].name, "INBOX", "INBOX first");
	CHECK_TRUE(l[0].attrs & STORE_LIST_CHILDREN, "INBOX has children");
	e = find_entry(l, n, "Archive");
	CHECK_TRUE(e != NULL && (e->attrs & STORE_LIST_NONEXISTENT) &&
	    (e->attrs & STORE_LIST_CHILDREN), "Archive implied, \\NonExistent "
	    "\\HasChildren");
	CHECK_TRUE(e != NULL && e->use == STORE_USE_ARCHIVE,
	    "Archive is \\Archive");
	e = find_entry(l, n, "Archive/2026");
	CHECK_TRUE(e != NULL && e->attrs == 0, "Archive/2026 exists, leaf");
	CHECK_TRUE(e != NULL && e > find_entry(l, n, "Archive") &&
	    e == find_entry(l, n, "Archive") + 1, "child right after parent");
	CHECK_TRUE(find_entry(l, n, "Entw\xc3\xbcrfe") != NULL,
	    "decoded back to UTF-8");
	CHECK_TRUE(find_entry(l, n, "A&B") != NULL, "A&B");
	CHECK_TRUE(find_entry(l, n, "INBOX/Lists") != NULL, "INBOX/Lists");
	CHECK_INT_EQ(n, 6, "foreign directories and the symlink left out");
	free(l);
	store_close(s);
}

static void
test_delete_rename(void)
{
	struct store_folder_entry *l = NULL;
	struct store_appended ap, ap2;
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	char big[300];
	size_t n = 0;

	if (!CHECK_TRUE((s = fresh("rename")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_folder_create(s, "Work", 0), 0, "create Work");
	CHECK_INT_EQ(store_folder_create(s, "Work/A", 0), 0, "Work/A");
	CHECK_INT_EQ(store_folder_create(s, "Work/A/B", 0), 0, "Work/A/B");
	CHECK_INT_EQ(append_text(s, "Work/A", "Subject: a\n\nx\n", 0, 0, &ap),
	    0, "append to Work/A");
	CHECK_INT_EQ(store_folder_rename(s, "Work", "Job"), 0, "rename");
	CHECK_TRUE(is_dir(".Job") && is_dir(".Job.A") && is_dir(".Job.A.B") &&
	    !is_dir(".Work") && !is_dir(".Work.A"), "inferiors moved too");
	CHECK_INT_EQ(store_sync(s, "Job/A", &info), 0, "sync Job/A");
	CHECK_INT_EQ(info.exists, 1, "its message came along");
	CHECK_INT_EQ(info.uidvalidity, ap.uidvalidity, "UIDVALIDITY kept");
	CHECK_INT_EQ(store_list(s, "Job/A", &m, &n), 0, "list");
	CHECK_TRUE(n == 1 && m[0].uid == ap.uid, "UID kept");
	free(m);
	errno = 0;
	CHECK_TRUE(store_folder_rename(s, "Nope", "X") == -1 &&
	    errno == ENOENT, "rename a missing folder: ENOENT");
	CHECK_INT_EQ(store_folder_create(s, "Other", 0), 0, "create Other");
	errno = 0;
	CHECK_TRUE(store_folder_rename(s, "Other", "Job") == -1 &&
	    errno == EEXIST, "rename onto an existing one: EEXIST");
	memset(big, 'y', 252);	/* fits, but ".A.B" after it would not */
	big[252] = '\0';
	errno = 0;
	CHECK_TRUE(store_folder_rename(s, "Job", big) == -1 &&
	    errno == ENAMETOOLONG, "an inferior's new name too long");
	CHECK_TRUE(is_dir(".Job.A.B"), "nothing moved then");

	CHECK_INT_EQ(store_folder_delete(s, "Job"), 0, "delete Job");
	CHECK_TRUE(!is_dir(".Job") && is_dir(".Job.A"), "inferiors stay");
	errno = 0;
	CHECK_TRUE(store_folder_delete(s, "Job") == -1 && errno == ENOENT,
	    "delete again: ENOENT (only implied now)");
	errno = 0;
	CHECK_TRUE(store_folder_delete(s, "INBOX") == -1 && errno == EPERM,
	    "INBOX cannot be deleted");
	CHECK_INT_EQ(store_folder_list(s, &l, &n), 0, "list");
	CHECK_TRUE(find_entry(l, n, "Job") != NULL &&
	    (find_entry(l, n, "Job")->attrs & STORE_LIST_NONEXISTENT),
	    "Job is \\NonExistent");
	free(l);
	CHECK_INT_EQ(store_folder_delete(s, "Job/A"), 0, "delete Job/A");
	CHECK_INT_EQ(store_folder_create(s, "Job/A", 0), 0, "create again");
	CHECK_INT_EQ(store_sync(s, "Job/A", &info), 0, "sync");
	CHECK_TRUE(info.uidvalidity != ap.uidvalidity && info.exists == 0,
	    "a new UIDVALIDITY, no messages");

	CHECK_INT_EQ(append_text(s, "INBOX", "Subject: 1\n\nx\n", STORE_SEEN,
	    0, &ap), 0, "append to INBOX");
	CHECK_INT_EQ(append_text(s, "INBOX", "Subject: 2\n\nx\n", 0, 0, &ap2),
	    0, "append to INBOX");
	CHECK_INT_EQ(store_folder_rename(s, "INBOX", "Old"), 0,
	    "rename INBOX");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync INBOX");
	CHECK_INT_EQ(info.exists, 0, "INBOX left empty");
	CHECK_TRUE(info.uidnext > ap2.uid, "INBOX's UIDNEXT kept");
	CHECK_INT_EQ(store_sync(s, "Old", &info), 0, "sync Old");
	CHECK_INT_EQ(info.exists, 2, "its messages moved to Old");
	CHECK_TRUE(info.uidvalidity != ap.uidvalidity, "Old: new UIDVALIDITY");
	CHECK_INT_EQ(store_list(s, "Old", &m, &n), 0, "list Old");
	CHECK_TRUE(n == 2 && m[0].uid == ap.uid && m[1].uid == ap2.uid &&
	    m[0].flags == STORE_SEEN, "same UIDs and flags");
	free(m);
	store_close(s);
}

static void
test_subscriptions(void)
{
	struct store_folder_entry *l = NULL;
	struct store *s;
	char *names = NULL, buf[512];
	size_t n = 0, made = 0;

	if (!CHECK_TRUE((s = fresh("subs")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_folder_special_create(s, &made), 0,
	    "SPECIAL-USE folders");
	CHECK_INT_EQ(made, 5, "five made");
	CHECK_TRUE(is_dir(".Sent") && is_dir(".Drafts") && is_dir(".Trash") &&
	    is_dir(".Junk") && is_dir(".Archive"), "on disk");
	CHECK_INT_EQ(store_folder_special_create(s, &made), 0, "again");
	CHECK_INT_EQ(made, 0, "none made twice");
	CHECK_STR_EQ(read_text(path_in("subscriptions"), buf, sizeof(buf)),
	    "Sent\nDrafts\nTrash\nJunk\nArchive\n", "subscribed, one a line");
	CHECK_INT_EQ(store_subscribe(s, "Entw\xc3\xbcrfe/Alt", 1), 0,
	    "subscribe a name that does not exist");
	CHECK_INT_EQ(store_subscribe(s, "Trash", 0), 0, "unsubscribe");
	CHECK_INT_EQ(store_subscribe(s, "a.b", 1), -1, "bad name refused");
	CHECK_INT_EQ(store_subscriptions(s, &names, &n), 0, "read");
	CHECK_INT_EQ(n, 5, "five");
	CHECK_STR_EQ(names + 4 * STORE_FOLDER_NAME_MAX,
	    "Entw\xc3\xbcrfe/Alt", "UTF-8 with /");
	free(names);
	CHECK_INT_EQ(store_folder_list(s, &l, &n), 0, "list");
	CHECK_TRUE(find_entry(l, n, "Sent") != NULL &&
	    (find_entry(l, n, "Sent")->attrs & STORE_LIST_SUBSCRIBED) &&
	    find_entry(l, n, "Sent")->use == STORE_USE_SENT, "Sent: \\Sent, "
	    "subscribed");
	CHECK_TRUE(find_entry(l, n, "Trash") != NULL &&
	    !(find_entry(l, n, "Trash")->attrs & STORE_LIST_SUBSCRIBED) &&
	    find_entry(l, n, "Trash")->use == STORE_USE_TRASH, "Trash: "
	    "\\Trash, not subscribed");
	free(l);
	CHECK_INT_EQ(write_file(path_in("subscriptions"),
	    "V\t2\n\nINBOX\nArchive\t2026\nbad.name\n"), 0,
	    "a Dovecot version 2 file");
	CHECK_INT_EQ(store_subscriptions(s, &names, &n), 0, "read it");
	CHECK_TRUE(n == 2 && strcmp(names, "INBOX") == 0 &&
	    strcmp(names + STORE_FOLDER_NAME_MAX, "Archive/2026") == 0,
	    "tabs are levels; bad names skipped");
	free(names);
	store_close(s);
}

static void
test_limit(void)
{
	struct store *s;
	char name[32];
	int i;

	if (!CHECK_TRUE((s = fresh("limit")) != NULL, "open"))
		return;
	for (i = 0; i < 3; i++) {
		(void)snprintf(name, sizeof(name), "F%d", i);
		CHECK_INT_EQ(store_folder_create(s, name, 3), 0, "under limit");
	}
	errno = 0;
	CHECK_TRUE(store_folder_create(s, "F3", 3) == -1 && errno == EMLINK,
	    "the fourth: EMLINK");
	CHECK_INT_EQ(store_folder_create(s, "F3", 0), 0, "0: no limit");
	store_close(s);
}

static void
test_keywords(void)
{
	struct store_keywords kw;
	struct store_appended ap;
	struct store_change c;
	struct store_msg *m = NULL, out[2];
	struct store *s;
	char name[32], buf[512];
	uint32_t uids[2], failed[2];
	size_t n = 0, nout, nfailed;
	int i, junk, fwd;

	if (!CHECK_TRUE((s = fresh("kw")) != NULL, "open"))
		return;
	junk = store_keyword_find(s, "INBOX", "$Junk", 1);
	fwd = store_keyword_find(s, "INBOX", "$Forwarded", 1);
	CHECK_TRUE(junk == 0 && fwd == 1, "indexes 0 and 1");
	CHECK_INT_EQ(store_keyword_find(s, "INBOX", "$junk", 0), 0,
	    "found without regard to case");
	errno = 0;
	CHECK_TRUE(store_keyword_find(s, "INBOX", "$MDNSent", 0) == -1 &&
	    errno == ENOENT, "not created without create");
	errno = 0;
	CHECK_TRUE(store_keyword_find(s, "INBOX", "\\Seen", 1) == -1 &&
	    errno == EINVAL, "a system flag is no keyword");
	CHECK_TRUE(store_keyword_find(s, "INBOX", "a b", 1) == -1 &&
	    store_keyword_find(s, "INBOX", "x]", 1) == -1, "not atoms");
	CHECK_STR_EQ(read_text(path_in("dovecot-keywords"), buf, sizeof(buf)),
	    "0 $Junk\n1 $Forwarded\n", "dovecot-keywords as Dovecot writes it");
	CHECK_INT_EQ(append_text(s, "INBOX", "Subject: k\n\nx\n", STORE_SEEN,
	    1U << fwd, &ap), 0, "append with $Forwarded");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_TRUE(n == 1 && m[0].keywords == (1U << fwd) &&
	    strstr(m[0].name, ":2,Sb") != NULL, "letter b after S in the name");
	uids[0] = ap.uid;
	c.op = STORE_OP_ADD;
	c.flags = STORE_FLAGGED;
	c.keywords = 1U << junk;
	c.unchangedsince = m[0].modseq;
	CHECK_INT_EQ(store_msgs_store(s, "INBOX", uids, 1, &c, out, &nout,
	    failed, &nfailed), 0, "store +FLAGS (\\Flagged $Junk)");
	CHECK_TRUE(nout == 1 && nfailed == 0 && out[0].flags ==
	    (STORE_SEEN | STORE_FLAGGED) && out[0].keywords == 3 &&
	    out[0].modseq > m[0].modseq, "changed, modseq bumped");
	c.op = STORE_OP_REMOVE;
	c.flags = 0;
	c.keywords = 1U << fwd;
	CHECK_INT_EQ(store_msgs_store(s, "INBOX", uids, 1, &c, out, &nout,
	    failed, &nfailed), 0, "UNCHANGEDSINCE the old modseq");
	CHECK_TRUE(nout == 0 && nfailed == 1 && failed[0] == ap.uid,
	    "refused: modified since");
	free(m);
	store_close(s);
	rm_rf(path_in("index.lmdb"));
	if (!CHECK_TRUE((s = reopen()) != NULL, "reopen without the index"))
		return;
	CHECK_INT_EQ(store_sync(s, "INBOX", NULL), 0, "rebuild");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list");
	CHECK_TRUE(n == 1 && m[0].keywords == 3 && m[0].flags ==
	    (STORE_SEEN | STORE_FLAGGED), "keywords survive the rebuild");
	free(m);
	for (i = 2; i < STORE_KEYWORDS_MAX; i++) {
		(void)snprintf(name, sizeof(name), "kw%d", i);
		if (store_keyword_find(s, "INBOX", name, 1) != i)
			break;
	}
	CHECK_INT_EQ(i, STORE_KEYWORDS_MAX, "26 keywords");
	errno = 0;
	CHECK_TRUE(store_keyword_find(s, "INBOX", "one-more", 1) == -1 &&
	    errno == EMLINK, "the 27th: EMLINK");
	CHECK_INT_EQ(store_keywords_get(s, "INBOX", &kw), 0, "get");
	CHECK_TRUE(kw.defined == STORE_KEYWORDS_ALL &&
	    strcmp(kw.name[25], "kw25") == 0, "all 26 named");
	store_close(s);
}

/* test_dovecot: a folder Dovecot wrote: its name, letters, keywords. */
static void
test_dovecot(void)
{
	struct store_keywords kw;
	struct store_folder info;
	struct store_msg *m = NULL;
	struct store *s;
	size_t n = 0;

	if (!CHECK_TRUE((s = fresh("dovecot")) != NULL, "open"))
		return;
	(void)mkdir(path_in(".Entw&APw-rfe"), 0700);
	(void)mkdir(path_in(".Entw&APw-rfe/cur"), 0700);
	(void)mkdir(path_in(".Entw&APw-rfe/new"), 0700);
	(void)mkdir(path_in(".Entw&APw-rfe/tmp"), 0700);
	CHECK_INT_EQ(write_file(path_in(".Entw&APw-rfe/dovecot-keywords"),
	    "0 $NotJunk\n1 Work\n2 $MDNSent\n"), 0, "dovecot-keywords");
	CHECK_INT_EQ(write_file(path_in(".Entw&APw-rfe/cur/"
	    "1700000000.M1P1.host,S=6,W=7:2,RSac"), "a\nbcd\n"), 0,
	    "a Dovecot message file");
	CHECK_INT_EQ(store_sync(s, "Entw\xc3\xbcrfe", &info), 0, "sync it");
	CHECK_INT_EQ(info.exists, 1, "one message");
	CHECK_INT_EQ(store_list(s, "Entw\xc3\xbcrfe", &m, &n), 0, "list");
	CHECK_TRUE(n == 1 && m[0].flags == (STORE_SEEN | STORE_ANSWERED) &&
	    m[0].keywords == 5, "flags R S, keywords a and c");
	CHECK_INT_EQ(store_keywords_get(s, "Entw\xc3\xbcrfe", &kw), 0, "get");
	CHECK_TRUE(strcmp(kw.name[0], "$NotJunk") == 0 &&
	    strcmp(kw.name[2], "$MDNSent") == 0, "named from its file");
	CHECK_TRUE(n == 1 && strstr(m[0].name, ":2,RSac") != NULL,
	    "the letters stay in the name");
	free(m);
	store_close(s);
}

static void
test_append_copy(void)
{
	struct store_appended ap, cp;
	struct store_folder info;
	struct store_tmp t;
	struct store_msg *m = NULL, *w = NULL;
	struct store *s;
	uint32_t uids[4], newuids[4];
	char buf[128];
	size_t n = 0, nw = 0, i;
	int fd, junk;
	ssize_t r;

	if (!CHECK_TRUE((s = fresh("append")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_folder_create(s, "Work", 0), 0, "create Work");
	CHECK_INT_EQ(store_tmp_open(s, "Work", &t), 0, "tmp open");
	CHECK_INT_EQ(store_tmp_write(&t, "Subject: s\r", 11), 0, "write");
	CHECK_INT_EQ(store_tmp_write(&t, "\n\r\nbody\r\n", 9), 0,
	    "write, CRLF split across calls");
	CHECK_INT_EQ(store_append_tmp(s, &t, STORE_DRAFT, 0, 1000000000, &ap),
	    0, "append streamed");
	CHECK_TRUE(ap.uid == 1 && ap.uidvalidity != 0, "APPENDUID");
	CHECK_INT_EQ(store_list(s, "Work", &m, &n), 0, "list");
	if (CHECK_INT_EQ(n, 1, "one message")) {
		CHECK_INT_EQ(m[0].internal_date, 1000000000, "internal date");
		CHECK_INT_EQ(m[0].size, 20, "W= with CRLF");
		CHECK_INT_EQ(m[0].flags, STORE_DRAFT, "flags");
		fd = store_msg_open(s, "Work", &m[0]);
		r = fd == -1 ? -1 : read(fd, buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = '\0';
		if (fd != -1)
			(void)close(fd);
		CHECK_STR_EQ(buf, "Subject: s\n\nbody\n", "stored with LF");
	}
	free(m);
	CHECK_INT_EQ(store_tmp_open(s, "Work", &t), 0, "tmp open");
	store_tmp_abort(s, &t);
	CHECK_INT_EQ(store_sync(s, "Work", &info), 0, "sync");
	CHECK_INT_EQ(info.exists, 1, "an aborted tmp file adds nothing");
	errno = 0;
	CHECK_TRUE(append_text(s, "Nope", "x\n", 0, 0, &ap) == -1 &&
	    errno == ENOENT, "append to a missing folder: ENOENT");

	junk = store_keyword_find(s, "INBOX", "$Junk", 1);
	(void)store_keyword_find(s, "INBOX", "$Other", 1);
	for (i = 0; i < 4; i++) {
		(void)snprintf(buf, sizeof(buf), "Subject: %zu\n\nx\n", i);
		CHECK_INT_EQ(append_text(s, "INBOX", buf, i == 1 ? STORE_SEEN :
		    0, i == 2 ? 1U << junk : 0, &ap), 0, "append");
		uids[i] = ap.uid;
	}
	uids[3] = 999;	/* never existed */
	CHECK_INT_EQ(store_msgs_copy(s, "INBOX", uids, 4, "Work", 0, newuids,
	    &cp), 0, "COPY");
	CHECK_TRUE(newuids[0] == 2 && newuids[1] == 3 && newuids[2] == 4 &&
	    newuids[3] == 0, "COPYUID in order; a missing UID gets none");
	CHECK_INT_EQ(cp.uid, 2, "first new UID");
	CHECK_INT_EQ(cp.uidvalidity, info.uidvalidity, "Work's UIDVALIDITY");
	CHECK_INT_EQ(store_list(s, "Work", &w, &nw), 0, "list Work");
	CHECK_TRUE(nw == 4 && w[2].flags == STORE_SEEN && w[3].keywords == 1,
	    "flags kept, $Junk mapped to Work's keyword 0");
	free(w);
	CHECK_INT_EQ(store_msgs_copy(s, "INBOX", uids, 2, "Work", 1, newuids,
	    &cp), 0, "MOVE");
	CHECK_TRUE(newuids[0] == 5 && newuids[1] == 6, "new UIDs");
	CHECK_INT_EQ(store_list(s, "INBOX", &m, &n), 0, "list INBOX");
	CHECK_TRUE(n == 2 && m[0].uid == uids[2], "moved ones gone from INBOX");
	free(m);
	store_close(s);
}

static void
test_qresync(void)
{
	struct store_appended ap;
	struct store_folder info;
	struct store_range *r = NULL;
	struct store_msginfo *v = NULL;
	struct store_msg *m = NULL;
	struct store *s;
	uint32_t uids[6];
	char *a = NULL, *b = NULL;
	size_t n = 0, alen, blen, i;
	uint64_t mod;

	if (!CHECK_TRUE((s = fresh("qresync")) != NULL, "open"))
		return;
	for (i = 0; i < 6; i++) {
		CHECK_INT_EQ(append_text(s, "INBOX", "Subject: q\n\nx\n", 0, 0,
		    &ap), 0, "append");
		uids[i] = ap.uid;
	}
	CHECK_INT_EQ(store_cache_put(s, "INBOX", uids[1], "env", 3, "body",
	    4), 0, "cache put");
	CHECK_INT_EQ(store_cache_flush(s), 0, "cache flush");
	CHECK_INT_EQ(store_cache_get(s, "INBOX", uids[1], &a, &alen, &b,
	    &blen), 0, "cache get");
	CHECK_TRUE(a != NULL && b != NULL && strcmp(a, "env") == 0 &&
	    strcmp(b, "body") == 0 && alen == 3 && blen == 4, "both strings");
	free(a);
	free(b);
	errno = 0;
	CHECK_INT_EQ(store_cache_put(s, "INBOX", 777, "e", 1, "b", 1), 0,
	    "a cache write for a missing message is taken");
	CHECK_INT_EQ(store_cache_flush(s), 0, "and committed");
	CHECK_TRUE(store_cache_get(s, "INBOX", 777, &a, &alen, &b, &blen) ==
	    -1 && errno == ENOENT, "but nothing is kept for it");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	mod = info.highestmodseq;
	CHECK_INT_EQ(store_expunge(s, "INBOX", &uids[1], 2), 0, "expunge 2,3");
	CHECK_INT_EQ(store_expunge(s, "INBOX", &uids[4], 1), 0, "expunge 5");
	CHECK_INT_EQ(store_vanished(s, "INBOX", mod, &r, &n), 0, "vanished");
	CHECK_TRUE(n == 2 && r[0].first == uids[1] && r[0].last == uids[2] &&
	    r[1].first == uids[4] && r[1].last == uids[4],
	    "exactly 2:3,5 vanished since");
	free(r);
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(store_vanished(s, "INBOX", info.highestmodseq - 1, &r,
	    &n), 0, "vanished since the second expunge's modseq - 1");
	CHECK_TRUE(n == 1 && r[0].first == uids[4], "only 5");
	free(r);
	errno = 0;
	CHECK_TRUE(store_cache_get(s, "INBOX", uids[1], &a, &alen, &b,
	    &blen) == -1 && errno == ENOENT, "cache dropped with the message");
	CHECK_INT_EQ(store_changed(s, "INBOX", mod, &m, &n), 0, "changed");
	CHECK_INT_EQ(n, 0, "no flags changed since");
	free(m);
	CHECK_INT_EQ(store_list_info(s, "INBOX", &v, &n), 0, "list_info");
	CHECK_TRUE(n == 3 && v[0].uid == uids[0] && v[1].uid == uids[3] &&
	    v[2].uid == uids[5] && v[0].size == 17, "without names, same UIDs "
	    "and sizes");
	free(v);
	CHECK_INT_EQ(store_set_flags(s, "INBOX", uids[0], STORE_SEEN), 0,
	    "set \\Seen");
	CHECK_INT_EQ(store_changed(s, "INBOX", mod, &m, &n), 0, "changed");
	CHECK_TRUE(n == 1 && m[0].uid == uids[0], "one changed");
	free(m);
	store_close(s);
	rm_rf(path_in("index.lmdb"));
	if (!CHECK_TRUE((s = reopen()) != NULL, "reopen without the index"))
		return;
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "rebuild");
	CHECK_TRUE(info.highestmodseq > mod, "HIGHESTMODSEQ did not go back");
	CHECK_INT_EQ(store_vanished(s, "INBOX", mod, &r, &n), 0, "vanished");
	CHECK_TRUE(n == 2 && r[0].first == uids[1] && r[0].last == uids[2] &&
	    r[1].first == uids[4] && r[1].last == uids[4],
	    "after a rebuild: every UID not present below UIDNEXT");
	free(r);
	CHECK_INT_EQ(store_vanished(s, "INBOX", info.highestmodseq, &r, &n),
	    0, "vanished since the rebuild");
	CHECK_INT_EQ(n, 0, "exact again");
	free(r);
	CHECK_INT_EQ(store_changed(s, "INBOX", mod, &m, &n), 0, "changed");
	CHECK_INT_EQ(n, 3, "every message changed since before the rebuild");
	free(m);
	store_close(s);
}

static void
test_quota(void)
{
	struct store_appended ap;
	struct store_quota q;
	struct store *s;
	uint32_t uid, nu;

	if (!CHECK_TRUE((s = fresh("quota")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_folder_create(s, "F", 0), 0, "create F");
	CHECK_INT_EQ(append_text(s, "INBOX", "0123456789\n", 0, 0, &ap), 0,
	    "append 12 bytes with CRLF");
	uid = ap.uid;
	CHECK_INT_EQ(append_text(s, "F", "abc\n", 0, 0, &ap), 0, "append 5");
	CHECK_INT_EQ(store_quota_get(s, &q), 0, "get");
	CHECK_TRUE(q.limit == 0 && q.bytes == 17 && q.messages == 2,
	    "usage over all folders, no limit");
	CHECK_INT_EQ(store_quota_set(s, 25), 0, "limit 25 bytes");
	errno = 0;
	CHECK_TRUE(append_text(s, "F", "0123456789012345\n", 0, 0, &ap) ==
	    -1 && errno == EDQUOT, "append over the limit: EDQUOT");
	errno = 0;
	CHECK_TRUE(store_msgs_copy(s, "INBOX", &uid, 1, "F", 0, &nu, &ap) ==
	    -1 && errno == EDQUOT, "copy over the limit: EDQUOT");
	CHECK_INT_EQ(store_msgs_copy(s, "INBOX", &uid, 1, "F", 1, &nu, &ap), 0,
	    "a move adds nothing: allowed");
	CHECK_INT_EQ(append_text(s, "F", "0123\n", 0, 0, &ap), 0,
	    "append within the limit");
	CHECK_INT_EQ(store_quota_get(s, &q), 0, "get");
	CHECK_TRUE(q.limit == 25 && q.bytes == 23 && q.messages == 3,
	    "usage counted as it changed");
	store_close(s);
	rm_rf(path_in("index.lmdb"));
	if (!CHECK_TRUE((s = reopen()) != NULL, "reopen without the index"))
		return;
	CHECK_INT_EQ(store_quota_get(s, &q), 0, "get after a rebuild");
	CHECK_TRUE(q.limit == 25 && q.bytes == 23 && q.messages == 3,
	    "recounted over every folder");
	store_close(s);
}

static void
test_probe(void)
{
	struct store_appended ap;
	struct store_probe p;
	struct store *s, *s2;
	char err[256], path[64];

	if (!CHECK_TRUE((s = fresh("probe")) != NULL, "open"))
		return;
	memset(&p, 0, sizeof(p));
	CHECK_INT_EQ(store_sync(s, "INBOX", NULL), 0, "sync");
	CHECK_INT_EQ(store_probe(s, "INBOX", &p), 1, "first probe: changed");
	CHECK_INT_EQ(store_probe(s, "INBOX", &p), 0, "then nothing");
	if (!CHECK_INT_EQ(store_open(&s2, mdir, err, sizeof(err)), 0,
	    "a second session"))
		return;
	CHECK_INT_EQ(append_text(s2, "INBOX", "x\n", 0, 0, &ap), 0,
	    "it appends");
	CHECK_INT_EQ(store_probe(s, "INBOX", &p), 1, "the first sees it");
	CHECK_INT_EQ(store_set_flags(s2, "INBOX", ap.uid, STORE_SEEN), 0,
	    "it sets a flag");
	CHECK_INT_EQ(store_probe(s, "INBOX", &p), 1, "seen too");
	CHECK_INT_EQ(store_probe(s, "INBOX", &p), 0, "and quiet again");
	store_close(s2);
	CHECK_INT_EQ(store_folder_path("Archive/2026", path, sizeof(path)), 0,
	    "path");
	CHECK_STR_EQ(path, ".Archive.2026", "the directory to watch");
	store_close(s);
}

/* test_sync_cost: an unchanged folder is not listed (a file slipped
 * into cur/ with cur/'s mtime put back stays unseen), a changed one is. */
static void
test_sync_cost(void)
{
	struct store_appended ap;
	struct store_folder info;
	struct timespec ts[2];
	struct stat st;
	struct store *s;

	if (!CHECK_TRUE((s = fresh("cost")) != NULL, "open"))
		return;
	CHECK_INT_EQ(append_text(s, "INBOX", "x\n", 0, 0, &ap), 0, "append");
	/* an mtime is trusted once a second old (store_sync.c) */
	(void)sleep(2);
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(stat(path_in("cur"), &st), 0, "stat cur/");
	CHECK_INT_EQ(write_file(path_in("cur/1.M1P1.other:2,S"), "y\n"), 0,
	    "a file slipped into cur/");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	CHECK_INT_EQ(utimensat(AT_FDCWD, path_in("cur"), ts, 0), 0,
	    "cur/'s mtime put back");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(info.exists, 1, "unchanged mtime: cur/ not listed");
	ts[1].tv_sec += 5;
	CHECK_INT_EQ(utimensat(AT_FDCWD, path_in("cur"), ts, 0), 0,
	    "cur/'s mtime moves");
	CHECK_INT_EQ(store_sync(s, "INBOX", &info), 0, "sync");
	CHECK_INT_EQ(info.exists, 2, "changed mtime: cur/ listed");
	store_close(s);
}

/* test_killed: a session killed with the index open leaves its marker;
 * the next open checks the whole index, finds it sound, keeps it. */
static void
test_killed(void)
{
	struct store_folder before, after;
	struct store *s;
	DIR *d;
	struct dirent *de;
	pid_t pid;
	int st, fds[2], corrupt = 0;
	char c;

	if (!CHECK_TRUE((s = fresh("killed")) != NULL, "open"))
		return;
	CHECK_INT_EQ(store_sync(s, "INBOX", &before), 0, "sync");
	store_close(s);
	if (pipe(fds) == -1 || (pid = fork()) == -1)
		return;
	if (pid == 0) {
		if ((s = reopen()) != NULL && write(fds[1], "x", 1) == 1)
			pause();
		_exit(0);
	}
	CHECK_INT_EQ(read(fds[0], &c, 1), 1, "a session has it open");
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	if (!CHECK_TRUE((s = reopen()) != NULL, "reopen after the kill"))
		return;
	CHECK_INT_EQ(store_sync(s, "INBOX", &after), 0, "sync");
	CHECK_INT_EQ(after.highestmodseq, before.highestmodseq,
	    "the index was kept (not rebuilt)");
	if ((d = opendir(mdir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, "index.lmdb.corrupt", 18) == 0)
				corrupt = 1;
		(void)closedir(d);
	}
	CHECK_INT_EQ(corrupt, 0, "nothing moved aside");
	store_close(s);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	log_init("test_store_imap", 1, 0);
	(void)snprintf(topdir, sizeof(topdir), "%s/test_store_imap.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(topdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(077);
	test_names();
	test_delete_rename();
	test_subscriptions();
	test_limit();
	test_keywords();
	test_dovecot();
	test_append_copy();
	test_qresync();
	test_quota();
	test_probe();
	test_sync_cost();
	test_killed();
	rm_rf(topdir);
	return check_done();
}
