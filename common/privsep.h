/*
 * privsep.h: privilege separation and sandbox helpers, called by the entry
 * function of every process role (authd, keyholder, net, mail, queue,
 * relay) in the fixed order of STYLE.md: keep the config it needs, open
 * what it needs, privsep_drop (chroot, setgroups, setresgid, setresuid,
 * verify), sandbox_limits, sandbox_seccomp, event loop.  Runs in the role
 * process itself, first as root and then as the unprivileged user.  It
 * trusts its caller (the ids, directory and allow-list come from code and
 * from the root-owned config) and nothing else: every step is checked
 * afterwards and any failure is fatal, because a role that runs with more
 * privilege than it believes it has is worse than a role that is dead.
 * The per-role allow-lists live in each role's own file.
 */
#ifndef POSTERN_PRIVSEP_H
#define POSTERN_PRIVSEP_H

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/resource.h>

#include <linux/futex.h>
#include <seccomp.h>
#include <stddef.h>

/*
 * privsep_user: look up the system user name with getpwnam(3) and store
 * its uid and primary gid in *uid and *gid (neither may be NULL).  MUST be
 * called before any chroot (the passwd file is not there afterwards) and
 * before sandbox_seccomp.  Returns 0; or -1 after one log_warnx line when
 * the user does not exist (the line says which useradd command creates it)
 * or when the lookup itself failed (then with the reason).  *uid and *gid
 * are left untouched on failure.
 */
int	privsep_user(const char *name, uid_t *uid, gid_t *gid);

/*
 * privsep_group: as privsep_user, for a group name (getgrnam(3)); used for
 * the group that shares authd.sock.  Returns 0 or -1 after a log_warnx
 * that says which groupadd command creates it.
 */
int	privsep_group(const char *name, gid_t *gid);

/*
 * privsep_drop: make the calling process (all of it: call it before
 * starting any thread) run as uid/gid with gid as its only supplementary
 * group, optionally inside chroot_dir.
 *
 * chroot_dir may be NULL (no chroot, e.g. authd, which needs its LMDB
 * environment); otherwise it MUST be an absolute path to a directory that
 * root owns and nobody else can write (an empty directory for net roles).
 * Steps: chroot(chroot_dir) and chdir("/"), setgroups(1, &gid),
 * setresgid(gid, gid, gid), setresuid(uid, uid, uid); then it verifies
 * with getresuid/getresgid that all three ids are the new ones and that
 * setgid(0) and setuid(0) now fail.
 *
 * The caller MUST be root (privsep_is_dev() false) and uid and gid MUST
 * NOT be 0.  Every failure, including a broken precondition, is fatal():
 * the process exits and the parent notices.  Returns only on success.
 */
void	privsep_drop(const char *chroot_dir, uid_t uid, gid_t gid);

/*
 * privsep_is_dev: non-zero when the process is not running as root
 * (effective uid not 0): development mode, in which every role runs as the
 * invoking user and privsep_drop MUST NOT be called.  sandbox_limits and
 * sandbox_seccomp still apply in development mode.
 */
int	privsep_is_dev(void);

/*
 * privsep_dev_warning: print the one loud line
 *   "PROG: WARNING: development mode: running as uid N without privilege
 *   separation"
 * to stderr, whatever the log target, so that nobody misses it.  N is the
 * effective uid.  Call it once, in the parent, when privsep_is_dev() is
 * true.
 */
void	privsep_dev_warning(const char *prog);

/*
 * sandbox_limits: resource limits and process flags for a role, applied
 * after privsep_drop and before sandbox_seccomp:
 *   prctl(PR_SET_DUMPABLE, 0)   no core, no ptrace by the same uid, and
 *                               /proc/PID owned by root;
 *   RLIMIT_CORE 0;
 *   RLIMIT_NOFILE nofile        soft and hard; clamped to the current hard
 *                               limit (limits are only ever lowered here);
 *   RLIMIT_NPROC nproc          when nproc is not 0 (0: leave it; the
 *                               seccomp list is what forbids fork).  The
 *                               kernel counts processes per real uid, so in
 *                               development mode it counts all of the
 *                               invoking user's processes;
 *   prctl(PR_SET_NO_NEW_PRIVS, 1).
 * Any failure is fatal.  nofile MUST be at least 1 more than the highest
 * descriptor the role keeps open (the kernel does not close descriptors
 * above the limit; they only block new ones).
 */
void	sandbox_limits(rlim_t nofile, rlim_t nproc);

/*
 * One entry of a role's allow-list: syscall sc (SCMP_SYS(name) from
 * <seccomp.h>) is allowed when all ncmp (0, 1 or 2) comparisons on its
 * arguments hold (libseccomp ANDs them; each names a different argument).
 * Several entries for one syscall are alternatives, so an entry with no
 * comparison makes every other entry for that syscall moot.  The
 * comparisons are libseccomp's SCMP_A0()..SCMP_A5(), which are compound
 * literals: build the list as an automatic array inside the role's
 * sandbox function, one entry a line with its reason beside it.
 */
struct sandbox_rule {
	int			sc;
	unsigned		ncmp;
	struct scmp_arg_cmp	cmp[2];
};

