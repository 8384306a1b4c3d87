/*
 * skel_mail.c: a network daemon's mail role, which the monitor becomes
 * after a login (skel.h).
 *
 * Starts as root with the canonical user and mail directory authd
 * returned and the login's connection to authd; creates the Maildir if
 * this is the user's first login and checks that the mail uid can use
 * it, then chroots into it, drops to the mail uid and enters its sandbox
 * before it reads a byte from the net process.  It opens the store (a
 * fault is logged with the user and the path, and the client gets the
 * daemon's refusal), then runs the daemon's session engine over the
 * plaintext socket to the net process, whose bytes it treats as hostile
 * client input, until the client leaves or authd ends the session
 * (MSG_AUTH_END, or its connection closes).  authd hears whether the
 * session opened, through the ready hook or the refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/authc.h"
#include "common/log.h"
#include "common/privsep.h"
#include "common/store.h"
#include "common/skel.h"
#include "common/store_imap.h"

/*
 * mail_mkdirs: create path and its missing parents below cfg->mail_dir,
 * owned by the mail uid, mode 0700.  Runs as root.  The mail root itself
 * is never created: a missing one is a wrong "mail" or a file system
 * that is not mounted, not a first login.  Returns 0, or -1 with the
 * reason in why.
 */
static int
mail_mkdirs(const struct config *cfg, const struct skel_ids *ids,
    const char *path, char *why, size_t whylen)
{
	char buf[CONFIG_PATH_MAX + 512];
	size_t base = strlen(cfg->mail_dir);
	struct stat st;
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) ||
	    strncmp(buf, cfg->mail_dir, base) != 0 || buf[base] != '/')
		fatalx("mail directory %s is not below %s", path,
		    cfg->mail_dir);
	if (stat(cfg->mail_dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "the mail root %s %s", cfg->mail_dir,
		    errno == ENOENT ? "does not exist" : "is not a directory");
		return -1;
	}
	for (p = buf + base + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == 0) {
			if (ids->mail_uid != (uid_t)-1 &&
			    chown(buf, ids->mail_uid, ids->mail_gid) == -1) {
				snprintf(why, whylen, "cannot give %s to the "
				    "mail user: %s", buf, strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", buf,
			    strerror(errno));
			return -1;
		}
		if (p == buf + strlen(path))
			break;
		*p = '/';
	}
	return 0;
}

/*
 * mail_usable: the checks that tell, as root and before the drop, why
 * the mail uid could not use maildir: a real directory, owned by the
 * mail uid (the invoking user in development mode), which its owner may
 * read, write and enter.  0, or -1 with the reason in why.
 */
