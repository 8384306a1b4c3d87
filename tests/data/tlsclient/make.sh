#!/bin/sh
# make.sh: how the certificates of this directory were made (run once, by
# hand, in this directory; the unit test test_tls_client.c reads them).
# A root and an intermediate CA, a leaf for mx.example.test sent with the
# intermediate (chain.pem), a leaf with the name *.example.test, a
# self-signed leaf, an expired self-signed leaf and an expired leaf sent
# with the intermediate (expchain.pem; openssl ca with fixed dates), and
# tlsa.txt: TLSA data computed by openssl, never by postern.
set -e
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
days=36500
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
openssl req -x509 $ec -keyout root.key -out root.pem -days $days -subj /CN=Unit\ Root \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req $ec -keyout inter.key -out inter.csr -subj /CN=Unit\ Intermediate
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days $days \
	-extfile ca.ext -out inter.pem
for n in leaf:mx.example.test wild:*.example.test; do
	name=${n%%:*}; dns=${n#*:}
	printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s\n' "$dns" >$name.ext
	openssl req $ec -keyout $name.key -out $name.csr -subj "/CN=$dns"
	openssl x509 -req -in $name.csr -CA inter.pem -CAkey inter.key -set_serial 3 \
		-days $days -extfile $name.ext -out $name.pem
done
cat leaf.pem inter.pem >chain.pem
cat wild.pem inter.pem >wildchain.pem
openssl req -x509 $ec -keyout self.key -out self.pem -days $days -subj /CN=mx.example.test \
	-addext subjectAltName=DNS:mx.example.test
mkdir -p ca.d && : >ca.d/index.txt && echo 01 >ca.d/serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = ca.d/index.txt
serial = ca.d/serial
new_certs_dir = ca.d
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
openssl req $ec -keyout expired.key -out expired.csr -subj /CN=mx.example.test \
	-addext subjectAltName=DNS:mx.example.test
openssl ca -batch -config ca.cnf -selfsign -keyfile expired.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20200201000000Z -out expired.tmp
openssl x509 -in expired.tmp -out expired.pem
openssl req $ec -keyout expleaf.key -out expleaf.csr -subj /CN=mx.example.test \
	-addext subjectAltName=DNS:mx.example.test
openssl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -in expleaf.csr \
	-startdate 20200101000000Z -enddate 20200201000000Z -out expleaf.tmp
openssl x509 -in expleaf.tmp -out expleaf.pem
cat expleaf.pem inter.pem >expchain.pem
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER; }
der() { openssl x509 -in "$1" -outform DER; }
{
	echo "leaf-3-1-1 $(spki leaf.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
	echo "leaf-3-1-2 $(spki leaf.pem | openssl dgst -sha512 -r | cut -d' ' -f1)"
	echo "leaf-3-0-0 $(der leaf.pem | od -An -v -tx1 | tr -d ' \n')"
	echo "self-3-1-1 $(spki self.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
	echo "expired-3-0-1 $(der expired.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
	echo "inter-2-0-1 $(der inter.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
	echo "inter-2-1-1 $(spki inter.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
	echo "root-2-0-1 $(der root.pem | openssl dgst -sha256 -r | cut -d' ' -f1)"
} >tlsa.txt
rm -rf ca.d ca.cnf *.tmp *.csr *.ext *.key
