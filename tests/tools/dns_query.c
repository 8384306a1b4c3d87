/*
 * dns_query.c: a test tool: look names up through common/dns.c, as the
 * relay does, and print one line per lookup:
 *
 *   dns_query [-s] SERVER ANCHOR NAME TYPE [NAME TYPE ...]
 *
 * SERVER is "ADDR@PORT", ANCHOR the trust anchor file, TYPE a number
 * (15 MX, 1 A, 28 AAAA, 16 TXT, 52 TLSA).  A line is "NAME TYPE rc
 * secure|insecure|bogus n truncated" (rc as dns_rc_name, blanks as '_').
 * With -s the lookups run under a seccomp allow-list of dns_syscalls
 * (dns.h) and what the tool itself needs (write, exit_group, memory):
 * any other system call kills it with SIGSYS, so test_dns.py proves the
 * list complete.  Trusts its arguments (tests only).
 */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/dns.h"
#include "common/privsep.h"

static struct dns_rrset rr;

static void
dns_query_sandbox(void)
{
	struct sandbox_rule rules[64] = {
		SANDBOX_ALLOW(write),		/* the answer lines */
		SANDBOX_ALLOW(exit_group),
		SANDBOX_ALLOW(brk),		/* malloc */
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_MADVISE(MADV_DONTNEED),
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET, 0)),
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0)),
	};
	size_t n = 8, i;

	for (i = 0; i < dns_nsyscalls && n < sizeof(rules) / sizeof(rules[0]);
	    i++)
		rules[n++] = (struct sandbox_rule){ .sc = dns_syscalls[i] };
	sandbox_limits(64, 0);
	sandbox_seccomp(rules, n, 1);
}

int
main(int argc, char **argv)
{
	struct dns_config c;
	struct dns *d;
	char err[512], line[512], rcname[64], *p;
	int i = 1, sandbox = 0, len;
	enum dns_rc rc;

	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		sandbox = 1;
		i++;
	}
	if (argc - i < 4 || (argc - i) % 2 != 0) {
		fprintf(stderr, "usage: dns_query [-s] server anchor name type "
		    "[name type ...]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.servers[0] = argv[i];
	c.nservers = 1;
	c.anchor_file = argv[i + 1];
	c.timeout_ms = 3000;
	if ((d = dns_open(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dns_query: %s\n", err);
		return 1;
	}
	if (sandbox)
		dns_query_sandbox();
	for (i += 2; i + 1 < argc; i += 2) {
		rc = dns_query(d, argv[i], (uint16_t)atoi(argv[i + 1]), &rr);
		(void)snprintf(rcname, sizeof(rcname), "%s", dns_rc_name(rc));
		for (p = rcname; *p != '\0'; p++)
			if (*p == ' ')
				*p = '_';
		len = snprintf(line, sizeof(line), "%s %s %s %s %zu %d\n",
		    argv[i], argv[i + 1], rcname, rc == DNS_BOGUS ? "bogus" :
		    rr.secure ? "secure" : "insecure", rr.n, rr.truncated);
		if (len < 0 || (size_t)len >= sizeof(line) ||
		    write(STDOUT_FILENO, line, (size_t)len) != len)
			_exit(1);
	}
	if (sandbox)
		_exit(0);
	dns_close(d);
	return 0;
}
