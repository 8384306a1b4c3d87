#!/bin/sh
#
# mkusers.sh: create the system group and users that postern's processes
# run as (see postern(7), PRODUCTION INSTALL).  Run once as root, on the
# mail host; running it again changes nothing.  Trusts the system's
# groupadd/useradd.  Each user gets its own group of the same name; the
# group _postern is the one that owns the runtime directory and authd's
# socket (the daemons name it as the group of the roles that must reach
# authd).  The names are the defaults of postern.conf(5): change both
# together.
#
#   _postern-auth    authd: owns the credential database
#   _postern         net: TLS and the protocol before authentication
#   _postern-mail    mail: delivery and mailbox access
#   _postern-queue   smtpd queue: owns the spool
#   _postern-relay   smtpd relay: outbound SMTP
#   _postern-key     keyholder: holds the TLS private key

set -eu

GROUP=_postern
USERS="_postern-auth _postern _postern-mail _postern-queue _postern-relay
_postern-key"

if [ "$(id -u)" -ne 0 ]; then
	echo "mkusers.sh: must run as root" >&2
	exit 1
fi

if ! getent group "$GROUP" >/dev/null; then
	echo "mkusers.sh: groupadd --system $GROUP"
	groupadd --system "$GROUP"
fi

for u in $USERS; do
	getent passwd "$u" >/dev/null && continue
	if getent group "$u" >/dev/null; then
		grp="--gid $u"
	else
		grp="--user-group"
	fi
	cmd="useradd --system --no-create-home --home-dir /nonexistent"
	cmd="$cmd --shell /usr/sbin/nologin $grp $u"
	echo "mkusers.sh: $cmd"
	$cmd
done
