/*
 * deliver.c: smtpd's deliver role (queue.h): writes one message into one
 * user's Maildir INBOX per request of the queue (or its Junk folder, for
 * mail the sender domain's DMARC policy quarantines: made when missing,
 * \Junk by its name, subscribed), with the Return-Path, Delivered-To
 * and Authentication-Results fields first, and says whether a
 * message of some size would fit a user's quota.  Several of these
 * processes run side by side, each with its own socket pair to the
 * queue; two may write into the same Maildir at once (store_once.c's
 * names are unique by pid, time and key).  Runs as the mail uid,
 * chrooted to the mail root, under its sandbox; it never sees the spool:
 * the queue passes the open message file.  It trusts the queue (its
 * only peer, over a socket pair the parent made), but still decodes
 * every request with the checked codec and builds every path with
 * mailpath_dir, so a wrong user name cannot reach outside the user's
 * Maildir.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/mailpath.h"
#include "common/store_imap.h"
#include "common/privsep.h"
#include "common/skel.h"
#include "common/store.h"
#include "common/store_folder.h"
#include "common/store_maildir.h"
#include "common/util.h"
#include "smtpd/queue.h"

/*
 * deliver_sandbox: the one function that builds the deliver role's
 * sandbox: chroot to the mail root, the mail uid, no new privileges, and
 * the system calls of the store (files, directories, the LMDB index the
 * quota check reads); no executable memory, no socket, no exec.  Each
 * entry says why it is there.
 */
static void
deliver_sandbox(const struct config *cfg, uid_t uid, gid_t gid)
{
	static const struct sandbox_rule allow[] = {
		/* the queue's socket pair, message files, syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),		/* syslog */
		SANDBOX_ALLOW(recvmsg),		/* the message file's fd */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(close),
		/* the Maildir: create, write, rename, list */
		SANDBOX_ALLOW(openat),
		SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat),
		SANDBOX_ALLOW(getdents64),	/* new/ and cur/: the earlier copy */
		SANDBOX_ALLOW(lseek),
		SANDBOX_ALLOW(pread64),		/* the message file */
		SANDBOX_ALLOW(renameat),
		SANDBOX_ALLOW(renameat2),	/* tmp/ to new/ */
		SANDBOX_ALLOW(linkat),		/* the index check's marker */
		SANDBOX_ALLOW(unlinkat),	/* a failed write's tmp file */
		SANDBOX_ALLOW(mkdir),		/* a user's first Maildir */
		SANDBOX_ALLOW(mkdirat),
		SANDBOX_ALLOW(fsync),		/* nothing acknowledged early */
		SANDBOX_ALLOW(flock),		/* the folders' uid locks */
		/* the LMDB index, for the usage (store_quota_get) */
		SANDBOX_ALLOW(pwrite64),
		SANDBOX_ALLOW(writev),
		SANDBOX_ALLOW(fdatasync),
		SANDBOX_ALLOW(msync),
		SANDBOX_ALLOW(fcntl),
		SANDBOX_ALLOW(ftruncate),
		SANDBOX_ALLOW(fstatfs),
		SANDBOX_ALLOW(uname),		/* LMDB, and the host in names */
		SANDBOX_FUTEX(FUTEX_WAIT),
		SANDBOX_FUTEX(FUTEX_WAIT_BITSET),
		SANDBOX_FUTEX(FUTEX_WAKE),
		SANDBOX_FUTEX(FUTEX_WAKE_BITSET),
		/* memory: malloc, LMDB's shared maps; never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF(mmap, SANDBOX_NOEXEC),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),
		SANDBOX_MADVISE(MADV_DONTNEED),
		SANDBOX_ALLOW(sysinfo),		/* glibc's qsort sizes its buffer */
		/* unique names, time stamps, log prefix */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		/* the index check after a crash catches SIGSEGV and SIGBUS */
		SANDBOX_ALLOW(rt_sigaction),
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};

	if (uid == (uid_t)-1) {
		if (chdir(cfg->mail_dir) == -1)
			fatal("cannot enter the mail root %s", cfg->mail_dir);
	} else
		privsep_drop(cfg->mail_dir, uid, gid);
	skel_role_tie();
	sandbox_limits(32, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/* deliver_domains: each configured domain's directory below the mail
 * root, owned by the mail uid, so that a user's first Maildir can be
 * made inside the chroot (the root itself is root's).  Runs as root. */
static void
deliver_domains(const struct config *cfg, uid_t uid, gid_t gid)
{
	char path[CONFIG_PATH_MAX + CONFIG_NAME_MAX + 2];
	char name[CONFIG_NAME_MAX + 3];
	int i, n;

	for (i = 0; i < cfg->ndomains; i++) {
		n = snprintf(name, sizeof(name), "x@%s", cfg->domains[i]);
		if (n < 0 || (size_t)n >= sizeof(name) ||
		    mailpath_name_check(name, (size_t)n, NULL, 0) == -1)
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", cfg->mail_dir,
		    cfg->domains[i]);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		if (mkdir(path, 0700) == 0) {
			if (uid != (uid_t)-1 && chown(path, uid, gid) == -1)
				fatal("cannot give %s to the mail user", path);
		} else if (errno != EEXIST)
			log_warn("cannot create the mail directory %s", path);
	}
}

