/*
 * test_queue_roles.c: the queue and deliver roles run for real (in
 * development mode, sandboxed, in child processes) against a temporary
 * spool and mail root, with this program playing authd and the broker:
 * a transaction is committed and lands in the recipient's Maildir with
 * Return-Path, Delivered-To and the queue's Received header; an intake
 * file is expanded through "authd" and delivered; a remote recipient
 * waits without relay processes (listed, shown, removed through the
 * authctl messages); ROOM
 * answers from the Maildir's quota, and an over-quota delivery is
 * deferred with 4.2.2 (the sandboxed deliver role opens the index); a bad
 * intake file goes to bad/; a killed queue restarts, loads what it had
 * queued, and a message whose recipient is pending in its envelope but
 * already in the Maildir (a kill -9 between the two) is not delivered
 * twice.  Runs as a plain program.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/intake.h"
#include "common/log.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/util.h"
#include "smtpd/queue.h"
#include "tests/unit/check.h"

#define NDELIVER	2	/* deliveries in parallel, as smtpd runs them */

static struct config cfg;
static char root[256];
static int authfd = -1;
static pid_t qpid = -1, dpid[NDELIVER];

static void
start_roles(void)
{
	int au[2], dv[NDELIVER][2], qfds[NDELIVER];
	size_t i, j;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, au) == -1)
		exit(1);
	for (i = 0; i < NDELIVER; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv[i]) ==
		    -1)
			exit(1);
		qfds[i] = dv[i][0];
	}
	for (i = 0; i < NDELIVER; i++)
		if ((dpid[i] = fork()) == 0) {
			close(au[0]);
			close(au[1]);
			for (j = 0; j < NDELIVER; j++) {
				close(dv[j][0]);
				if (j != i)
					close(dv[j][1]);
			}
			deliver_main(&cfg, dv[i][1], (uid_t)-1, (gid_t)-1);
		}
	if ((qpid = fork()) == 0) {
		close(au[0]);
		for (j = 0; j < NDELIVER; j++)
			close(dv[j][1]);
		queue_main(&cfg, au[1], qfds, NDELIVER, NULL, 0, (uid_t)-1,
		    (gid_t)-1);
	}
	close(au[1]);
	for (j = 0; j < NDELIVER; j++) {
		close(dv[j][0]);
		close(dv[j][1]);
	}
	authfd = au[0];
}

static int
stop_roles(int sig)
{
	int st1 = 0, st2 = 0, ok;
	size_t i;

	if (sig != 0)
		kill(qpid, sig);
	close(authfd);
	waitpid(qpid, &st1, 0);
	ok = WIFEXITED(st1) && WEXITSTATUS(st1) == 0;
	for (i = 0; i < NDELIVER; i++) {
		waitpid(dpid[i], &st2, 0);
		ok = ok && WIFEXITED(st2) && WEXITSTATUS(st2) == 0;
	}
	return sig != 0 || ok ? 0 : -1;
}

static int
qconnect(void)
{
	struct sockaddr_un sun;
	int fd, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/queue.sock",
	    cfg.spool_dir) >= (int)sizeof(sun.sun_path))
		return -1;
	for (i = 0; i < 100; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(50000);
	}
	return -1;
}

/* count_new: files in the Maildir new/ of user, waiting up to 5 s for
 * at least want. */
static int
count_new(const char *user, int want, char *name, size_t size)
{
	char path[1200];
	struct dirent *e;
	DIR *d;
	int i, n = 0;

	snprintf(path, sizeof(path), "%s/example.test/%s/new", cfg.mail_dir,
	    user);
	for (i = 0; i < 100; i++) {
		n = 0;
		if ((d = opendir(path)) != NULL) {
			while ((e = readdir(d)) != NULL)
				if (e->d_name[0] != '.') {
					n++;
					if (name != NULL &&
					    snprintf(name, size, "%s/%s", path,
					    e->d_name) >= (int)size)
						name[0] = '\0';
				}
			closedir(d);
		}
		if (n >= want)
			return n;
		usleep(50000);
	}
	return n;
}

