/*
 * mail.c: pop3d's mail role, which the monitor becomes after a login.
 *
 * Starts as root with the canonical user and mail directory authd
 * returned and the login's connection to authd; creates the Maildir if
 * this is the user's first login and checks that the mail uid can use
 * it, then chroots into it, drops to the mail uid and enters its sandbox
 * before it reads a byte from the net process.  It takes the exclusive
 * maildrop lock of RFC 1939 (a second session gets [IN-USE]; any other
 * fault [SYS/TEMP], logged with the user and the path), tells authd
 * whether the session opened, and runs the TRANSACTION and UPDATE states
 * (session.c) over the plaintext socket to the net process, whose bytes
 * it treats as hostile client input, until the client leaves or authd
 * ends the session (MSG_AUTH_END, or its connection closes).
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
#include "pop3d/pop3d.h"
#include "pop3d/session.h"

#define MAIL_LOCK	"postern-pop3.lock"

/*
 * mail_mkdirs: create path and its missing parents below cfg->mail_dir,
 * owned by the mail uid, mode 0700.  Runs as root.  The mail root itself
 * is never created: a missing one is a wrong "mail" or a file system
 * that is not mounted, not a first login.  Returns 0, or -1 with the
 * reason in why.
 */
static int
mail_mkdirs(const struct config *cfg, const struct pop3_ids *ids,
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
mail_usable(const struct pop3_ids *ids, const char *maildir, char *why,
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
mail_sandbox(const struct pop3_ids *ids, const char *maildir)
{
	const struct sandbox_rule allow[] = {
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
		SANDBOX_ALLOW(unlinkat),	/* DELE applied at QUIT */
		SANDBOX_ALLOW(mkdirat),		/* a missing cur/, new/, tmp/ */
		SANDBOX_ALLOW(mkdir),
		SANDBOX_ALLOW(fsync),		/* nothing acknowledged early */
		SANDBOX_ALLOW(flock),		/* the maildrop and uid locks */
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
		SANDBOX_ALLOW(restart_syscall),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};

	if (ids->mail_uid == (uid_t)-1) {
		if (chdir(maildir) == -1)
			fatal("cannot enter the mail directory %s", maildir);
	} else
		privsep_drop(maildir, ids->mail_uid, ids->mail_gid);
	sandbox_limits(64, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/* mail_lock: the exclusive maildrop lock: its descriptor; -1 when the
 * maildrop is in use; -2 when the lock file cannot be opened (why). */
static int
mail_lock(const char *maildir, char *why, size_t whylen)
{
	int fd;

	if ((fd = open(MAIL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		snprintf(why, whylen, "%s/%s: %s", maildir, MAIL_LOCK,
		    strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
mail_say(int fd, const char *line)
{
	size_t n = strlen(line);

	if (write(fd, line, n) != (ssize_t)n)
		log_warn("cannot write to the net process");
}

/* mail_summary: the session's last line: what it did, how it ended. */
static void
mail_summary(const char *user, int rc, const char *ended)
{
	struct session_stats st;

	session_stats_get(&st);
	log_info("%s %s: retrieved %lu message%s (%llu bytes), deleted %lu%s",
	    user, rc == 0 ? "logged out with QUIT" : rc == 1 ?
	    "disconnected without QUIT" : rc == 2 ? ended :
	    "session ended by an error",
	    st.retrieved, st.retrieved == 1 ? "" : "s", st.bytes, st.deleted,
	    st.marked > st.deleted ? " (marked deletions not applied)" : "");
}

/*
 * mail_refuse: the session does not open: log why (with user and path),
 * tell authd (so the login's audit record says so), then the client with
 * line, and end.
 */
static void __attribute__((noreturn))
mail_refuse(int fd, int afd, const char *user, const char *why,
    const char *line)
{
	log_warnx("%s: session not opened: %s", user, why);
	(void)authc_open(afd, why);
	mail_say(fd, line);
	_exit(1);
}

/* What session_run's ready hook needs, and what it did. */
struct mail_hook {
	int	afd;
	int	asked;		/* authd was told (and the answer taken) */
};

/* mail_ready: the hook: authd records the session before the client
 * hears that it opened. */
static int
mail_ready(void *arg)
{
	struct mail_hook *h = arg;

	h->asked = 1;
	return authc_open(h->afd, NULL);
}

void
mail_main(const struct config *cfg, const struct pop3_ids *ids, int fd,
    const char *user, const char *maildir, pid_t net, int afd)
{
	static const char temp[] = "-ERR [SYS/TEMP] mailbox unavailable\r\n";
	struct session_ctl ctl;
	struct store *s;
	char why[CONFIG_PATH_MAX + 600], err[256], reason[AUTH_REASON_MAX];
	struct mail_hook hook = { afd, 0 };
	int status, lockfd, rc;

	log_set_role("mail");
	if (mail_mkdirs(cfg, ids, maildir, why, sizeof(why)) == -1 ||
	    mail_usable(ids, maildir, why, sizeof(why)) == -1)
		mail_refuse(fd, afd, user, why, temp);
	mail_sandbox(ids, maildir);
	if ((lockfd = mail_lock(maildir, why, sizeof(why))) == -2)
		mail_refuse(fd, afd, user, why, temp);
	if (lockfd == -1)
		mail_refuse(fd, afd, user, "the maildrop is locked by another "
		    "session", "-ERR [IN-USE] maildrop already locked by "
		    "another session\r\n");
	if (store_open(&s, ".", err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "%s: %s", maildir, err);
		mail_refuse(fd, afd, user, why, temp);
	}
	log_info("%s logged in", user);
	ctl.lockfd = lockfd;
	ctl.endfd = afd;
	ctl.ready = mail_ready;
	ctl.arg = &hook;
	rc = session_run(fd, s, cfg, &ctl);
	if (!hook.asked) {
		/* The maildrop could not be read: nothing opened. */
		snprintf(why, sizeof(why), "%s: cannot read the maildrop",
		    maildir);
		(void)authc_open(afd, why);
	}
	if (rc == 2 && authc_end_read(afd, reason, sizeof(reason)) == 0)
		snprintf(why, sizeof(why), "session ended by authd (%s)",
		    reason);
	else if (rc == 2)
		snprintf(why, sizeof(why), "session ended (%s)", reason);
	store_close(s);
	close(fd);
	close(afd);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	mail_summary(user, rc, why);
	_exit(0);
}
