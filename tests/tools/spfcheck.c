/*
 * spfcheck.c: a test program (never installed): evaluates SPF with our
 * code (common/spf.h) against a table DNS read from a file of records
 * (tests/tools/dnstable.h), so tests/integration/test_spf.py can give
 * the same table to an independent implementation and compare.
 *
 *     spfcheck RECORDS IP SENDER HELO
 *
 * SENDER "" is the null sender (the HELO identity is checked).  Prints
 * the result word ("pass", "permerror", ...), a tab and the reason, and
 * exits 0; 2 on a usage error.  Trusts its caller.
 */
#include <stdio.h>

#include "common/spf.h"
#include "tests/tools/dnstable.h"

int
main(int argc, char *argv[])
{
	struct dnstable *t;
	struct spf_outcome o;
	char err[256];

	if (argc != 5) {
		fprintf(stderr, "usage: spfcheck RECORDS IP SENDER HELO\n");
		return 2;
	}
	if ((t = dnstable_new()) == NULL ||
	    dnstable_load(t, argv[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "spfcheck: %s\n", t == NULL ? "no memory" : err);
		return 2;
	}
	spf_check(dnstable_lookup, t, argv[2], argv[3], argv[4],
	    "mx.example.net", &o);
	printf("%s\t%s\n", spf_result_name(o.result), o.reason);
	dnstable_free(t);
	return 0;
}