static int
slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd == -1)
		return -1;
	r = read(fd, buf, size - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* The checks commit sends before COMMIT (NULL: none, as on 465). */
static const struct queue_checks *commit_checks;

static uint32_t
commit(int fd, const char *sender, const char *dest, int local,
    const char *body, char *id)
{
	struct queue_env e;
	struct queue_rcpt r;
	struct frame f;
	uint32_t st = 99;

	memset(&e, 0, sizeof(e));
	strcpy(e.sender, sender);
	strcpy(e.helo, "client.example.net");
	strcpy(e.address, "192.0.2.7");
	strcpy(e.proto, "ESMTP");
	strcpy(e.session, "sess1");
	e.port = 25;
	e.received_addr = 1;
	queueproto_env_encode(&f, &e);
	frame_write(fd, &f);
	memset(&r, 0, sizeof(r));
	strcpy(r.address, dest);
	strcpy(r.dest, dest);
	r.local = (uint32_t)local;
	queueproto_rcpt_encode(&f, &r);
	frame_write(fd, &f);
	queueproto_data_encode(&f, body, strlen(body));
	frame_write(fd, &f);
	if (commit_checks != NULL) {
		queueproto_checks_encode(&f, commit_checks);
		frame_write(fd, &f);
	}
	queueproto_empty_encode(&f, MSG_QUEUE_COMMIT);
	frame_write(fd, &f);
	if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
	    f.type != MSG_QUEUE_COMMIT ||
	    queueproto_result_decode(&f, QUEUE_TEMP, &st, id,
	    QUEUE_TEXT_MAX) == -1)
		return 99;
	return st;
}

/* page: the whole LIST or SHOW text into buf. */
static int
page(int fd, uint8_t type, const char *id, char *buf, size_t size)
{
	struct frame f;
	uint32_t st, total, off = 0;
	const uint8_t *p;
	size_t len;

	do {
		queueproto_page_req_encode(&f, type, id, off);
		frame_write(fd, &f);
		if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
		    queueproto_page_ans_decode(&f, &st, &total, &p, &len) == -1)
			return -1;
		if (st != QUEUE_OK)
			return (int)st;
		if (off + len >= size)
			return -1;
		memcpy(buf + off, p, len);
		off += (uint32_t)len;
	} while (off < total && len > 0);
	buf[off] = '\0';
	return 0;
}

/* serve_auth: answer one MSG_AUTH_RCPT: "root@example.test" expands to
 * admin; anything else is unknown. */
static int
serve_auth(char *asked, size_t size)
{
	struct auth_addr_req req;
	struct auth_rcpt_ans ans;
	struct frame f;

	if (frame_read(authfd, &f, mono_ms() + 5000) == -1 ||
	    f.type != MSG_AUTH_RCPT || authproto_addr_req_decode(&f, &req) == -1)
		return -1;
	snprintf(asked, size, "%s", req.address);
	memset(&ans, 0, sizeof(ans));
	ans.id = req.id;
	if (strcmp(req.address, "root@example.test") == 0) {
		ans.status = AUTH_OK;
		ans.count = 1;
		strcpy(ans.users[0], "admin@example.test");
	} else
		ans.status = AUTH_FAIL_PERM;
	authproto_rcpt_ans_encode(&f, &ans);
	return frame_write(authfd, &f);
}

