/*
 * fuzz_checkproto.c: libFuzzer target for what the inbound checks read
 * from a less trusted peer or from the SMTP client: the decoders of
 * smtpd/checkproto.c (a broker's request as the check role reads it,
 * the check role's answer as the broker reads it) and the queue's CHECKS
 * frame, and smtpd/arstrip.c on arbitrary message bytes.
 *
 * The first byte picks the target.  A frame that decodes must encode
 * again to the same fields.  The stripper's output must be the same
 * whatever the chunking (the input split at the second byte's place),
 * never longer than its input, and made of input bytes in order (it only
 * removes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dkim.h"
#include "smtpd/arstrip.h"
#include "smtpd/checkproto.h"
#include "smtpd/queueproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* same: the fields (everything after the type byte) are the same. */
static void
same(const struct frame *a, const struct frame *b)
{
	size_t skip = FRAME_HDR + 1;

	if (a->len != b->len || memcmp(a->buf + skip, b->buf + skip,
	    a->len - skip) != 0)
		abort();
}

static void
fuzz_frames(const uint8_t *buf, size_t len)
{
	static struct check_msg m;
	static struct dkim_sig s;
	static struct check_result r;
	static struct queue_checks k;
	static uint8_t raw[FRAME_MAX];
	struct frame f, g;

	if (len < 1 || len > FRAME_MAX - FRAME_HDR)
		return;
	raw[0] = (uint8_t)(len >> 24);
	raw[1] = (uint8_t)(len >> 16);
	raw[2] = (uint8_t)(len >> 8);
	raw[3] = (uint8_t)len;
	memcpy(raw + FRAME_HDR, buf, len);
	if (frame_parse(&g, raw, FRAME_HDR + len) == -1)
		return;
	switch (buf[0] % 4) {
	case 0:
		if (checkproto_msg_decode(&g, &m) == 0 &&
		    checkproto_msg_encode(&f, &m) == 0)
			same(&f, &g);
		break;
	case 1:
		if (checkproto_sig_decode(&g, &s) == 0 &&
		    checkproto_sig_encode(&f, &s) == 0)
			same(&f, &g);
		break;
	case 2:
		if (checkproto_result_decode(&g, &r) == 0 &&
		    checkproto_result_encode(&f, &r) == 0)
			same(&f, &g);
		break;
	default:
		if (queueproto_checks_decode(&g, &k) == 0 &&
		    queueproto_checks_encode(&f, &k) == 0)
			same(&f, &g);
		break;
	}
}

/* strip: the output of the stripper over in, fed in two pieces cut at
 * cut; its length. */
static size_t
strip(const uint8_t *in, size_t len, size_t cut, uint8_t *out)
{
	static struct arstrip s;
	size_t w;

	arstrip_init(&s, "mx.example.test");
	w = arstrip_feed(&s, in, cut, out);
	w += arstrip_feed(&s, in + cut, len - cut, out + w);
	return w + arstrip_finish(&s, out + w);
}

static void
fuzz_strip(const uint8_t *buf, size_t len)
{
	static uint8_t a[65536 + ARSTRIP_PENDING_MAX];
	static uint8_t b[65536 + ARSTRIP_PENDING_MAX];
	size_t cut, na, nb, i, j;

	if (len < 2 || len > 65536)
		return;
	cut = buf[1] % (len - 1);
	buf += 2;
	len -= 2;
	if (cut > len)
		cut = len;
	na = strip(buf, len, len, a);
	nb = strip(buf, len, cut, b);
	if (na != nb || memcmp(a, b, na) != 0 || na > len)
		abort();
	for (i = j = 0; i < na; i++, j++) {
		while (j < len && buf[j] != a[i])
			j++;
		if (j == len)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	if (len < 1)
		return 0;
	if (buf[0] & 0x80)
		fuzz_strip(buf, len);
	else
		fuzz_frames(buf, len);
	return 0;
}
