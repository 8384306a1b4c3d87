/*
 * fuzz_keyholder.c: libFuzzer target for the keyholder's parser of sign
 * requests (keyholder_sign_parse), the only code in the keyholder that
 * reads bytes a net process chose.  The input is a byte stream from one
 * net process, split into frames the way the keyholder's channel reader
 * does (frame_complete within KEYHOLDER_REQ_MAX); each frame is parsed,
 * and what the parser returns must lie inside the frame it came from.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "common/keyholder.h"

static void
fuzz_frame(const uint8_t *buf, size_t len)
{
	static struct frame f;
	const uint8_t *hash;
	size_t hashlen;
	uint32_t id;

	if (keyholder_sign_parse(&f, buf, len, &id, &hash, &hashlen) == -1)
		return;
	if (hashlen > len || hash < f.buf || hash + hashlen > f.buf + f.len ||
	    memcmp(hash, buf + (hash - f.buf), hashlen) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[KEYHOLDER_REQ_MAX];
	size_t have = 0, take;
	long flen;

	while (size > 0) {
		take = sizeof(buf) - have < size ? sizeof(buf) - have : size;
		memcpy(buf + have, data, take);
		have += take;
		data += take;
		size -= take;
		while ((flen = frame_complete(buf, have)) > 0) {
			fuzz_frame(buf, (size_t)flen);
			memmove(buf, buf + flen, have - (size_t)flen);
			have -= (size_t)flen;
		}
		if (flen == -1 || have == sizeof(buf))
			return 0;	/* the keyholder closes the channel */
	}
	return 0;
}