static void
test_smtp(int fd)
{
	char id[QUEUE_TEXT_MAX], name[1400], buf[4096];
	const char *want;

	CHECK_INT_EQ(commit(fd, "alice@example.test", "bob@example.test", 1,
	    "Subject: one\r\n\r\nhello\r\n", id), QUEUE_OK, "committed");
	CHECK_TRUE(queueproto_id_valid(id), "answer is a queue id");
	CHECK_INT_EQ(count_new("bob", 1, name, sizeof(name)), 1,
	    "delivered to bob's new/");
	CHECK_INT_EQ(slurp(name, buf, sizeof(buf)), 0, "read it");
	want = "Return-Path: <alice@example.test>\nDelivered-To: "
	    "bob@example.test\nReceived: from client.example.net "
	    "([192.0.2.7])\n\tby mx.example.test (postern) with ESMTP id ";
	CHECK_TRUE(strncmp(buf, want, strlen(want)) == 0,
	    "Return-Path, Delivered-To, Received first");
	CHECK_TRUE(strstr(buf, id) != NULL, "the queue id is in Received");
	CHECK_TRUE(strstr(buf, "\n\nhello\n") != NULL, "the body, LF ends");
	CHECK_TRUE(strstr(name, id) != NULL, "the Maildir name has the key");
}

/* test_checks: the checks of port 25 reach the delivered message (the
 * Authentication-Results field above Received, folded), quarantine goes
 * to a Junk folder made for it, and the envelope keeps both. */
static void
test_checks(int fd)
{
	static struct queue_checks k;
	char id[QUEUE_TEXT_MAX], name[1400], buf[8192], path[1400];
	struct stat st;
	const char *want;

	memset(&k, 0, sizeof(k));
	strcpy(k.authres, "mx.example.test; spf=pass smtp.mailfrom=example.org;"
	    " dmarc=pass header.from=example.org");
	commit_checks = &k;
	CHECK_INT_EQ(commit(fd, "a@example.org", "carl@example.test", 1,
	    "Subject: checked\r\n\r\nhi\r\n", id), QUEUE_OK, "committed");
	CHECK_INT_EQ(count_new("carl", 1, name, sizeof(name)), 1, "delivered");
	CHECK_INT_EQ(slurp(name, buf, sizeof(buf)), 0, "read it");
	want = "Return-Path: <a@example.org>\nDelivered-To: carl@example.test\n"
	    "Authentication-Results: mx.example.test;\n\tspf=pass "
	    "smtp.mailfrom=example.org;\n\tdmarc=pass header.from=example.org"
	    "\nReceived: from client.example.net";
	CHECK_STR_EQ(strncmp(buf, want, strlen(want)) == 0 ? want : buf, want,
	    "Authentication-Results first, folded, above Received");

	k.junk = 1;
	strcpy(k.authres, "mx.example.test; dmarc=fail (p=quarantine) "
	    "header.from=example.org");
	CHECK_INT_EQ(commit(fd, "a@example.org", "jane@example.test", 1,
	    "Subject: junk\r\n\r\nhi\r\n", id), QUEUE_OK, "committed");
	CHECK_INT_EQ(count_new("jane/.Junk", 1, name, sizeof(name)), 1,
	    "quarantined into Junk");
	CHECK_INT_EQ(count_new("jane", 0, NULL, 0), 0, "not into INBOX");
	CHECK_INT_EQ(slurp(name, buf, sizeof(buf)), 0, "read it");
	CHECK_TRUE(strstr(buf, "\nAuthentication-Results: mx.example.test;\n\t"
	    "dmarc=fail (p=quarantine) header.from=example.org\n") != NULL,
	    "its Authentication-Results");
	snprintf(path, sizeof(path), "%s/example.test/jane/.Junk/maildirfolder",
	    cfg.mail_dir);
	CHECK_INT_EQ(stat(path, &st), 0, "Junk is a folder of the store");
	commit_checks = NULL;
}

/* test_parallel: a burst of messages to one user, spread over the deliver
 * processes: each lands once in the same Maildir, the queue empties. */
static void
test_parallel(int fd)
{
	char id[QUEUE_TEXT_MAX], buf[4096];
	int i, ok = 0;

	for (i = 0; i < 24; i++)
		if (commit(fd, "alice@example.test", "lena@example.test", 1,
		    "Subject: burst\r\n\r\nhello\r\n", id) == QUEUE_OK)
			ok++;
	CHECK_INT_EQ(ok, 24, "24 messages committed");
	CHECK_INT_EQ(count_new("lena", 24, NULL, 0), 24,
	    "each delivered once into the same Maildir");
	for (i = 0; i < 100; i++) {
		if (page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)) == 0 &&
		    strstr(buf, "lena@") == NULL)
			break;
		usleep(50000);
	}
	CHECK_TRUE(strstr(buf, "lena@") == NULL, "and removed from the queue");
}

