#!/usr/bin/env bash
# Regenerate the certificate-authentication fixtures of ike-crypto (sig_tests.rs, cert_tests.rs).
#
# Needs only `openssl` (tested with OpenSSL 3.0). Every key, certificate and signature is made
# fresh, so the bytes change on each run; the tests read validity periods from the certificates
# instead of hard-coding dates. Run from anywhere: `bash crates/ike-crypto/testdata/gen.sh`.
set -euo pipefail
cd "$(dirname "$0")"

DAYS=36500          # 100 years: the "valid now" tests must not rot
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

rm -f ./*.pem ./*.der ./*.bin

# ---- keys (PKCS#8 "PRIVATE KEY"; plus SEC1 and PKCS#1 copies for the PEM-label tests) ----
genkey_ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1"; }
genkey_ec root-ca.key.pem P-256
genkey_ec int-ca.key.pem P-256
genkey_ec other-ca.key.pem P-256
genkey_ec ee-p256.key.pem P-256
genkey_ec ee-p384.key.pem P-384
genkey_ec ee-badku.key.pem P-256
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ee-rsa.key.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out ee-ed25519.key.pem
openssl ec -in ee-p256.key.pem -out ee-p256.sec1.pem 2>/dev/null            # "EC PRIVATE KEY"
openssl rsa -in ee-rsa.key.pem -traditional -out ee-rsa.pkcs1.pem 2>/dev/null # "RSA PRIVATE KEY"

# ---- CA certificates ----
cat > "$TMP/int.ext" <<'X'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
openssl req -new -x509 -sha256 -days $DAYS -key root-ca.key.pem -out root-ca.crt.pem \
  -subj "/C=CH/O=Tessera Test/CN=Tessera Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -x509 -sha256 -days $DAYS -key other-ca.key.pem -out other-ca.crt.pem \
  -subj "/C=CH/O=Elsewhere/CN=Unrelated Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# issue NAME KEY CA_CERT CA_KEY SUBJECT EXTFILE [DAYS]
issue() {
  openssl req -new -key "$2" -subj "$5" -out "$TMP/$1.csr"
  openssl x509 -req -sha256 -in "$TMP/$1.csr" -CA "$3" -CAkey "$4" -CAcreateserial \
    -CAserial "$TMP/serial" -days "${7:-$DAYS}" -extfile "$6" -out "$1.crt.pem" 2>/dev/null
}
issue int-ca int-ca.key.pem root-ca.crt.pem root-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=Tessera Test Intermediate CA" "$TMP/int.ext"

# ---- end-entity certificates (all issued by the intermediate) ----
ee_ext() { # ee_ext FILE SAN KU [EKU]
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "subjectAltName = $2"
    [ -n "$3" ] && echo "keyUsage = critical, $3"
    [ -n "${4:-}" ] && echo "extendedKeyUsage = $4"
    echo "authorityKeyIdentifier = keyid"
  } > "$1"
}
ee_ext "$TMP/p256.ext" "DNS:gw-p256.tessera.test, email:p256@tessera.test, IP:192.0.2.10, IP:2001:db8::10" \
  digitalSignature "1.3.6.1.5.5.7.3.17"                     # id-kp-ipsecIKE (RFC 4945)
ee_ext "$TMP/p384.ext" "DNS:gw-p384.tessera.test" digitalSignature
ee_ext "$TMP/rsa.ext" "DNS:gw-rsa.tessera.test, email:Admin@RSA.tessera.test, IP:192.0.2.11" \
  "digitalSignature, keyEncipherment" "serverAuth, clientAuth"
ee_ext "$TMP/ed.ext" "DNS:gw-ed25519.tessera.test, email:ed@tessera.test, IP:2001:db8::12" ""
ee_ext "$TMP/badku.ext" "DNS:badku.tessera.test" keyAgreement          # no digitalSignature
ee_ext "$TMP/codesign.ext" "DNS:codesign.tessera.test" digitalSignature codeSigning

issue ee-p256 ee-p256.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=gw-p256.tessera.test" "$TMP/p256.ext"
issue ee-p384 ee-p384.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=gw-p384.tessera.test" "$TMP/p384.ext"
issue ee-rsa ee-rsa.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=gw-rsa.tessera.test" "$TMP/rsa.ext"
issue ee-ed25519 ee-ed25519.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=gw-ed25519.tessera.test" "$TMP/ed.ext"
issue ee-badku ee-badku.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=badku.tessera.test" "$TMP/badku.ext"
issue ee-codesign ee-badku.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=codesign.tessera.test" "$TMP/codesign.ext"
# A short-lived certificate: the expiry test checks it at notAfter + 1 s and at notAfter.
issue ee-short ee-p256.key.pem int-ca.crt.pem int-ca.key.pem \
  "/C=CH/O=Tessera Test/CN=short.tessera.test" "$TMP/p256.ext" 1
# Issued by an unrelated CA: must not chain to the Tessera roots.
issue ee-other ee-p256.key.pem other-ca.crt.pem other-ca.key.pem \
  "/C=CH/O=Elsewhere/CN=gw-p256.tessera.test" "$TMP/p256.ext"

# ---- subject DN of ee-p256 as DER, cut out by openssl (for the ID_DER_ASN1_DN tests) ----
# TBSCertificate children at depth 2: [0] version, serial, signature, issuer, validity, subject.
line=$(openssl asn1parse -in ee-p256.crt.pem | awk '/:d=2 /{n++; if (n==6) {print; exit}}')
off=$(echo "$line" | sed -E 's/^ *([0-9]+):.*/\1/')
hl=$(echo "$line" | sed -E 's/.*hl= *([0-9]+).*/\1/')
len=$(echo "$line" | sed -E 's/.* l= *([0-9]+).*/\1/')
openssl x509 -in ee-p256.crt.pem -outform DER -out "$TMP/ee.der"
dd if="$TMP/ee.der" of=ee-p256.subject.der bs=1 skip="$off" count=$((hl + len)) status=none
openssl asn1parse -inform DER -in ee-p256.subject.der >/dev/null  # must be one valid SEQUENCE

# ---- cross-implementation signatures made by openssl over a fixed message ----
openssl rand -out signed-octets.bin 517
openssl dgst -sha256 -sign ee-p256.key.pem -out sig-openssl-p256-sha256.der signed-octets.bin
openssl dgst -sha384 -sign ee-p384.key.pem -out sig-openssl-p384-sha384.der signed-octets.bin
for h in sha256 sha512; do
  n=${h#sha}
  openssl dgst -$h -sign ee-rsa.key.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:$((n / 8)) \
    -sigopt rsa_mgf1_md:$h -out sig-openssl-rsa-pss-$h.bin signed-octets.bin
done
openssl dgst -sha1 -sign ee-rsa.key.pem -out sig-openssl-rsa-pkcs1-sha1.bin signed-octets.bin
openssl dgst -sha256 -sign ee-rsa.key.pem -out sig-openssl-rsa-pkcs1-sha256.bin signed-octets.bin
openssl pkeyutl -sign -rawin -inkey ee-ed25519.key.pem -in signed-octets.bin -out sig-openssl-ed25519.bin

# Self-check with openssl itself before anything is committed.
openssl verify -CAfile root-ca.crt.pem -untrusted int-ca.crt.pem ee-p256.crt.pem ee-rsa.crt.pem \
  ee-ed25519.crt.pem ee-p384.crt.pem >/dev/null
openssl dgst -sha256 -verify <(openssl pkey -in ee-p256.key.pem -pubout) \
  -signature sig-openssl-p256-sha256.der signed-octets.bin >/dev/null
echo "testdata regenerated in $(pwd)"
