# postern: one build for everything.
#
#   make            build the daemons and tools
#   make check      build, then run every test (unit, integration, ASan+UBSan)
#   make run        build, create run/ if missing, start the daemons in the foreground
#   make fuzz       run each libFuzzer target for a bounded time
#   make bench      run the benchmarks in tests/bench/
#   make install    install under $(DESTDIR)$(PREFIX), the sample configuration
#                   under $(DESTDIR)$(SYSCONFDIR)/postern and the systemd units
#                   in $(DESTDIR)$(UNITDIR) ($(PREFIX)/lib/systemd/system,
#                   where systemd looks for local units; UNITDIR=... to change)
#   make uninstall  remove what install installed, except the configuration
#                   and the state, mail and spool directories
#
# Objects and programs go to a build directory, so the source folders hold
# only sources: build/authd/authd, build/pop3d/pop3d, ...  O= selects it,
# so an instrumented build can sit next to the normal one:
# make O=build/asan SAN=1 builds build/asan/authd/authd.

CC      ?= cc
O       ?= build
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
PYTHON  ?= /usr/bin/python3

WARN     = -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
HARDEN   = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) -I. -pthread
LDFLAGS += -pie -Wl,-z,relro,-z,now -pthread

ifeq ($(SAN),1)
HARDEN   = -fPIE
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIBS_AUTHD   = -llmdb -lscrypt -lbearssl -lseccomp
LIBS_AUTHCTL = -llmdb -lscrypt -lbearssl -lseccomp -lzxcvbn -lqrencode -lm -lunbound

COMMON_SRC = common/log.c common/config.c common/config_lex.c common/frame.c \
	     common/authproto.c common/privsep.c common/base64.c common/base32.c common/util.c \
	     common/netaddr.c common/daemon.c common/authc.c common/sasl.c \
	     common/admission.c common/ratelimit.c \
	     common/tls.c common/tls_pem.c common/keyholder.c \
	     common/keyholder_dkim.c \
	     common/tls_client.c common/tls_anchors.c common/tls_verify.c \
	     common/tls_dane.c \
	     common/store.c common/store_maildir.c common/store_index.c \
	     common/store_index_env.c common/store_sync.c common/store_folder.c \
	     common/store_subs.c common/store_flags.c common/store_append.c \
	     common/store_move.c common/store_modseq.c common/store_quota.c \
	     common/mailpath.c common/preflight.c common/mutf7.c common/msg.c \
	     common/rolemsg.c common/intake.c common/store_once.c $(DKIM_SRC)
# The resolver (libunbound: link -lunbound) and the record readers.
DNS_SRC    = common/dns.c common/dnsrr.c
# DKIM signing and verification (common/dkim.h).
DKIM_SRC   = common/dkim_canon.c common/dkim_tag.c common/dkim_sig.c \
	     common/dkim_key.c common/dkim_msg.c common/dkim_sign.c \
	     common/dkim_verify.c
# The MIME parser and what it needs: imapd now, smtpd later.
MIME_SRC   = common/strbuf.c common/charset.c common/charset_tables.c \
	     common/mime.c common/mime_field.c common/mime_envelope.c \
	     common/mime_body.c common/mime_section.c common/mime_decode.c \
	     common/mime_search.c common/mime_filename.c
AUTHDB_SRC = authd/db.c authd/audit.c authd/password.c authd/totp.c \
	     authd/policy.c authd/sendlimit.c
AUTHD_SRC  = authd/authd.c authd/parent.c authd/reload.c authd/server.c \
	     authd/dispatch.c authd/worker.c authd/login.c authd/split.c \
	     authd/lookup.c authd/sched.c authd/live.c authd/notice.c
AUTHCTL_SRC = authd/authctl.c authd/authctl_user.c authd/authctl_totp.c \
	      authd/authctl_misc.c authd/authctl_audit.c authd/authctl_verify.c \
	      authd/pwpolicy.c authd/qr.c authd/authctl_backup.c \
	      authd/authctl_mailbox.c authd/authctl_session.c \
	      authd/authctl_quota.c authd/authctl_sendlimit.c authd/lookup.c \
	      authd/authctl_queue.c authd/authctl_dkim.c common/store_copy.c \
	      smtpd/queueproto.c authd/authctl_dns.c $(DNS_SRC)

