/*
 * dns.h: the resolver (libunbound, in process, blocking, DNSSEC-validating)
 * and the lookup function the mail-authentication code (SPF, DKIM, DMARC,
 * MTA-STS) and the relay use.  Runs in the relay and check roles.
 *
 * Why blocking: each role is a small pool of processes under seccomp, with
 * neither fork nor threads allowed; libunbound's asynchronous mode needs
 * one or the other, its blocking ub_resolve needs neither.  A process
 * resolves for one job at a time; the pool gives the parallelism.
 *
 * Every answer is hostile data: rdata stays raw bytes here and is read only
 * by dnsrr.h's bounded parsers.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_T_A		1
#define DNS_T_NS	2
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

#define DNS_NAME_MAX	253		/* text form, without the final dot */
#define DNS_RR_MAX	32		/* records kept per answer */
#define DNS_RRSET_BUF	16384		/* rdata bytes kept per answer */

/* How a lookup ended.  DNS_TEMP: SERVFAIL, timeout, no server; DNS_BOGUS:
 * DNSSEC validation failed (treat as DNS_TEMP, and never as "no record"). */
enum dns_rc {
	DNS_OK = 0,	/* n >= 1 records of the type asked */
	DNS_NODATA,	/* the name exists, no record of that type */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_TEMP,
	DNS_BOGUS
};

/* One answer: the rdata of up to DNS_RR_MAX records (more are dropped, and
 * truncated set), in the order the server gave them; secure: DNSSEC
 * validated (the whole chain from a trust anchor). */
struct dns_rrset {
	enum dns_rc	 rc;
	int		 secure;
	int		 truncated;
	uint16_t	 type;
	size_t		 n;
	const unsigned char *rdata[DNS_RR_MAX];	/* into buf */
	uint16_t	 len[DNS_RR_MAX];
	/* DNS_BOGUS, DNS_TEMP (and a name that is no domain name): why, in
	 * words, for a log line or authctl; "" when nothing more is known. */
	char		 why[256];
	unsigned char	 buf[DNS_RRSET_BUF];
};

/*
 * dns_lookup_fn: one query.  name is a domain in text form (no trailing
 * dot needed), type a DNS_T_*.  Fills *out (out->rc is also returned).
 * The code that looks names up takes this and an argument, so that its
 * unit tests can answer from a table and production from dns_query.
 */
typedef enum dns_rc (*dns_lookup_fn)(void *arg, const char *name,
    uint16_t type, struct dns_rrset *out);

/*
 * A deadline over a series of lookups (the check role's time for one
 * message): dns_deadline_query is a dns_lookup_fn whose arg is a struct
 * dns_deadline.  Before each question it reads the clock; while the
 * clock is before until it asks lookup(arg) and returns its answer; from
 * until on it asks nothing, answers DNS_TEMP (why: "the time allowed for
 * the checks ran out") at once and counts the question in skipped.  A
 * question already asked is not cut short: libunbound's blocking lookup
 * has no deadline of its own (dns_config.timeout_ms bounds it).  clock:
 * milliseconds on the scale of until; NULL: mono_ms (util.h).  Nothing
 * is allocated; the caller owns the structure.
 */
struct dns_deadline {
	dns_lookup_fn	 lookup;
	void		*arg;
	int64_t		 until;
	int64_t		(*clock)(void);
	unsigned	 skipped;	/* questions not asked */
};

enum dns_rc dns_deadline_query(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out);

struct dns;

/* The resolver's settings (postern.conf: "dns server", "dns trust
 * anchor"). */
#define DNS_SERVERS_MAX		4	/* "dns server" statements */
#define DNS_SERVER_LEN		64	/* "ADDR@PORT", its NUL included */

