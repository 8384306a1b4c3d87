/*
 * test_admission.c: unit test of common/admission.c: the per-address and
 * per-network limits of unauthenticated connections, the random early
 * drop between startups and full, the known-address pool that a flood
 * cannot fill, the session limits in all and per (user, address), and
 * slots coming free.  Runs as a plain program; it is the test.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/admission.h"
#include "tests/unit/check.h"

static const struct admission_limits base = {
	.per_address = 3, .per_network = 5, .startups = 8, .rate = 30,
	.full = 16, .sessions = 4, .per_user = 2, .known_ttl = 100,
};

/* open_one: check, then add under id when admitted; the verdict. */
static int
open_one(struct admission *a, long id, const char *address, int64_t now,
    uint32_t rnd)
{
	int v = admission_check(a, address, now, rnd);

	if (v == ADMIT_OK && admission_add(a, id, address, now) == -1)
		return -1;
	return v;
}

static void
test_init(void)
{
	struct admission a;
	struct admission_limits l = base;

	l.startups = l.full + 1;
	CHECK_INT_EQ(admission_init(&a, &l), -1, "startups > full refused");
	CHECK_INT_EQ(errno, EINVAL, "EINVAL");
	l = base;
	l.rate = 101;
	CHECK_INT_EQ(admission_init(&a, &l), -1, "rate > 100 refused");
	l = base;
	l.per_user = 0;
	CHECK_INT_EQ(admission_init(&a, &l), -1, "per_user 0 refused");
	CHECK_INT_EQ(admission_init(&a, &base), 0, "base limits accepted");
	CHECK_INT_EQ(a.maxslots, 2 * 16 + 4, "slots: two pools + sessions");
	CHECK_INT_EQ(admission_check(&a, "not-an-address", 0, 0),
	    ADMIT_INVALID, "a name is not an address");
	CHECK_INT_EQ(admission_add(&a, 0, "10.0.0.1", 0), -1, "id 0 refused");
	admission_free(&a);
}

static void
test_address_network(void)
{
	struct admission a;
	int i;

	(void)admission_init(&a, &base);
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(open_one(&a, 1 + i, "10.0.0.1", 0, 0), ADMIT_OK,
		    "within the per-address limit");
	CHECK_INT_EQ(open_one(&a, 9, "10.0.0.1", 0, 0), ADMIT_ADDRESS,
	    "fourth from one address refused");
	CHECK_INT_EQ(admission_add(&a, 1, "10.0.0.2", 0), -1,
	    "an id in use is refused");
	CHECK_INT_EQ(open_one(&a, 4, "10.0.0.2", 0, 0), ADMIT_OK, "same /24");
	CHECK_INT_EQ(open_one(&a, 5, "10.0.0.3", 0, 0), ADMIT_OK, "same /24");
	CHECK_INT_EQ(open_one(&a, 6, "10.0.0.4", 0, 0), ADMIT_NETWORK,
	    "sixth from one /24 refused");
	CHECK_INT_EQ(open_one(&a, 6, "10.0.1.4", 0, 0), ADMIT_OK,
	    "the next /24 is another network");
	admission_remove(&a, 1);
	CHECK_INT_EQ(open_one(&a, 7, "10.0.0.1", 0, 0), ADMIT_OK,
	    "a slot comes free when its connection ends");
	admission_remove(&a, 12345);
	CHECK_INT_EQ(a.unknown, 6, "removing an unknown id changes nothing");
	/* Past startups now: rnd 99 is never dropped below full. */

	CHECK_INT_EQ(open_one(&a, 20, "2001:db8::1", 0, 99), ADMIT_OK, "v6");
	CHECK_INT_EQ(open_one(&a, 21, "2001:db8::2", 0, 99), ADMIT_OK, "v6");
	CHECK_INT_EQ(open_one(&a, 22, "2001:db8::3", 0, 99), ADMIT_OK, "v6");
	CHECK_INT_EQ(open_one(&a, 23, "2001:db8::4", 0, 99), ADMIT_OK, "v6");
	CHECK_INT_EQ(open_one(&a, 24, "2001:db8::ffff:5", 0, 99),
	    ADMIT_OK, "v6");
	CHECK_INT_EQ(open_one(&a, 25, "2001:db8::6", 0, 99), ADMIT_NETWORK,
	    "sixth from one /64 refused");
	CHECK_INT_EQ(open_one(&a, 25, "2001:db8:0:1::6", 0, 99), ADMIT_OK,
	    "the next /64 is another network");
	admission_free(&a);
}

/* fill: n unknown connections from distinct /24s, ids from first. */
static void
fill(struct admission *a, int n, long first)
{
	char addr[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "172.%d.%d.1", 16 + i / 256,
		    i % 256);
		(void)admission_add(a, first + i, addr, 0);
	}
}

