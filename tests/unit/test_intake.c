/*
 * test_intake.c: unit test of common/intake.c: intake_write drops one
 * complete, well-named, mode 0644 file and nothing else; it refuses bad
 * addresses and leaves nothing behind; intake_read reads back what was
 * written and refuses hostile files (bad magic, repeated or missing
 * lines, bad addresses, an unended header, too many recipients, a big
 * body, a hard link, a directory).  Runs as a plain program in a
 * temporary directory; trusts nothing: it is the test.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/intake.h"
#include "tests/unit/check.h"

static char spool[256], dir[300];

static int
count_files(char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (name != NULL)
			snprintf(name, size, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static void
remove_all(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static struct intake_msg msg;

static int
read_file(const char *name, uint64_t max, char *err, size_t errlen)
{
	char path[600];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1)
		return 99;
	rc = intake_read(fd, max, &msg, err, errlen);
	close(fd);
	return rc;
}

static void
test_write_read(void)
{
	const char *rcpts[] = { "alice@example.test", "root" };
	const char body[] = "Subject: hi\n\nhello\n";
	char name[300], err[INTAKE_ERR_MAX], path[600], got[64];
	struct stat st;
	int fd;

	CHECK_INT_EQ(intake_write(spool, "bob@example.test", rcpts, 2, body,
	    strlen(body), err, sizeof(err)), 0, "write succeeds");
	CHECK_INT_EQ(count_files(name, sizeof(name)), 1, "one file");
	CHECK_TRUE(intake_name_valid(name), "its name is a finished name");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK_INT_EQ(stat(path, &st), 0, "stat");
	CHECK_INT_EQ(st.st_mode & 07777, 0644, "mode 0644");
	CHECK_INT_EQ(read_file(name, 1000, err, sizeof(err)), INTAKE_OK,
	    "read back");
	CHECK_STR_EQ(msg.sender, "bob@example.test", "sender");
	CHECK_INT_EQ(msg.nrcpt, 2, "two recipients");
	CHECK_STR_EQ(msg.rcpt[0], "alice@example.test", "rcpt 1");
	CHECK_STR_EQ(msg.rcpt[1], "root", "rcpt 2");
	CHECK_INT_EQ(msg.owner, getuid(), "owner");
	CHECK_INT_EQ(msg.body_len, strlen(body), "body length");
	fd = open(path, O_RDONLY);
	memset(got, 0, sizeof(got));
	CHECK_INT_EQ(pread(fd, got, sizeof(got) - 1, msg.body_off),
	    (long)strlen(body), "body read");
	CHECK_STR_EQ(got, body, "body bytes");
	close(fd);
	CHECK_INT_EQ(read_file(name, 5, err, sizeof(err)), INTAKE_BAD,
	    "body over the bound");
	remove_all();

	CHECK_INT_EQ(intake_write(spool, "", rcpts, 1, NULL, 0, err,
	    sizeof(err)), 0, "null sender, empty body");
	CHECK_INT_EQ(count_files(name, sizeof(name)), 1, "one file");
	CHECK_INT_EQ(read_file(name, 1000, err, sizeof(err)), INTAKE_OK,
	    "read back");
	CHECK_STR_EQ(msg.sender, "", "null sender");
	CHECK_INT_EQ(msg.body_len, 0, "empty body");
	remove_all();
}

static void
test_write_refused(void)
{
	const char *bad1[] = { "a b@example.test" };
	const char *bad2[] = { "x>@example.test" };
	const char *good[] = { "alice@example.test" };
	const char *many[INTAKE_RCPT_MAX + 1];
	char err[INTAKE_ERR_MAX], other[600];
	size_t i;

	for (i = 0; i < INTAKE_RCPT_MAX + 1; i++)
		many[i] = "x@example.test";
	err[0] = '\0';
	CHECK_INT_EQ(intake_write(spool, "", bad1, 1, "x", 1, err,
	    sizeof(err)), -1, "blank in a recipient refused");
	CHECK_STR_EQ(err, "invalid recipient address (number 1)", "reason");
	CHECK_INT_EQ(intake_write(spool, "", bad2, 1, "x", 1, err,
	    sizeof(err)), -1, "'>' in a recipient refused");
	CHECK_INT_EQ(intake_write(spool, "a\nb", good, 1, "x", 1, err,
	    sizeof(err)), -1, "newline in the sender refused");
	CHECK_STR_EQ(err, "invalid sender address", "reason");
	CHECK_INT_EQ(intake_write(spool, "", good, 0, "x", 1, err,
	    sizeof(err)), -1, "no recipient refused");
	CHECK_INT_EQ(intake_write(spool, "", many, INTAKE_RCPT_MAX + 1, "x",
	    1, err, sizeof(err)), -1, "too many recipients refused");
	CHECK_INT_EQ(intake_write(spool, "", many, INTAKE_RCPT_MAX, "x",
	    1, err, sizeof(err)), 0, "the most recipients accepted");
	remove_all();
	snprintf(other, sizeof(other), "%s/none", spool);
	CHECK_INT_EQ(intake_write(other, "", good, 1, "x", 1, err,
	    sizeof(err)), -1, "missing intake directory");
	CHECK_TRUE(strstr(err, "cannot open") != NULL, err);
	CHECK_INT_EQ(count_files(NULL, 0), 0, "nothing left behind");
}

static int
put(const char *name, const char *content)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(content, f);
	return fclose(f);
}

static void
test_hostile(void)
{
	static const struct {
		const char	*content;
		const char	*why;
	} bad[] = {
		{ "", "line 1: header not ended within" },
		{ "postern-intake 2\nfrom <>\nrcpt <a>\n\nx",
		    "line 1: not \"postern-intake 1\"" },
		{ "postern-intake 1\nrcpt <a>\n\nx", "line 2: not \"from" },
		{ "postern-intake 1\nfrom <>\n\nx", "no recipient" },
		{ "postern-intake 1\nfrom <>\nfrom <>\nrcpt <a>\n\n",
		    "line 3: not \"rcpt" },
		{ "postern-intake 1\nfrom <a b>\nrcpt <a>\n\n",
		    "line 2: not \"from" },
		{ "postern-intake 1\nfrom <>\nrcpt <>\n\n", "line 3: not" },
		{ "postern-intake 1\nfrom <>\nrcpt a\n\n", "line 3: not" },
		{ "postern-intake 1\nfrom <>\nrcpt <a\r>\n\n", "line 3: not" },
		{ "postern-intake 1\nfrom <>\nrcpt <a>\nrcpt <b>",
		    "line 4: header not ended" },
		{ "postern-intake 1\r\nfrom <>\r\nrcpt <a>\r\n\r\n",
		    "line 1: not" },
	};
	char err[INTAKE_ERR_MAX], big[INTAKE_HDR_MAX + 600], path[600];
	size_t i, off;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		put("1.2.3.4", bad[i].content);
		CHECK_INT_EQ(read_file("1.2.3.4", 1000, err, sizeof(err)),
		    INTAKE_BAD, bad[i].why);
		if (!CHECK_TRUE(strncmp(err, bad[i].why, strlen(bad[i].why))
		    == 0, "reason"))
			printf("# got: %s\n", err);
	}
	off = (size_t)snprintf(big, sizeof(big), "postern-intake 1\nfrom <>\n");
	for (i = 0; i <= INTAKE_RCPT_MAX; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off,
		    "rcpt <a%zu>\n", i);
	snprintf(big + off, sizeof(big) - off, "\nbody\n");
	put("1.2.3.4", big);
	CHECK_INT_EQ(read_file("1.2.3.4", 1000, err, sizeof(err)), INTAKE_BAD,
	    "too many recipients");
	CHECK_TRUE(strstr(err, "more than") != NULL, err);

	put("1.2.3.4", "postern-intake 1\nfrom <>\nrcpt <a>\n\nbody\n");
	CHECK_INT_EQ(read_file("1.2.3.4", 1000, err, sizeof(err)), INTAKE_OK,
	    "a good file");
	snprintf(path, sizeof(path), "%s/1.2.3.4", dir);
	snprintf(big, sizeof(big), "%s/1.2.3.5", dir);
	CHECK_INT_EQ(link(path, big), 0, "hard link made");
	CHECK_INT_EQ(read_file("1.2.3.4", 1000, err, sizeof(err)), INTAKE_BAD,
	    "a file with two links refused");
	remove_all();
	snprintf(path, sizeof(path), "%s/1.2.3.6", dir);
	mkdir(path, 0700);
	CHECK_INT_EQ(read_file("1.2.3.6", 1000, err, sizeof(err)), INTAKE_BAD,
	    "a directory refused");
	rmdir(path);
}

static void
test_names(void)
{
	CHECK_TRUE(intake_name_valid("1764460000.123456.42.0123456789abcdef"),
	    "a written name");
	CHECK_TRUE(!intake_name_valid(".tmp.1.2.3.4"), "tmp name");
	CHECK_TRUE(!intake_name_valid(".."), "dot dot");
	CHECK_TRUE(!intake_name_valid("a/b"), "slash");
	CHECK_TRUE(!intake_name_valid(""), "empty");
	CHECK_TRUE(!intake_name_valid("1.2.3.ABC"), "capitals");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(spool, sizeof(spool), "%s/test_intake.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(spool) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/intake", spool);
	if (mkdir(dir, 01733) == -1)
		return 1;
	test_write_read();
	test_write_refused();
	test_hostile();
	test_names();
	remove_all();
	rmdir(dir);
	rmdir(spool);
	return check_done();
}