struct dns_config {
	/* Forward every query to these ("ADDR" or "ADDR@PORT"), validating
	 * the answers ourselves; none: recurse from the root hints. */
	const char	*servers[DNS_SERVERS_MAX];
	size_t		 nservers;
	/* Trust anchors in DS or DNSKEY zone-file form, one per line, e.g.
	 * /usr/share/dns/root.key; NULL: that file.  Blank lines and lines
	 * starting with ';' or '#' are skipped; a line is at most 8190
	 * bytes. */
	const char	*anchor_file;
	/* Per lookup; 0: 10,000.  Approximate: libunbound has no deadline in
	 * blocking mode, so this caps the wait for one server at a quarter
	 * of it (infra-cache-max-rtt) and a query at 8 packets; a lookup
	 * that no server answers ends in about half of it (measured). */
	unsigned	 timeout_ms;
};

/*
 * dns_open: a resolver.  Reads the trust anchor file now (call it before
 * the chroot) and sets libunbound up completely (no resolv.conf, no hosts
 * file, built-in root hints, nothing written); later lookups touch no
 * file.  NULL with the reason in err (one line, for the administrator):
 * the anchor file unreadable or without a record, an anchor libunbound
 * refuses, a server that is not "ADDR[@PORT]", more than 4 servers.
 * dns_close frees it (NULL is fine).
 */
struct dns *dns_open(const struct dns_config *c, char *err, size_t errlen);
void	dns_close(struct dns *d);

struct config;
/*
 * dns_open_config: dns_open with the settings of postern.conf's "dns
 * server" and "dns trust anchor" statements, and timeout_ms per lookup
 * (0: the default); what the relay, the check role and authctl use.
 */
struct dns *dns_open_config(const struct config *cfg, unsigned timeout_ms,
    char *err, size_t errlen);

/*
 * dns_query: the dns_lookup_fn of a resolver (arg is the struct dns *).
 * Blocks until the answer or the timeout.  A name longer than
 * DNS_NAME_MAX (a final dot aside) or that libunbound cannot parse is
 * DNS_NXDOMAIN (it cannot exist).  DNS_TEMP also when not one record of
 * the answer fits DNS_RRSET_BUF.  out->secure is also set for DNS_NODATA
 * and DNS_NXDOMAIN (a validated denial).  Keeps an answer cache between
 * calls (a few megabytes, libunbound's TTL rules).
 */
enum dns_rc dns_query(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out);

/*
 * dns_syscalls: the system calls dns_query makes after dns_open, beyond
 * memory (brk, mmap, munmap, madvise: malloc's, which every role's
 * allow-list has already, with its argument filters), for the seccomp
 * allow-list of a role that resolves; dns_nsyscalls entries, __NR_*
 * numbers.  Traced with strace on libunbound 1.17.1, forwarding over UDP
 * and TCP, answers secure, insecure, bogus, NXDOMAIN and none at all, and
 * checked by tests/tools/dns_query -s (test_dns.py), which resolves under
 * exactly this list and kills itself on any other call.  Each lookup
 * builds a fresh event base (epoll_create1, pipe2, closed again), takes
 * randomness for query ids and ports (getrandom), asks libevent's
 * set-uid check (get*id), and talks DNS on sockets of its own: socket
 * (AF_INET or AF_INET6, SOCK_DGRAM or SOCK_STREAM), bind to a random
 * port, connect, sendto/recvfrom, TCP via sendmsg(MSG_FASTOPEN) or
 * writev, getsockopt(SO_ERROR), fcntl(O_NONBLOCK), close.  No file is
 * opened.  A lookup a forwarder did not answer in time makes a new
 * context (dns_query): socketpair, getpid.  socket is NOT in the list:
 * the caller allows it for AF_INET and AF_INET6 only, with an argument
 * filter (an unconditional entry here would override it).
 */
extern const int dns_syscalls[];
extern const size_t dns_nsyscalls;

/* dns_rc_name: "ok", "nodata", "nxdomain", "temporary failure",
 * "DNSSEC validation failed". */
const char *dns_rc_name(enum dns_rc rc);

#endif
