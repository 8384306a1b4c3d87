/*
 * privsep.c: dropping privileges and entering the sandbox (see privsep.h).
 * Runs in every role process, as root until privsep_drop returns and as
 * the role's own user afterwards.  Trusts its caller's arguments; checks
 * the kernel's answer to every step and dies on any surprise.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privsep.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

#ifdef SANDBOX_SANITIZER
/* What the ASan/UBSan runtime needs to print a report and abort. */
static const int sandbox_sanitizer_syscalls[] = {
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(exit_group),
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(sched_yield),
	SCMP_SYS(futex), SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(tgkill), SCMP_SYS(prlimit64), SCMP_SYS(getrlimit),
	SCMP_SYS(setrlimit), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sched_getaffinity),
};

/*
 * What it may try and must be refused politely: the terminal check for
 * colours and the external symbolizer (clang runs llvm-symbolizer).
 */
static const struct {
	int	sc;
	int	err;
} sandbox_sanitizer_errno[] = {
	{ SCMP_SYS(ioctl), ENOTTY }, { SCMP_SYS(pipe), EPERM },
	{ SCMP_SYS(pipe2), EPERM }, { SCMP_SYS(fork), EPERM },
	{ SCMP_SYS(vfork), EPERM }, { SCMP_SYS(clone), EPERM },
	{ SCMP_SYS(execve), EPERM }, { SCMP_SYS(access), EACCES },
	{ SCMP_SYS(stat), EACCES }, { SCMP_SYS(newfstatat), EACCES },
	{ SCMP_SYS(prctl), EPERM }, { SCMP_SYS(ptrace), EPERM },
};
#endif

int
privsep_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM) {
			log_warn("cannot look up the user \"%s\"", name);
			return -1;
		}
		log_warnx("privsep user \"%s\" does not exist; "
		    "create it with: useradd --system --no-create-home "
		    "--home-dir /nonexistent --shell /usr/sbin/nologin %s",
		    name, name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privsep_group(const char *name, gid_t *gid)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM) {
			log_warn("cannot look up the group \"%s\"", name);
			return -1;
		}
		log_warnx("privsep group \"%s\" does not "
		    "exist; create it with: groupadd --system %s", name, name);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

void
privsep_drop(const char *chroot_dir, uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (geteuid() != 0)
		fatalx("cannot drop privileges: not running as root");
	if (uid == 0 || gid == 0)
		fatalx("refusing to drop privileges to uid %u gid %u",
		    (unsigned)uid, (unsigned)gid);

	if (chroot_dir != NULL) {
		if (chroot_dir[0] != '/')
			fatalx("chroot directory \"%s\" is not an absolute "
			    "path", chroot_dir);
		if (chroot(chroot_dir) == -1)
			fatal("cannot chroot to \"%s\"", chroot_dir);
		if (chdir("/") == -1)
			fatal("cannot chdir to / in the chroot");
	}

	if (setgroups(1, &gid) == -1)
		fatal("cannot set the groups to %u", (unsigned)gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("cannot set the group id to %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("cannot set the user id to %u", (unsigned)uid);

	if (getresgid(&rgid, &egid, &sgid) == -1)
		fatal("cannot read back the group ids");
	if (rgid != gid || egid != gid || sgid != gid)
		fatalx("group ids are %u/%u/%u after the drop, wanted %u",
		    (unsigned)rgid, (unsigned)egid, (unsigned)sgid,
		    (unsigned)gid);
	if (getresuid(&ruid, &euid, &suid) == -1)
		fatal("cannot read back the user ids");
	if (ruid != uid || euid != uid || suid != uid)
		fatalx("user ids are %u/%u/%u after the drop, wanted %u",
		    (unsigned)ruid, (unsigned)euid, (unsigned)suid,
		    (unsigned)uid);

	/* The drop must be irreversible, not merely done. */
	if (setgid(0) != -1)
		fatalx("privileges could be regained after the drop "
		    "(setgid 0 succeeded)");
	if (setuid(0) != -1)
		fatalx("privileges could be regained after the drop "
		    "(setuid 0 succeeded)");
}

int
privsep_is_dev(void)
{
	return geteuid() != 0;
}

void
privsep_dev_warning(const char *prog)
{
	fprintf(stderr, "%s: WARNING: development mode: running as uid %u "
	    "without privilege separation\n", prog, (unsigned)geteuid());
	fflush(stderr);
}

static void
sandbox_rlimit(int resource, const char *name, rlim_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		fatal("cannot read the resource limit %s", name);
	if (rl.rlim_max != RLIM_INFINITY && value > rl.rlim_max)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("cannot set the resource limit %s to %llu", name,
		    (unsigned long long)value);
}

void
sandbox_limits(rlim_t nofile, rlim_t nproc)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("cannot make the process non-dumpable");
	sandbox_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0);
	sandbox_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", nofile);
	if (nproc != 0)
		sandbox_rlimit(RLIMIT_NPROC, "RLIMIT_NPROC", nproc);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("cannot set no_new_privs");
}

