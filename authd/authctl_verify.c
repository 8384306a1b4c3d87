/*
 * authctl_verify.c: "authctl audit --verify [--syslog FILE]".  Walks the
 * audit log's hash chain, prints its length and the newest record's time
 * and hash (the one record the chain cannot vouch for: deleting records
 * from the head leaves a chain that holds) and, given a file holding the
 * syslog copies authd and authctl write (facility auth, "audit <first 16
 * hex digits of the record's hash> service=..."), checks the chain's tail
 * against it and names the first record the database lost.
 *
 * The rule: find the syslog line of the newest database record that has
 * one; every audit line after it whose record is not in the database was
 * lost (deleted, or changed and rehashed), and every database record newer
 * than it is vouched for by nothing.  Lines before it may name pruned
 * records and are not judged; the chain already vouches for the middle.
 *
 * Runs in authctl after the drop to the auth user, in one read
 * transaction; the file is opened before the drop (ctl_verify_open from
 * ctl_audit_prep: system logs are rarely readable by the auth user).  It
 * trusts the file no further than to be text: only lines holding the
 * audit pattern count, and what it echoes of them goes through ctl_vis.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "common/util.h"

#define VERIFY_PREFIX	16	/* hex digits of a hash in a syslog line */

/* One database record as the syslog copy names it.  An anchor stands for
 * the last record pruned before it, which had a syslog copy. */
struct verify_hash {
	uint64_t	prefix;
	int64_t		time_us;
	int		anchor;
};

struct verify {
	struct verify_hash *h;
	size_t		 n, cap;
	/* the scan of the syslog file */
	unsigned long	 line, naudit;
	int		 have_best;
	unsigned long	 best_line;	/* of the newest record found */
	int64_t		 best_time;
	unsigned long	 lost_line, nlost;	/* after best_line */
	char		*lost_text;	/* the first lost line, from "audit " */
};

static FILE	*verify_file;
static char	 verify_path[CONFIG_PATH_MAX];

int
ctl_verify_open(const char *path)
{
	if (verify_file != NULL)
		return 0;
	if (str_copy(verify_path, path, sizeof(verify_path)) == -1) {
		ctl_err("%s: path too long (at most %zu bytes)", ctl_vis(path),
		    sizeof(verify_path) - 1);
		return -1;
	}
	if ((verify_file = fopen(path, "re")) == NULL) {
		ctl_err("%s: %s", ctl_vis(path), strerror(errno));
		return -1;
	}
	return 0;
}

/* verify_hex: the first VERIFY_PREFIX lowercase hex digits at s; -1 when
 * they are not all there. */
static int
verify_hex(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < VERIFY_PREFIX; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			x = x << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			x = x << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

static int
verify_hash_cmp(const void *a, const void *b)
{
	const struct verify_hash *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return 0;
}

/* verify_collect: audit_each callback: one record's prefix and time. */
static int
verify_collect(void *arg, const struct audit_rec *rec)
{
	struct verify *v = arg;
	struct verify_hash *h;
	int anchor = strcmp(rec->result, "anchor") == 0;

	if (v->n == v->cap) {
		if ((h = reallocarray(v->h, v->cap ? v->cap * 2 : 1024,
		    sizeof(*h))) == NULL) {
			ctl_err("audit: out of memory");
			return -1;
		}
		v->h = h;
		v->cap = v->cap ? v->cap * 2 : 1024;
	}
	h = &v->h[v->n];
	if (verify_hex(anchor ? rec->prev : rec->hash, &h->prefix) == -1)
		return -1;
	h->time_us = rec->time_us;
	h->anchor = anchor;
	v->n++;
	return 0;
}

/* verify_find: the database record a syslog line names, or NULL. */
static const struct verify_hash *
verify_find(const struct verify *v, uint64_t prefix)
{
	struct verify_hash key = { prefix, 0, 0 };

	return v->n == 0 ? NULL :
	    bsearch(&key, v->h, v->n, sizeof(*v->h), verify_hash_cmp);
}

/* verify_audit_line: 1 and *prefix, *text when line is an audit line:
 * "audit " at its start or after a blank, 16 hex digits, " service=\"". */
static int
verify_audit_line(const char *line, uint64_t *prefix, const char **text)
{
	const char *p;

	for (p = line; (p = strstr(p, "audit ")) != NULL; p++)
		if ((p == line || p[-1] == ' ') &&
		    verify_hex(p + 6, prefix) == 0 &&
		    strncmp(p + 6 + VERIFY_PREFIX, " service=\"", 10) == 0) {
			*text = p;
			return 1;
		}
	return 0;
}

/* verify_line: judge one line of the file. */
static int
verify_line(struct verify *v, char *line)
{
	const struct verify_hash *h;
	const char *text;
	uint64_t prefix;

	v->line++;
	line[strcspn(line, "\n")] = '\0';
	if (!verify_audit_line(line, &prefix, &text))
		return 0;
	v->naudit++;
	if ((h = verify_find(v, prefix)) != NULL) {
		if (!v->have_best || h->time_us > v->best_time) {
			v->have_best = 1;
			v->best_time = h->time_us;
			v->best_line = v->line;
			v->nlost = 0;
			free(v->lost_text);
			v->lost_text = NULL;
		}
		return 0;
	}
	if (v->nlost++ == 0) {
		v->lost_line = v->line;
		if ((v->lost_text = strdup(text)) == NULL) {
			ctl_err("audit: out of memory");
			return -1;
		}
	}
	return 0;
}

static int
verify_scan(struct verify *v)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, verify_file) != -1)
		rc = verify_line(v, line);
	if (rc == 0 && ferror(verify_file)) {
		ctl_err("%s: read error", ctl_vis(verify_path));
		rc = -1;
	}
	free(line);
	return rc;
}

