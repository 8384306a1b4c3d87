/*
 * relay_run.c: the relay role under test, without the rest of smtpd: it
 * plays the queue for one job, and answers DNS from its command line, so
 * that the real relay process (its sandbox, its SMTP client, real TCP)
 * delivers to a real server on loopback.  Test tool only; trusts its
 * arguments.
 *
 *   relay_run -f CONF -m FILE -d DOMAIN [-s SENDER] [-8] [-r DIR] [-D]
 *             [-n JOBS] [-T MS] [-F MS] [-x NAME=PREF:HOST]...
 *             [-a HOST=ADDR]... RCPT...
 *
 * -x adds an MX record (HOST "." for a null MX), -a an A or AAAA record;
 * a name with no record at all is NXDOMAIN, one with records of another
 * type NODATA.  -D asks the relay's resolver instead ("dns server" and
 * "dns trust anchor" of CONF), as relay_main does.  The relay runs as
 * smtpd's relay processes do, chdir'ed into DIR (-r; development mode:
 * no chroot, the sandbox still applies).  Prints one line per recipient
 * ("RESULT status code dsn text") and one for DONE ("DONE host addr
 * dest_down policy tls"), then "EXIT n" with the relay's exit status
 * once it saw the queue hang up.  "relay ca file" is loaded as the relay
 * loads it.  -n gives the same job JOBS times (default 1) to the one
 * relay process, one after the other, as the queue gives a relay process
 * job after job (its MTA-STS cache lives that long).  -T and -F shorten
 * what relay_main sets to RELAY_SESSION_MS and RELAY_STS_FETCH_MS (the
 * fixed part of a host's session bound, the whole MTA-STS fetch), so
 * that a test sees them pass in seconds.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/queueproto.h"
#include "smtpd/relay.h"
#include "smtpd/relay_dns.h"
#include "smtpd/relay_tls.h"

#define RR_MAX	32

static struct {
	char		 name[DNS_NAME_MAX + 1];
	uint16_t	 type;
	unsigned char	 rd[300];
	size_t		 len;
} rrs[RR_MAX];
static size_t nrrs;

/* wire: host in wire form into p (at most 255 bytes + pref room). */
static size_t
wire(const char *s, unsigned char *p)
{
	size_t n = 0, l;
	const char *dot;

	if (strcmp(s, ".") == 0) {
		p[0] = 0;
		return 1;
	}
	while (*s != '\0' && n < 250) {
		dot = strchr(s, '.');
		l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (l > 63)
			l = 63;
		p[n++] = (unsigned char)l;
		memcpy(p + n, s, l);
		n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	p[n++] = 0;
	return n;
}

static void
add(const char *arg, int mx)
{
	char buf[600], *eq, *colon;

	if (nrrs >= RR_MAX || str_copy(buf, arg, sizeof(buf)) == -1 ||
	    (eq = strchr(buf, '=')) == NULL)
		fatalx("bad record %s", arg);
	*eq++ = '\0';
	(void)str_copy(rrs[nrrs].name, buf, sizeof(rrs[nrrs].name));
	if (mx) {
		unsigned pref;

		if ((colon = strchr(eq, ':')) == NULL)
			fatalx("bad MX %s", arg);
		*colon++ = '\0';
		pref = (unsigned)atoi(eq);
		rrs[nrrs].type = DNS_T_MX;
		rrs[nrrs].rd[0] = (unsigned char)(pref >> 8);
		rrs[nrrs].rd[1] = (unsigned char)pref;
		rrs[nrrs].len = 2 + wire(colon, rrs[nrrs].rd + 2);
	} else if (inet_pton(AF_INET, eq, rrs[nrrs].rd) == 1) {
		rrs[nrrs].type = DNS_T_A;
		rrs[nrrs].len = 4;
	} else if (inet_pton(AF_INET6, eq, rrs[nrrs].rd) == 1) {
		rrs[nrrs].type = DNS_T_AAAA;
		rrs[nrrs].len = 16;
	} else
		fatalx("bad address %s", arg);
	nrrs++;
}

static enum dns_rc
table(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t i, off = 0;
	int known = 0;

	(void)arg;
	out->n = 0;
	out->secure = 0;
	out->truncated = 0;
	out->type = type;
	for (i = 0; i < nrrs; i++) {
		if (strcasecmp(rrs[i].name, name) != 0)
			continue;
		known = 1;
		if (rrs[i].type != type || out->n >= DNS_RR_MAX)
			continue;
		memcpy(out->buf + off, rrs[i].rd, rrs[i].len);
		out->rdata[out->n] = out->buf + off;
		out->len[out->n++] = (uint16_t)rrs[i].len;
		off += rrs[i].len;
	}
	out->rc = out->n > 0 ? DNS_OK : known ? DNS_NODATA : DNS_NXDOMAIN;
	return out->rc;
}

/* queue: play the queue's side of one job on sock. */
static int
queue(int sock, const struct relay_job *job, char **rcpts, int msgfd)
{
	struct relay_rcpt r;
	struct relay_rcpt_result res;
	struct relay_done done;
	struct frame f;
	uint32_t i;

	if (relayproto_job_encode(&f, job) == -1 ||
	    queueproto_send_fd(sock, &f, msgfd) == -1)
		return -1;
	for (i = 0; i < job->nrcpt; i++) {
		memset(&r, 0, sizeof(r));
		(void)str_copy(r.address, rcpts[i], sizeof(r.address));
		if (relayproto_rcpt_encode(&f, &r) == -1 ||
		    frame_write(sock, &f) == -1)
			return -1;
	}
	if (relayproto_go_encode(&f) == -1 || frame_write(sock, &f) == -1)
		return -1;
	for (i = 0; i < job->nrcpt; i++) {
		if (frame_read(sock, &f, mono_ms() + 600000) == -1 ||
		    f.type != MSG_RELAY_RESULT ||
		    relayproto_result_decode(&f, &res) == -1)
			return -1;
		printf("RESULT %u %u %s %s\n", res.status, res.code,
		    res.dsn[0] != '\0' ? res.dsn : "-", res.text);
	}
	if (frame_read(sock, &f, mono_ms() + 60000) == -1 ||
	    f.type != MSG_RELAY_DONE || relayproto_done_decode(&f, &done) == -1)
		return -1;
	printf("DONE %s %s %u %s %s\n", done.host[0] ? done.host : "-",
	    done.addr[0] ? done.addr : "-", done.dest_down, done.policy[0] ?
	    done.policy : "-", done.tls);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct config cfg;
	static struct relay_ctx x;
	static struct relay_sts_cache sts;
	struct relay_job job;
	const char *conf = NULL, *msg = NULL, *dir = "/";
	char err[256];
	int real_dns = 0, jobs = 1, k;
	struct stat st;
	int ch, sp[2], msgfd, status;
	pid_t pid;

	memset(&job, 0, sizeof(job));
	(void)str_copy(job.id, "0123456789abcdef", sizeof(job.id));
	log_init("relay_run", 1, 0);
	x.session_ms = RELAY_SESSION_MS;
	x.sts_fetch_ms = RELAY_STS_FETCH_MS;
	while ((ch = getopt(argc, argv, "f:m:d:s:8x:a:r:Dn:T:F:")) != -1) {
		switch (ch) {
		case 'f': conf = optarg; break;
		case 'm': msg = optarg; break;
		case 'd': (void)str_copy(job.domain, optarg,
			      sizeof(job.domain)); break;
		case 's': (void)str_copy(job.sender, optarg,
			      sizeof(job.sender)); break;
		case '8': job.body = QUEUE_BODY_8BITMIME; break;
		case 'x': add(optarg, 1); break;
		case 'a': add(optarg, 0); break;
		case 'r': dir = optarg; break;
		case 'D': real_dns = 1; break;
		case 'n': jobs = atoi(optarg); break;
		case 'T': x.session_ms = atoi(optarg); break;
		case 'F': x.sts_fetch_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (conf == NULL || msg == NULL || argc < 1 || argc > RELAY_RCPT_MAX ||
	    config_load(&cfg, conf) == -1)
		return 2;
	if ((msgfd = open(msg, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(msgfd, &st) == -1)
		fatal("%s", msg);
	job.size = (uint64_t)st.st_size;
	job.nrcpt = (uint32_t)argc;
	(void)str_copy(cfg.empty_dir, dir, sizeof(cfg.empty_dir));
	x.cfg = &cfg;
	x.lookup = table;
	if (real_dns) {
		x.lookup = relay_dns_lookup;
		if ((x.lookup_arg = relay_dns_open(&cfg, err,
		    sizeof(err))) == NULL)
			printf("DNS %s\n", err);
	}
	x.port = cfg.relay_port;
	x.sts = &sts;
	x.connect_ms = 5000;
	x.dkim_fd = -1;
	relay_creds_load(&x);
	if ((x.anchors = relay_tls_anchors_load(cfg.relay_ca_file, err,
	    sizeof(err))) == NULL)
		printf("ANCHORS %s\n", err);
	fflush(stdout);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sp[0]);
		close(msgfd);
		relay_run(&x, sp[1], (uid_t)-1, (gid_t)-1);
	}
	close(sp[1]);
	for (k = 0; k < jobs; k++)
		if (queue(sp[0], &job, argv, msgfd) == -1) {
			printf("QUEUE failed\n");
			break;
		}
	fflush(stdout);
	close(sp[0]);
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	printf("EXIT %d\n", WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
	return 0;
}
