/*
 * mail.c: pop3d's mail role, which the monitor becomes after a login.
 *
 * Starts as root with the canonical user and mail directory authd
 * returned; creates the Maildir if this is the user's first login, then
 * chroots into it, drops to the mail uid and enters its sandbox before it
 * reads a byte from the net process.  It takes the exclusive maildrop lock
 * of RFC 1939 (a second session gets [IN-USE]) and runs the TRANSACTION
 * and UPDATE states (session.c) over the plaintext socket to the net
 * process, whose bytes it treats as hostile client input.
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

#include "common/log.h"
#include "common/privsep.h"
#include "common/store.h"
#include "pop3d/pop3d.h"
#include "pop3d/session.h"

#define MAIL_LOCK	"postern-pop3.lock"

/*
 * mail_mkdirs: create path and its missing parents below cfg->mail_dir,
 * owned by the mail uid, mode 0700 (the domain level 0711 so the mail
 * uid can pass).  Runs as root.
 */
static void
mail_mkdirs(const struct config *cfg, const struct pop3_ids *ids,
    const char *path)
{
	char buf[CONFIG_PATH_MAX + 512];
	size_t base = strlen(cfg->mail_dir);
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) ||
	    strncmp(buf, cfg->mail_dir, base) != 0 || buf[base] != '/')
		fatalx("mail directory %s is not below %s", path,
		    cfg->mail_dir);
	for (p = buf + base + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == 0) {
			if (ids->mail_uid != (uid_t)-1 &&
			    chown(buf, ids->mail_uid, ids->mail_gid) == -1)
				fatal("cannot give %s to the mail user", buf);
		} else if (errno != EEXIST)
			fatal("cannot create the mail directory %s", buf);
		if (p == buf + strlen(path))
			break;
		*p = '/';
	}
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
		SANDBOX_ALLOW(poll),		/* session_run's idle wait */
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

/* mail_lock: the exclusive maildrop lock: its descriptor, or -1 when
 * the maildrop is in use. */
static int
mail_lock(void)
{
	int fd;

	if ((fd = open(MAIL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_warn("cannot open the maildrop lock %s", MAIL_LOCK);
		return -1;
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
mail_summary(const char *user, int rc)
{
	struct session_stats st;

	session_stats_get(&st);
	log_info("%s %s: retrieved %lu message%s (%llu bytes), deleted %lu%s",
	    user, rc == 0 ? "logged out with QUIT" : rc == 1 ?
	    "disconnected without QUIT" : "session ended by an error",
	    st.retrieved, st.retrieved == 1 ? "" : "s", st.bytes, st.deleted,
	    st.marked > st.deleted ? " (marked deletions not applied)" : "");
}

void
mail_main(const struct config *cfg, const struct pop3_ids *ids, int fd,
    const char *user, const char *maildir, pid_t net)
{
	struct store *s;
	char err[256];
	int status, lockfd, rc;

	log_set_role("mail");
	mail_mkdirs(cfg, ids, maildir);
	mail_sandbox(ids, maildir);
	if ((lockfd = mail_lock()) == -1) {
		log_info("%s: maildrop in use by another session", user);
		mail_say(fd, "-ERR [IN-USE] maildrop already locked by "
		    "another session\r\n");
		_exit(0);
	}
	if (store_open(&s, ".", err, sizeof(err)) == -1) {
		log_warnx("%s: cannot open the mailbox: %s", user, err);
		mail_say(fd, "-ERR [SYS/TEMP] mailbox unavailable\r\n");
		_exit(1);
	}
	log_info("%s logged in", user);
	rc = session_run(fd, s, cfg, lockfd);
	store_close(s);
	close(fd);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	mail_summary(user, rc);
	_exit(0);
}
