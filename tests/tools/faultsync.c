/*
 * faultsync.c: an LD_PRELOAD shim for tests that makes a daemon's
 * durability calls fail with EIO on demand, the way a dying disk does,
 * so a test can watch what the daemon answers when its commit fails.
 * Loaded into authd by tests/integration/test_attack.py; trusts only the
 * control file named by the environment.
 *
 * POSTERN_FAULT names a control file of at least 64 bytes that exists
 * before the daemon starts.  The constructor maps it shared, read-write,
 * and closes it: the mapping survives the daemon's chroot, its drop to an
 * unprivileged user, its closing of inherited descriptors and a seccomp
 * list that refuses open and stat, where a flag file looked up by name
 * would not.  The first byte of the file is the switch:
 *
 *   '1'	fdatasync, fsync, msync and sync_file_range fail with EIO;
 *   '2'	those, and pwrite, pwrite64, pwritev and writev on regular
 *		files too (LMDB treats a failed meta page write as fatal
 *		for its environment until it is reopened);
 *   other	every call passes through.
 *
 * Bytes 8..11 count the calls failed so far (native-endian uint32), so a
 * test can prove that the fault was exercised.  Without POSTERN_FAULT, or
 * when the file cannot be mapped, the shim passes everything through and
 * says so once on stderr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define FAULT_MAP	64

static volatile unsigned char	*fault_map;

static int	(*real_fdatasync)(int);
static int	(*real_fsync)(int);
static int	(*real_msync)(void *, size_t, int);
static int	(*real_sync_file_range)(int, off_t, off_t, unsigned int);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_writev)(int, const struct iovec *, int);

__attribute__((constructor)) static void
fault_init(void)
{
	const char *path = getenv("POSTERN_FAULT");
	struct stat st;
	void *m;
	int fd;

	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_msync = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
	real_sync_file_range = (int (*)(int, off_t, off_t, unsigned int))
	    dlsym(RTLD_NEXT, "sync_file_range");
	real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))
	    dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = (ssize_t (*)(int, const void *, size_t, off_t))
	    dlsym(RTLD_NEXT, "pwrite64");
	real_pwritev = (ssize_t (*)(int, const struct iovec *, int, off_t))
	    dlsym(RTLD_NEXT, "pwritev");
	real_writev = (ssize_t (*)(int, const struct iovec *, int))
	    dlsym(RTLD_NEXT, "writev");
	if (path == NULL || (fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		fprintf(stderr, "faultsync: no control file (POSTERN_FAULT); "
		    "passing every call through\n");
		return;
	}
	if (fstat(fd, &st) == -1 || st.st_size < FAULT_MAP ||
	    (m = mmap(NULL, FAULT_MAP, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) == MAP_FAILED)
		fprintf(stderr, "faultsync: cannot map %s (at least %d "
		    "bytes); passing every call through\n", path, FAULT_MAP);
	else
		fault_map = m;
	close(fd);
}

/* fault_on: 1 when calls of this level (1 sync, 2 write) must fail now. */
static int
fault_on(int level)
{
	unsigned char c;

	if (fault_map == NULL)
		return 0;
	c = fault_map[0];
	if (!(c == '2' || (c == '1' && level == 1)))
		return 0;
	__atomic_fetch_add((uint32_t *)(fault_map + 8), 1, __ATOMIC_SEQ_CST);
	errno = EIO;
	return 1;
}

/* fault_regular: writes to sockets and pipes (answers, logs) still go. */
static int
fault_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int
fdatasync(int fd)
{
	return fault_on(1) ? -1 : real_fdatasync(fd);
}

int
fsync(int fd)
{
	return fault_on(1) ? -1 : real_fsync(fd);
}

int
msync(void *addr, size_t len, int flags)
{
	return fault_on(1) ? -1 : real_msync(addr, len, flags);
}

int
sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
	return fault_on(1) ? -1 : real_sync_file_range(fd, off, n, flags);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (fault_map != NULL && fault_map[0] == '2' && fault_regular(fd) &&
	    fault_on(2))
		return -1;
	return real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	if (fault_map != NULL && fault_map[0] == '2' && fault_regular(fd) &&
	    fault_on(2))
		return -1;
	return real_pwrite64(fd, buf, len, off);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	if (fault_map != NULL && fault_map[0] == '2' && fault_regular(fd) &&
	    fault_on(2))
		return -1;
	return real_pwritev(fd, iov, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	if (fault_map != NULL && fault_map[0] == '2' && fault_regular(fd) &&
	    fault_on(2))
		return -1;
	return real_writev(fd, iov, n);
}
