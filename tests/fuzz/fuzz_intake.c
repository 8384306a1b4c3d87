/*
 * fuzz_intake.c: libFuzzer target for the queue's reader of intake files
 * (common/intake.c, intake_read): any bytes a local user may drop into
 * the spool's intake directory.  The input goes into a memfd (a regular
 * file with one link, as intake_read demands); on success every address
 * must pass intake_addr_valid and the body must lie within the file.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct intake_msg m;

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	char err[INTAKE_ERR_MAX];
	size_t i;
	int fd, rc;

	if ((fd = memfd_create("intake", MFD_CLOEXEC)) == -1)
		return 0;
	if (len > 0 && write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return 0;
	}
	rc = intake_read(fd, 1 << 20, &m, err, sizeof(err));
	close(fd);
	if (rc == INTAKE_BAD && (err[0] == '\0' || strlen(err) >= sizeof(err)))
		abort();
	if (rc != INTAKE_OK)
		return 0;
	if (m.nrcpt == 0 || m.nrcpt > INTAKE_RCPT_MAX ||
	    (uint64_t)m.body_off + m.body_len != len ||
	    (m.sender[0] != '\0' && !intake_addr_valid(m.sender,
	    strlen(m.sender))))
		abort();
	for (i = 0; i < m.nrcpt; i++)
		if (!intake_addr_valid(m.rcpt[i], strlen(m.rcpt[i])))
			abort();
	return 0;
}