static void
test_remote(int fd)
{
	char id[QUEUE_TEXT_MAX], buf[8192], text[QUEUE_TEXT_MAX];
	struct frame f;
	uint32_t st;

	CHECK_INT_EQ(commit(fd, "", "dave@remote.test", 0, "Subject: r\r\n\r\n"
	    "x\r\n", id), QUEUE_OK, "remote recipient committed");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)), 0,
	    "list");
	CHECK_TRUE(strstr(buf, id) != NULL, "listed");
	CHECK_TRUE(strstr(buf, "remote dave@remote.test: waiting, 0 attempts, "
	    "next now (no relay process runs)") != NULL,
	    "waits for the relay, which does not run");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_SHOW, id, buf, sizeof(buf)), 0, "show");
	CHECK_TRUE(strstr(buf, "origin smtp 192.0.2.7 sess1") != NULL,
	    "show has the origin");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_SHOW, "00000000deadbeef", buf,
	    sizeof(buf)), QUEUE_NOTFOUND, "show of an unknown id");
	queueproto_id_encode(&f, MSG_QUEUE_FLUSH, "");
	frame_write(fd, &f);
	CHECK_INT_EQ(frame_read(fd, &f, mono_ms() + 5000), 0, "flush answer");
	CHECK_INT_EQ(queueproto_result_decode(&f, QUEUE_NOTFOUND, &st, text,
	    sizeof(text)), 0, "decodes");
	CHECK_INT_EQ(st, QUEUE_OK, "flushed");
	queueproto_id_encode(&f, MSG_QUEUE_REMOVE, id);
	frame_write(fd, &f);
	CHECK_INT_EQ(frame_read(fd, &f, mono_ms() + 5000), 0, "remove answer");
	CHECK_INT_EQ(queueproto_result_decode(&f, QUEUE_NOTFOUND, &st, text,
	    sizeof(text)), 0, "decodes");
	CHECK_INT_EQ(st, QUEUE_OK, text);
	CHECK_INT_EQ(page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)), 0,
	    "list again");
	CHECK_TRUE(strstr(buf, id) == NULL, "removed");
	CHECK_TRUE(strstr(buf, "0 messages") != NULL, "queue empty");
}

/* room: the queue's ROOM answer, asking again while deliver is busy. */
static uint32_t
room(int fd, const char *user, uint64_t quota, uint64_t size)
{
	char text[QUEUE_TEXT_MAX];
	struct queue_room r;
	struct frame f;
	uint32_t st = 99;
	int i;

	memset(&r, 0, sizeof(r));
	snprintf(r.user, sizeof(r.user), "%s", user);
	r.quota = quota;
	r.size = size;
	for (i = 0; i < 40; i++) {
		queueproto_room_encode(&f, &r);
		frame_write(fd, &f);
		if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
		    f.type != MSG_QUEUE_ROOM ||
		    queueproto_result_decode(&f, QUEUE_ROOM_UNKNOWN, &st, text,
		    sizeof(text)) == -1)
			return 99;
		if (st != QUEUE_ROOM_UNKNOWN)
			break;
		usleep(50000);
	}
	return st;
}

