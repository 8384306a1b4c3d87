#!/bin/sh
#
# deps.sh: make sure the Debian packages postern needs are installed.
#
#   sh tests/deps.sh build   what building and running need (make run)
#   sh tests/deps.sh [all]   that and the test, fuzz and bench toolchain
#
# Runs on the developer's or CI machine, as root or not; trusts dpkg's
# database.  Quiet when everything is present.  When something is
# missing: as root, says what and installs it through apt-get; as any
# other user, prints the one apt-get line to run and exits 1.  Installs
# nothing else, ever.

BUILD_PKGS="libbearssl-dev liblmdb-dev libscrypt-dev libseccomp-dev
libzxcvbn-dev libqrencode-dev libunbound-dev dns-root-data publicsuffix
pkg-config make gcc openssl"
TEST_PKGS="lmdb-utils oathtool faketime mandoc python3-pytest python3-pytest-xdist clang
libclang-rt-14-dev python3-lmdb valgrind curl fetchmail getmail6 gdb hydra
zbar-tools isync mutt swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp python3-dkim
unbound bind9-utils python3-spf"

case "${1:-all}" in
build)	PKGS=$BUILD_PKGS ;;
all)	PKGS="$BUILD_PKGS $TEST_PKGS" ;;
*)	echo "usage: sh tests/deps.sh [build | all]" >&2
	exit 2 ;;
esac

missing=
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "postern: missing packages; as root, run:" >&2
	echo "apt-get install$missing"
	exit 1
fi

echo "deps.sh: installing:$missing" >&2
apt-get update || exit 1
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    $missing || exit 1
