/*
 * test_queueproto.c: unit test of smtpd/queueproto.c: every message
 * round-trips; decoders refuse truncated frames, trailing bytes, unknown
 * bits and statuses, embedded NULs, bad queue ids; a descriptor rides
 * along a delivery request over a socket pair.  Runs as a plain program.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtpd/queueproto.h"
#include "tests/unit/check.h"

/* reparse: what a receiver sees of the frame f built. */
static int
reparse(struct frame *f, struct frame *g)
{
	return frame_parse(g, f->buf, f->len);
}

static void
test_env(void)
{
	struct queue_env e, d;
	struct frame f, g;

	memset(&e, 0, sizeof(e));
	strcpy(e.sender, "alice@example.test");
	e.body = QUEUE_BODY_8BITMIME;
	e.flags = QUEUE_F_SMTPUTF8 | QUEUE_F_RET_HDRS;
	strcpy(e.envid, "abc+2Bdef");
	strcpy(e.helo, "client.example.net");
	strcpy(e.address, "192.0.2.1");
	strcpy(e.auth_user, "alice@example.test");
	strcpy(e.tls, "TLSv1.3 TLS_AES_128_GCM_SHA256");
	strcpy(e.proto, "ESMTPSA");
	strcpy(e.session, "s1");
	e.port = 465;
	e.received_addr = 1;
	CHECK_INT_EQ(queueproto_env_encode(&f, &e), 0, "env encodes");
	CHECK_INT_EQ(reparse(&f, &g), 0, "env parses");
	CHECK_INT_EQ(g.type, MSG_QUEUE_ENV, "type");
	memset(&d, 0x55, sizeof(d));
	CHECK_INT_EQ(queueproto_env_decode(&g, &d), 0, "env decodes");
	CHECK_STR_EQ(d.sender, e.sender, "sender");
	CHECK_STR_EQ(d.tls, e.tls, "tls");
	CHECK_INT_EQ(d.port, 465, "port");
	CHECK_INT_EQ(d.flags, e.flags, "flags");
	CHECK_STR_EQ(d.envid, e.envid, "envid");
	CHECK_STR_EQ(d.helo, e.helo, "helo");
	CHECK_STR_EQ(d.address, e.address, "address");
	CHECK_STR_EQ(d.auth_user, e.auth_user, "auth user");
	CHECK_STR_EQ(d.proto, e.proto, "proto");
	CHECK_STR_EQ(d.session, e.session, "session");
	CHECK_INT_EQ(d.body, QUEUE_BODY_8BITMIME, "body");
	CHECK_INT_EQ(d.received_addr, 1, "received_addr");

	e.flags = 0x10;
	queueproto_env_encode(&f, &e);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_env_decode(&g, &d), -1, "unknown flag");
	e.flags = 0;
	e.body = 3;
	queueproto_env_encode(&f, &e);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_env_decode(&g, &d), -1, "unknown body");
	e.body = 0;
	e.received_addr = 2;
	queueproto_env_encode(&f, &e);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_env_decode(&g, &d), -1, "received_addr 2");
}

static void
test_rcpt_data(void)
{
	struct queue_rcpt r, d;
	struct frame f, g;
	const uint8_t *p;
	uint8_t big[QUEUE_DATA_MAX + 1];
	size_t len;

	memset(&r, 0, sizeof(r));
	strcpy(r.address, "Bob@Example.test");
	strcpy(r.orcpt, "rfc822;Bob@Example.test");
	r.notify = 6;
	r.local = 1;
	strcpy(r.dest, "bob@example.test");
	CHECK_INT_EQ(queueproto_rcpt_encode(&f, &r), 0, "rcpt encodes");
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_rcpt_decode(&g, &d), 0, "rcpt decodes");
	CHECK_STR_EQ(d.dest, "bob@example.test", "dest");
	CHECK_STR_EQ(d.orcpt, r.orcpt, "orcpt");
	CHECK_INT_EQ(d.notify, 6, "notify");
	r.dest[0] = '\0';
	queueproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_rcpt_decode(&g, &d), -1, "empty dest");
	strcpy(r.dest, "x");
	r.notify = 16;
	queueproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_rcpt_decode(&g, &d), -1, "unknown notify");

	memset(big, 'x', sizeof(big));
	CHECK_INT_EQ(queueproto_data_encode(&f, big, QUEUE_DATA_MAX), 0,
	    "the largest data frame fits");
	CHECK_TRUE(f.len <= FRAME_MAX, "within FRAME_MAX");
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_data_decode(&g, &p, &len), 0, "data decodes");
	CHECK_INT_EQ(len, QUEUE_DATA_MAX, "data length");
	CHECK_INT_EQ(queueproto_data_encode(&f, big, QUEUE_DATA_MAX + 1), -1,
	    "too much data refused");
	CHECK_INT_EQ(queueproto_data_encode(&f, big, 0), -1, "empty data");
}