static void
test_quota(int fd)
{
	char md[1200], err[256], id[QUEUE_TEXT_MAX], body[3000], buf[8192];
	struct store *s;
	int i;

	snprintf(md, sizeof(md), "%s/example.test/gina", cfg.mail_dir);
	CHECK_INT_EQ(store_open(&s, md, err, sizeof(err)), 0, "gina's store");
	CHECK_INT_EQ(store_quota_set(s, 1024), 0, "quota 1K");
	store_close(s);
	CHECK_INT_EQ(room(fd, "gina@example.test", 1024, 100), QUEUE_ROOM_YES,
	    "room for 100 bytes");
	CHECK_INT_EQ(room(fd, "gina@example.test", 1024, 5000), QUEUE_ROOM_OVER,
	    "no room for 5000 bytes");
	CHECK_INT_EQ(room(fd, "hank@example.test", 0, 5000), QUEUE_ROOM_YES,
	    "no Maildir yet, no quota from authd: room");
	CHECK_INT_EQ(room(fd, "hank@example.test", 4096, 5000),
	    QUEUE_ROOM_OVER, "no Maildir yet: authd's quota applies");
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	memcpy(body, "Subject: big\r\n\r\n", 16);
	CHECK_INT_EQ(commit(fd, "alice@example.test", "gina@example.test", 1,
	    body, id), QUEUE_OK, "a big message committed");
	for (i = 0; i < 100; i++) {
		if (page(fd, MSG_QUEUE_SHOW, id, buf, sizeof(buf)) == 0 &&
		    strstr(buf, "4.2.2") != NULL)
			break;
		usleep(50000);
	}
	CHECK_TRUE(strstr(buf, "4.2.2 mailbox full") != NULL,
	    "over quota: deferred with 4.2.2");
	CHECK_TRUE(strstr(buf, "pending, 1 attempts") != NULL,
	    "one attempt, pending");
	CHECK_INT_EQ(count_new("gina", 0, NULL, 0), 0, "nothing delivered");
}

static void
test_intake(void)
{
	const char *rcpts[] = { "root" };
	char err[INTAKE_ERR_MAX], asked[300], name[1400], buf[4096];
	char path[1200];
	const char *want;
	struct dirent *e;
	DIR *d;
	int n = 0, i;

	CHECK_INT_EQ(intake_write(cfg.spool_dir, "carol@example.test", rcpts,
	    1, "Subject: local\n\nbody\n", 21, err, sizeof(err)), 0,
	    "intake file written");
	CHECK_INT_EQ(serve_auth(asked, sizeof(asked)), 0, "authd asked");
	CHECK_STR_EQ(asked, "root@example.test", "bare name qualified");
	CHECK_INT_EQ(count_new("admin", 1, name, sizeof(name)), 1,
	    "delivered to the expanded user");
	CHECK_INT_EQ(slurp(name, buf, sizeof(buf)), 0, "read it");
	want = "Return-Path: <carol@example.test>\nDelivered-To: "
	    "root@example.test\nReceived: (from local uid ";
	CHECK_TRUE(strncmp(buf, want, strlen(want)) == 0,
	    "headers of a local message");
	CHECK_TRUE(strstr(buf, "\n\nbody\n") != NULL, "body");

	snprintf(path, sizeof(path), "%s/intake/1.2.3.4", cfg.spool_dir);
	{
		FILE *f = fopen(path, "w");

		fputs("not an intake file\n", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/bad", cfg.spool_dir);
	for (i = 0; i < 60 && n == 0; i++) {
		usleep(50000);
		if ((d = opendir(path)) == NULL)
			break;
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, "intake-", 7) == 0)
				n++;
		closedir(d);
	}
	CHECK_INT_EQ(n, 1, "a bad intake file is set aside in bad/");
}

/*
 * plant_delivered: while the roles are down, the state a kill -9 leaves
 * between the Maildir's rename and the envelope's update: a queued
 * message whose local recipient is still pending in the envelope but
 * already in the Maildir (read, and moved to cur/ by imapd).
 */
static const char planted[] = "00000001aaaaaaaa";

