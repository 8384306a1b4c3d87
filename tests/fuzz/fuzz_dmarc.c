/*
 * fuzz_dmarc.c: libFuzzer target for the DMARC record parser
 * (common/dmarc_record.c).  The input is one TXT string; checks that an
 * accepted record's fields are in range and that parsing agrees with
 * dmarc_record_is_dmarc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	char err[96], *copy;
	int rc;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = dmarc_record_parse(copy, size, &r, err, sizeof(err));
	if (rc == 0) {
		if (r.pct > 100 || r.p > DMARC_POLICY_REJECT ||
		    r.sp > DMARC_POLICY_REJECT || r.np > DMARC_POLICY_REJECT ||
		    (r.adkim_strict != 0 && r.adkim_strict != 1) ||
		    (r.aspf_strict != 0 && r.aspf_strict != 1) ||
		    !dmarc_record_is_dmarc(copy, size))
			abort();
	} else if ((rc != -1 && rc != -2) || err[0] == '\0' ||
	    memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(copy);
	return 0;
}
