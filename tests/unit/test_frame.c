/*
 * test_frame.c: unit tests of the socket framing (common/frame.c) and the
 * authd protocol codecs (common/authproto.c): round trips, and the
 * rejection of every malformed shape a hostile client could send.
 */
#include <string.h>

#include "common/authproto.h"
#include "common/frame.h"
#include "tests/unit/check.h"

static void
test_roundtrip(void)
{
	struct auth_login_req in, out;
	struct frame f, g;

	memset(&in, 0, sizeof(in));
	in.id = 7;
	strcpy(in.service, "imap");
	strcpy(in.mech, "plain");
	strcpy(in.user, "alice@example.test");
	memcpy(in.secret, "pw\0with\tbytes", 13);
	in.secretlen = 13;
	strcpy(in.address, "::1");
	in.port = 993;
	strcpy(in.session, "s1");
	CHECK_INT_EQ(authproto_login_req_encode(&f, &in), 0, "login encodes");
	CHECK_INT_EQ(frame_complete(f.buf, f.len), (long)f.len,
	    "frame_complete sees the whole frame");
	CHECK_INT_EQ(frame_complete(f.buf, f.len - 1), 0,
	    "one byte short needs more");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "frame parses");
	CHECK_INT_EQ(g.type, MSG_AUTH_LOGIN, "type survives");
	CHECK_INT_EQ(authproto_login_req_decode(&g, &out), 0, "login decodes");
	CHECK_STR_EQ(out.user, in.user, "user survives");
	CHECK_INT_EQ(out.secretlen, 13, "secret length survives");
	CHECK_TRUE(memcmp(out.secret, in.secret, 13) == 0,
	    "secret bytes survive, NUL and tab included");
	CHECK_INT_EQ(out.port, 993, "port survives");
}

static void
test_malformed(void)
{
	struct auth_addr_req r;
	struct frame f, g;
	uint8_t zero[4] = { 0, 0, 0, 0 }, huge[4] = { 0, 0, 0x10, 0x01 };

	CHECK_INT_EQ(frame_complete(zero, 4), -1, "zero length refused");
	CHECK_INT_EQ(frame_complete(huge, 4), -1, "oversized length refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_str(&f, "127.0.0.1");
	frame_add_u32(&f, 5);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "trailing bytes refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_bytes(&f, "a\0b", 3);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "NUL inside a string refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "missing field refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_str(&f, "127.0.0.1");
	frame_finish(&f);
	f.buf[10] = 0xff;	/* string length now runs past the frame */
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "field longer than the frame refused");
}

static void
test_overflow(void)
{
	static char big[FRAME_MAX];
	struct frame f;

	memset(big, 'x', sizeof(big) - 1);
	frame_init(&f, 1);
	frame_add_str(&f, big);
	CHECK_INT_EQ(frame_finish(&f), -1, "an add that does not fit fails");
}

int
main(void)
{
	test_roundtrip();
	test_malformed();
	test_overflow();
	return check_done();
}
