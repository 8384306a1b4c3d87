/*
 * authctl_backup.c: "authctl backup DIR" and "authctl restore DIR": the
 * whole office's backup (the credential database and the mail store)
 * taken while the daemons serve, and its restore into a fresh state and
 * mail directory.
 *
 * A backup directory holds auth/data.mdb (a compacted LMDB copy, owned by
 * the auth user) and mail/ (every Maildir++ tree, owned by the mail user),
 * and is itself root's, mode 0700, so that nobody else may read it.  The
 * steps run in three processes: the root parent (ctl_backup_prep or
 * ctl_restore_prep, before the privilege drop) makes and checks the
 * directories and removes what a failed run left; a child that drops to
 * the mail user copies the mail (store_copy.h); then the usual authctl
 * child, dropped to the auth user, copies the database and appends the
 * audit record.  The database is written last and under its final name
 * only once complete (tmp + fsync + rename), so a backup whose
 * auth/data.mdb exists is whole: the restore refuses any other.  In
 * development mode (not root) the same steps run as the invoking user.
 * It trusts the configuration; the backup directory and the mail store
 * are read through descriptors without following links.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "common/config.h"
#include "common/log.h"
#include "common/privsep.h"
#include "common/store_copy.h"
#include "common/util.h"

#define BK_DB		"data.mdb"
#define BK_DB_TMP	"data.mdb.tmp"

/* The ids a step runs as; uid (uid_t)-1 in development mode. */
struct bk_ids {
	uid_t		uid;
	gid_t		gid;
};

/* Set by the prep functions (as root) for the auth user's child: the
 * backup's auth/ (backup) or the backup directory's database (restore),
 * held open across the privilege drop. */
static int bk_auth_fd = -1;
/* The backup directory's absolute path, resolved as root in the prep
 * step (the auth user may not search its parents), for the audit. */
static char bk_abs[PATH_MAX];

static const int bk_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
#define BK_NSIGS	(sizeof(bk_sigs) / sizeof(bk_sigs[0]))

/* bk_ids: the role user's ids, or (uid_t)-1 in development mode. */
static int
bk_ids(struct ctl *c, int role, struct bk_ids *ids)
{
	ids->uid = (uid_t)-1;
	ids->gid = (gid_t)-1;
	if (privsep_is_dev())
		return 0;
	if (privsep_user(c->cfg.users[role], &ids->uid, &ids->gid) == -1)
		return -1;
	return 0;
}

/* bk_chown: give name in dfd ("" for dfd itself) to ids. */
static int
bk_chown(int dfd, const char *name, const char *path,
    const struct bk_ids *ids)
{
	if (ids->uid == (uid_t)-1)
		return 0;
	if (fchownat(dfd, name, ids->uid, ids->gid, AT_SYMLINK_NOFOLLOW |
	    (name[0] == '\0' ? AT_EMPTY_PATH : 0)) == -1) {
		ctl_err("%s: chown: %s", ctl_vis(path), strerror(errno));
		return -1;
	}
	return 0;
}

