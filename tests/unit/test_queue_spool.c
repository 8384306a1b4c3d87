/*
 * test_queue_spool.c: unit test of smtpd/queue_spool.c: the spool's
 * directories and modes, a committed message and its envelope (read back
 * field by field from the message file, rewritten after a state change
 * into its own file), and the start-up scan: an envelope without message
 * and tmp files are removed, a message without a readable envelope goes
 * to bad/, the good message is loaded as recovering.  Runs as a plain
 * program in a temporary directory.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "smtpd/queue.h"
#include "tests/unit/check.h"

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
test_setup(void)
{
	struct stat st;

	CHECK_INT_EQ(spool_setup(), 0, "spool_setup");
	CHECK_INT_EQ(stat("intake", &st), 0, "intake/ exists");
	CHECK_INT_EQ(st.st_mode & 07777, 01733, "intake/ is 1733");
	CHECK_INT_EQ(stat("queue", &st), 0, "queue/ exists");
	CHECK_INT_EQ(st.st_mode & 07777, 0700, "queue/ is 0700");
	CHECK_INT_EQ(stat("bad", &st), 0, "bad/ exists");
	chmod("intake", 0755);
	CHECK_INT_EQ(spool_setup(), 0, "spool_setup again");
	CHECK_INT_EQ(stat("intake", &st), 0, "stat");
	CHECK_INT_EQ(st.st_mode & 07777, 01733, "intake/ mode repaired");
}

static char good_id[QUEUE_ID_LEN + 1];

static void
test_commit(void)
{
	struct qmsg m, r;
	struct qrcpt rc[2];
	char path[64], err[128];
	int fd;

	memset(&m, 0, sizeof(m));
	memset(rc, 0, sizeof(rc));
	fd = spool_new_id(m.id);
	CHECK_TRUE(fd != -1, "a new id and its tmp file");
	CHECK_TRUE(queueproto_id_valid(m.id), "the id is 16 hex digits");
	snprintf(path, sizeof(path), "queue/.%s.msg.tmp", m.id);
	CHECK_TRUE(exists(path), "tmp file made");
	CHECK_INT_EQ(write(fd, "Received: x\r\n\r\nhi\r\n", 19), 19, "write");
	m.arrival = 1764460000;
	m.size = 19;
	strcpy(m.sender, "alice@example.test");
	strcpy(m.origin, "smtp 192.0.2.1 s1 user alice@example.test");
	m.body = 1;
	m.flags = 4;
	strcpy(m.envid, "xyz");
	rc[0].local = 1;
	strcpy(rc[0].dest, "bob@example.test");
	strcpy(rc[0].address, "Bob@example.test");
	rc[0].notify = 6;
	rc[1].next = 1764460060;
	strcpy(rc[1].dest, "carol@remote.test");
	strcpy(rc[1].orcpt, "rfc822;carol@remote.test");
	strcpy(rc[1].error, "waiting\nfor the relay");
	m.rcpts = rc;
	m.nrcpt = 2;
	CHECK_INT_EQ(spool_commit(&m, fd, err, sizeof(err)), 0, "commit");
	CHECK_TRUE(!exists(path), "tmp file renamed");
	snprintf(path, sizeof(path), "queue/%s.msg", m.id);
	CHECK_TRUE(exists(path), "message file");
	snprintf(path, sizeof(path), "queue/%s.env", m.id);
	CHECK_TRUE(!exists(path), "no envelope file: it is in the message's");

	CHECK_INT_EQ(spool_env_read(m.id, &r, err, sizeof(err)), 0,
	    "envelope read back");
	CHECK_INT_EQ(r.arrival, 1764460000, "arrival");
	CHECK_INT_EQ(r.size, 19, "size");
	CHECK_STR_EQ(r.sender, "alice@example.test", "sender");
	CHECK_STR_EQ(r.origin, m.origin, "origin");
	CHECK_INT_EQ(r.body, 1, "body");
	CHECK_INT_EQ(r.flags, 4, "flags");
	CHECK_STR_EQ(r.envid, "xyz", "envid");
	CHECK_INT_EQ(r.nrcpt, 2, "two recipients");
	CHECK_STR_EQ(r.rcpts[0].dest, "bob@example.test", "dest 1");
	CHECK_STR_EQ(r.rcpts[0].address, "Bob@example.test", "address 1");
	CHECK_INT_EQ(r.rcpts[0].local, 1, "local");
	CHECK_INT_EQ(r.rcpts[0].notify, 6, "notify");
	CHECK_STR_EQ(r.rcpts[0].orcpt, "", "no orcpt");
	CHECK_INT_EQ(r.rcpts[1].local, 0, "remote");
	CHECK_INT_EQ(r.rcpts[1].next, 1764460060, "next");
	CHECK_STR_EQ(r.rcpts[1].orcpt, "rfc822;carol@remote.test", "orcpt");
	CHECK_STR_EQ(r.rcpts[1].error, "waiting?for the relay",
	    "the error's newline cannot break the envelope");
	free(r.rcpts);

	rc[0].state = QRCPT_DELIVERED;
	rc[0].attempts = 3;
	CHECK_INT_EQ(spool_env_write(&m), 0, "rewrite");
	CHECK_TRUE(exists(path), "the rewritten envelope has its own file");
	CHECK_INT_EQ(spool_env_read(m.id, &r, err, sizeof(err)), 0, "read");
	CHECK_INT_EQ(r.rcpts[0].state, QRCPT_DELIVERED, "state kept");
	CHECK_INT_EQ(r.rcpts[0].attempts, 3, "attempts kept");
	CHECK_INT_EQ(r.rcpts[0].code, 0, "a local recipient: no answer");
	free(r.rcpts);

	/* a remote recipient's last answer and its delay notice */
	rc[1].attempts = 2;
	rc[1].code = 451;
	strcpy(rc[1].dsn, "4.7.1");
	strcpy(rc[1].host, "mx1.remote.test");
	strcpy(rc[1].error, "greylisted, try again");
	rc[1].noticed = 1;
	rc[1].last = 1764460050;
	CHECK_INT_EQ(spool_env_write(&m), 0, "rewrite with an answer");
	CHECK_INT_EQ(spool_env_read(m.id, &r, err, sizeof(err)), 0, "read");
	CHECK_INT_EQ(r.rcpts[1].attempts, 2, "attempts");
	CHECK_INT_EQ(r.rcpts[1].next, 1764460060, "next attempt");
	CHECK_INT_EQ(r.rcpts[1].code, 451, "reply code");
	CHECK_STR_EQ(r.rcpts[1].dsn, "4.7.1", "enhanced status");
	CHECK_STR_EQ(r.rcpts[1].host, "mx1.remote.test", "host");
	CHECK_STR_EQ(r.rcpts[1].error, "greylisted, try again", "text");
	CHECK_INT_EQ(r.rcpts[1].noticed, 1, "delay notice sent");
	CHECK_INT_EQ(r.rcpts[1].last, 1764460050, "last attempt");
	CHECK_INT_EQ(r.rcpts[0].code, 0, "the answer is the second's only");
	free(r.rcpts);
	/* a host with a blank cannot break the line: written as unknown */
	strcpy(rc[1].host, "mx1 remote");
	strcpy(rc[1].dsn, "");
	CHECK_INT_EQ(spool_env_write(&m), 0, "rewrite");
	CHECK_INT_EQ(spool_env_read(m.id, &r, err, sizeof(err)), 0, "read");
	CHECK_STR_EQ(r.rcpts[1].host, "", "a host that is not one word");
	CHECK_STR_EQ(r.rcpts[1].dsn, "", "no enhanced status");
	CHECK_INT_EQ(r.rcpts[1].code, 451, "code kept");
	free(r.rcpts);
	memcpy(good_id, m.id, sizeof(good_id));
}