/* deliver_path: the Maildir of user, relative to the mail root (the
 * cwd: the chroot's root, or the mail root itself in development mode). */
static int
deliver_path(const char *user, char *path, size_t len, char *why,
    size_t whylen)
{
	char lower[AUTH_USER_MAX], abs[AUTH_PATH_MAX];

	if (str_copy(lower, user, sizeof(lower)) == -1 ||
	    !user_name_valid(lower)) {
		(void)snprintf(why, whylen, "invalid user name");
		return -1;
	}
	str_lower(lower);
	if (mailpath_dir("/", lower, abs, sizeof(abs), why, whylen) == -1)
		return -1;
	return str_copy(path, abs + 1, len);
}

/* deliver_junk: the Junk folder of the Maildir at path (made, with the
 * user's Maildir, when missing) into junk.  0, or -1 with the reason in
 * why. */
static int
deliver_junk(const char *path, char *junk, size_t len, char *why,
    size_t whylen)
{
	struct store *s;
	struct stat st;
	int rc = 0;

	if (snprintf(junk, len, "%s/.Junk", path) >= (int)len) {
		(void)snprintf(why, whylen, "the Junk folder's path is too "
		    "long");
		return -1;
	}
	if (lstat(junk, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (maildir_mkpath(path) == -1) {
		(void)snprintf(why, whylen, "cannot create the Maildir: %s",
		    strerror(errno));
		return -1;
	}
	if (store_open(&s, path, why, whylen) == -1)
		return -1;
	if (store_folder_create(s, "Junk", 0) == -1 && errno != EEXIST) {
		(void)snprintf(why, whylen, "cannot create the Junk folder: "
		    "%s", strerror(errno));
		rc = -1;
	} else if (store_subscribe(s, "Junk", 1) == -1)
		log_warnx("%s: the new Junk folder could not be subscribed",
		    path);
	store_close(s);
	return rc;
}

/* deliver_junk_ready: the Junk folder of the Maildir at path into junk,
 * and room for size bytes in the user's quota (which Junk shares with
 * INBOX; the Junk folder has none of its own).  DELIVER_OK, or
 * DELIVER_QUOTA or DELIVER_TEMP with the reason in why. */
static uint32_t
deliver_junk_ready(const char *path, char *junk, size_t len, uint64_t size,
    char *why, size_t whylen)
{
	char tmp[QUEUE_TEXT_MAX];
	int rc;

	if (deliver_junk(path, junk, len, why, whylen) == -1)
		return DELIVER_TEMP;
	if ((rc = store_deliver_room(path, size, 0, tmp, sizeof(tmp))) == 0)
		return DELIVER_OK;
	(void)snprintf(why, whylen, "%s%.400s", rc == 1 ? "4.2.2 mailbox "
	    "full: " : "", tmp);
	return rc == 1 ? DELIVER_QUOTA : DELIVER_TEMP;
}

/* deliver_head: the fields written above the message into head: the
 * envelope's sender and recipient, and the checks' result.  Its length,
 * or -1 when it does not fit. */
static int
deliver_head(const struct deliver_req *req, char *head, size_t len)
{
	char field[2 * QUEUE_AUTHRES_MAX + 64];
	int n;

	field[0] = '\0';
	if (req->authres[0] != '\0' && queueproto_authres_field(field,
	    sizeof(field), req->authres, 0) == -1)
		return -1;
	n = snprintf(head, len, "Return-Path: <%s>\nDelivered-To: %s\n%s",
	    req->sender, req->rcpt, field);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* deliver_msg: one MSG_DELIVER_MSG. */
static void
deliver_msg(int qfd, struct frame *f, int msgfd)
{
	static struct deliver_req req;
	static char head[1024 + 2 * QUEUE_AUTHRES_MAX];
	char path[AUTH_PATH_MAX], junk[AUTH_PATH_MAX + 8];
	char why[QUEUE_TEXT_MAX];
	struct frame out;
	uint32_t status = DELIVER_OK;
	int n, rc;

	if (queueproto_deliver_decode(f, &req) == -1 || msgfd == -1)
		fatalx("malformed delivery request from the queue");
	why[0] = '\0';
	if ((n = deliver_head(&req, head, sizeof(head))) == -1)
		fatalx("delivery request with oversized addresses");
	if (deliver_path(req.user, path, sizeof(path), why, sizeof(why)) ==
	    -1) {
		status = DELIVER_PERM;
		log_warnx("cannot deliver to %s: %s", req.user, why);
	} else if (req.junk && (status = deliver_junk_ready(path, junk,
	    sizeof(junk), req.size + (uint64_t)n, why, sizeof(why))) !=
	    DELIVER_OK) {
		log_warnx("delivery of %s to %s's Junk failed: %s", req.key,
		    req.user, why);
	} else {
		rc = store_deliver_once(req.junk ? junk : path, req.key, head,
		    (size_t)n, msgfd, req.size, (int)req.recovering, why,
		    sizeof(why));
		if (rc == 1)
			(void)str_copy(why, "already delivered", sizeof(why));
		else if (rc == -1) {
			status = errno == EDQUOT ? DELIVER_QUOTA :
			    errno == EINVAL ? DELIVER_PERM : DELIVER_TEMP;
			if (status == DELIVER_QUOTA) {
				char tmp[QUEUE_TEXT_MAX];

				(void)snprintf(tmp, sizeof(tmp), "4.2.2 "
				    "mailbox full: %.400s", why);
				(void)str_copy(why, tmp, sizeof(why));
			}
			log_warnx("delivery of %s to %s failed: %s", req.key,
			    req.user, why);
		}
	}
	(void)close(msgfd);
	if (queueproto_result_encode(&out, MSG_DELIVER_MSG, status, why) == -1 ||
	    frame_write(qfd, &out) == -1)
		fatal("cannot answer the queue");
}

/* deliver_room: one MSG_DELIVER_ROOM. */
static void
deliver_room(int qfd, struct frame *f)
{
	char user[AUTH_USER_MAX], path[AUTH_PATH_MAX], why[QUEUE_TEXT_MAX];
	struct frame out;
	uint64_t quota, size;
	uint32_t status;
	int rc;

	if (queueproto_droom_decode(f, user, sizeof(user), &quota, &size) ==
	    -1)
		fatalx("malformed room request from the queue");
	why[0] = '\0';
	if (deliver_path(user, path, sizeof(path), why, sizeof(why)) == -1)
		status = QUEUE_ROOM_UNKNOWN;
	else {
		/* authd's quota is the truth: the deliveries that follow
		 * honour it even before the user's first login.  (0 is
		 * "none" or "not known": a limit lifted reaches the Maildir
		 * at the user's next login.) */
		if (quota != 0 &&
		    store_quota_record(path, quota, why, sizeof(why)) == -1)
			log_warnx("%s: the quota could not be recorded: %s",
			    user, why);
		rc = store_deliver_room(path, size, quota, why, sizeof(why));
		status = rc == 0 ? QUEUE_ROOM_YES : rc == 1 ?
		    QUEUE_ROOM_OVER : QUEUE_ROOM_UNKNOWN;
	}
	if (queueproto_result_encode(&out, MSG_DELIVER_ROOM, status, why) ==
	    -1 || frame_write(qfd, &out) == -1)
		fatal("cannot answer the queue");
}

void
deliver_main(const struct config *cfg, int queuefd, uid_t uid, gid_t gid)
{
	struct frame f;
	int msgfd;

	log_set_role("deliver");
	deliver_domains(cfg, uid, gid);
	deliver_sandbox(cfg, uid, gid);
	for (;;) {
		if (queueproto_recv_fd(queuefd, &f, &msgfd, FRAME_FOREVER) ==
		    -1) {
			if (errno == ECONNRESET)
				_exit(0);
			fatal("cannot read from the queue");
		}
		switch (f.type) {
		case MSG_DELIVER_MSG:
			deliver_msg(queuefd, &f, msgfd);
			break;
		case MSG_DELIVER_ROOM:
			if (msgfd != -1)
				fatalx("a descriptor with a room request");
			deliver_room(queuefd, &f);
			break;
		default:
			fatalx("unexpected %s from the queue",
			    msg_name(f.type));
		}
	}
}
