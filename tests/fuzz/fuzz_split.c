/*
 * fuzz_split.c: libFuzzer target for authd's login secret splitting
 * (authd/split.c): where a password ends and a TOTP or recovery code
 * begins, on any bytes a client may send as its secret.  Checks the
 * contract of split.h as well as memory safety.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authd/split.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct split sp;
	size_t i;

	split_secret(buf, len, &sp);
	if (sp.has_code) {
		if (sp.code_prefix == 0 || sp.code_prefix + 6 != len ||
		    strlen(sp.code) != 6 ||
		    memcmp(sp.code, buf + sp.code_prefix, 6) != 0)
			abort();
		for (i = 0; i < 6; i++)
			if (sp.code[i] < '0' || sp.code[i] > '9')
				abort();
	}
	if (sp.has_recovery) {
		if (sp.recovery_prefix == 0 || sp.recovery_prefix >= len ||
		    (len - sp.recovery_prefix != RECOVERY_LETTERS &&
		    len - sp.recovery_prefix != RECOVERY_LETTERS + 2) ||
		    strlen(sp.recovery) != RECOVERY_LETTERS)
			abort();
		for (i = 0; i < RECOVERY_LETTERS; i++)
			if (!((sp.recovery[i] >= 'a' && sp.recovery[i] <= 'z') ||
			    (sp.recovery[i] >= '2' && sp.recovery[i] <= '7')))
				abort();
	}
	return 0;
}
