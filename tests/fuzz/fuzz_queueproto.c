/*
 * fuzz_queueproto.c: libFuzzer target for the queue's protocol decoders
 * (smtpd/queueproto.c): any frame a client of queue.sock or a peer role
 * may send.  The input is the payload (type byte first, which also
 * picks the decoder); a frame that decodes must encode again to the
 * same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct queue_env e;
	static struct queue_rcpt r;
	static struct deliver_req d;
	static uint8_t raw[FRAME_MAX];
	struct queue_room room;
	struct frame f, g;
	char text[QUEUE_TEXT_MAX], id[QUEUE_ID_LEN + 1];
	const uint8_t *p;
	size_t plen;
	uint32_t st, total, off;
	uint64_t size;

	if (len < 1 || len > FRAME_MAX - FRAME_HDR)
		return 0;
	raw[0] = (uint8_t)(len >> 24);
	raw[1] = (uint8_t)(len >> 16);
	raw[2] = (uint8_t)(len >> 8);
	raw[3] = (uint8_t)len;
	memcpy(raw + FRAME_HDR, buf, len);
	if (frame_parse(&g, raw, FRAME_HDR + len) == -1)
		return 0;
	switch (buf[0] % 9) {
	case 0:
		if (queueproto_env_decode(&g, &e) == 0 &&
		    queueproto_env_encode(&f, &e) == 0)
			same(&f, &g);
		break;
	case 1:
		if (queueproto_rcpt_decode(&g, &r) == 0 &&
		    queueproto_rcpt_encode(&f, &r) == 0)
			same(&f, &g);
		break;
	case 2:
		if (queueproto_data_decode(&g, &p, &plen) == 0 &&
		    (plen == 0 || plen > QUEUE_DATA_MAX))
			abort();
		break;
	case 3:
		(void)queueproto_result_decode(&g, QUEUE_NOTFOUND, &st, text,
		    sizeof(text));
		break;
	case 4:
		(void)queueproto_room_decode(&g, &room);
		break;
	case 5:
		if (queueproto_page_req_decode(&g, id, sizeof(id), &off) == 0 &&
		    id[0] != '\0' && !queueproto_id_valid(id))
			abort();
		break;
	case 6:
		if (queueproto_page_ans_decode(&g, &st, &total, &p, &plen) ==
		    0 && plen > total)
			abort();
		break;
	case 7:
		if (queueproto_deliver_decode(&g, &d) == 0 &&
		    queueproto_deliver_encode(&f, &d) == 0)
			same(&f, &g);
		break;
	default:
		(void)queueproto_droom_decode(&g, text, sizeof(text), &size,
		    &size);
		break;
	}
	return 0;
}
