#!/bin/sh
#
# run.sh: what `make run` runs, from the top of the tree after the build.
# Creates run/ (configuration, state, mail, spool, runtime and empty
# directories) when it is missing, or adds the listeners of daemons
# added since, adds the demo user demo@example.test
# with a generated password it prints, and starts the daemons in the
# foreground; Ctrl-C stops them.  As root it runs with privilege
# separation (creating the system users through etc/mkusers.sh); as anyone
# else, in development mode.  Trusts the tree it runs in and nothing else.

set -eu

root=$(pwd)
run=$root/run
conf=run/postern.conf
authctl=build/authd/authctl
authd=build/authd/authd
pop3d=build/pop3d/pop3d
imapd=build/imapd/imapd
smtpd=build/smtpd/smtpd
demo=demo@example.test

for p in "$authd" "$authctl" "$pop3d" "$imapd" "$smtpd"; do
	if [ ! -x "$p" ]; then
		echo "run.sh: $p is missing; run make first" >&2
		exit 1
	fi
done

mkdir -p "$run"
if [ ! -e "$conf" ]; then
	cat >"$conf.tmp" <<CONF
# postern.conf for \`make run\` (see postern.conf(5)); written by etc/run.sh.
# Delete run/ to start again from scratch.
hostname localhost
domain example.test
state "$run/state"
mail "$run/mail"
spool "$run/spool"
runtime "$run/runtime"
empty "$run/empty"
CONF
	mv "$conf.tmp" "$conf"
	echo "run.sh: wrote $conf"
fi
# Daemons added since run/ was made get their lines appended.
if ! grep -q '^listen pop3s' "$conf"; then
	cat >>"$conf" <<CONF
tls certificate "$run/cert.pem"
tls key "$run/key.pem"
listen pop3s on 127.0.0.1 port 10995
CONF
fi
if ! grep -q '^listen imaps' "$conf"; then
	echo "listen imaps on 127.0.0.1 port 10993" >>"$conf"
fi
if ! grep -q '^listen smtp ' "$conf"; then
	echo "listen smtp on 127.0.0.1 port 10025" >>"$conf"
	echo "listen submissions on 127.0.0.1 port 10465" >>"$conf"
fi
if [ ! -e "$run/key.pem" ]; then
	# A self-signed certificate for localhost, ECDSA P-256.
	openssl req -x509 -nodes -days 365 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	    -keyout "$run/key.pem" -out "$run/cert.pem" 2>/dev/null
	chmod 0600 "$run/key.pem"
	echo "run.sh: wrote a self-signed certificate, $run/cert.pem"
fi

mkdir -p "$run/state" "$run/mail" "$run/spool" "$run/runtime" "$run/empty"
mkdir -p "$run/state/auth"
chmod 0700 "$run/state/auth"

if [ "$(id -u)" -eq 0 ]; then
	sh etc/mkusers.sh
	chown root:root "$run/empty"
	chmod 0755 "$run/empty"
	chown root:_postern "$run/runtime"
	chmod 0750 "$run/runtime"
fi

# fix_owner: as root, the credential database belongs to authd's user
# (authctl running as root may just have created files in it).
fix_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		chown -R _postern-auth:_postern-auth "$run/state/auth"
	fi
}
fix_owner

if ! "$authctl" -f "$conf" user show "$demo" >/dev/null 2>&1; then
	out=$("$authctl" -f "$conf" user add "$demo") || {
		echo "run.sh: authctl user add $demo failed" >&2
		exit 1
	}
	fix_owner
	# The generated password is the last line that is a single word.
	pw=$(printf '%s\n' "$out" | grep -E '^[^[:space:]]+$' | tail -n 1)
	printf '%s\n' "$out" | grep -vxF -e "$pw" || true
	echo
	echo "================================================================"
	echo "  demo user:  $demo"
	echo "  password:   ${pw:-(see the authctl output above)}"
	echo "  (shown once; it is stored only as a hash)"
	echo "================================================================"
	echo
fi

"$authctl" -f "$conf" user services "$demo" imap,pop3,smtp >/dev/null

echo "run.sh: to add a user:"
echo "    $authctl -f $conf user add alice@example.test"
echo "run.sh: to list the demo mailbox's folders over IMAP (TLS, self-signed),"
echo "run.sh: and to read its first message:"
echo "    curl -k -u $demo:${pw:-PASSWORD} imaps://127.0.0.1:10993/"
echo "    curl -k -u $demo:${pw:-PASSWORD} 'imaps://127.0.0.1:10993/INBOX;UID=1'"
echo "run.sh: to read it over POP3:"
echo "    curl -k -u $demo:${pw:-PASSWORD} pop3s://127.0.0.1:10995/"
echo "run.sh: to send the demo user a message that lands in its INBOX (port 25"
echo "run.sh: with STARTTLS; then fetch it with the curl lines above):"
echo "    swaks --server 127.0.0.1 --port 10025 --tls --to $demo"
echo "run.sh: and to send one as the demo user (port 465, implicit TLS):"
echo "    swaks --server 127.0.0.1 --port 10465 --tls-on-connect --auth PLAIN \\"
echo "        --auth-user $demo --auth-password '${pw:-PASSWORD}' \\"
echo "        --from $demo --header 'From: $demo' --to $demo"
echo "run.sh: starting authd, smtpd, imapd and pop3d in the foreground;"
echo "run.sh: Ctrl-C stops them"

pids=
stop() {
	trap - INT TERM EXIT
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait
}
trap stop INT TERM EXIT
"$authd" -d -f "$conf" &
pids=$!
# pop3d asks authd before every connection: give it a moment to bind.
n=0
while [ ! -S "$run/runtime/authd.sock" ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
"$pop3d" -d -f "$conf" &
pids="$pids $!"
"$imapd" -d -f "$conf" &
pids="$pids $!"
"$smtpd" -d -f "$conf" &
pids="$pids $!"
wait