static void
test_early_drop(void)
{
	struct admission a;
	uint32_t r;
	int dropped, i;

	(void)admission_init(&a, &base);
	fill(&a, 7, 1);
	for (r = 0; r < 100; r++)
		CHECK_TRUE(admission_check(&a, "192.0.2.1", 0, r) == ADMIT_OK,
		    "below startups nothing is dropped");
	fill(&a, 1, 100);
	for (dropped = 0, r = 0; r < 100; r++)
		dropped += admission_check(&a, "192.0.2.1", 0, r) == ADMIT_DROP;
	CHECK_INT_EQ(dropped, 30, "at startups: rate percent dropped");
	fill(&a, 4, 200);
	for (dropped = 0, r = 0; r < 100; r++)
		dropped += admission_check(&a, "192.0.2.1", 0, r) == ADMIT_DROP;
	CHECK_INT_EQ(dropped, 30 + 70 * 4 / 8, "halfway: rising linearly");
	fill(&a, 3, 300);
	for (dropped = 0, r = 0; r < 100; r++)
		dropped += admission_check(&a, "192.0.2.1", 0, r) == ADMIT_DROP;
	CHECK_INT_EQ(dropped, 30 + 70 * 7 / 8, "one below full");
	fill(&a, 1, 400);
	CHECK_INT_EQ(a.unknown, 16, "full");
	for (i = 0, r = 0; r < 100; r++)
		i += admission_check(&a, "192.0.2.1", 0, r) == ADMIT_FULL;
	CHECK_INT_EQ(i, 100, "at full everything is refused");
	CHECK_INT_EQ(admission_add(&a, 999, "192.0.2.1", 0), -1,
	    "add past full is a caller bug");
	admission_free(&a);
}

static void
test_known(void)
{
	struct admission a;
	int i;

	(void)admission_init(&a, &base);
	CHECK_INT_EQ(open_one(&a, 1, "10.0.0.1", 0, 0), ADMIT_OK, "owner");
	CHECK_INT_EQ(admission_login(&a, 1, "alice@example.test", 0),
	    ADMIT_OK, "owner logs in");
	admission_remove(&a, 1);
	/* A flood from the owner's own /24 and from everywhere else. */
	for (i = 0; i < 5; i++)
		(void)open_one(&a, 10 + i, i < 3 ? "10.0.0.2" : "10.0.0.3", 0,
		    0);
	fill(&a, 16, 100);
	CHECK_INT_EQ(open_one(&a, 50, "10.0.0.9", 0, 0), ADMIT_NETWORK,
	    "a stranger in the owner's /24 is refused");
	CHECK_INT_EQ(open_one(&a, 50, "192.0.2.1", 0, 0), ADMIT_FULL,
	    "a stranger elsewhere is refused");
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(open_one(&a, 60 + i, "10.0.0.1", 10, 99),
		    ADMIT_OK, "the known owner is admitted");
	CHECK_INT_EQ(open_one(&a, 63, "10.0.0.1", 10, 99), ADMIT_ADDRESS,
	    "the owner keeps the per-address limit");
	CHECK_INT_EQ(a.known, 3, "counted in the known pool");
	admission_remove(&a, 60);
	CHECK_INT_EQ(open_one(&a, 64, "10.0.0.1", 101, 99), ADMIT_NETWORK,
	    "known expires after known_ttl");
	admission_free(&a);

	(void)admission_init(&a, &base);
	(void)open_one(&a, 1, "2001:db8::1", 0, 0);
	(void)admission_login(&a, 1, "alice@example.test", 0);
	for (i = 0; i < 5; i++)
		(void)open_one(&a, 10 + i, "2001:db8::1:2", 0, i);
	CHECK_INT_EQ(open_one(&a, 20, "2001:db8::77", 0, 0), ADMIT_OK,
	    "IPv6: the known /64, any address in it");
	admission_free(&a);
}

static void
test_sessions(void)
{
	struct admission a;

	(void)admission_init(&a, &base);
	(void)open_one(&a, 1, "10.0.0.1", 0, 0);
	(void)open_one(&a, 2, "10.0.0.1", 0, 0);
	(void)open_one(&a, 3, "10.0.0.1", 0, 0);
	CHECK_INT_EQ(admission_login(&a, 1, "alice@x", 0), ADMIT_OK, "1st");
	CHECK_INT_EQ(admission_login(&a, 1, "alice@x", 0), ADMIT_INVALID,
	    "a session cannot log in twice");
	CHECK_INT_EQ(admission_login(&a, 2, "alice@x", 0), ADMIT_OK, "2nd");
	CHECK_INT_EQ(admission_login(&a, 3, "alice@x", 0), ADMIT_USER,
	    "third of one user from one address refused");
	CHECK_INT_EQ(a.unknown + a.known, 1, "it stays unauthenticated");
	CHECK_INT_EQ(open_one(&a, 4, "10.0.0.1", 0, 0), ADMIT_OK,
	    "sessions leave the per-address budget");
	CHECK_INT_EQ(admission_login(&a, 3, "bob@x", 0), ADMIT_OK,
	    "another user from the same address");
	CHECK_INT_EQ(admission_login(&a, 4, "carol@x", 0), ADMIT_OK, "4th");
	(void)open_one(&a, 5, "10.0.0.9", 0, 0);
	CHECK_INT_EQ(admission_login(&a, 5, "dave@x", 0), ADMIT_SESSIONS,
	    "sessions in all");
	admission_remove(&a, 2);
	CHECK_INT_EQ(admission_login(&a, 5, "dave@x", 0), ADMIT_OK,
	    "a session comes free when it ends");
	CHECK_INT_EQ(admission_login(&a, 77, "x@x", 0), ADMIT_INVALID,
	    "unknown id");
	CHECK_INT_EQ(a.sessions, 4, "four sessions");
	admission_free(&a);
}

static void
test_verdicts(void)
{
	int v;

	for (v = ADMIT_OK; v <= ADMIT_INVALID; v++)
		CHECK_TRUE(strcmp(admission_verdict(v), "unknown verdict") != 0,
		    "every verdict has a phrase");
	CHECK_STR_EQ(admission_verdict(-1), "unknown verdict", "bad verdict");
}

int
main(void)
{
	test_init();
	test_address_network();
	test_early_drop();
	test_known();
	test_sessions();
	test_verdicts();
	return check_done();
}
