#!/bin/sh
#
# run.sh: what `make bench` runs, from the top of the tree, after the
# build.  Runs each benchmark in tests/bench/ (every executable file here
# but this one: auth, imap, pop3, relay, smtp, ...; benchlib.py is the
# Python module imap, pop3, relay and smtp share), or only those named as
# arguments, with /usr/bin/python3 or as itself, prints its output, and
# ends with one line per benchmark: its name and exit status.  The exit
# status is non-zero when any benchmark failed.
#
# pop3 also needs build/tests/tools/tls_echo (built by `make unit`) for its
# bound: it is built here when missing.  imap and pop3 install Dovecot
# (dovecot-imapd, dovecot-pop3d), smtp installs Postfix (debconf "No
# configuration") and dovecot-core (Postfix's SASL) with apt-get when they
# are missing and they run as root, and skip themselves (exit 0) when they
# cannot; relay installs Postfix the same way and skips itself without
# unbound and bind9-utils (tests/integration/dnstest.py's DNS).

PYTHON=${PYTHON:-/usr/bin/python3}
dir=tests/bench
status=0
summary=""

if [ ! -x build/tests/tools/tls_echo ]; then
	echo "==> building tests/tools/tls_echo for the pop3 bench"
	make -s build/tests/tools/tls_echo ||
	    echo "tests/tools/tls_echo: build failed; pop3 runs without its bound"
fi

if [ $# -gt 0 ]; then
	list=""
	for n in "$@"; do
		list="$list $dir/$n"
	done
else
	list=$(ls "$dir"/* 2>/dev/null)
fi

for b in $list; do
	name=${b##*/}
	[ "$name" = run.sh ] && continue
	if ! [ -f "$b" ] || ! [ -x "$b" ]; then
		[ $# -gt 0 ] || continue
		status=1
		summary="$summary
bench $name: FAILED (no such benchmark)"
		continue
	fi
	echo "==> bench $name"
	if head -n 1 "$b" | grep -q python; then
		"$PYTHON" "$b"
	else
		"$b"
	fi
	rc=$?
	if [ $rc -ne 0 ]; then
		status=1
		summary="$summary
bench $name: FAILED (exit $rc)"
	else
		summary="$summary
bench $name: ok"
	fi
done
if [ -z "$summary" ]; then
	echo "no benchmarks in $dir"
	exit 1
fi
echo "$summary" | sed '1d'
exit $status
