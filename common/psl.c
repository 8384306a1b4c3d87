/*
 * psl.c: the Public Suffix List (psl.h).  Loaded before the chroot of the
 * check role: every rule goes into one string arena and one array sorted
 * by (name, kind), searched with bsearch for each suffix of a domain.
 * The file is bounded (size, line, rule count) and every rule checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/psl.h"
#include "common/punycode.h"

enum psl_kind { PSL_NORMAL, PSL_WILDCARD, PSL_EXCEPTION };

struct psl_rule {
	uint32_t	 off;		/* into arena: the name without "*." or "!" */
	uint8_t		 kind;
};

struct psl {
	char		*arena;
	size_t		 arena_len, arena_cap;
	struct psl_rule	*rule;
	size_t		 n, cap;
};

static int
psl_rule_cmp(const void *a, const void *b, void *arena)
{
	const struct psl_rule *x = a, *y = b;
	const char *s = arena;
	int c = strcmp(s + x->off, s + y->off);

	if (c != 0)
		return c;
	return (int)x->kind - (int)y->kind;
}

static int
psl_add(struct psl *p, const char *name, size_t len, enum psl_kind kind)
{
	size_t need = len + 1;

	if (p->n == PSL_RULES_MAX)
		return -1;
	if (p->n == p->cap) {
		size_t cap = p->cap == 0 ? 8192 : p->cap * 2;
		struct psl_rule *r = reallocarray(p->rule, cap, sizeof(*r));

		if (r == NULL)
			return -1;
		p->rule = r;
		p->cap = cap;
	}
	if (need > p->arena_cap - p->arena_len) {
		size_t cap = p->arena_cap == 0 ? 262144 : p->arena_cap * 2;
		char *a;

		while (cap - p->arena_len < need)
			cap *= 2;
		if (cap > UINT32_MAX || (a = realloc(p->arena, cap)) == NULL)
			return -1;
		p->arena = a;
		p->arena_cap = cap;
	}
	memcpy(p->arena + p->arena_len, name, len);
	p->arena[p->arena_len + len] = '\0';
	p->rule[p->n].off = (uint32_t)p->arena_len;
	p->rule[p->n].kind = (uint8_t)kind;
	p->arena_len += need;
	p->n++;
	return 0;
}

/* A rule name (after "*." or "!"): labels of 1..63 bytes, no blank or
 * control byte, no further '*' or '!'; ASCII letters lowered in place. */
static int
psl_rule_ok(char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > DNS_NAME_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '*' || c == '!')
			return 0;
		if (c >= 'A' && c <= 'Z')
			s[i] = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	return 1;
}

/* The A-label form of a rule with UTF-8 labels; 0 when it has none
 * (*out untouched), 1 when made, -1 when a label cannot be encoded. */
static int
psl_rule_alabel(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, o = 0, l;
	int utf8 = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			utf8 = 1;
	if (!utf8)
		return 0;
	for (i = 0; i < len; i += l + 1) {
		int n;

		l = strcspn(s + i, ".");
		if (l > len - i)
			l = len - i;
		if (o > 0) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '.';
		}
		if ((n = punycode_label(s + i, l, out + o, cap - o)) < 0)
			return -1;
		o += (size_t)n;
	}
	return o > DNS_NAME_MAX ? -1 : 1;
}

static int
psl_line(struct psl *p, char *line, size_t len)
{
	char alabel[DNS_NAME_MAX + 1];
	enum psl_kind kind = PSL_NORMAL;
	size_t skip = 0;
	int rc;

	len = strcspn(line, " \t\r");
	if (len == 0 || (len >= 2 && line[0] == '/' && line[1] == '/'))
		return 0;
	if (line[0] == '!') {
		kind = PSL_EXCEPTION;
		skip = 1;
	} else if (len >= 2 && line[0] == '*' && line[1] == '.') {
		kind = PSL_WILDCARD;
		skip = 2;
	}
	line += skip;
	len -= skip;
	if (!psl_rule_ok(line, len) || (kind == PSL_EXCEPTION &&
	    memchr(line, '.', len) == NULL))
		return -1;
	if (psl_add(p, line, len, kind) == -1)
		return -2;
	if ((rc = psl_rule_alabel(line, len, alabel, sizeof(alabel))) == -1)
		return -1;
	if (rc == 1 && psl_add(p, alabel, strlen(alabel), kind) == -1)
		return -2;
	return 0;
}