#define SANDBOX_ALLOW(name)	{ .sc = SCMP_SYS(name) }
#define SANDBOX_ALLOW_IF(name, c) \
	{ .sc = SCMP_SYS(name), .ncmp = 1, .cmp = { c } }
#define SANDBOX_ALLOW_IF2(name, c1, c2) \
	{ .sc = SCMP_SYS(name), .ncmp = 2, .cmp = { c1, c2 } }

/*
 * The argument filters OpenSSH's pre-auth sandbox uses
 * (sandbox-seccomp-filter.c), for the entries above:
 *  SANDBOX_NOEXEC        argument 2 of mmap and mprotect (prot) holds no
 *                        bit but PROT_READ and PROT_WRITE: no executable
 *                        memory, so injected code cannot be mapped and
 *                        run, nor the text made writable;
 *  SANDBOX_MAP_ANON      argument 3 of mmap (flags): private anonymous
 *                        memory only (malloc), never a file or shared
 *                        mapping;
 *  SANDBOX_MADVISE(adv)  argument 2 of madvise is exactly adv;
 *  SANDBOX_FUTEX(op)     argument 1 of futex is op, with or without
 *                        FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME.
 */
#define SANDBOX_NOEXEC \
	SCMP_A2(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)(PROT_READ | PROT_WRITE), 0)
#define SANDBOX_MAP_ANON \
	SCMP_A3(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)(MAP_PRIVATE | \
	    MAP_ANONYMOUS | MAP_FIXED | MAP_FIXED_NOREPLACE), 0)
#define SANDBOX_MADVISE(adv) \
	SANDBOX_ALLOW_IF(madvise, SCMP_A2(SCMP_CMP_EQ, (adv), 0))
#define SANDBOX_FUTEX(op) \
	SANDBOX_ALLOW_IF(futex, SCMP_A1(SCMP_CMP_MASKED_EQ, \
	    ~(scmp_datum_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME), (op)))

/*
 * sandbox_seccomp: load a libseccomp allow-list into the calling process;
 * it applies to every thread (SCMP_FLTATR_CTL_TSYNC) and to every child
 * forked later, and can never be removed.
 *
 * rules holds n entries (struct sandbox_rule above) for the native
 * architecture; a syscall name that the architecture lacks, such as open
 * on aarch64, gives a pseudo number that is silently skipped, so one list
 * builds on every architecture.  Duplicates are harmless.
 * __NR_SCMP_ERROR (a misspelled name resolved at run time) is fatal.
 *
 * Other rules, added unless the list has an entry for the syscall:
 *   open, openat, openat2, creat fail with EACCES, so that library code
 *     that tries to read a file (time zone, locale, nsswitch) gets a polite
 *     error instead of killing the process.  A role that must open files
 *     (the mail role in its Maildir) lists openat explicitly;
 *   socket and connect fail with EACCES: glibc's syslog(3) reconnects
 *     with them when its socket is gone (syslogd restarted), which must
 *     not kill a role; the message is then dropped;
 *   clone3 fails with ENOSYS, so that glibc falls back to clone(2), which is
 *     then allowed or not by the list (the usual way to filter clone flags).
 *
 * Everything else, including a listed syscall whose arguments match none
 * of its entries: kill_default non-zero kills the whole process
 * (SCMP_ACT_KILL_PROCESS; the parent sees SIGSYS); kill_default zero makes
 * the call fail with EPERM.  A syscall from a foreign architecture or ABI
 * (i386 int 0x80 or x32 on x86_64) always kills the process.
 *
 * Sanitizer builds (ASan/UBSan, detected at compile time) also allow the
 * few syscalls their runtime needs to report an error and abort
 * (sched_yield, madvise, futex, sigaltstack, rt_sigaction,
 * rt_sigprocmask, getpid, gettid, tgkill, prlimit64, readlink...) with any
 * arguments, and mmap and mprotect with any flags but still never
 * PROT_EXEC (its allocator maps with MAP_FIXED and MAP_NORESERVE); and
 * they make the calls it tries on the way fail politely instead of
 * killing (ioctl: ENOTTY; pipe, pipe2, fork, vfork, clone, execve: EPERM,
 * so no external symbolizer; access, stat, newfstatat: EACCES), unless
 * the list has them.  So a role that forks by mistake gets EPERM there
 * and dies of SIGSYS in the normal build, and a role's madvise and futex
 * filters only hold in the normal build: test kill behaviour there.
 *
 * Every filter allows restart_syscall: the kernel resumes with it a
 * wait a signal interrupted (after SIGSTOP and SIGCONT, a debugger, a
 * cgroup freeze); a list that lacked it once killed the keyholder so.
 *
 * The caller MUST already have called sandbox_limits (no_new_privs; the
 * filter would set it itself, but the order keeps every role alike), and
 * MUST NOT hold a lock another thread may need while this runs.  A
 * sandboxed process SHOULD leave with _exit(2): exit(3) runs atexit
 * handlers, and in sanitizer builds LeakSanitizer, which needs ptrace and
 * /proc.  Any failure is fatal.  The list must include what the code
 * itself needs after the call: at least read, write, exit_group, and
 * whatever malloc/free may use (brk, mmap, munmap on glibc).
 */
void	sandbox_seccomp(const struct sandbox_rule *rules, size_t n,
	    int kill_default);

#endif
