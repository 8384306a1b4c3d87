/*
 * test_mailpath.c: unit test of common/mailpath.c: safe names accepted,
 * hostile names ("..", ".", '/', leading dots, control characters, an
 * embedded NUL, empty and over-long parts, '@' missing or doubled)
 * refused with their reason, and mailpath_dir never handing out a path
 * outside the mail root, whatever the name or the buffer size.  Runs as a
 * plain program; trusts nothing: it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "common/mailpath.h"
#include "tests/unit/check.h"

static void
test_safe(void)
{
	static const char *ok[] = {
		"alice@example.test", "a@b", "a.b@example.test",
		"a..b@example.test", "x.@example.test", "o'neil@example.test",
		"a+tag@example.test", "a@example.test.", "\xc3\xa9@example.test",
	};
	char why[MAILPATH_WHY_MAX];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		why[0] = '\0';
		if (!CHECK_INT_EQ(mailpath_name_check(ok[i], strlen(ok[i]), why,
		    sizeof(why)), 0, ok[i]))
			printf("# refused: %s\n", why);
	}
}

static void
test_hostile(void)
{
	static const struct {
		const char	*name;
		size_t		 len;	/* 0: strlen */
		const char	*why;
	} bad[] = {
		{ "..@example.test", 0,
		    "local part \"..\" names the parent directory" },
		{ ".@example.test", 0,
		    "local part \".\" names the directory itself" },
		{ "alice@..", 0, "domain \"..\" names the parent directory" },
		{ "alice@.", 0, "domain \".\" names the directory itself" },
		{ ".Sent@example.test", 0, "local part starts with '.' (a "
		    "hidden directory, or a Maildir++ folder)" },
		{ "alice@.example.test", 0, "domain starts with '.' (a "
		    "hidden directory, or a Maildir++ folder)" },
		{ "a/b@example.test", 0, "local part: '/' at byte 2" },
		{ "alice@example.test/..", 0, "domain: '/' at byte 19" },
		{ "alice@x/../y", 0, "domain: '/' at byte 8" },
		{ "a\nb@example.test", 0,
		    "local part: control character 0x0a at byte 2" },
		{ "ab@exa\x7fmple", 0,
		    "domain: control character 0x7f at byte 7" },
		{ "\x1b[2J@example.test", 0,
		    "local part: control character 0x1b at byte 1" },
		{ "a\0b@example.test", 16, "local part: NUL at byte 2" },
		{ "@example.test", 0, "empty local part" },
		{ "alice@", 0, "empty domain" },
		{ "alice", 0, "no '@' between local part and domain" },
		{ "", 0, "no '@' between local part and domain" },
		{ "a@b@example.test", 0, "more than one '@'" },
	};
	char why[MAILPATH_WHY_MAX];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len ? bad[i].len : strlen(bad[i].name);
		why[0] = '\0';
		CHECK_INT_EQ(mailpath_name_check(bad[i].name, len, why,
		    sizeof(why)), -1, bad[i].why);
		CHECK_STR_EQ(why, bad[i].why, "its reason");
	}
	CHECK_INT_EQ(mailpath_name_check("..@x", 4, NULL, 0), -1,
	    "why may be NULL");
}

static void
test_lengths(void)
{
	char name[600], why[MAILPATH_WHY_MAX];

	memset(name, 'l', MAILPATH_LOCAL_MAX);
	(void)snprintf(name + MAILPATH_LOCAL_MAX, 64, "@example.test");
	CHECK_INT_EQ(mailpath_name_check(name, strlen(name), why, sizeof(why)),
	    0, "64-byte local part");
	memset(name, 'l', MAILPATH_LOCAL_MAX + 1);
	(void)snprintf(name + MAILPATH_LOCAL_MAX + 1, 64, "@example.test");
	CHECK_INT_EQ(mailpath_name_check(name, strlen(name), why, sizeof(why)),
	    -1, "65-byte local part");
	CHECK_STR_EQ(why, "local part longer than 64 bytes", "its reason");
	memcpy(name, "a@", 2);
	memset(name + 2, 'd', MAILPATH_DOMAIN_MAX);
	name[2 + MAILPATH_DOMAIN_MAX] = '\0';
	CHECK_INT_EQ(mailpath_name_check(name, strlen(name), why, sizeof(why)),
	    0, "253-byte domain");
	memset(name + 2, 'd', 300);
	name[302] = '\0';
	CHECK_INT_EQ(mailpath_name_check(name, strlen(name), why, sizeof(why)),
	    -1, "300-byte domain");
	CHECK_STR_EQ(why, "domain longer than 253 bytes", "its reason");
}

static void
test_dir(void)
{
	char out[64], why[MAILPATH_WHY_MAX];

	CHECK_INT_EQ(mailpath_dir("/var/mail", "alice@example.test", out,
	    sizeof(out), why, sizeof(why)), 0, "dir");
	CHECK_STR_EQ(out, "/var/mail/example.test/alice", "domain, then local");
	CHECK_INT_EQ(mailpath_dir("/var/mail//", "alice@example.test", out,
	    sizeof(out), NULL, 0), 0, "root with trailing slashes");
	CHECK_STR_EQ(out, "/var/mail/example.test/alice", "no \"//\"");
	CHECK_INT_EQ(mailpath_dir("/", "a@b", out, sizeof(out), NULL, 0), 0,
	    "root \"/\"");
	CHECK_STR_EQ(out, "/b/a", "below /");
	CHECK_INT_EQ(mailpath_dir("/var/mail", "..@example.test", out,
	    sizeof(out), why, sizeof(why)), -1, "old record \"..\" refused");
	CHECK_STR_EQ(out, "", "nothing handed out");
	CHECK_STR_EQ(why, "local part \"..\" names the parent directory",
	    "why");
	CHECK_INT_EQ(mailpath_dir("/var/mail", "a/b@example.test", out,
	    sizeof(out), why, sizeof(why)), -1, "old record with '/' refused");
	CHECK_STR_EQ(out, "", "nothing handed out");
	CHECK_INT_EQ(mailpath_dir("/var/mail", "x@..", out, sizeof(out), why,
	    sizeof(why)), -1, "domain \"..\" refused");
	CHECK_INT_EQ(mailpath_dir("var/mail", "alice@example.test", out,
	    sizeof(out), why, sizeof(why)), -1, "relative root refused");
	CHECK_STR_EQ(why, "the mail root is not an absolute path", "why");
	CHECK_INT_EQ(mailpath_dir("", "alice@example.test", out, sizeof(out),
	    why, sizeof(why)), -1, "empty root refused");
	CHECK_INT_EQ(mailpath_dir("/var/mail", "alice@example.test", out, 28,
	    why, sizeof(why)), -1, "one byte short");
	CHECK_STR_EQ(out, "", "no truncated path");
	CHECK_STR_EQ(why, "mail directory longer than 27 bytes", "why");
	CHECK_INT_EQ(mailpath_dir("/var/mail", "alice@example.test", out, 29,
	    why, sizeof(why)), 0, "exactly fits");
}

int
main(void)
{
	test_safe();
	test_hostile();
	test_lengths();
	test_dir();
	return check_done();
}
