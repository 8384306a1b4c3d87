/*
 * test_sandbox.c: unit test of common/privsep.c.  Each case runs in a
 * forked child that enters the sandbox and reports through its exit status
 * or the signal that killed it; the parent only checks.  A forbidden
 * syscall must kill the whole process with SIGSYS (from any thread), so
 * must one with arguments outside its filter (PROT_EXEC, MAP_SHARED), open
 * must fail with EACCES, the limits must be in place, and, when run as
 * root, privsep_drop must leave no way back to uid 0.  A child reports a
 * failed step as its exit code (the step's number).  Trusts nothing: it
 * is the test.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privsep.h"
#include "tests/unit/check.h"

/* As privsep.c: sanitizer builds relax the flag and advice filters. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define TEST_SANITIZER 1
#endif
#endif

static void
test_enter(int kill_default)
{
	const struct sandbox_rule rules[] = {
		SANDBOX_ALLOW(read), SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(exit_group), SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(rt_sigreturn), SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW_IF(mprotect, SANDBOX_NOEXEC),
		SANDBOX_ALLOW(munmap), SANDBOX_MADVISE(MADV_DONTNEED),
		SANDBOX_ALLOW(fstat), SANDBOX_ALLOW(newfstatat),
		SANDBOX_ALLOW(close), SANDBOX_ALLOW(futex),
		SANDBOX_ALLOW(read),		/* a duplicate must be harmless */
		SANDBOX_ALLOW(socketcall),	/* absent on x86_64: skipped */
	};

	sandbox_limits(64, 0);
	sandbox_seccomp(rules, sizeof(rules) / sizeof(rules[0]), kill_default);
}

static int thread_pipe[2];

/* Run fn in a child; return its wait status. */
static int
test_child(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		fn();
		_exit(99);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	return status;
}

static void
case_forbidden(void)
{
	test_enter(1);
	(void)syscall(SYS_setuid, 0);
	_exit(0);
}

/* socket and connect fail politely (syslog's reconnect), not kill. */
static void
case_socket(void)
{
	test_enter(1);
	if (socket(AF_INET, SOCK_STREAM, 0) != -1)
		_exit(1);
	_exit(errno == EACCES ? 0 : 2);
}

/* Memory the role may have: private, anonymous, read and write. */
static void
case_mmap_rw(void)
{
	void *p;

	test_enter(1);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	if (mprotect(p, 4096, PROT_READ) == -1)
		_exit(2);
	_exit(0);
}

/* No executable memory, neither new nor made so (OpenSSH's filter). */
static void
case_mmap_exec(void)
{
	test_enter(1);
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	_exit(0);
}

static void
case_mprotect_exec(void)
{
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	test_enter(1);
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
	_exit(0);
}

#ifndef TEST_SANITIZER
/* The flag filter: no shared mapping (sanitizer builds relax it). */
static void
case_mmap_shared(void)
{
	test_enter(1);
	(void)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	_exit(0);
}

/* madvise only with the advice listed (sanitizer builds relax it). */
static void
case_madvise(void)
{
	static char page[4096] __attribute__((aligned(4096)));

	test_enter(1);
	if (madvise(page, sizeof(page), MADV_DONTNEED) == -1)
		_exit(1);
	(void)madvise(page, sizeof(page), MADV_WILLNEED);
	_exit(0);
}
#endif

static void
case_open(void)
{
	int fd;

	test_enter(1);
	fd = open("/etc/passwd", O_RDONLY);
	if (fd != -1)
		_exit(1);
	_exit(errno == EACCES ? 0 : 2);
}

static void
case_errno_default(void)
{
	test_enter(0);
	if (syscall(SYS_setuid, 0) != -1)
		_exit(1);
	_exit(errno == EPERM ? 0 : 2);
}

static void
case_limits(void)
{
	struct rlimit rl;

	sandbox_limits(64, 0);
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		_exit(1);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		_exit(2);
	if (getrlimit(RLIMIT_CORE, &rl) == -1 || rl.rlim_cur != 0 ||
	    rl.rlim_max != 0)
		_exit(3);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur != 64 ||
	    rl.rlim_max != 64)
		_exit(4);
	_exit(0);
}