static int
sandbox_listed(const struct sandbox_rule *rules, size_t n, int sc)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rules[i].sc == sc)
			return 1;
	return 0;
}

/*
 * seccomp_rule_add_array (not _exact) skips a pseudo number for a
 * syscall the native architecture lacks, which is what makes one list
 * portable.  Adding the same rule twice is accepted by libseccomp.
 */
static void
sandbox_add(scmp_filter_ctx ctx, uint32_t action, int sc, unsigned ncmp,
    const struct scmp_arg_cmp *cmp)
{
	int rc;

	if (sc == __NR_SCMP_ERROR)
		fatalx("sandbox: unknown system call in the allow-list");
	if (ncmp > 2)
		fatalx("sandbox: system call %d has %u comparisons", sc, ncmp);
	if ((rc = seccomp_rule_add_array(ctx, action, sc, ncmp, cmp)) < 0) {
		errno = -rc;
		fatal("sandbox: cannot add the rule for system call %d", sc);
	}
}

static void
sandbox_errno(scmp_filter_ctx ctx, const struct sandbox_rule *rules,
    size_t n, int sc, int err)
{
	if (!sandbox_listed(rules, n, sc))
		sandbox_add(ctx, SCMP_ACT_ERRNO(err), sc, 0, NULL);
}

#ifdef SANDBOX_SANITIZER
static void
sandbox_sanitizer(scmp_filter_ctx ctx, const struct sandbox_rule *rules,
    size_t n, int kill_default)
{
	const struct scmp_arg_cmp noexec = SANDBOX_NOEXEC;
	size_t i;

	for (i = 0; i < sizeof(sandbox_sanitizer_syscalls) /
	    sizeof(sandbox_sanitizer_syscalls[0]); i++)
		sandbox_add(ctx, SCMP_ACT_ALLOW, sandbox_sanitizer_syscalls[i],
		    0, NULL);
	/* Its allocator maps with MAP_FIXED and MAP_NORESERVE, but never
	 * needs executable memory once running. */
	sandbox_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, &noexec);
	sandbox_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &noexec);
	for (i = 0; i < sizeof(sandbox_sanitizer_errno) /
	    sizeof(sandbox_sanitizer_errno[0]); i++)
		/* libseccomp refuses a rule that repeats the default action */
		if (kill_default || sandbox_sanitizer_errno[i].err != EPERM)
			sandbox_errno(ctx, rules, n,
			    sandbox_sanitizer_errno[i].sc,
			    sandbox_sanitizer_errno[i].err);
}
#endif

void
sandbox_seccomp(const struct sandbox_rule *rules, size_t n, int kill_default)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	ctx = seccomp_init(kill_default ? SCMP_ACT_KILL_PROCESS :
	    SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		fatalx("sandbox: cannot create the seccomp filter");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		errno = -rc;
		fatal("sandbox: cannot set a seccomp filter attribute");
	}

	for (i = 0; i < n; i++)
		sandbox_add(ctx, SCMP_ACT_ALLOW, rules[i].sc, rules[i].ncmp,
		    rules[i].cmp);
	sandbox_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(restart_syscall), 0, NULL);
#ifdef SANDBOX_SANITIZER
	sandbox_sanitizer(ctx, rules, n, kill_default);
#endif
	sandbox_errno(ctx, rules, n, SCMP_SYS(open), EACCES);
	sandbox_errno(ctx, rules, n, SCMP_SYS(openat), EACCES);
	sandbox_errno(ctx, rules, n, SCMP_SYS(openat2), EACCES);
	sandbox_errno(ctx, rules, n, SCMP_SYS(creat), EACCES);
	/* glibc's syslog(3) reconnects with socket + connect when its socket
	 * is gone (syslogd restarted, or none in the chroot): that must
	 * fail, not kill the role; the message is then dropped. */
	sandbox_errno(ctx, rules, n, SCMP_SYS(socket), EACCES);
	sandbox_errno(ctx, rules, n, SCMP_SYS(connect), EACCES);
	sandbox_errno(ctx, rules, n, SCMP_SYS(clone3), ENOSYS);

	if ((rc = seccomp_load(ctx)) != 0) {
		seccomp_release(ctx);
		errno = rc < 0 ? -rc : ESRCH;
		fatal("sandbox: cannot load the seccomp filter");
	}
	seccomp_release(ctx);
}
