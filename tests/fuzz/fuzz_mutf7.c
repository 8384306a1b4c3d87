/*
 * fuzz_mutf7.c: libFuzzer target for modified UTF-7 (common/mutf7.c), the
 * decoder imapd runs on every mailbox name a client sends and the store
 * runs on every directory name in a Maildir.  Checks the contract of
 * mutf7.h as well as memory safety: whatever decodes, encodes back to the
 * same bytes (strictness); whatever encodes, decodes back; outputs are
 * always NUL-terminated within their buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mutf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	char in[512], a[2048], b[2048];
	size_t small;

	if (len >= sizeof(in))
		return 0;
	memcpy(in, buf, len);
	in[len] = '\0';
	if (mutf7_decode(in, a, sizeof(a)) == 0) {
		if (mutf7_encode(a, b, sizeof(b)) != 0 || strcmp(b, in) != 0)
			abort();
	}
	if (mutf7_encode(in, a, sizeof(a)) == 0) {
		if (mutf7_decode(a, b, sizeof(b)) != 0 || strcmp(b, in) != 0)
			abort();
	}
	small = len % 16 + 1;
	if (mutf7_decode(in, a, small) == 0 && strlen(a) >= small)
		abort();
	if (mutf7_encode(in, a, small) == 0 && strlen(a) >= small)
		abort();
	return 0;
}
