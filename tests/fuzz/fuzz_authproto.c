/*
 * fuzz_authproto.c: libFuzzer target for the first code in authd that
 * reads a client's bytes: the stream framing and every message decoder.
 * The input is treated as a byte stream from one client.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/authproto.h"
#include "common/frame.h"

static void
fuzz_one(const uint8_t *buf, size_t len)
{
	static struct frame f;
	static struct auth_login_req lr;
	static struct auth_login_ans la;
	static struct auth_rcpt_ans ra;
	static struct auth_who_ans wa;
	static struct auth_kick_req kr;
	static struct auth_known_ans na;
	struct auth_known_req nr;
	struct auth_send_req sr;
	struct auth_open_req orq;
	struct auth_end end;
	struct auth_who_req wr;
	struct auth_kick_ans ka;
	struct auth_addr_req ar;
	struct auth_status_ans sa;
	struct frame copy;

	if (frame_parse(&f, buf, len) == -1)
		return;
	copy = f;
	authproto_login_req_decode(&copy, &lr);
	copy = f;
	authproto_login_ans_decode(&copy, &la);
	copy = f;
	authproto_addr_req_decode(&copy, &ar);
	copy = f;
	authproto_status_ans_decode(&copy, &sa);
	copy = f;
	authproto_rcpt_ans_decode(&copy, &ra);
	copy = f;
	authproto_open_req_decode(&copy, &orq);
	copy = f;
	authproto_end_decode(&copy, &end);
	copy = f;
	authproto_who_req_decode(&copy, &wr);
	copy = f;
	authproto_who_ans_decode(&copy, &wa);
	copy = f;
	authproto_kick_req_decode(&copy, &kr);
	copy = f;
	authproto_kick_ans_decode(&copy, &ka);
	copy = f;
	authproto_known_req_decode(&copy, &nr);
	copy = f;
	authproto_known_ans_decode(&copy, &na);
	copy = f;
	authproto_send_req_decode(&copy, &sr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long n;

	while ((n = frame_complete(data, size)) > 0) {
		fuzz_one(data, (size_t)n);
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