static int
mail_usable(const struct skel_ids *ids, const char *maildir, char *why,
    size_t whylen)
{
	uid_t owner = ids->mail_uid != (uid_t)-1 ? ids->mail_uid : geteuid();
	struct stat st;

	if (lstat(maildir, &st) == -1) {
		snprintf(why, whylen, "%s: %s", maildir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", maildir);
		return -1;
	}
	if (st.st_uid != owner) {
		snprintf(why, whylen, "%s is owned by uid %lu, not by the mail "
		    "user (uid %lu)", maildir, (unsigned long)st.st_uid,
		    (unsigned long)owner);
		return -1;
	}
	if ((st.st_mode & 0700) != 0700) {
		snprintf(why, whylen, "%s has mode %04o: its owner cannot "
		    "read, write and enter it", maildir,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/*
 * mail_sandbox: the one function that builds the mail role's sandbox:
 * chroot to the Maildir, the mail uid, no new privileges, and the system
 * calls of the store (files, directories, LMDB's mmap) and of the socket;
 * no executable memory.  Each entry says why it is there.
 */
static void
mail_sandbox(const struct skel_daemon *d, const struct skel_ids *ids,
    const char *maildir)
{
	static const struct sandbox_rule allow[] = {
		/* the net role's socket, message files, syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(poll),		/* the client, and authd's word */
		SANDBOX_ALLOW(ppoll),
		/* the Maildir: open, look at, list and move message files */
		SANDBOX_ALLOW(openat),
		SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat),
		SANDBOX_ALLOW(getdents64),	/* readdir of cur/ and new/ */
		SANDBOX_ALLOW(lseek),
		SANDBOX_ALLOW(renameat),	/* new/ to cur/, renames */
		SANDBOX_ALLOW(renameat2),
		SANDBOX_ALLOW(linkat),		/* the index check's marker */
		SANDBOX_ALLOW(unlinkat),	/* expunged messages */
		SANDBOX_ALLOW(mkdirat),		/* a missing cur/, new/, tmp/ */
		SANDBOX_ALLOW(mkdir),
		SANDBOX_ALLOW(fsync),		/* nothing acknowledged early */
		SANDBOX_ALLOW(flock),		/* the folders' uid locks */
		/* the LMDB index: page I/O, its commit, its lock file's
		 * record locks and mutexes, growing its files, and the
		 * checks it makes when it opens (file system, kernel) */
		SANDBOX_ALLOW(pread64),
		SANDBOX_ALLOW(pwrite64),
		SANDBOX_ALLOW(writev),
		SANDBOX_ALLOW(fdatasync),
		SANDBOX_ALLOW(msync),
		SANDBOX_ALLOW(fcntl),
		SANDBOX_ALLOW(ftruncate),
		SANDBOX_ALLOW(fstatfs),
		SANDBOX_ALLOW(uname),
		SANDBOX_FUTEX(FUTEX_WAIT),
		SANDBOX_FUTEX(FUTEX_WAIT_BITSET),
		SANDBOX_FUTEX(FUTEX_WAKE),
		SANDBOX_FUTEX(FUTEX_WAKE_BITSET),
		/* memory: malloc, and LMDB's shared maps of its files (so any
		 * flags), never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF(mmap, SANDBOX_NOEXEC),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),		/* realloc of a mapped chunk */
		/* store_trim (malloc_trim, the index's pages) */
		SANDBOX_MADVISE(MADV_DONTNEED),
		SANDBOX_ALLOW(sysinfo),		/* glibc's qsort sizes its buffer */
		/* unique file names, log time stamps and prefix */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		SANDBOX_ALLOW(wait4),		/* reaping the net child */
		/* the index check after a process died with the index
		 * open catches SIGSEGV and SIGBUS for its walk */
		SANDBOX_ALLOW(rt_sigaction),
		/* returning from a signal handler and restarting the call
		 * it interrupted (a stop signal, a debugger) */
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};

	struct sandbox_rule all[sizeof(allow) / sizeof(allow[0]) +
	    SKEL_MAIL_EXTRA_MAX];
	size_t n = sizeof(allow) / sizeof(allow[0]);

	if (d->mail_nextra > SKEL_MAIL_EXTRA_MAX)
		fatalx("too many extra system calls for the mail role");
	memcpy(all, allow, sizeof(allow));
	if (d->mail_nextra > 0)
		memcpy(all + n, d->mail_extra,
		    d->mail_nextra * sizeof(*d->mail_extra));
	if (ids->mail_uid == (uid_t)-1) {
		if (chdir(maildir) == -1)
			fatal("cannot enter the mail directory %s", maildir);
	} else
		privsep_drop(maildir, ids->mail_uid, ids->mail_gid);
	sandbox_limits(64, 0);
	sandbox_seccomp(all, n + d->mail_nextra, 1);
}

/*
 * mail_refused: the session does not open: log why (with user and path),
 * tell authd (so the login's audit record says so), then the client with
 * line (n bytes), and end.
 */
static void __attribute__((noreturn))
mail_refused(int fd, int afd, const char *user, const char *why,
    const char *line, size_t n)
{
	log_warnx("%s: session not opened: %s", user, why);
	(void)authc_open(afd, why);
	if (write(fd, line, n) != (ssize_t)n)
		log_warn("cannot write to the net process");
	_exit(1);
}

/* mail_refuse: refused before the session engine ran: the client hears
 * it in the daemon's words. */
static void __attribute__((noreturn))
mail_refuse(const struct skel_daemon *d, int fd, int afd, const char *user,
    const struct role_login *l, const char *why)
{
	char line[512];
	size_t n;

	n = d->refuse(l->handover, l->handoverlen, line, sizeof(line));
	mail_refused(fd, afd, user, why, line, n > sizeof(line) ? 0 : n);
}

/* mail_refuse_line: the session engine's refusal (skel_mail.refuse). */
static void __attribute__((noreturn))
mail_refuse_line(struct skel_mail *m, const char *why, const char *line)
{
	mail_refused(m->fd, m->endfd, m->user, why, line, strlen(line));
}

/* mail_ready: the session engine's hook: authd records the session
 * before the client hears that it opened. */
static int
mail_ready(struct skel_mail *m)
{
	m->readied = 1;
	return authc_open(m->endfd, NULL);
}

/* mail_quota: the store enforces the quota authd gave (kept in the
 * Maildir, so it changes only when authd's does). */
static void
mail_quota(struct store *s, const char *user, uint64_t quota)
{
	struct store_quota q;

	if (store_quota_get(s, &q) == 0 && q.limit == quota)
		return;
	if (store_quota_set(s, quota) == -1)
		log_warnx("%s: the quota could not be recorded in the "
		    "mailbox", user);
}

void
skel_mail_main(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, int fd, const struct auth_login_ans *ans,
    pid_t net, int afd, const struct role_login *l)
{
	const char *user = ans->user, *maildir = ans->maildir;
	struct skel_mail m;
	struct store *s;
	char why[CONFIG_PATH_MAX + 600], err[256], reason[AUTH_REASON_MAX];
	int status, rc;

	log_set_role("mail");
	if (mail_mkdirs(cfg, ids, maildir, why, sizeof(why)) == -1 ||
	    mail_usable(ids, maildir, why, sizeof(why)) == -1)
		mail_refuse(d, fd, afd, user, l, why);
	mail_sandbox(d, ids, maildir);
	if (store_open(&s, ".", err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "%s: %s", maildir, err);
		mail_refuse(d, fd, afd, user, l, why);
	}
	mail_quota(s, user, ans->quota);
	log_info("%s logged in", user);
	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.fd = fd;
	m.endfd = afd;
	m.user = user;
	m.maildir = maildir;
	m.store = s;
	m.handover = l->handover;
	m.handoverlen = l->handoverlen;
	m.ready = mail_ready;
	m.refuse = mail_refuse_line;
	why[0] = '\0';
	rc = d->session(&m);
	if (!m.readied) {
		/* The mailbox could not be read: nothing opened. */
		snprintf(why, sizeof(why), "%s: cannot read the mailbox",
		    maildir);
		(void)authc_open(afd, why);
	}
	if (rc == SKEL_END_AUTHD &&
	    authc_end_read(afd, reason, sizeof(reason)) == 0)
		snprintf(why, sizeof(why), "session ended by authd (%s)",
		    reason);
	else if (rc == SKEL_END_AUTHD)
		snprintf(why, sizeof(why), "session ended (%s)", reason);
	store_close(s);
	close(fd);
	close(afd);
	/* Said before the wait: the net process may linger a moment over
	 * the client's last bytes. */
	d->summary(user, rc, why);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	_exit(0);
}