/* bk_fsync_parent: make the entry of the new directory path durable. */
static int
bk_fsync_parent(const char *path)
{
	char buf[PATH_MAX];
	int fd, rc;

	if (str_copy(buf, path, sizeof(buf)) == -1)
		return 0;
	if ((fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (rc = fsync(fd)) == -1) {
		ctl_err("%s: fsync of its parent directory: %s", ctl_vis(path),
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return rc;
}

/* bk_fork: fork; the child gets the default action back for the signals
 * its waiting parent ignores. */
static pid_t
bk_fork(void)
{
	pid_t pid;
	size_t i;

	if (fflush(stdout) == EOF || (pid = fork()) == -1) {
		ctl_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		for (i = 0; i < BK_NSIGS; i++)
			signal(bk_sigs[i], SIG_DFL);
	return pid;
}

/* bk_wait: the parent's side: wait for pid, with the signals that would
 * stop it before it cleans up ignored (a Ctrl-C reaches the child too).
 * Returns the child's exit status, CTL_ERR when it was killed. */
static int
bk_wait(pid_t pid, const char *what)
{
	size_t i;
	int status;

	for (i = 0; i < BK_NSIGS; i++)
		signal(bk_sigs[i], SIG_IGN);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			ctl_err("%s: waitpid: %s", what, strerror(errno));
			return CTL_ERR;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	ctl_err("%s: killed by signal %d", what, WTERMSIG(status));
	return CTL_ERR;
}

/* The mail step, run as the mail user. */
struct bk_mail {
	int		 srcfd, dstfd;
	const char	*src, *dst;
	int		 flags;
	const char	*verb;		/* "copied", "restored" */
};

static int
bk_mail_copy(const struct bk_mail *m)
{
	struct store_copy_stats st;

	if (store_copy_root(m->srcfd, m->src, m->dstfd, m->dst, m->flags,
	    &st) == -1)
		return CTL_ERR;
	printf("mail: %" PRIu64 " mailboxes, %" PRIu64 " folders, %" PRIu64
	    " messages (%" PRIu64 " bytes) %s", st.mailboxes, st.folders,
	    st.messages, st.bytes, m->verb);
	if (st.gone > 0)
		printf("; %" PRIu64 " expunged while the copy ran", st.gone);
	if (st.skipped > 0)
		printf("; %" PRIu64 " entries left out (see the warnings)",
		    st.skipped);
	printf("\n");
	return fflush(stdout) == EOF ? CTL_ERR : CTL_OK;
}

/* bk_mail_run: the mail step in a child that drops to ids. */
static int
bk_mail_run(const struct bk_mail *m, const struct bk_ids *ids)
{
	pid_t pid;

	if ((pid = bk_fork()) == -1)
		return CTL_ERR;
	if (pid == 0) {
		if (ids->uid != (uid_t)-1)
			privsep_drop(NULL, ids->uid, ids->gid);
		exit(bk_mail_copy(m));
	}
	return bk_wait(pid, "mail copy");
}

/* bk_rmtree: remove name in dfd and all below it, links not followed
 * (a failed run's leftovers, as root).  Errors are reported, not fatal. */
static void
bk_rmtree(int dfd, const char *path, const char *name)
{
	struct dirent *de;
	DIR *d;
	char sub[PATH_MAX];
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1 && (d = fdopendir(fd)) != NULL) {
		if (snprintf(sub, sizeof(sub), "%s/%s", path, name) >=
		    (int)sizeof(sub))
			sub[0] = '\0';
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				bk_rmtree(dirfd(d), sub, de->d_name);
		(void)closedir(d);
	} else if (fd != -1)
		(void)close(fd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		ctl_err("%s/%s: cannot remove: %s", ctl_vis(path),
		    ctl_vis(name), strerror(errno));
}

/* bk_names: the directory entries of dfd other than "." and "..", for
 * fn, which gets dfd and each name.  Returns 0 or -1 (reported). */
static int
bk_names(int dfd, const char *path, void (*fn)(int, const char *,
    const char *, void *), void *arg)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		ctl_err("%s: cannot read: %s", ctl_vis(path), strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fn(dfd, path, de->d_name, arg);
	(void)closedir(d);
	return 0;
}

static void
bk_count(int dfd, const char *path, const char *name, void *arg)
{
	(*(int *)arg)++;
}

/* bk_existing: an existing backup directory must be empty and the
 * caller's (root's); group and other access to it is taken away. */
static int
bk_existing(int dfd, const char *dir)
{
	struct stat st;
	int n = 0;

	if (bk_names(dfd, dir, bk_count, &n) == -1)
		return -1;
	if (n > 0) {
		ctl_err("%s: not empty%s; choose a new or empty directory",
		    ctl_vis(dir), faccessat(dfd, "auth", F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0 || faccessat(dfd, BK_DB, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0 ? " (it already holds a backup)" :
		    "");
		return -1;
	}
	if (fstat(dfd, &st) == -1) {
		ctl_err("%s: %s", ctl_vis(dir), strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		ctl_err("%s: owned by uid %u; a backup directory must be "
		    "root's (give a new path, which authctl creates)",
		    ctl_vis(dir), (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & 077) == 0)
		return 0;
	if (fchmod(dfd, 0700) == -1) {
		ctl_err("%s: chmod: %s", ctl_vis(dir), strerror(errno));
		return -1;
	}
	ctl_err("%s: mode %04o changed to 0700: a backup holds password "
	    "hashes and mail", ctl_vis(dir), (unsigned)(st.st_mode & 07777));
	return 0;
}

/* bk_open: dir, created mode 0700 (*created set) or existing and empty;
 * returns a descriptor on it, or -1 after an error line. */
static int
bk_open(const char *dir, int *created)
{
	int dfd;

	*created = mkdir(dir, 0700) == 0;
	if (!*created && errno != EEXIST) {
		ctl_err("%s: cannot create: %s", ctl_vis(dir), strerror(errno));
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			ctl_err("%s: not a directory (symbolic links are not "
			    "followed)", ctl_vis(dir));
		else
			ctl_err("%s: %s", ctl_vis(dir), strerror(errno));
		if (*created)
			(void)rmdir(dir);
		return -1;
	}
	if ((*created && bk_fsync_parent(dir) == 0) ||
	    (!*created && bk_existing(dfd, dir) == 0))
		return dfd;
	(void)close(dfd);
	if (*created)
		(void)rmdir(dir);
	return -1;
}

/* bk_subdir: make name (mode 0700) in dfd for ids and open it. */
static int
bk_subdir(int dfd, const char *dir, const char *name,
    const struct bk_ids *ids)
{
	char path[PATH_MAX];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdirat(dfd, name, 0700) == -1) {
		ctl_err("%s: cannot create: %s", ctl_vis(path),
		    strerror(errno));
		return -1;
	}
	if (bk_chown(dfd, name, path, ids) == -1 ||
	    (fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno != 0)
			ctl_err("%s: %s", ctl_vis(path), strerror(errno));
		return -1;
	}
	return fd;
}

/* bk_mail_root: open the configured mail directory. */
static int
bk_mail_root(struct ctl *c)
{
	int fd;

	if ((fd = open(c->cfg.mail_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		ctl_err("%s: the mail directory: %s (check \"mail\" in %s)",
		    c->cfg.mail_dir, strerror(errno), c->cfgpath);
	return fd;
}

/* bk_backup_undo: remove what a failed backup left in dir. */
static void
bk_backup_undo(int dfd, const char *dir, int created)
{
	bk_rmtree(dfd, dir, "mail");
	bk_rmtree(dfd, dir, "auth");
	if (created && rmdir(dir) == -1)
		ctl_err("%s: cannot remove: %s", ctl_vis(dir), strerror(errno));
	ctl_err("backup to %s failed; nothing was kept", ctl_vis(dir));
}

/* bk_backup_mail: make auth/ and mail/ in the backup directory, copy the
 * mail as the mail user, and keep auth/ open for the database step. */
static int
bk_backup_mail(struct ctl *c, int dfd, const char *dir,
    const struct bk_ids *auth, const struct bk_ids *mail)
{
	char dst[PATH_MAX];
	struct bk_mail m;
	int afd, mfd, rootfd, rc = CTL_ERR;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/mail", dir) >=
	    sizeof(dst)) {
		ctl_err("%s: path too long", ctl_vis(dir));
		return CTL_ERR;
	}
	if ((rootfd = bk_mail_root(c)) == -1)
		return CTL_ERR;
	if ((mfd = bk_subdir(dfd, dir, "mail", mail)) == -1) {
		(void)close(rootfd);
		return CTL_ERR;
	}
	if ((afd = bk_subdir(dfd, dir, "auth", auth)) != -1 &&
	    fsync(dfd) == -1)
		ctl_err("%s: fsync: %s", ctl_vis(dir), strerror(errno));
	else if (afd != -1) {
		m = (struct bk_mail){ rootfd, mfd, c->cfg.mail_dir, dst,
		    STORE_COPY_LIVE, "copied" };
		rc = bk_mail_run(&m, mail);
	}
	(void)close(rootfd);
	(void)close(mfd);
	if (rc == CTL_OK)
		bk_auth_fd = afd;
	else if (afd != -1)
		(void)close(afd);
	return rc;
}

/* bk_dir_arg: the one argument of backup and restore, and its absolute
 * path for the audit record (resolved as root; the auth user may not
 * search its parents).  CTL_OK, or the usage's status. */
static int
bk_dir_arg(struct ctl *c, int argc, char **argv, char **dir)
{
	char *pos[1];
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1)
		return ctl_usage(c);
	if (n != 1)
		return ctl_usage_why(c, "missing the backup directory");
	*dir = pos[0];
	if (realpath(pos[0], bk_abs) == NULL)
		str_copy(bk_abs, pos[0], sizeof(bk_abs));
	return CTL_OK;
}

int
ctl_backup_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	struct bk_ids auth = { uid, gid }, mail;
	char *dir;
	int dfd, created, rc;
	pid_t pid;

	if ((rc = bk_dir_arg(c, argc, argv, &dir)) != CTL_OK)
		return rc;
	if (privsep_is_dev())
		auth.uid = (uid_t)-1;
	if (bk_ids(c, ROLE_MAIL, &mail) == -1 ||
	    (dfd = bk_open(dir, &created)) == -1)
		return CTL_ERR;
	/* Resolved again: the directory may only exist now. */
	if (realpath(dir, bk_abs) == NULL)
		str_copy(bk_abs, dir, sizeof(bk_abs));
	rc = bk_backup_mail(c, dfd, dir, &auth, &mail);
	if (rc == CTL_OK && (pid = bk_fork()) == 0) {
		(void)close(dfd);
		return CTL_OK;	/* on to the drop and ctl_backup */
	}
	if (rc == CTL_OK)
		rc = pid == -1 ? CTL_ERR : bk_wait(pid, "backup");
	if (rc != CTL_OK)
		bk_backup_undo(dfd, dir, created);
	exit(rc);
}

/* bk_db_backup: the compacted copy into auth/data.mdb, written as
 * data.mdb.tmp and renamed once fsynced, so data.mdb is always whole. */
static int
bk_db_backup(struct ctl *c, int afd, const char *dir)
{
	int fd, rc;

	if ((fd = openat(afd, BK_DB_TMP, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		ctl_err("%s/auth/%s: %s", ctl_vis(dir), BK_DB_TMP,
		    strerror(errno));
		return -1;
	}
	if ((rc = mdb_env_copyfd2(c->db.env, fd, MDB_CP_COMPACT)) != 0)
		ctl_err("%s/auth/%s: copy failed: %s", ctl_vis(dir), BK_DB,
		    mdb_strerror(rc));
	else if ((rc = fsync(fd)) == -1)
		ctl_err("%s/auth/%s: fsync: %s", ctl_vis(dir), BK_DB_TMP,
		    strerror(errno));
	if (close(fd) == -1 && rc == 0) {
		ctl_err("%s/auth/%s: close: %s", ctl_vis(dir), BK_DB_TMP,
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0 && (rc = renameat2(afd, BK_DB_TMP, afd, BK_DB,
	    RENAME_NOREPLACE)) == -1)
		ctl_err("%s/auth/%s: rename: %s", ctl_vis(dir), BK_DB,
		    strerror(errno));
	if (rc == 0 && (rc = fsync(afd)) == -1)
		ctl_err("%s/auth: fsync: %s", ctl_vis(dir), strerror(errno));
	return rc == 0 ? 0 : -1;
}

int
ctl_backup(struct ctl *c, int argc, char **argv)
{
	char reason[AUDIT_FIELD_MAX], *pos[1];
	MDB_txn *txn;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (bk_auth_fd == -1)
		fatalx("backup: the backup directory was not prepared");
	ctl_reason(reason, sizeof(reason), "backup to %s", bk_abs);
	if (bk_db_backup(c, bk_auth_fd, pos[0]) == -1 ||
	    ctl_begin(c, 1, &txn) == -1 ||
	    ctl_finish(c, txn, "-", reason) == -1)
		return CTL_ERR;
	printf("backup written to %s\n", ctl_vis(pos[0]));
	return CTL_OK;
}

/* What a restore works on: the backup's and the target's descriptors. */
struct bk_restore {
	const char	*dir;		/* the backup */
	int		 bfd, afd, mfd;	/* it, its auth/, its mail/ */
	int		 sfd;		/* <state>/auth */
	char		 state[PATH_MAX];
	int		 rootfd;	/* the mail directory */
	const char	*mailroot;
	char		 bmail[PATH_MAX];
};

/* bk_restore_open: the backup's parts; all of it must be there. */
static int
bk_restore_open(struct bk_restore *r)
{
	struct stat st;

	if ((r->bfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		ctl_err("%s: %s", ctl_vis(r->dir), strerror(errno));
		return -1;
	}
	if ((r->afd = openat(r->bfd, "auth", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstatat(r->afd, BK_DB, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		ctl_err("%s: no auth/%s: not a postern backup, or one that "
		    "was interrupted (take a new one)", ctl_vis(r->dir),
		    BK_DB);
		return -1;
	}
	if ((r->mfd = openat(r->bfd, "mail", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		ctl_err("%s/mail: %s", ctl_vis(r->dir), strerror(errno));
		return -1;
	}
	(void)snprintf(r->bmail, sizeof(r->bmail), "%s/mail", r->dir);
	return 0;
}

/* bk_restore_target: a fresh <state>/auth (no database) and the mail
 * directory, made for the mail user when missing. */
static int
bk_restore_target(struct ctl *c, struct bk_restore *r,
    const struct bk_ids *mail)
{
	if ((size_t)snprintf(r->state, sizeof(r->state), "%s/auth",
	    c->cfg.state_dir) >= sizeof(r->state) ||
	    (r->sfd = open(r->state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		ctl_err("%s/auth: %s", c->cfg.state_dir, strerror(errno));
		return -1;
	}
	if (faccessat(r->sfd, BK_DB, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		ctl_err("%s/%s: a credential database exists already; a "
		    "restore goes into a fresh state directory (stop authd "
		    "and move %s aside first)", r->state, BK_DB, r->state);
		return -1;
	}
	if (mkdir(c->cfg.mail_dir, 0700) == 0) {
		if (bk_fsync_parent(c->cfg.mail_dir) == -1)
			return -1;
		if (mail->uid != (uid_t)-1 && chown(c->cfg.mail_dir,
		    mail->uid, mail->gid) == -1) {
			ctl_err("%s: chown: %s", c->cfg.mail_dir,
			    strerror(errno));
			return -1;
		}
	}
	if ((r->rootfd = bk_mail_root(c)) == -1)
		return -1;
	switch (store_copy_check(r->mfd, r->bmail, r->rootfd, c->cfg.mail_dir,
	    mail->uid, mail->gid)) {
	case 0:
		return 0;
	case 1:
		ctl_err("restore refused: it would replace the mailboxes "
		    "above; a restore goes into a fresh mail directory");
		return -1;
	default:
		return -1;
	}
}

/* A domain of the target while its restored mailboxes are removed. */
struct bk_undo {
	int		 td;
	char		 tpath[PATH_MAX];
};

static void
bk_undo_box(int bd, const char *bpath, const char *name, void *arg)
{
	struct bk_undo *u = arg;

	bk_rmtree(u->td, u->tpath, name);
}

/* bk_undo_domain: remove the restored mailboxes of one domain (every
 * mailbox of the backup: none existed before, store_copy_check said). */
static void
bk_undo_domain(int bmfd, const char *bpath, const char *dom, void *arg)
{
	struct bk_restore *r = arg;
	struct bk_undo u;
	char path[PATH_MAX];
	int bd;

	if ((bd = openat(bmfd, dom, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	if ((u.td = openat(r->rootfd, dom, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) != -1) {
		(void)snprintf(path, sizeof(path), "%s/%s", bpath, dom);
		(void)snprintf(u.tpath, sizeof(u.tpath), "%s/%s",
		    r->mailroot, dom);
		(void)bk_names(bd, path, bk_undo_box, &u);
		(void)close(u.td);
	}
	(void)close(bd);
}

/* bk_restore_undo: remove what a failed restore wrote. */
static void
bk_restore_undo(struct bk_restore *r)
{
	if (unlinkat(r->sfd, BK_DB, 0) == -1 && errno != ENOENT)
		ctl_err("%s/%s: cannot remove: %s", r->state, BK_DB,
		    strerror(errno));
	(void)unlinkat(r->sfd, BK_DB_TMP, 0);
	(void)bk_names(r->mfd, r->bmail, bk_undo_domain, r);
	ctl_err("restore from %s failed; what it had written was removed",
	    ctl_vis(r->dir));
}

/* bk_db_restore: the backup's database into <state>/auth/data.mdb for
 * the auth user (tmp, fsync, rename, fsync), as root: the backup is
 * root's and the auth user could not read it. */
static int
bk_db_restore(struct bk_restore *r, const struct bk_ids *auth)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 16];
	struct stat st;
	int in, out = -1, rc = -1;
	uint64_t bytes = 0;
	char buf[65536];
	ssize_t n;

	(void)snprintf(src, sizeof(src), "%s/auth/%s", r->dir, BK_DB);
	(void)snprintf(dst, sizeof(dst), "%s/%s", r->state, BK_DB);
	if ((in = openat(r->afd, BK_DB, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(in, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		ctl_err("%s: %s", ctl_vis(src), strerror(errno));
		goto out;
	}
	if ((out = openat(r->sfd, BK_DB_TMP, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		ctl_err("%s/%s: %s", r->state, BK_DB_TMP, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write_all(out, buf, (size_t)n) == -1) {
			ctl_err("%s: write: %s", dst, strerror(errno));
			goto out;
		}
		bytes += (uint64_t)n;
	}
	if (n == -1)
		ctl_err("%s: read: %s", ctl_vis(src), strerror(errno));
	else if (bytes != (uint64_t)st.st_size)
		ctl_err("%s: changed while it was read", ctl_vis(src));
	else if (bk_chown(out, "", dst, auth) == -1)
		;	/* reported */
	else if (fsync(out) == -1)
		ctl_err("%s: fsync: %s", dst, strerror(errno));
	else
		rc = 0;
out:
	if (out != -1 && close(out) == -1 && rc == 0) {
		ctl_err("%s: close: %s", dst, strerror(errno));
		rc = -1;
	}
	if (in != -1)
		(void)close(in);
	if (rc == 0 && renameat2(r->sfd, BK_DB_TMP, r->sfd, BK_DB,
	    RENAME_NOREPLACE) == -1) {
		ctl_err("%s: rename: %s", dst, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && fsync(r->sfd) == -1) {
		ctl_err("%s: fsync: %s", r->state, strerror(errno));
		rc = -1;
	}
	if (rc == -1 && out != -1)
		(void)unlinkat(r->sfd, BK_DB_TMP, 0);
	return rc;
}

static void
bk_restore_close(struct bk_restore *r)
{
	if (r->bfd != -1)
		(void)close(r->bfd);
	if (r->afd != -1)
		(void)close(r->afd);
	if (r->mfd != -1)
		(void)close(r->mfd);
	if (r->sfd != -1)
		(void)close(r->sfd);
	if (r->rootfd != -1)
		(void)close(r->rootfd);
}

int
ctl_restore_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	struct bk_restore r = { NULL, -1, -1, -1, -1, "", -1, NULL, "" };
	struct bk_ids auth = { uid, gid }, mail;
	struct bk_mail m;
	char *dir;
	int rc;
	pid_t pid;

	if ((rc = bk_dir_arg(c, argc, argv, &dir)) != CTL_OK)
		return rc;
	r.dir = dir;
	if (privsep_is_dev())
		auth.uid = (uid_t)-1;
	r.mailroot = c->cfg.mail_dir;
	if (bk_ids(c, ROLE_MAIL, &mail) == -1 || bk_restore_open(&r) == -1 ||
	    bk_restore_target(c, &r, &mail) == -1) {
		bk_restore_close(&r);
		return CTL_ERR;
	}
	m = (struct bk_mail){ r.mfd, r.rootfd, r.bmail, c->cfg.mail_dir,
	    STORE_COPY_RESTORE, "restored" };
	rc = bk_mail_run(&m, &mail);
	if (rc == CTL_OK && bk_db_restore(&r, &auth) == -1)
		rc = CTL_ERR;
	if (rc == CTL_OK && (pid = bk_fork()) == 0) {
		bk_restore_close(&r);
		return CTL_OK;	/* on to the drop and ctl_restore */
	}
	if (rc == CTL_OK)
		rc = pid == -1 ? CTL_ERR : bk_wait(pid, "restore");
	if (rc != CTL_OK)
		bk_restore_undo(&r);
	bk_restore_close(&r);
	exit(rc);
}

static int
bk_count_user(void *arg, const MDB_val *k, const MDB_val *v)
{
	(*(size_t *)arg)++;
	return 0;
}

int
ctl_restore(struct ctl *c, int argc, char **argv)
{
	char reason[AUDIT_FIELD_MAX], *pos[1];
	size_t users = 0;
	MDB_txn *txn;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	ctl_reason(reason, sizeof(reason), "restore from %s", bk_abs);
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (db_each(&c->db, txn, c->db.users, NULL, 0, bk_count_user,
	    &users) == -1) {
		ctl_err("%s: the restored database cannot be read",
		    ctl_vis(pos[0]));
		db_abort(txn);
		return CTL_ERR;
	}
	if (ctl_finish(c, txn, "-", reason) == -1)
		return CTL_ERR;
	printf("restored %zu users and their mail from %s\n", users,
	    ctl_vis(pos[0]));
	return CTL_OK;
}