# smtpd's queue and deliver roles, and what authctl and sendmail share.
QUEUE_SRC   = smtpd/queue.c smtpd/queue_msg.c smtpd/queue_sched.c \
	      smtpd/queue_intake.c smtpd/queue_spool.c smtpd/queueproto.c \
	      smtpd/queue_dsn.c smtpd/queue_relay.c smtpd/relayproto.c \
	      smtpd/deliver.c \
	      common/dsn.c common/strbuf.c
SENDMAIL_SRC = smtpd/sendmail.c common/config.c common/config_lex.c \
	      common/intake.c common/util.c common/log.c

# The relay's MTA-STS policy fetch: the policy parser, the HTTP response
# parser, the HTTPS GET over the TLS client.
MTASTS_SRC  = common/mtasts.c common/httpresp.c common/https.c

SKEL_SRC    = common/skel_parent.c common/skel_monitor.c common/skel_net.c \
	      common/skel_mail.c common/skel_roles.c common/sessio.c
POP3D_SRC   = pop3d/parse.c pop3d/preauth.c pop3d/session.c
LIBS_POP3D  = -llmdb -lbearssl -lseccomp
IMAP_PARSE_SRC = imapd/reader.c imapd/parse.c imapd/parse_lex.c \
	      imapd/parse_fetch.c imapd/parse_search.c imapd/parse_seq.c \
	      imapd/listmatch.c
IMAPD_SRC   = $(IMAP_PARSE_SRC) imapd/capa.c imapd/preauth.c \
	      imapd/session.c imapd/view.c imapd/cmd_state.c \
	      imapd/cmd_folder.c imapd/cmd_message.c imapd/fetch.c \
	      imapd/search.c imapd/search_cache.c imapd/search_date.c
LIBS_IMAPD  = -llmdb -lbearssl -lseccomp
# smtpd's SMTP engine (net role): the protocol, the path parser, the
# net <-> monitor codec.
SMTP_ENGINE_SRC = smtpd/engine.c smtpd/engine_env.c smtpd/engine_data.c \
	      smtpd/engine_auth.c smtpd/addr.c smtpd/smtpmsg.c
SMTP_ENGINE_DEPS = common/sasl.c common/base64.c common/rolemsg.c \
	      common/frame.c common/msg.c common/log.c common/util.c

# The check role's mail authentication (issue 11): SPF, DMARC with the
# Public Suffix List, Authentication-Results.
AUTHCHECK_SRC = common/spf.c common/spf_record.c common/spf_macro.c \
	      common/dnsrr.c common/psl.c common/punycode.c common/dmarc.c \
	      common/dmarc_record.c common/dmarc_from.c common/mailhdr.c \
	      common/authres.c

obj = $(patsubst %.c,$(O)/%.o,$(1))

PROGS = $(O)/authd/authd $(O)/authd/authctl $(O)/pop3d/pop3d \
	$(O)/imapd/imapd $(O)/smtpd/smtpd $(O)/smtpd/sendmail
# Every tests/unit/test_*.c is a unit test, every tests/fuzz/fuzz_*.c a fuzz
# target (its sources in FUZZ_<name>).
TESTPROGS = $(patsubst %.c,$(O)/%,$(wildcard tests/unit/test_*.c))
TOOLS = $(O)/tests/tools/tls_echo $(O)/tests/tools/faultsync.so \
	$(O)/tests/tools/dns_query $(O)/tests/tools/dkimtool \
	$(O)/tests/tools/queue_run $(O)/tests/tools/spfcheck \
	$(O)/tests/tools/tlsprobe \
	$(O)/tests/tools/relay_run

all: $(PROGS)

