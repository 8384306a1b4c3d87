/*
 * authctl_mailbox.c: setting a user's Maildir aside, putting it back and
 * purging it, for "user del" and "user add" (see authctl_mailbox.h).
 *
 * Runs in authctl: the file operations as root in the helper parent that
 * ctl_mailbox_fork leaves behind before the privilege drop (or in the one
 * process in development mode), the requests in the unprivileged child.
 * The mail tree belongs to the mail user, whom root does not trust: every
 * step works relative to a descriptor of the domain directory opened
 * without following symbolic links, and the purge never follows one.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authd/authctl.h"
#include "authd/authctl_mailbox.h"
#include "common/mailpath.h"
#include "common/util.h"

#define MBOX_PATH_MAX	(CONFIG_PATH_MAX + 512)
#define MBOX_TRIES	9	/* ".deleted-DATE", then "-2" to "-9" */
#define MBOX_DEPTH	32	/* a Maildir++ tree is 3 deep; more is odd */

static struct {
	int	fd;			/* child: the helper's socket, or -1 */
	int	located;		/* path below is known */
	int	pending;		/* set aside, not yet kept/restored */
	char	dir[MBOX_PATH_MAX];	/* <mail>/<domain> */
	char	local[MAILPATH_LOCAL_MAX + 1];
	char	aside[NAME_MAX + 1];	/* the name it was renamed to */
} mbox = { .fd = -1 };

/* mbox_locate: split user's mailbox path into mbox.dir and mbox.local;
 * a name that has no mail directory leaves located 0, with a note. */