static void
plant_delivered(void)
{
	char path[1400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/queue/%s.msg", cfg.spool_dir,
	    planted);
	f = fopen(path, "w");
	fputs("Received: x\r\n\r\nplanted\r\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/queue/%s.env", cfg.spool_dir,
	    planted);
	f = fopen(path, "w");
	fprintf(f, "postern-envelope 1\nid %s\narrival %lld\nsize 22\n"
	    "from <alice@example.test>\norigin local uid 0\nbody 0 flags 0 "
	    "envid -\nrcpt pending 0 0 local 0 kim@example.test "
	    "kim@example.test - \n", planted, (long long)time(NULL));
	fclose(f);
	snprintf(path, sizeof(path), "%s/example.test/kim", cfg.mail_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/example.test/kim/cur", cfg.mail_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/example.test/kim/new", cfg.mail_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/example.test/kim/cur/1.M2P3Q%s-0.h,"
	    "S=60,W=63,U=1:2,S", cfg.mail_dir, planted);
	f = fopen(path, "w");
	fputs("Return-Path: <alice@example.test>\n", f);
	fclose(f);
}

static void
test_restart(void)
{
	char id[QUEUE_TEXT_MAX], waiting[QUEUE_TEXT_MAX], name[1400];
	char buf[8192];
	int fd, i;

	static struct queue_checks k;

	fd = qconnect();
	memset(&k, 0, sizeof(k));
	strcpy(k.authres, "mx.example.test; spf=none");
	k.junk = 1;
	commit_checks = &k;
	CHECK_INT_EQ(commit(fd, "alice@example.test", "frank@remote.test", 0,
	    "Subject: wait\r\n\r\nx\r\n", waiting), QUEUE_OK,
	    "a waiting message committed, with checks");
	commit_checks = NULL;
	snprintf(name, sizeof(name), "%s/queue/%.16s.msg", cfg.spool_dir,
	    waiting);
	CHECK_INT_EQ(slurp(name, buf, sizeof(buf)), 0, "its message file");
	CHECK_TRUE(strstr(buf, "\nauthres mx.example.test; spf=none\njunk 1\n")
	    != NULL, "the envelope keeps the checks");
	close(fd);
	CHECK_INT_EQ(stop_roles(SIGKILL), 0, "queue killed");
	plant_delivered();
	start_roles();
	fd = qconnect();
	CHECK_TRUE(fd != -1, "the restarted queue answers");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)), 0,
	    "list after the restart");
	CHECK_TRUE(strstr(buf, waiting) != NULL,
	    "the waiting message was loaded from the spool");
	CHECK_INT_EQ(commit(fd, "alice@example.test", "erin@example.test", 1,
	    "Subject: two\r\n\r\nagain\r\n", id), QUEUE_OK, "committed");
	CHECK_INT_EQ(count_new("erin", 1, name, sizeof(name)), 1, "delivered");
	for (i = 0; i < 100; i++) {
		if (page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)) == 0 &&
		    strstr(buf, planted) == NULL)
			break;
		usleep(50000);
	}
	CHECK_TRUE(strstr(buf, planted) == NULL,
	    "the planted message is done after the restart");
	CHECK_INT_EQ(count_new("kim", 0, NULL, 0), 0,
	    "and not delivered twice: the copy in cur/ was found");
	close(fd);
	CHECK_INT_EQ(stop_roles(0), 0, "both roles stop when authd hangs up");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[400];
	int fd, rc;

	log_init("test_queue_roles", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(root, sizeof(root), "%s/test_queue_roles.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(root) == NULL)
		return 1;
	config_defaults(&cfg);
	snprintf(cfg.spool_dir, sizeof(cfg.spool_dir), "%s/spool", root);
	snprintf(cfg.mail_dir, sizeof(cfg.mail_dir), "%s/mail", root);
	strcpy(cfg.hostname, "mx.example.test");
	strcpy(cfg.domains[0], "example.test");
	cfg.ndomains = 1;
	if (mkdir(cfg.spool_dir, 0755) == -1 || mkdir(cfg.mail_dir, 0755) == -1)
		return 1;
	start_roles();
	fd = qconnect();
	CHECK_TRUE(fd != -1, "queue.sock answers");
	test_smtp(fd);
	test_checks(fd);
	test_parallel(fd);
	test_remote(fd);
	test_quota(fd);
	close(fd);
	test_intake();
	test_restart();
	rc = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
