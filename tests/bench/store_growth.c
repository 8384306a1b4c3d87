/*
 * store_growth.c: what opening a folder costs per message as it grows:
 * open the mailbox, sync INBOX (nothing changed) and list every message
 * with its flags, at 1,000 and at 100,000 messages (or the counts given
 * as arguments), and the same after the index was deleted (a rebuild).
 * Run by hand (make bench-store; not part of make check): it writes the
 * messages straight into new/ without fsync, so set-up is fast, and lets
 * the first sync give them UIDs, then waits two seconds (so the
 * directories' mtimes have settled, as for any mailbox opened in life).
 * Prints one line per size: CPU microseconds per message for
 * open+sync+list with store_list (and its wall-clock time) and with
 * store_list_info (medians of 7 runs, each in a new process as a session
 * is, so the listing's fresh memory is paid for), for a rebuild (index
 * deleted) and for the first sync (UIDs given).
 * Runs as the invoking user in a fresh directory under $TMPDIR.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/store.h"

#define RUNS	7

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* The clock: CPU time of this process (user and system), which other
 * load on a shared machine disturbs far less than the wall clock. */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fill(const char *dir, size_t n)
{
	char path[1024], body[160];
	size_t i;
	int fd, len;

	for (i = 0; i < n; i++) {
		len = snprintf(body, sizeof(body), "From: a@example.org\n"
		    "Subject: message %zu\n\nbody of message %zu\n", i, i);
		(void)snprintf(path, sizeof(path), "%s/new/%zu.M%zuP1.bench",
		    dir, 1700000000 + i, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd == -1 || write(fd, body, (size_t)len) != len ||
		    close(fd) == -1) {
			perror(path);
			return -1;
		}
	}
	return 0;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* open_sync_list: one session's opening of INBOX, listing with file
 * names (store_list) or without (store_list_info); seconds, or -1. */
static double
open_sync_list(const char *dir, size_t want, int info_only)
{
	struct store_folder info;
	struct store_msginfo *v = NULL;
	struct store_msg *m = NULL;
	struct store *s;
	char err[256];
	size_t n = 0;
	double t0 = now_s(), t;
	int rc;

	if (store_open(&s, dir, err, sizeof(err)) == -1 ||
	    store_sync(s, "INBOX", &info) == -1) {
		fprintf(stderr, "open/sync failed\n");
		return -1;
	}
	rc = info_only ? store_list_info(s, "INBOX", &v, &n) :
	    store_list(s, "INBOX", &m, &n);
	if (rc == -1 || n != want) {
		fprintf(stderr, "list failed (%zu of %zu)\n", n, want);
		return -1;
	}
	t = now_s() - t0;
	free(m);
	free(v);
	store_close(s);
	return t;
}

/* in_child: open_sync_list in a new process, as a session does: its
 * listing touches fresh memory (page faults are part of the cost). */
static double
in_child(const char *dir, size_t n, int info_only)
{
	double t = -1;
	pid_t pid;
	int fds[2], st;

	if (pipe(fds) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		(void)close(fds[0]);
		t = open_sync_list(dir, n, info_only);
		_exit(write(fds[1], &t, sizeof(t)) == sizeof(t) ? 0 : 1);
	}
	(void)close(fds[1]);
	if (read(fds[0], &t, sizeof(t)) != sizeof(t))
		t = -1;
	(void)close(fds[0]);
	(void)waitpid(pid, &st, 0);
	return t;
}

/* median: of RUNS opens, each in a new process, with or without
 * names. */
static double
median(const char *dir, size_t n, int info_only)
{
	double t[RUNS];
	int i;

	for (i = 0; i < RUNS; i++)
		if ((t[i] = in_child(dir, n, info_only)) < 0)
			return -1;
	qsort(t, RUNS, sizeof(t[0]), dbl_cmp);
	return t[RUNS / 2];
}


static int
measure(const char *top, size_t n)
{
	char dir[512], idx[600];
	double full, info, wall, first, rebuild;

	(void)snprintf(dir, sizeof(dir), "%s/m%zu", top, n);
	if (mkdir(dir, 0700) == -1 || (snprintf(idx, sizeof(idx), "%s/new",
	    dir), mkdir(idx, 0700)) == -1 || fill(dir, n) == -1)
		return -1;
	if ((first = open_sync_list(dir, n, 0)) < 0)
		return -1;
	/* as a mailbox is opened in life: new/ and cur/ have settled */
	(void)sleep(2);
	if ((full = median(dir, n, 0)) < 0 || (info = median(dir, n, 1)) < 0)
		return -1;
	bench_clock = CLOCK_MONOTONIC;
	if ((wall = median(dir, n, 0)) < 0)
		return -1;
	bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	(void)snprintf(idx, sizeof(idx), "%s/index.lmdb", dir);
	(void)nftw(idx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if ((rebuild = open_sync_list(dir, n, 0)) < 0)
		return -1;
	printf("%7zu messages: open+sync+list %.3f us/message (%.1f ms; "
	    "wall clock %.1f ms), without names %.3f us/message (%.1f ms); "
	    "rebuild %.3f us/message; first sync %.3f us/message\n", n,
	    full * 1e6 / (double)n, full * 1e3, wall * 1e3,
	    info * 1e6 / (double)n, info * 1e3, rebuild * 1e6 / (double)n,
	    first * 1e6 / (double)n);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char top[256];
	size_t sizes[2] = { 1000, 100000 }, i;
	int rc = 0;

	log_init("store_growth", 1, 0);
	if (argc == 3) {
		sizes[0] = strtoul(argv[1], NULL, 10);
		sizes[1] = strtoul(argv[2], NULL, 10);
	}
	(void)snprintf(top, sizeof(top), "%s/store_growth.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(077);
	for (i = 0; i < 2 && rc == 0; i++)
		rc = measure(top, sizes[i]);
	(void)nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc == 0 ? 0 : 1;
}