static void
mbox_locate(struct ctl *c, const char *user)
{
	char path[MBOX_PATH_MAX], why[MAILPATH_WHY_MAX], *slash;

	if (mbox.located)
		return;
	if (mailpath_dir(c->cfg.mail_dir, user, path, sizeof(path), why,
	    sizeof(why)) == -1) {
		ctl_err("note: %s has no mail directory (%s); no mailbox to "
		    "move", user, why);
		return;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	if (str_copy(mbox.local, slash + 1, sizeof(mbox.local)) == -1 ||
	    str_copy(mbox.dir, path, sizeof(mbox.dir)) == -1)
		return;
	mbox.located = 1;
}

/* mbox_open_dir: the domain directory, or -1 (errno ENOENT: none). */
static int
mbox_open_dir(void)
{
	int dfd;

	if ((dfd = open(mbox.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 && errno != ENOENT)
		ctl_err("%s: cannot open the mail domain directory: %s",
		    mbox.dir, strerror(errno));
	return dfd;
}

/* mbox_sync: fsync the domain directory after a rename or removal. */
static int
mbox_sync(int dfd)
{
	if (fsync(dfd) == 0)
		return 0;
	ctl_err("%s: fsync: %s", mbox.dir, strerror(errno));
	return -1;
}

/* mbox_rename: rename the mailbox to a free ".LOCAL.deleted-DATE[-N]". */
static int
mbox_rename(struct ctl *c, int dfd)
{
	char date[32];
	struct tm tm;
	time_t t = (time_t)c->now;
	int k, n;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -1;
	for (k = 1; k <= MBOX_TRIES; k++) {
		n = k == 1 ? snprintf(mbox.aside, sizeof(mbox.aside),
		    ".%s.deleted-%s", mbox.local, date) :
		    snprintf(mbox.aside, sizeof(mbox.aside),
		    ".%s.deleted-%s-%d", mbox.local, date, k);
		if (n < 0 || (size_t)n >= sizeof(mbox.aside))
			return -1;
		if (renameat2(dfd, mbox.local, dfd, mbox.aside,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	ctl_err("%s/%s: cannot set the mailbox aside as %s/%s: %s; nothing "
	    "was changed", mbox.dir, mbox.local, mbox.dir, mbox.aside,
	    errno == EEXIST ? "that name exists" : strerror(errno));
	return -1;
}

/* mbox_do_aside: the work of ctl_mailbox_aside, in the process that may. */
static int
mbox_do_aside(struct ctl *c)
{
	struct stat st;
	int dfd, rc = -1;

	if (!mbox.located || (dfd = mbox_open_dir()) == -1)
		return !mbox.located || errno == ENOENT ? 0 : -1;
	if (fstatat(dfd, mbox.local, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			ctl_err("%s/%s: %s", mbox.dir, mbox.local,
			    strerror(errno));
	} else if (!S_ISDIR(st.st_mode))
		ctl_err("%s/%s: not a directory (a symbolic link or a file); "
		    "move it away by hand, nothing was changed", mbox.dir,
		    mbox.local);
	else if (mbox_rename(c, dfd) == 0) {
		if (mbox_sync(dfd) == 0) {
			mbox.pending = 1;
			rc = 1;
		} else
			(void)renameat2(dfd, mbox.aside, dfd, mbox.local,
			    RENAME_NOREPLACE);
	}
	close(dfd);
	return rc;
}

static int
mbox_do_restore(void)
{
	int dfd, rc = -1;

	if ((dfd = mbox_open_dir()) != -1) {
		if (renameat2(dfd, mbox.aside, dfd, mbox.local,
		    RENAME_NOREPLACE) == 0)
			rc = mbox_sync(dfd);
		close(dfd);
	}
	if (rc == -1)
		ctl_err("%s/%s: cannot put the mailbox back to %s/%s: %s; the "
		    "mail is safe where it is", mbox.dir, mbox.aside, mbox.dir,
		    mbox.local, strerror(errno));
	mbox.pending = 0;
	return rc;
}

/* mbox_rm_tree: remove name (a directory in dfd) and all below it,
 * never following a symbolic link; shown names it in errors. */
static int
mbox_rm_tree(int dfd, const char *name, const char *shown, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (depth > MBOX_DEPTH || (fd = openat(dfd, name, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		ctl_err("%s: cannot open %s: %s", shown, name, depth >
		    MBOX_DEPTH ? "nested too deep" : strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    (!S_ISDIR(st.st_mode) &&
		    unlinkat(fd, de->d_name, 0) == -1)) {
			ctl_err("%s: cannot remove %s: %s", shown, de->d_name,
			    strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode))
			rc = mbox_rm_tree(fd, de->d_name, shown, depth + 1);
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1) {
		ctl_err("%s: cannot remove %s: %s", shown, name,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

static int
mbox_do_purge(void)
{
	char shown[MBOX_PATH_MAX + NAME_MAX + 2];
	int dfd, rc = -1;

	snprintf(shown, sizeof(shown), "%s/%s", mbox.dir, mbox.aside);
	mbox.pending = 0;
	if ((dfd = mbox_open_dir()) == -1) {
		ctl_err("%s: cannot remove: %s", shown, strerror(errno));
		return -1;
	}
	if (mbox_rm_tree(dfd, mbox.aside, shown, 0) == 0)
		rc = mbox_sync(dfd);
	close(dfd);
	if (rc == -1)
		ctl_err("%s: not all removed; what is left stays there",
		    shown);
	return rc;
}

/* mbox_serve: the root helper: one reply per request, until the child
 * closes its end. */
static void
mbox_serve(struct ctl *c, int fd)
{
	char op, reply[MBOX_PATH_MAX + NAME_MAX + 4];
	ssize_t n;
	int r;

	for (;;) {
		if ((n = recv(fd, &op, 1, 0)) == -1 && errno == EINTR)
			continue;
		if (n != 1)
			return;
		switch (op) {
		case 'a': r = mbox_do_aside(c); break;
		case 'r': r = mbox_do_restore(); break;
		case 'p': r = mbox_do_purge(); break;
		case 'k': mbox.pending = 0; r = 0; break;
		default: return;
		}
		n = snprintf(reply, sizeof(reply), "%c%s%s%s", r == 1 ? '1' :
		    r == 0 ? '0' : '-', r == 1 ? mbox.dir : "",
		    r == 1 ? "/" : "", r == 1 ? mbox.aside : "");
		if (n < 0 || (size_t)n >= sizeof(reply) ||
		    send(fd, reply, (size_t)n + 1, MSG_NOSIGNAL) == -1)
			return;
	}
}

int
ctl_mailbox_fork(struct ctl *c, const char *user)
{
	const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
	int sv[2], status;
	size_t i;
	pid_t pid;

	mbox_locate(c, user);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    fflush(stdout) == EOF || (pid = fork()) == -1) {
		ctl_err("mailbox helper: %s", strerror(errno));
		return CTL_ERR;
	}
	if (pid == 0) {
		close(sv[0]);
		mbox.fd = sv[1];
		return CTL_OK;
	}
	close(sv[1]);
	/* A Ctrl-C reaches the child too; the parent lives to report. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_IGN);
	mbox_serve(c, sv[0]);
	close(sv[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (mbox.pending)
		ctl_err("%s: authctl ended with the mailbox set aside as "
		    "%s/%s; if %s still exists, put it back: mv %s/%s %s/%s",
		    user, mbox.dir, mbox.aside, user, mbox.dir, mbox.aside,
		    mbox.dir, mbox.local);
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : CTL_ERR);
}

/* mbox_ask: one request to the helper; its answer's status, and for a
 * set-aside mailbox its path into out. */
static int
mbox_ask(char op, char *out, size_t len)
{
	char reply[MBOX_PATH_MAX + NAME_MAX + 4];
	ssize_t n;

	if (send(mbox.fd, &op, 1, MSG_NOSIGNAL) != 1 ||
	    (n = recv(mbox.fd, reply, sizeof(reply) - 1, 0)) < 2 ||
	    reply[n - 1] != '\0') {
		ctl_err("mailbox helper: no answer: %s", strerror(errno));
		return -1;
	}
	if (reply[0] == '1' && out != NULL &&
	    str_copy(out, reply + 1, len) == -1)
		return -1;
	return reply[0] == '1' ? 1 : reply[0] == '0' ? 0 : -1;
}

int
ctl_mailbox_aside(struct ctl *c, const char *user, char *aside, size_t len)
{
	int r;

	aside[0] = '\0';
	if (mbox.fd != -1)
		return mbox_ask('a', aside, len);
	mbox_locate(c, user);
	if ((r = mbox_do_aside(c)) == 1 && (size_t)snprintf(aside, len,
	    "%s/%s", mbox.dir, mbox.aside) >= len)
		aside[0] = '\0';
	return r;
}

void
ctl_mailbox_keep(struct ctl *c)
{
	if (mbox.fd != -1)
		(void)mbox_ask('k', NULL, 0);
	mbox.pending = 0;
}

int
ctl_mailbox_restore(struct ctl *c)
{
	if (mbox.fd != -1)
		return mbox_ask('r', NULL, 0);
	return mbox_do_restore();
}

int
ctl_mailbox_purge(struct ctl *c)
{
	if (mbox.fd != -1)
		return mbox_ask('p', NULL, 0);
	return mbox_do_purge();
}