static void
test_answers(void)
{
	char text[QUEUE_TEXT_MAX], id[QUEUE_ID_LEN + 1];
	struct frame f, g;
	struct queue_room r, d;
	uint32_t st, total, off;
	const uint8_t *p;
	size_t len;

	queueproto_result_encode(&f, MSG_QUEUE_COMMIT, QUEUE_OK,
	    "0123456789abcdef");
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_result_decode(&g, QUEUE_TEMP, &st, text,
	    sizeof(text)), 0, "commit answer");
	CHECK_STR_EQ(text, "0123456789abcdef", "id");
	queueproto_result_encode(&f, MSG_QUEUE_COMMIT, 7, "");
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_result_decode(&g, QUEUE_TEMP, &st, text,
	    sizeof(text)), -1, "unknown status");
	frame_init(&f, MSG_QUEUE_COMMIT);
	frame_add_u32(&f, 0);
	frame_add_bytes(&f, "a\0b", 3);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_result_decode(&g, QUEUE_TEMP, &st, text,
	    sizeof(text)), -1, "NUL in the text");
	frame_init(&f, MSG_QUEUE_COMMIT);
	frame_add_u32(&f, 0);
	frame_add_str(&f, "x");
	frame_add_u32(&f, 0);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_result_decode(&g, QUEUE_TEMP, &st, text,
	    sizeof(text)), -1, "trailing bytes");
	frame_init(&f, MSG_QUEUE_COMMIT);
	frame_add_u32(&f, 0);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_result_decode(&g, QUEUE_TEMP, &st, text,
	    sizeof(text)), -1, "missing text");

	memset(&r, 0, sizeof(r));
	strcpy(r.user, "bob@example.test");
	r.quota = 1 << 20;
	r.size = 5000;
	queueproto_room_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_room_decode(&g, &d), 0, "room");
	CHECK_INT_EQ(d.size, 5000, "size");

	queueproto_page_req_encode(&f, MSG_QUEUE_SHOW, "0123456789abcdef", 9);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_page_req_decode(&g, id, sizeof(id), &off), 0,
	    "page request");
	CHECK_INT_EQ(off, 9, "offset");
	queueproto_page_req_encode(&f, MSG_QUEUE_SHOW, "0123456789ABCDEF", 0);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_page_req_decode(&g, id, sizeof(id), &off), -1,
	    "capital hex is no queue id");
	queueproto_id_encode(&f, MSG_QUEUE_REMOVE, "../../etc");
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_id_decode(&g, id, sizeof(id)), -1,
	    "a path is no queue id");
	queueproto_page_ans_encode(&f, MSG_QUEUE_LIST, QUEUE_OK, 10, "abc", 3);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_page_ans_decode(&g, &st, &total, &p, &len), 0,
	    "page answer");
	CHECK_INT_EQ(total, 10, "total");
	queueproto_page_ans_encode(&f, MSG_QUEUE_LIST, QUEUE_OK, 2, "abc", 3);
	reparse(&f, &g);
	CHECK_INT_EQ(queueproto_page_ans_decode(&g, &st, &total, &p, &len), -1,
	    "a page longer than the total");
	CHECK_TRUE(queueproto_id_valid("0123456789abcdef"), "valid id");
	CHECK_TRUE(!queueproto_id_valid("0123456789abcde"), "short id");
	CHECK_TRUE(!queueproto_id_valid("0123456789abcdef0"), "long id");
}

static void
test_fd(void)
{
	struct deliver_req r, d;
	struct frame f, g;
	int sv[2], fd, got;
	char buf[8];

	CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "pair");
	fd = open("/dev/null", O_RDONLY);
	memset(&r, 0, sizeof(r));
	strcpy(r.key, "0123456789abcdef-0");
	strcpy(r.user, "bob@example.test");
	strcpy(r.rcpt, "bob@example.test");
	r.recovering = 1;
	r.size = 5000000000ULL;
	CHECK_INT_EQ(queueproto_deliver_encode(&f, &r), 0, "deliver encodes");
	CHECK_INT_EQ(queueproto_send_fd(sv[0], &f, fd), 0, "sent with fd");
	close(fd);
	CHECK_INT_EQ(queueproto_recv_fd(sv[1], &g, &got, FRAME_FOREVER), 0,
	    "received");
	CHECK_TRUE(got >= 0, "a descriptor came");
	CHECK_INT_EQ(read(got, buf, sizeof(buf)), 0, "it is /dev/null");
	close(got);
	CHECK_INT_EQ(queueproto_deliver_decode(&g, &d), 0, "decodes");
	CHECK_STR_EQ(d.key, r.key, "key");
	CHECK_INT_EQ(d.recovering, 1, "recovering");
	CHECK_TRUE(d.size == 5000000000ULL, "size");
	queueproto_droom_encode(&f, "bob@example.test", 0, 10);
	frame_write(sv[0], &f);
	CHECK_INT_EQ(queueproto_recv_fd(sv[1], &g, &got, FRAME_FOREVER), 0,
	    "received without fd");
	CHECK_INT_EQ(got, -1, "no descriptor");
	close(sv[0]);
	CHECK_INT_EQ(queueproto_recv_fd(sv[1], &g, &got, FRAME_FOREVER), -1,
	    "end of file");
	close(sv[1]);
}

int
main(void)
{
	test_env();
	test_rcpt_data();
	test_answers();
	test_fd();
	return check_done();
}