/* test_versions: an envelope of version 1 (a spool of an older postern)
 * still loads, without answers; "answer" lines are checked. */
static void
test_versions(void)
{
	struct qmsg r;
	char err[128];

	put("queue/00000006ffffffff.msg", "m\r\n");
	put("queue/00000006ffffffff.env", "postern-envelope 1\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "origin local uid 0\nbody 0 flags 0 envid -\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - connection "
	    "refused\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    0, "a version 1 envelope loads");
	CHECK_INT_EQ(r.nrcpt, 1, "its recipient");
	CHECK_INT_EQ(r.rcpts[0].attempts, 1, "attempts");
	CHECK_INT_EQ(r.rcpts[0].next, 1764460300, "next");
	CHECK_STR_EQ(r.rcpts[0].error, "connection refused", "error");
	CHECK_INT_EQ(r.rcpts[0].code, 0, "no answer");
	CHECK_STR_EQ(r.rcpts[0].host, "", "no host");
	free(r.rcpts);

	put("queue/00000006ffffffff.env", "postern-envelope 1\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 451 4.7.1 mx.d.test 0 1764460300\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "no answer line in version 1");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "answer 451 4.7.1 mx.d.test 0 1764460300\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "an answer before any recipient");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 451 4.7.1 mx.d.test 0 1764460300\n"
	    "answer 550 5.1.1 mx.d.test 0 1764460300\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "two answers for one recipient");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 4510 4.7.1 mx.d.test 0 1764460300\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "a reply code out of range");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 451 4.7.1 mx.d.test 0 1764460300 extra\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "a trailing word");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 451 4.7.1 mx.d.test 4 1764460300\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "an unknown notice bit");
	put("queue/00000006ffffffff.env", "postern-envelope 2\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n"
	    "answer 451 4.7.1 mx.d.test 3 1764460300\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    0, "a good answer line");
	CHECK_INT_EQ(r.rcpts[0].noticed, 3, "both notices");
	CHECK_INT_EQ(r.rcpts[0].last, 1764460300, "last attempt");
	free(r.rcpts);
	put("queue/00000006ffffffff.env", "postern-envelope 3\nid "
	    "00000006ffffffff\narrival 1764460000\nsize 3\nfrom <a@b.test>\n"
	    "rcpt pending 1 1764460300 remote 0 c@d.test - - x\n");
	CHECK_INT_EQ(spool_env_read("00000006ffffffff", &r, err, sizeof(err)),
	    -1, "an unknown version");
	(void)unlink("queue/00000006ffffffff.env");
	(void)unlink("queue/00000006ffffffff.msg");
}

static void
test_load(void)
{
	struct qmsg *head, *m;
	char path[64];
	long n;

	put("queue/00000001aaaaaaaa.msg", "message without envelope\r\n");
	put("queue/00000005eeeeeeee.msg", "m\r\nid 00000005eeeeeeee\n"
	    "postern-envelope-at 00000000000000000003\n");
	put("queue/00000002bbbbbbbb.env", "postern-envelope 1\n");
	put("queue/.00000003cccccccc.msg.tmp", "half written");
	put("queue/.00000003cccccccc.env.tmp", "half written");
	put("queue/00000004dddddddd.msg", "message\r\n");
	put("queue/00000004dddddddd.env", "postern-envelope 1\nid "
	    "00000004dddddddd\narrival 5\nrcpt bogus\n");
	n = spool_load(&head);
	CHECK_INT_EQ(n, 1, "one message loaded");
	CHECK_TRUE(head != NULL && strcmp(head->id, good_id) == 0,
	    "the committed one");
	CHECK_TRUE(head != NULL && head->recovering, "loaded as recovering");
	CHECK_TRUE(!exists("queue/00000001aaaaaaaa.msg") &&
	    exists("bad/00000001aaaaaaaa.msg"),
	    "message without envelope moved to bad/");
	CHECK_TRUE(!exists("queue/00000005eeeeeeee.msg") &&
	    exists("bad/00000005eeeeeeee.msg"),
	    "message with a malformed envelope moved to bad/");
	CHECK_TRUE(!exists("queue/00000002bbbbbbbb.env"),
	    "envelope without message removed");
	CHECK_TRUE(!exists("queue/.00000003cccccccc.msg.tmp"),
	    "tmp message removed");
	CHECK_TRUE(!exists("queue/.00000003cccccccc.env.tmp"),
	    "tmp envelope removed");
	CHECK_TRUE(!exists("queue/00000004dddddddd.env") &&
	    exists("bad/00000004dddddddd.env") &&
	    exists("bad/00000004dddddddd.msg"),
	    "malformed envelope moved to bad/ with its message");
	while ((m = head) != NULL) {
		head = m->next;
		spool_msg_free(m);
	}
	CHECK_INT_EQ(spool_remove(good_id, 1), 0, "remove");
	snprintf(path, sizeof(path), "queue/%s.env", good_id);
	CHECK_TRUE(!exists(path), "envelope gone");
	snprintf(path, sizeof(path), "queue/%s.msg", good_id);
	CHECK_TRUE(!exists(path), "message gone");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], cmd[300];
	int rc;

	log_init("test_queue_spool", 1, 0);
	snprintf(dir, sizeof(dir), "%s/test_queue_spool.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return 1;
	test_setup();
	test_commit();
	test_versions();
	test_load();
	rc = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (chdir("/") == -1 || system(cmd) != 0)
		return 1;
	return rc;
}
