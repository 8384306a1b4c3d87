/*
 * parse_seq.c: walking a parsed sequence set (see parse.h): ranges in
 * the client's order, a membership test, and a sorted, merged form for
 * many tests.  Runs in imapd's mail process on a set the parser has
 * already validated (imap_lex_seqset), so the text holds only digits,
 * "*", ":" and ","; nothing is ever expanded to its members.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "imapd/parse.h"

void
imap_seq_iter_init(struct imap_seq_iter *it, const struct imap_seqset *set,
    uint32_t max)
{
	it->p = set->p;
	it->end = set->saved || set->p == NULL ? set->p : set->p + set->len;
	it->max = max;
}

/* imap_seq_num: one seq-number at it->p ("*" or digits). */
static uint32_t
imap_seq_num(struct imap_seq_iter *it)
{
	uint64_t v = 0;

	if (*it->p == '*') {
		it->p++;
		return it->max;
	}
	while (it->p < it->end && *it->p >= '0' && *it->p <= '9') {
		v = v * 10 + (uint64_t)(*it->p - '0');
		if (v > UINT32_MAX)
			v = UINT32_MAX;
		it->p++;
	}
	return (uint32_t)v;
}

int
imap_seq_next(struct imap_seq_iter *it, uint32_t *lo, uint32_t *hi)
{
	uint32_t a, b;

	if (it->p == NULL || it->p >= it->end)
		return 0;
	a = b = imap_seq_num(it);
	if (it->p < it->end && *it->p == ':') {
		it->p++;
		b = imap_seq_num(it);
	}
	if (it->p < it->end && *it->p == ',')
		it->p++;
	*lo = a < b ? a : b;
	*hi = a < b ? b : a;
	return 1;
}

int
imap_seq_contains(const struct imap_seqset *set, uint32_t max, uint32_t n)
{
	struct imap_seq_iter it;
	uint32_t lo, hi;

	imap_seq_iter_init(&it, set, max);
	while (imap_seq_next(&it, &lo, &hi))
		if (n >= lo && n <= hi)
			return 1;
	return 0;
}

static int
imap_range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

long
imap_seq_ranges(const struct imap_seqset *set, uint32_t max,
    struct imap_range *out, size_t outmax)
{
	struct imap_seq_iter it;
	uint32_t lo, hi;
	size_t n = 0, i, m;

	imap_seq_iter_init(&it, set, max);
	while (imap_seq_next(&it, &lo, &hi)) {
		if (n == outmax)
			return -1;
		out[n].lo = lo;
		out[n++].hi = hi;
	}
	if (n == 0)
		return 0;
	qsort(out, n, sizeof(out[0]), imap_range_cmp);
	for (i = 1, m = 0; i < n; i++) {
		/* Merge overlapping and adjacent ranges. */
		if (out[i].lo <= out[m].hi ||
		    (out[m].hi < UINT32_MAX && out[i].lo == out[m].hi + 1)) {
			if (out[i].hi > out[m].hi)
				out[m].hi = out[i].hi;
		} else
			out[++m] = out[i];
	}
	return (long)(m + 1);
}

int
imap_ranges_contains(const struct imap_range *r, size_t nr, uint32_t n)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n < r[mid].lo)
			hi = mid;
		else if (n > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}
