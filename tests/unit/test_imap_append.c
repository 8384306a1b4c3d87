/*
 * test_imap_append.c: unit test of what imapd's APPEND streaming
 * (imapd/cmd_message.c) relies on in the command reader and the parser:
 * when the reader reports LITERAL_BEGIN for a message too large for the
 * command buffer, the command up to the announcement parses as a whole
 * APPEND whose message is that external literal (so the mailbox, flags
 * and date are known before the octets arrive), and the complete command
 * parses to the same mailbox; a command that cannot succeed already
 * fails there; a refused synchronizing literal ends the command with
 * TOOBIG and no continuation.  Runs as a plain program; it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "imapd/parse.h"
#include "imapd/reader.h"
#include "tests/unit/check.h"

#define BIG	100000

static char buf[IMAP_LINE_MAX + 2 * IMAP_INLINE_MAX + 1];
static struct imap_cmd cmd;

static void
reader_new(struct imap_reader *r)
{
	struct imap_reader_limits lim = {
		IMAP_LINE_MAX, IMAP_INLINE_MAX, 50 * 1024 * 1024,
		50 * 1024 * 1024
	};

	imap_reader_init(r, buf, sizeof(buf), &lim);
}

/* feed: text into r until an event; *used octets of it taken. */
static int
feed(struct imap_reader *r, const char *text, size_t len, size_t *used)
{
	return imap_reader_feed(r, text, len, used);
}

/* begin: feed line (ending in a large literal's announcement); expect
 * LITERAL_BEGIN and parse what the reader holds then. */
static int
begin(struct imap_reader *r, const char *line)
{
	size_t used;

	reader_new(r);
	if (!CHECK_INT_EQ(feed(r, line, strlen(line), &used),
	    IMAP_RD_LITERAL_BEGIN, "the announcement begins a literal"))
		return IMAP_PARSE_BAD;
	CHECK_INT_EQ(r->lit_size, BIG, "its size");
	return imap_parse(r->buf, r->len, r->lits, r->nlits, IMAP_S_AUTH, 0,
	    &cmd);
}

static void
mailbox_is(const char *want, const char *desc)
{
	char name[64];

	CHECK_INT_EQ(imap_str_copy(&cmd.u.append.mailbox, name, sizeof(name)),
	    (long)strlen(want), desc);
	CHECK_STR_EQ(name, want, desc);
}

static void
test_partial_command_parses(void)
{
	struct imap_reader r;
	char line[256];

	snprintf(line, sizeof(line), "a1 APPEND \"Sent Items\" (\\Seen $Junk) "
	    "\"15-Mar-2024 10:20:30 +0100\" {%d}\r\n", BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_OK, "partial APPEND parses");
	CHECK_INT_EQ(cmd.verb, IMAP_APPEND, "as APPEND");
	mailbox_is("Sent Items", "its mailbox");
	CHECK_INT_EQ(cmd.u.append.flags.sys, IMAP_F_SEEN, "its flags");
	CHECK_INT_EQ(cmd.u.append.flags.nkw, 1, "its keyword");
	CHECK_INT_EQ(cmd.u.append.has_date, 1, "its date");
	CHECK_INT_EQ(cmd.u.append.date, 1710494430, "in UTC");
	CHECK_INT_EQ(cmd.u.append.msg.kind, IMAP_STR_EXTERNAL,
	    "the message is the external literal");
	CHECK_INT_EQ(cmd.u.append.msg.size, BIG, "of the announced size");
	CHECK_INT_EQ(cmd.u.append.msg.binary, 0, "not a literal8");

	snprintf(line, sizeof(line), "a2 APPEND INBOX ~{%d+}\r\n", BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_OK, "literal8 parses");
	CHECK_INT_EQ(cmd.u.append.msg.binary, 1, "as a literal8");
}

static void
test_mailbox_literal(void)
{
	struct imap_reader r;
	char line[256];
	size_t used, off = 0;
	int ev;

	/* The mailbox itself a literal, kept inline before the message. */
	snprintf(line, sizeof(line), "a3 APPEND {7}\r\nArchive {%d+}\r\n",
	    BIG);
	reader_new(&r);
	ev = feed(&r, line, strlen(line), &used);
	CHECK_INT_EQ(ev, IMAP_RD_CONTINUE, "the mailbox literal is sent");
	off += used;
	ev = feed(&r, line + off, strlen(line) - off, &used);
	CHECK_INT_EQ(ev, IMAP_RD_LITERAL_BEGIN, "then the message begins");
	CHECK_INT_EQ(imap_parse(r.buf, r.len, r.lits, r.nlits, IMAP_S_AUTH,
	    0, &cmd), IMAP_PARSE_OK, "and the command parses");
	CHECK_INT_EQ(cmd.u.append.mailbox.kind, IMAP_STR_LITERAL,
	    "the mailbox is a literal");
	CHECK_INT_EQ(cmd.u.append.mailbox.size, 7, "of 7 octets");
}

static void
test_whole_command(void)
{
	static char data[BIG];
	struct imap_reader r;
	char line[128];
	size_t used, got = 0;
	int ev;

	snprintf(line, sizeof(line), "a4 APPEND Drafts {%d}\r\n", BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_OK, "partial parses");
	CHECK_INT_EQ(feed(&r, "", 0, &used), IMAP_RD_CONTINUE,
	    "then the continuation is owed");
	memset(data, 'x', sizeof(data));
	while (got < sizeof(data)) {
		ev = feed(&r, data + got, sizeof(data) - got, &used);
		if (!CHECK_INT_EQ(ev, IMAP_RD_LITERAL_DATA, "data"))
			return;
		got += used;
	}
	CHECK_INT_EQ(feed(&r, "\r\n", 2, &used), IMAP_RD_COMMAND,
	    "the command completes");
	CHECK_INT_EQ(imap_parse(r.buf, r.len, r.lits, r.nlits, IMAP_S_AUTH,
	    0, &cmd), IMAP_PARSE_OK, "and parses");
	mailbox_is("Drafts", "to the same mailbox");
	CHECK_INT_EQ(cmd.u.append.msg.kind, IMAP_STR_EXTERNAL,
	    "with the external message");
}

static void
test_fails_early(void)
{
	struct imap_reader r;
	char line[128];
	size_t used;

	snprintf(line, sizeof(line), "a5 APPEND INBOX (\\Bogus) {%d}\r\n",
	    BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_BAD, "a bad flag is seen");
	snprintf(line, sizeof(line), "a6 APPEND INBOX {5+}\r\nhello {%d}\r\n",
	    BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_BAD,
	    "a second message (MULTIAPPEND) is seen");
	/* Refused: no continuation, TOOBIG at once. */
	snprintf(line, sizeof(line), "a7 APPEND NoSuch {%d}\r\n", BIG);
	CHECK_INT_EQ(begin(&r, line), IMAP_PARSE_OK, "parses");
	imap_reader_refuse(&r, "No such mailbox");
	CHECK_INT_EQ(feed(&r, "", 0, &used), IMAP_RD_TOOBIG,
	    "a refused literal ends the command");
	CHECK_STR_EQ(r.why, "No such mailbox", "with the reason given");
	CHECK_INT_EQ(feed(&r, "a8 NOOP\r\n", 9, &used), IMAP_RD_COMMAND,
	    "the next command follows");
}

int
main(void)
{
	test_partial_command_parses();
	test_mailbox_literal();
	test_whole_command();
	test_fails_early();
	return check_done();
}
