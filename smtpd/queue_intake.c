/*
 * queue_intake.c: the queue's pickup of the offline intake (intake.h):
 * every second it looks at intake/, parses each finished file as hostile
 * input (any local user may write one), expands the recipients through
 * authd, queues the message durably and only then removes the file.
 * Runs in the queue role, chrooted to the spool.
 *
 * Decisions: a file that cannot be parsed (or has an unexpected name, or
 * is a symlink, or no recipient left) is moved to bad/ as
 * "intake-<seconds>-<random>" and logged with its original name, owner
 * and reason: never lost silently, never retried.  A recipient authd
 * calls unknown is dropped and logged (there are no bounces yet).  When
 * authd cannot answer, the pickup pauses for a minute and the file stays.
 * A dot file (a writer at work) older than an hour is a writer that
 * died: removed and logged.  A crash between the queue's commit and the
 * unlink delivers the file twice; that beats losing it.
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

#include "common/authproto.h"
#include "common/intake.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

#define INTAKE_SCAN_MS		1000
#define INTAKE_PAUSE_MS		60000
#define INTAKE_PER_SCAN		64
#define INTAKE_STALE_SECS	3600
#define INTAKE_AUTH_MS		10000

static struct intake_msg intake_cur;

/* intake_vis: name for a log line, bytes outside printable ASCII as '?'. */
static void
intake_vis(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && name[i] != '\0'; i++)
		buf[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	buf[i] = '\0';
}

/* intake_set_aside: move name to bad/ and say why. */
static void
intake_set_aside(int dfd, const char *name, long owner, const char *why)
{
	char to[64], vis[300];
	uint32_t r;

	random_bytes(&r, sizeof(r));
	(void)snprintf(to, sizeof(to), "bad/intake-%" PRId64 "-%08" PRIx32,
	    now_us() / 1000000, r);
	intake_vis(name, vis, sizeof(vis));
	if (renameat(dfd, name, AT_FDCWD, to) == -1) {
		log_warn("intake file %s (owner %ld) is unusable (%s) and "
		    "cannot be moved to bad/", vis, owner, why);
		return;
	}
	log_warnx("intake file %s (owner %ld) is unusable: %s; moved to %s",
	    vis, owner, why, to);
}

/* intake_auth_rcpt: authd's expansion of addr.  0 with *ans, -1 when
 * authd cannot answer now. */
static int
intake_auth_rcpt(const char *addr, struct auth_rcpt_ans *ans)
{
	struct auth_addr_req req;
	struct frame f;
	int64_t deadline = mono_ms() + INTAKE_AUTH_MS;

	memset(&req, 0, sizeof(req));
	req.id = ++queue.authid;
	if (str_copy(req.address, addr, sizeof(req.address)) == -1 ||
	    authproto_addr_req_encode(&f, MSG_AUTH_RCPT, &req) == -1)
		return -1;
	if (frame_write(queue.authfd, &f) == -1)
		fatal("cannot reach authd");
	for (;;) {
		if (frame_read(queue.authfd, &f, deadline) == -1) {
			if (errno == ECONNRESET)
				fatalx("authd closed its connection");
			log_warn("no answer from authd about recipient %s",
			    addr);
			return -1;
		}
		if (f.type != MSG_AUTH_RCPT ||
		    authproto_rcpt_ans_decode(&f, ans) == -1)
			fatalx("malformed answer from authd");
		if (ans->id == req.id)
			return 0;
	}
}

/* intake_domain_local: the domain of addr is one of ours. */
static int
intake_domain_local(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && config_is_local_domain(queue.cfg, at + 1);
}

/* intake_expand (queue_int.h): also the queue's own notices. */
int
intake_expand(struct qwriter *w, const char *rcpt)
{
	static struct auth_rcpt_ans ans;
	struct qrcpt r;
	uint32_t i;
	int n;

	memset(&r, 0, sizeof(r));
	n = strchr(rcpt, '@') != NULL ?
	    snprintf(r.address, sizeof(r.address), "%s", rcpt) :
	    snprintf(r.address, sizeof(r.address), "%s@%s", rcpt,
	    queue.cfg->domains[0]);
	if (n < 0 || (size_t)n >= sizeof(r.address))
		return 1;
	if (!intake_domain_local(r.address)) {
		(void)str_copy(r.dest, r.address, sizeof(r.dest));
		return qwriter_rcpt(w, &r) == -1 ? 1 : 0;
	}
	if (intake_auth_rcpt(r.address, &ans) == -1)
		return -1;
	if (ans.status == AUTH_FAIL_TEMP)
		return -1;
	if (ans.status != AUTH_OK || ans.count == 0)
		return 1;
	for (i = 0; i < ans.count; i++) {
		(void)str_copy(r.dest, ans.users[i], sizeof(r.dest));
		r.local = intake_domain_local(r.dest);
		if (qwriter_rcpt(w, &r) == -1)
			return 1;
	}
	return 0;
}

