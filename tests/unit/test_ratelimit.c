/*
 * test_ratelimit.c: unit test of common/ratelimit.c: the limit within a
 * window, a new window, keys kept apart, and a full table reusing the
 * oldest slot instead of growing.
 */
#include <stdio.h>

#include "common/ratelimit.h"
#include "tests/unit/check.h"

static void
test_window(void)
{
	struct ratelimit rl;
	int i, ok = 0;

	CHECK_TRUE(ratelimit_init(&rl, 8, 3, 60) == 0, "init");
	for (i = 0; i < 5; i++)
		ok += ratelimit_hit(&rl, "192.0.2.1", 100);
	CHECK_INT_EQ(ok, 3, "three in the window, then refused");
	CHECK_TRUE(ratelimit_hit(&rl, "192.0.2.2", 100) == 1,
	    "another address has its own count");
	CHECK_TRUE(ratelimit_hit(&rl, "192.0.2.1", 159) == 0,
	    "still refused at the window's last second");
	CHECK_TRUE(ratelimit_hit(&rl, "192.0.2.1", 160) == 1,
	    "a new window counts from zero");
	ratelimit_free(&rl);
}

static void
test_full_table(void)
{
	struct ratelimit rl;
	char key[32];
	int i;

	CHECK_TRUE(ratelimit_init(&rl, 4, 1, 60) == 0, "init");
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "198.51.100.%d", i);
		CHECK_TRUE(ratelimit_hit(&rl, key, 10 + i) == 1, "first of each");
	}
	CHECK_TRUE(ratelimit_hit(&rl, "198.51.100.1", 20) == 0, "kept while room");
	CHECK_TRUE(ratelimit_hit(&rl, "203.0.113.9", 21) == 1,
	    "a new key takes the oldest slot");
	CHECK_TRUE(ratelimit_hit(&rl, "198.51.100.0", 22) == 1,
	    "the evicted key starts again");
	CHECK_TRUE(ratelimit_hit(&rl, "198.51.100.3", 23) == 0,
	    "a recent key keeps its count");
	ratelimit_free(&rl);
}

int
main(void)
{
	test_window();
	test_full_table();
	return check_done();
}