$(O)/authd/authd: $(call obj,$(AUTHD_SRC) $(AUTHDB_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/authd/authctl: $(call obj,$(AUTHCTL_SRC) $(AUTHDB_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHCTL)

$(O)/pop3d/pop3d: $(call obj,pop3d/pop3d.c $(SKEL_SRC) $(POP3D_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_POP3D)

$(O)/imapd/imapd: $(call obj,imapd/imapd.c $(SKEL_SRC) $(IMAPD_SRC) $(MIME_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_IMAPD)

# The relay role: the SMTP client engine, the MX logic, the sessions;
# its resolver is common/dns.c (libunbound), its TLS client common/tls.h's.
RELAY_SRC   = smtpd/relay.c smtpd/relay_deliver.c smtpd/relay_mx.c \
	      smtpd/relay_net.c smtpd/relay_session.c smtpd/relayproto.c \
	      smtpd/client.c smtpd/client_reply.c smtpd/client_data.c \
	      smtpd/relay_dns.c smtpd/relay_tls.c smtpd/relay_sts.c \
	      smtpd/relay_sts_cache.c smtpd/relay_dkim.c \
	      common/dmarc_from.c common/mailhdr.c $(DNS_SRC) $(MTASTS_SRC)
# The inbound checks: the broker's side, the protocol, the check role.
CHECK_SRC   = smtpd/arstrip.c smtpd/broker_check.c smtpd/checkproto.c \
	      smtpd/check.c smtpd/check_eval.c \
	      common/dns_deadline.c $(AUTHCHECK_SRC)
# (common/dnsrr.c is in both lists: $(sort) links it once.)
SMTPD_SRC   = smtpd/smtpd.c smtpd/broker.c $(SMTP_ENGINE_SRC) $(QUEUE_SRC) \
	      $(sort $(RELAY_SRC) $(CHECK_SRC))
LIBS_SMTPD  = -llmdb -lbearssl -lseccomp -lunbound

$(O)/smtpd/smtpd: $(call obj,$(SMTPD_SRC) $(SKEL_SRC) $(MIME_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SMTPD)

$(O)/smtpd/sendmail: $(call obj,$(SENDMAIL_SRC))
	$(CC) $(LDFLAGS) -o $@ $^

# test_pop3 also needs the pop3d protocol engines.
$(O)/tests/unit/test_pop3: $(O)/tests/unit/test_pop3.o $(call obj,$(POP3D_SRC) common/sessio.c $(AUTHDB_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_imap_parse: $(O)/tests/unit/test_imap_parse.o $(call obj,$(IMAP_PARSE_SRC) common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_smtp_engine: $(O)/tests/unit/test_smtp_engine.o $(call obj,$(SMTP_ENGINE_SRC) $(SMTP_ENGINE_DEPS))
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_smtp_addr: $(O)/tests/unit/test_smtp_addr.o $(call obj,smtpd/addr.c smtpd/smtpmsg.c common/frame.c common/msg.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_dnsrr: $(O)/tests/unit/test_dnsrr.o $(call obj,common/dnsrr.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_smtp_check: $(O)/tests/unit/test_smtp_check.o $(call obj,smtpd/arstrip.c smtpd/checkproto.c smtpd/queueproto.c $(DKIM_SRC) common/base64.c common/frame.c common/msg.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ -lbearssl

$(O)/tests/unit/test_check_eval: $(O)/tests/unit/test_check_eval.o $(call obj,smtpd/check_eval.c common/dns_deadline.c smtpd/broker_check.c smtpd/checkproto.c smtpd/queueproto.c $(AUTHCHECK_SRC) tests/tools/dnstable.c $(DKIM_SRC) $(MIME_SRC) common/base64.c common/frame.c common/msg.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^ -lbearssl

# test_search_cache also needs imapd's search cache.
$(O)/tests/unit/test_search_cache: $(O)/tests/unit/test_search_cache.o $(call obj,imapd/search_cache.c $(AUTHDB_SRC) $(COMMON_SRC) $(MIME_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_search_date: $(O)/tests/unit/test_search_date.o $(call obj,imapd/search_date.c)
	$(CC) $(LDFLAGS) -o $@ $^

# test_authd_smtp also needs authd's login notices.
$(O)/tests/unit/test_authd_smtp: $(O)/tests/unit/test_authd_smtp.o $(call obj,authd/notice.c $(AUTHDB_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_split: $(O)/tests/unit/test_split.o $(call obj,authd/split.c)
	$(CC) $(LDFLAGS) -o $@ $^

# test_imap_append needs imapd's command reader and parser.
$(O)/tests/unit/test_imap_append: $(O)/tests/unit/test_imap_append.o $(call obj,$(IMAP_PARSE_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_mtasts: $(O)/tests/unit/test_mtasts.o $(call obj,common/mtasts.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_httpresp: $(O)/tests/unit/test_httpresp.o $(call obj,common/httpresp.c)
	$(CC) $(LDFLAGS) -o $@ $^

# The queue's tests need the queue and deliver roles.
$(O)/tests/unit/test_queue%: $(O)/tests/unit/test_queue%.o $(call obj,$(QUEUE_SRC) common/skel_roles.c $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_dsn: $(O)/tests/unit/test_dsn.o $(call obj,common/dsn.c common/strbuf.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

SMTP_CLIENT_SRC = smtpd/client.c smtpd/client_reply.c smtpd/client_data.c \
	      smtpd/relayproto.c smtpd/queueproto.c common/base64.c
$(O)/tests/unit/test_smtp_client: $(O)/tests/unit/test_smtp_client.o $(call obj,$(SMTP_CLIENT_SRC) common/frame.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

# A relay session's deadline against a scripted server on a socket pair.
$(O)/tests/unit/test_relay_session: $(O)/tests/unit/test_relay_session.o $(call obj,$(sort smtpd/relay_session.c smtpd/relay_net.c smtpd/relay_tls.c $(SMTP_CLIENT_SRC) $(COMMON_SRC)))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_relay_mx: $(O)/tests/unit/test_relay_mx.o $(call obj,smtpd/relay_mx.c common/dnsrr.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

# The MTA-STS policy of the relay: its cache, the verdict per host, the
# discovery on a table of DNS answers (the fetch fails: no policy host).
$(O)/tests/unit/test_relay_sts: $(O)/tests/unit/test_relay_sts.o $(call obj,smtpd/relay_sts.c smtpd/relay_sts_cache.c smtpd/relay_mx.c common/dnsrr.c $(MTASTS_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_relayproto: $(O)/tests/unit/test_relayproto.o $(call obj,smtpd/relayproto.c smtpd/queueproto.c common/frame.c common/util.c common/log.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/unit/test_relay_dkim: $(O)/tests/unit/test_relay_dkim.o $(call obj,smtpd/relay_dkim.c common/dmarc_from.c common/mailhdr.c smtpd/queueproto.c $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/unit/test_%: $(O)/tests/unit/test_%.o $(call obj,$(AUTHDB_SRC) $(COMMON_SRC) $(MIME_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

# The mail authentication tests answer DNS from a table.
AUTHCHECK_TESTS = $(O)/tests/unit/test_spf $(O)/tests/unit/test_dmarc \
	      $(O)/tests/unit/test_psl $(O)/tests/unit/test_authres
$(AUTHCHECK_TESTS): $(O)/tests/unit/%: $(O)/tests/unit/%.o \
	    $(call obj,$(AUTHCHECK_SRC) tests/tools/dnstable.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/tools/spfcheck: $(O)/tests/tools/spfcheck.o \
	    $(call obj,$(AUTHCHECK_SRC) tests/tools/dnstable.c)
	$(CC) $(LDFLAGS) -o $@ $^

# The store's growth benchmark, run by hand (make bench-store).
$(O)/tests/bench/store_growth: $(O)/tests/bench/store_growth.o $(call obj,$(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_POP3D)

bench-store: $(O)/tests/bench/store_growth
	$(O)/tests/bench/store_growth

$(O)/tests/tools/tls_echo: $(O)/tests/tools/tls_echo.o $(call obj,$(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/tools/dkimtool: $(O)/tests/tools/dkimtool.o $(call obj,$(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/tools/tlsprobe: $(O)/tests/tools/tlsprobe.o $(call obj,$(MTASTS_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/tools/queue_run: $(O)/tests/tools/queue_run.o $(call obj,$(QUEUE_SRC) common/skel_roles.c $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD)

$(O)/tests/tools/dns_query: $(O)/tests/tools/dns_query.o $(call obj,$(DNS_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_AUTHD) -lunbound

$(O)/tests/tools/relay_run: $(O)/tests/tools/relay_run.o $(call obj,$(RELAY_SRC) smtpd/queueproto.c common/skel_roles.c $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SMTPD)

# An LD_PRELOAD shim (test_attack.py's fault injection): no sanitizer, so
# it loads into the normal and the instrumented authd alike.
$(O)/tests/tools/faultsync.so: tests/tools/faultsync.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize=% -fPIE,$(CFLAGS)) -fPIC -shared -o $@ $< -ldl

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

ALL_SRC = $(COMMON_SRC) $(MTASTS_SRC) $(MIME_SRC) $(AUTHDB_SRC) $(AUTHD_SRC) $(AUTHCTL_SRC) \
	  $(SKEL_SRC) $(QUEUE_SRC) smtpd/sendmail.c pop3d/pop3d.c $(POP3D_SRC) \
	  imapd/imapd.c $(IMAPD_SRC) $(SMTPD_SRC) \
	  $(SMTP_CLIENT_SRC) $(wildcard tests/unit/test_*.c) \
	  tests/tools/tls_echo.c tests/tools/queue_run.c tests/tools/dns_query.c \
	  $(AUTHCHECK_SRC) tests/tools/dnstable.c tests/tools/spfcheck.c \
	  tests/tools/dkimtool.c tests/tools/tlsprobe.c \
	  tests/tools/relay_run.c
-include $(patsubst %.c,$(O)/%.d,$(ALL_SRC))


.SECONDEXPANSION:

# ---- fuzz targets (clang + libFuzzer; one per parser of untrusted input) --

FUZZCC    = clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I.
FUZZ_config    = common/config.c common/config_lex.c common/log.c common/util.c
FUZZ_authproto = common/frame.c common/authproto.c common/util.c common/log.c
FUZZ_pop3      = pop3d/parse.c pop3d/preauth.c common/sasl.c common/base64.c \
		 common/log.c common/util.c common/rolemsg.c common/frame.c
FUZZ_split     = authd/split.c
FUZZ_pem       = common/tls_pem.c
FUZZLIBS_pem   = -lbearssl
FUZZ_keyholder = common/keyholder.c common/frame.c common/log.c common/util.c \
		 common/privsep.c common/tls_pem.c common/dkim_tag.c \
		 common/base64.c
FUZZLIBS_keyholder = -lbearssl -lseccomp
FUZZ_mime      = $(MIME_SRC)
FUZZ_imap      = $(IMAP_PARSE_SRC) common/log.c
FUZZ_imappre   = imapd/preauth.c $(IMAP_PARSE_SRC) common/sasl.c common/base64.c common/log.c common/util.c \
		 common/rolemsg.c common/frame.c
FUZZ_smtp      = $(SMTP_ENGINE_SRC) $(SMTP_ENGINE_DEPS)
FUZZ_smtpaddr  = smtpd/addr.c smtpd/smtpmsg.c common/frame.c common/msg.c common/util.c common/log.c
FUZZ_mutf7     = common/mutf7.c
FUZZ_search    = imapd/search_date.c imapd/search_cache.c $(MIME_SRC) \
		 common/util.c common/log.c
FUZZ_intake    = common/intake.c common/util.c common/log.c
FUZZ_queueproto = smtpd/queueproto.c common/frame.c common/util.c common/log.c
FUZZ_relayproto = smtpd/relayproto.c smtpd/queueproto.c common/frame.c \
		 common/util.c common/log.c
FUZZ_dnsrr     = common/dnsrr.c
FUZZ_spf       = common/spf_record.c common/spf_macro.c
FUZZ_spfdns    = common/spf.c common/spf_record.c common/spf_macro.c \
		 common/dnsrr.c
FUZZ_dmarc     = common/dmarc_record.c
FUZZ_authres   = common/authres.c common/mailhdr.c common/dmarc_from.c
FUZZ_smtpreply = smtpd/client.c smtpd/client_reply.c smtpd/client_data.c \
	       smtpd/relayproto.c smtpd/queueproto.c common/base64.c \
	       common/frame.c common/util.c common/log.c
FUZZ_dkimtag   = $(DKIM_SRC) common/base64.c common/util.c common/log.c
FUZZLIBS_dkimtag = -lbearssl
FUZZ_mtasts    = common/mtasts.c
FUZZ_http      = common/httpresp.c
FUZZ_tlsverify = common/tls_verify.c common/tls_dane.c common/tls_anchors.c \
		 common/tls_pem.c
FUZZLIBS_tlsverify = -lbearssl
FUZZ_checkproto = smtpd/checkproto.c smtpd/arstrip.c smtpd/queueproto.c \
		 $(DKIM_SRC) common/base64.c common/frame.c common/msg.c \
		 common/util.c common/log.c
FUZZLIBS_checkproto = -lbearssl
FUZZERS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_$$*)
	@mkdir -p build/fuzz
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^ $(FUZZLIBS_$*)


fuzzers: $(FUZZERS)

# ---- tests -------------------------------------------------------------

deps:
	@sh tests/deps.sh

deps-build:
	@sh tests/deps.sh build

unit: $(TESTPROGS) $(TOOLS)
	@sh tests/run_unit.sh $(TESTPROGS)

check: deps
	@sh tests/check.sh

fuzz: deps fuzzers
	@sh tests/fuzz/run.sh $(FUZZERS)

bench: deps all
	@sh tests/bench/run.sh

run: deps-build all
	@sh etc/run.sh

# ---- install -----------------------------------------------------------

MANPAGES = man/authd.8 man/authctl.8 man/imapd.8 man/pop3d.8 man/postern.conf.5 \
	   man/postern.7 man/sendmail.8 man/smtpd.8
UNITS    = postern-authd.service postern-imapd.service postern-pop3d.service \
	   postern-smtpd.service

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)
	install -m 0644 man/postern.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/postern.7 $(DESTDIR)$(MANDIR)/man7
	install -m 0644 man/authd.8 man/authctl.8 man/imapd.8 man/pop3d.8 \
	    man/sendmail.8 man/smtpd.8 $(DESTDIR)$(MANDIR)/man8
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/postern $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(PREFIX)/share/postern
	install -m 0755 etc/mkusers.sh $(DESTDIR)$(PREFIX)/share/postern/mkusers.sh
	test -e $(DESTDIR)$(SYSCONFDIR)/postern/postern.conf || \
	    install -m 0644 etc/postern.conf $(DESTDIR)$(SYSCONFDIR)/postern/postern.conf
	for u in $(UNITS); do \
	    sed -e 's|/usr/local/sbin|$(SBINDIR)|g' \
	        -e 's|/etc/postern|$(SYSCONFDIR)/postern|g' \
	        etc/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# The configuration and the state, mail and spool directories are the
# office's: uninstall leaves them.
uninstall:
	for p in $(notdir $(PROGS)); do rm -f $(DESTDIR)$(SBINDIR)/$$p; done
	rm -f $(DESTDIR)$(MANDIR)/man5/postern.conf.5 \
	    $(DESTDIR)$(MANDIR)/man7/postern.7 \
	    $(DESTDIR)$(MANDIR)/man8/authd.8 $(DESTDIR)$(MANDIR)/man8/authctl.8 \
	    $(DESTDIR)$(MANDIR)/man8/imapd.8 $(DESTDIR)$(MANDIR)/man8/pop3d.8 \
	    $(DESTDIR)$(MANDIR)/man8/sendmail.8 $(DESTDIR)$(MANDIR)/man8/smtpd.8 \
	    $(DESTDIR)$(PREFIX)/share/postern/mkusers.sh
	-rmdir $(DESTDIR)$(PREFIX)/share/postern
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done

lint-man:
	mandoc -Tlint -Wwarning $(MANPAGES)

clean:
	rm -rf build

.PHONY: all deps deps-build unit check fuzz fuzzers bench bench-store run install uninstall lint-man clean