/* intake_copy: the message of the file at fd into w. */
static int
intake_copy(struct qwriter *w, int fd, const struct intake_msg *im)
{
	char buf[16384];
	uint64_t left = im->body_len;
	off_t off = im->body_off;
	ssize_t r;

	while (left > 0) {
		r = pread(fd, buf, left < sizeof(buf) ? (size_t)left :
		    sizeof(buf), off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (qwriter_data(w, buf, (size_t)r, 1) == -1)
			return -1;
		left -= (uint64_t)r;
		off += r;
	}
	return 0;
}

/* intake_enqueue: queue the parsed file; 0 queued, 1 unusable (why set),
 * -1 try again later. */
static int
intake_enqueue(int fd, const struct intake_msg *im, char *why, size_t len,
    char *id)
{
	char received[1024];
	struct qwriter w;
	size_t i, dropped = 0;
	int rc;

	if (qwriter_start(&w, im->sender) == -1)
		return -1;
	queue_received_local(received, sizeof(received),
	    (unsigned long)im->owner, w.m->id);
	if (qwriter_header(&w, received) == -1) {
		qwriter_abort(&w);
		return -1;
	}
	(void)snprintf(w.m->origin, sizeof(w.m->origin), "local uid %lu",
	    (unsigned long)im->owner);
	for (i = 0; i < im->nrcpt; i++) {
		rc = intake_expand(&w, im->rcpt[i]);
		if (rc == -1) {
			qwriter_abort(&w);
			return -1;
		}
		if (rc == 1) {
			log_warnx("intake message from local uid %lu: "
			    "recipient %s unknown, dropped",
			    (unsigned long)im->owner, im->rcpt[i]);
			dropped++;
		}
	}
	if (w.m->nrcpt == 0) {
		(void)snprintf(why, len, "no deliverable recipient (%zu "
		    "unknown)", dropped);
		qwriter_abort(&w);
		return 1;
	}
	if (intake_copy(&w, fd, im) == -1) {
		(void)str_copy(why, w.failed ? w.why :
		    "the file shrank while it was read", len);
		qwriter_abort(&w);
		return 1;
	}
	if (qwriter_commit(&w, id) == -1)
		return -1;
	return 0;
}

/* intake_one: pick up one finished file; -1 when the pickup pauses. */
static int
intake_one(int dfd, const char *name)
{
	char why[INTAKE_ERR_MAX], id[QUEUE_ID_LEN + 1], vis[300];
	int fd, rc;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			intake_set_aside(dfd, name, -1, "a symbolic link");
		else if (errno != ENOENT)
			log_warn("cannot open intake file %s", name);
		return 0;
	}
	/* sendmail bounds what it reads by the same size, then adds a few
	 * header fields: the slack is the queue's as for SMTP */
	rc = intake_read(fd, queue.cfg->smtp_max_message_size + 65536,
	    &intake_cur, why, sizeof(why));
	if (rc == INTAKE_IOERR) {
		log_warnx("cannot read intake file %s: %s", name, why);
		(void)close(fd);
		return 0;
	}
	if (rc == INTAKE_OK)
		rc = intake_enqueue(fd, &intake_cur, why, sizeof(why), id);
	else
		rc = 1;
	(void)close(fd);
	if (rc == -1) {
		queue.intake_next = mono_ms() + INTAKE_PAUSE_MS;
		log_warnx("intake pickup paused for a minute: intake file %s "
		    "stays", name);
		return -1;
	}
	if (rc == 1) {
		intake_set_aside(dfd, name, (long)intake_cur.owner, why);
		return 0;
	}
	intake_vis(name, vis, sizeof(vis));
	log_info("message %s queued from intake file %s: local uid %lu, from "
	    "<%s>, %zu recipient%s", id, vis, (unsigned long)intake_cur.owner,
	    intake_cur.sender, intake_cur.nrcpt,
	    intake_cur.nrcpt == 1 ? "" : "s");
	if (unlinkat(dfd, name, 0) == -1 || fsync(dfd) == -1)
		log_warn("message %s is queued but its intake file %s could "
		    "not be removed: it may be delivered twice", id, vis);
	return 0;
}

/* intake_stale: a dot file older than an hour is a dead writer's. */
static void
intake_stale(int dfd, const char *name)
{
	char vis[300];
	struct stat st;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now_us() / 1000000 - st.st_mtime < INTAKE_STALE_SECS)
		return;
	intake_vis(name, vis, sizeof(vis));
	if (unlinkat(dfd, name, 0) == -1)
		log_warn("cannot remove the abandoned intake file %s", vis);
	else
		log_info("removed intake file %s, abandoned by its writer "
		    "(owner %lu)", vis, (unsigned long)st.st_uid);
}

void
intake_scan(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (mono_ms() < queue.intake_next)
		return;
	queue.intake_next = mono_ms() + INTAKE_SCAN_MS;
	if ((d = opendir(INTAKE_DIR)) == NULL) {
		log_warn("cannot read the intake directory");
		return;
	}
	while (n < INTAKE_PER_SCAN && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			intake_stale(dirfd(d), e->d_name);
			continue;
		}
		n++;
		if (!intake_name_valid(e->d_name))
			intake_set_aside(dirfd(d), e->d_name, -1,
			    "not a name the intake writer makes");
		else if (intake_one(dirfd(d), e->d_name) == -1)
			break;
	}
	(void)closedir(d);
}
