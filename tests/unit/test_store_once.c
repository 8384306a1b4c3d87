/*
 * test_store_once.c: unit test of common/store_once.c: a delivery lands
 * in new/ with the head prepended and CRLF turned into LF, a missing
 * Maildir is created, a repeated delivery while recovering finds the
 * earlier copy in new/ (and removes its half-written attempt from tmp/)
 * and, after a store_sync moved it to cur/ the way
 * imapd does (",S=,W=,U=" and ":2,S" added), in cur/; without
 * recovering it writes again; the quota refuses with EDQUOT and writes
 * nothing; a bad key is refused; only the message's bytes of the file
 * are delivered (the queue keeps its envelope after them).  Runs as a
 * plain program in a temporary directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "tests/unit/check.h"

static char root[256];

static int
count(const char *maildir, const char *sub, char *name, size_t size)
{
	char path[600];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", maildir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (name != NULL)
			snprintf(name, size, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static int
msgfile(const char *text)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/msg", root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return fd;
}

static uint64_t
flen(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void
test_deliver(void)
{
	const char head[] = "Return-Path: <a@x.test>\r\nDelivered-To: b@x.test\r\n";
	const char body[] = "Received: from x\r\nSubject: s\r\n\r\nbody\r\n";
	const char want[] = "Return-Path: <a@x.test>\nDelivered-To: b@x.test\n"
	    "Received: from x\nSubject: s\n\nbody\n";
	char md[400], name[300], path[800], got[300], err[256];
	struct store *s;
	int fd, in;
	ssize_t r;

	snprintf(md, sizeof(md), "%s/x.test/b", root);
	snprintf(path, sizeof(path), "%sid 1\nrcpt pending\n", body);
	in = msgfile(path);
	CHECK_TRUE(in != -1, "message file, the queue's envelope after it");
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-0", head,
	    strlen(head), in, strlen(body), 0, err, sizeof(err)), 0,
	    "delivered");
	CHECK_INT_EQ(count(md, "new", name, sizeof(name)), 1, "one in new/");
	CHECK_TRUE(strstr(name, "Q0123456789abcdef-0.") != NULL,
	    "the key is in the name");
	snprintf(path, sizeof(path), "%s/new/%s", md, name);
	fd = open(path, O_RDONLY);
	memset(got, 0, sizeof(got));
	r = read(fd, got, sizeof(got) - 1);
	close(fd);
	CHECK_INT_EQ(r, (long)strlen(want), "size with LF line ends");
	CHECK_STR_EQ(got, want, "head, then the message, with LF");
	snprintf(path, sizeof(path), ",S=%zu,W=%zu", strlen(want),
	    strlen(want) + 6);
	CHECK_TRUE(strstr(name, path) != NULL, "S= and W= in the name");

	snprintf(path, sizeof(path), "%s/tmp/1.M1P1Q0123456789abcdef-0.h", md);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK_TRUE(fd != -1 && write(fd, "Return", 6) == 6,
	    "a half-written attempt in tmp/");
	close(fd);
	snprintf(path, sizeof(path), "%s/tmp/1.M1P1Q0123456789abcdef-9.h", md);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK_TRUE(fd != -1, "another key's file in tmp/");
	close(fd);
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-0", head,
	    strlen(head), in, strlen(body), 1, err, sizeof(err)), 1,
	    "recovering finds the copy in new/");
	CHECK_INT_EQ(count(md, "tmp", name, sizeof(name)), 1,
	    "recovering removed the key's half-written file from tmp/");
	CHECK_STR_EQ(name, "1.M1P1Q0123456789abcdef-9.h", "not another key's");
	(void)unlink(path);
	CHECK_INT_EQ(count(md, "new", NULL, 0), 1, "still one in new/");
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-1", head,
	    strlen(head), in, strlen(body), 1, err, sizeof(err)), 0,
	    "another recipient index is another delivery");
	CHECK_INT_EQ(count(md, "new", NULL, 0), 2, "two in new/");

	CHECK_INT_EQ(store_open(&s, md, err, sizeof(err)), 0, "store_open");
	CHECK_INT_EQ(store_sync(s, "INBOX", NULL), 0, "sync moves to cur/");
	CHECK_INT_EQ(store_set_flags(s, "INBOX", 1, STORE_SEEN), 0, "\\Seen");
	store_close(s);
	CHECK_INT_EQ(count(md, "new", NULL, 0), 0, "new/ empty");
	CHECK_INT_EQ(count(md, "cur", NULL, 0), 2, "two in cur/");
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-0", head,
	    strlen(head), in, strlen(body), 1, err, sizeof(err)), 1,
	    "recovering finds the copy in cur/ after the rename");
	CHECK_INT_EQ(count(md, "cur", NULL, 0), 2, "still two in cur/");
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-0", head,
	    strlen(head), in, strlen(body), 0, err, sizeof(err)), 0,
	    "without recovering it writes again");
	CHECK_INT_EQ(count(md, "new", NULL, 0), 1, "one more in new/");

	errno = 0;
	CHECK_INT_EQ(store_deliver_once(md, "../x", head, strlen(head), in,
	    strlen(body), 0, err, sizeof(err)), -1, "bad key refused");
	CHECK_INT_EQ(errno, EINVAL, "EINVAL");
	errno = 0;
	CHECK_INT_EQ(store_deliver_once(md, "0123456789abcdef-2", head,
	    strlen(head), in, 4096, 0, err, sizeof(err)), -1,
	    "a file shorter than the message is refused");
	CHECK_INT_EQ(errno, EIO, "EIO");
	close(in);
}

static void
test_quota(void)
{
	char md[400], err[256];
	struct store *s;
	int in;

	snprintf(md, sizeof(md), "%s/x.test/q", root);
	CHECK_INT_EQ(store_open(&s, md, err, sizeof(err)), 0, "store_open");
	CHECK_INT_EQ(store_quota_set(s, 1024), 0, "quota 1K");
	store_close(s);
	in = msgfile("Subject: small\r\n\r\nx\r\n");
	CHECK_INT_EQ(store_deliver_room(md, 100, 0, err, sizeof(err)), 0,
	    "room for 100 bytes");
	CHECK_INT_EQ(store_deliver_once(md, "00000000000000aa-0", "", 0, in,
	    flen(in), 0, err, sizeof(err)), 0, "a small message fits");
	close(in);
	CHECK_INT_EQ(store_deliver_room(md, 1010, 0, err, sizeof(err)), 1,
	    "no room for 1010 more: new/ counts");
	CHECK_INT_EQ(store_deliver_room(md, 1010, 1 << 20, err, sizeof(err)),
	    1, "the Maildir's own limit wins over the fallback");
	snprintf(md, sizeof(md), "%s/x.test/none", root);
	CHECK_INT_EQ(store_deliver_room(md, 5000, 0, err, sizeof(err)), 0,
	    "no Maildir, no fallback: room");
	CHECK_INT_EQ(store_deliver_room(md, 5000, 4096, err, sizeof(err)), 1,
	    "no Maildir: the fallback limit applies");
	snprintf(md, sizeof(md), "%s/x.test/q", root);
	in = msgfile("Subject: big\r\n\r\n"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\r\n");
	errno = 0;
	CHECK_INT_EQ(store_deliver_once(md, "00000000000000aa-1", "", 0, in,
	    flen(in), 0, err, sizeof(err)), -1, "over quota refused");
	CHECK_INT_EQ(errno, EDQUOT, "EDQUOT");
	CHECK_TRUE(strstr(err, "over quota") != NULL, err);
	CHECK_INT_EQ(count(md, "new", NULL, 0), 1, "nothing more in new/");
	CHECK_INT_EQ(count(md, "tmp", NULL, 0), 0, "nothing left in tmp/");
	close(in);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[400];
	int rc;

	log_init("test_store_once", 1, 0);
	snprintf(root, sizeof(root), "%s/test_store_once.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(root) == NULL)
		return 1;
	test_deliver();
	test_quota();
	rc = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