/* verify_unvouched: database records newer than the newest one the file
 * holds; *from gets the oldest of them. */
static size_t
verify_unvouched(const struct verify *v, int64_t *from)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		if (!v->h[i].anchor && (!v->have_best ||
		    v->h[i].time_us > v->best_time)) {
			if (n++ == 0 || v->h[i].time_us < *from)
				*from = v->h[i].time_us;
		}
	return n;
}

/* verify_report: the verdict on the tail; CTL_OK or CTL_ERR. */
static int
verify_report(const struct verify *v)
{
	const char *path = ctl_vis(verify_path);
	char t[CTL_TIME_MAX + 8];
	int64_t from = 0;
	size_t n;

	if (v->naudit == 0 && v->n > 0) {
		ctl_err("audit: %s holds no audit lines (\"audit <hash> "
		    "service=...\", facility auth): it cannot vouch for the "
		    "newest record", path);
		return CTL_ERR;
	}
	if (!v->have_best && v->naudit > 0) {
		ctl_err("audit: none of the %lu audit lines in %s names a record "
		    "in the database: the database lost or changed every one "
		    "of them, or the file is another server's log; the first "
		    "is at %s:%lu: %s", v->naudit, path, path, v->lost_line,
		    ctl_vis(v->lost_text));
		return CTL_ERR;
	}
	if (v->nlost > 0) {
		ctl_err("audit: the database lost %lu record%s that %s holds "
		    "after its copy of the newest record kept (line %lu); the "
		    "first is at %s:%lu: %s", v->nlost, v->nlost == 1 ? "" :
		    "s", path, v->best_line, path, v->lost_line,
		    ctl_vis(v->lost_text));
		return CTL_ERR;
	}
	if ((n = verify_unvouched(v, &from)) > 0) {
		ctl_time_us(from, t, sizeof(t));
		ctl_err("audit: the newest %zu record%s (from %s) %s no copy in "
		    "%s: nothing vouches for %s (the file ends before them, or "
		    "they were written into the database by hand)", n,
		    n == 1 ? "" : "s", t, n == 1 ? "has" : "have", path,
		    n == 1 ? "it" : "them");
		return CTL_ERR;
	}
	if (v->have_best)
		printf("syslog copy: %s line %lu vouches for the newest record; "
		    "no later audit line is missing from the database\n", path,
		    v->best_line);
	else
		printf("syslog copy: %s holds no audit lines, and the database "
		    "no records\n", path);
	return CTL_OK;
}

/* verify_tail: the chain's tail against the syslog file, in txn. */
static int
verify_tail(struct ctl *c, MDB_txn *txn)
{
	struct verify v;
	int rc = CTL_ERR;

	memset(&v, 0, sizeof(v));
	if (audit_each(&c->db, txn, 0, verify_collect, &v) == -1)
		ctl_err("audit: cannot read the audit log");
	else {
		if (v.n > 0)
			qsort(v.h, v.n, sizeof(*v.h), verify_hash_cmp);
		if (verify_scan(&v) == 0)
			rc = verify_report(&v);
	}
	free(v.h);
	free(v.lost_text);
	return rc;
}

/* verify_chain: audit_verify, its verdict and the head; CTL_* status. */
static int
verify_chain(struct ctl *c, MDB_txn *txn)
{
	struct audit_rec *head;
	char t[CTL_TIME_MAX + 8], *msg = NULL;
	size_t len = 0;
	FILE *f;
	long n;

	if ((head = malloc(sizeof(*head))) == NULL ||
	    (f = open_memstream(&msg, &len)) == NULL) {
		free(head);
		ctl_err("audit: out of memory");
		return CTL_ERR;
	}
	n = audit_verify(&c->db, txn, f, head);
	fclose(f);
	if (n >= 0) {
		printf("audit chain verified: %ld records\n", n);
		if (n > 0) {
			ctl_time_us(head->time_us, t, sizeof(t));
			printf("newest record: %s %s\n", t, head->hash);
		}
	} else {
		if (len > 0 && msg[len - 1] == '\n')
			msg[len - 1] = '\0';
		ctl_err("%s", len > 0 ? msg : "audit chain broken");
	}
	free(msg);
	free(head);
	return n >= 0 ? CTL_OK : CTL_ERR;
}

int
ctl_verify(struct ctl *c, const char *path)
{
	MDB_txn *txn;
	int rc;

	if (path != NULL && ctl_verify_open(path) == -1)
		return CTL_ERR;
	if (ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	rc = verify_chain(c, txn);
	if (rc == CTL_OK && path != NULL) {
		if (fflush(stdout) == EOF)
			rc = CTL_ERR;
		else
			rc = verify_tail(c, txn);
	}
	db_abort(txn);
	return rc;
}