struct psl *
psl_parse(const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
	char line[512];
	struct psl *p;
	size_t pos = 0, l, lineno = 0;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		l = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		lineno++;
		if (l >= sizeof(line) || memchr(buf + pos, '\0', l) != NULL) {
			snprintf(err, errlen, "%s:%zu: line too long or holds "
			    "a NUL", name, lineno);
			goto fail;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if ((rc = psl_line(p, line, l)) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", name, lineno,
			    rc == -1 ? "malformed rule" :
			    "too many rules or out of memory");
			goto fail;
		}
	}
	if (p->n > 0)
		qsort_r(p->rule, p->n, sizeof(*p->rule), psl_rule_cmp, p->arena);
	return p;
fail:
	psl_free(p);
	return NULL;
}

struct psl *
psl_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct psl *p = NULL;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)PSL_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u "
		    "bytes", path, PSL_FILE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: %s", path, r == 0 ?
			    "shorter than its size" : strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	p = psl_parse(buf, got, path, err, errlen);
out:
	free(buf);
	close(fd);
	return p;
}

void
psl_free(struct psl *p)
{
	if (p == NULL)
		return;
	free(p->arena);
	free(p->rule);
	free(p);
}

size_t
psl_count(const struct psl *p)
{
	return p->n;
}

static int
psl_has(const struct psl *p, const char *name, enum psl_kind kind)
{
	size_t lo = 0, hi = p->n;
	int c;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		c = strcmp(name, p->arena + p->rule[mid].off);
		if (c == 0)
			c = (int)kind - (int)p->rule[mid].kind;
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* The domain lowercased into buf, no final dot; the number of labels and
 * the offset where each starts.  -1 when it is no domain name. */
static int
psl_split(const char *domain, char buf[DNS_NAME_MAX + 1], size_t *nlabels,
    size_t start[DNS_NAME_MAX / 2 + 1])
{
	size_t len = strlen(domain), i, label = 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return -1;
	*nlabels = 0;
	for (i = 0; i < len; i++) {
		char c = domain[i];

		if (c == '\0')
			return -1;
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (label++ == 0)
			start[(*nlabels)++] = i;
		if (label > 63)
			return -1;
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (label == 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

/* The number of labels of the public suffix (RFC 7489 3.2, the list's
 * algorithm: an exception wins, else the longest match, else one). */
static size_t
psl_suffix_labels(const struct psl *p, const char *d, size_t n,
    const size_t *start)
{
	size_t k, best = 1;

	for (k = n; k >= 1; k--) {
		const char *s = d + start[n - k];

		if (psl_has(p, s, PSL_EXCEPTION))
			return k - 1;
		if (k > best && (psl_has(p, s, PSL_NORMAL) || (k >= 2 &&
		    psl_has(p, d + start[n - k + 1], PSL_WILDCARD))))
			best = k;
	}
	return best;
}

int
psl_public_suffix(const struct psl *p, const char *domain,
    char out[DNS_NAME_MAX + 1])
{
	char d[DNS_NAME_MAX + 1];
	size_t start[DNS_NAME_MAX / 2 + 1], n, k;

	if (psl_split(domain, d, &n, start) == -1)
		return -1;
	k = psl_suffix_labels(p, d, n, start);
	if (k == 0)
		k = 1;
	memcpy(out, d + start[n - k], strlen(d + start[n - k]) + 1);
	return 0;
}

int
psl_org_domain(const struct psl *p, const char *domain,
    char out[DNS_NAME_MAX + 1])
{
	char d[DNS_NAME_MAX + 1];
	size_t start[DNS_NAME_MAX / 2 + 1], n, k;

	if (psl_split(domain, d, &n, start) == -1)
		return -1;
	k = psl_suffix_labels(p, d, n, start) + 1;
	if (k > n)
		k = n;
	memcpy(out, d + start[n - k], strlen(d + start[n - k]) + 1);
	return 0;
}