static void *
thread_main(void *arg)
{
	char c;

	if (read(thread_pipe[0], &c, 1) != 1)
		_exit(1);
	(void)syscall(SYS_setuid, 0);
	_exit(2);
}

/* The filter must reach a thread started before it was loaded. */
static void
case_thread(void)
{
	pthread_t t;
	int block[2];
	char c = 'x';

	if (pipe(thread_pipe) == -1 || pipe(block) == -1)
		_exit(3);
	if (pthread_create(&t, NULL, thread_main, NULL) != 0)
		_exit(4);
	test_enter(1);
	if (write(thread_pipe[1], &c, 1) != 1)
		_exit(5);
	if (read(block[0], &c, 1) == -1)
		_exit(6);
	_exit(7);
}

static char chroot_dir[] = "/tmp/test_sandbox.XXXXXX";

static void
case_drop(void)
{
	uid_t uid;
	gid_t gid;

	if (privsep_user("nobody", &uid, &gid) == -1)
		_exit(1);
	privsep_drop(chroot_dir, uid, gid);
	if (getuid() != uid || geteuid() != uid || getgid() != gid)
		_exit(2);
	if (access("/etc/passwd", F_OK) == 0)
		_exit(3);
	if (setuid(0) != -1 || seteuid(0) != -1)
		_exit(4);
	_exit(0);
}

static void
case_missing_user(void)
{
	uid_t uid = 12345;
	gid_t gid = 12345;

	if (privsep_user("_postern-no-such-user", &uid, &gid) != -1)
		_exit(1);
	_exit(uid == 12345 && gid == 12345 ? 0 : 2);
}

/* The child exited (did not die) with the code its case expects. */
static void
check_exit(int status, const char *desc)
{
	if (CHECK_TRUE(WIFEXITED(status), desc))
		CHECK_INT_EQ(WEXITSTATUS(status), 0, desc);
	else if (WIFSIGNALED(status))
		printf("# killed by signal %d\n", WTERMSIG(status));
}

static void
check_sigsys(int status, const char *desc)
{
	if (CHECK_TRUE(WIFSIGNALED(status), desc))
		CHECK_INT_EQ(WTERMSIG(status), SIGSYS, desc);
	else if (WIFEXITED(status))
		printf("# exited with status %d\n", WEXITSTATUS(status));
}

int
main(void)
{
	log_init("test_sandbox", 1, 0);

	check_sigsys(test_child(case_forbidden),
	    "a syscall not in the list kills the process with SIGSYS");
	check_exit(test_child(case_open), "open fails with EACCES");
	check_exit(test_child(case_mmap_rw),
	    "mmap and mprotect of private read-write memory are allowed");
	check_sigsys(test_child(case_mmap_exec),
	    "mmap with PROT_EXEC kills the process");
	check_sigsys(test_child(case_mprotect_exec),
	    "mprotect to PROT_EXEC kills the process");
#ifndef TEST_SANITIZER
	check_sigsys(test_child(case_mmap_shared),
	    "mmap outside the allowed flags (MAP_SHARED) kills the process");
	check_sigsys(test_child(case_madvise),
	    "madvise with advice not listed kills the process");
#endif
	check_exit(test_child(case_socket),
	    "socket fails with EACCES (syslog reconnects must not kill)");
	check_exit(test_child(case_errno_default),
	    "kill_default 0: a syscall not in the list fails with EPERM");
	check_exit(test_child(case_limits),
	    "sandbox_limits: not dumpable, no_new_privs, core 0, nofile 64");
	check_sigsys(test_child(case_thread),
	    "the filter reaches a thread started before it (TSYNC)");
	check_exit(test_child(case_missing_user),
	    "privsep_user fails on a missing user and leaves the ids");

	if (!privsep_is_dev()) {
		if (mkdtemp(chroot_dir) == NULL)
			fatal("mkdtemp");
		check_exit(test_child(case_drop),
		    "privsep_drop: chroot, ids set, no way back to uid 0");
		if (rmdir(chroot_dir) == -1)
			fatal("rmdir %s", chroot_dir);
	}
	return check_done();
}
