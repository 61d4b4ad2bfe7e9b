#!/usr/bin/env bash
# Install the real third-party IKEv2 peers used by Tessera's interop tests, on Debian 12
# (bookworm), as root. Idempotent: every step is skipped when its result is already present.
#
#   strongSwan 5.9.8 (Debian packages)     /usr/sbin/charon-systemd, /usr/lib/ipsec/charon, /usr/sbin/swanctl
#   tshark 4.0, iproute2, iputils-ping, certutil (libnss3-tools)
#   libreswan 4.10 (Debian .deb, unpacked with dpkg -x; the package Conflicts with strongSwan's)
#                                          /opt/libreswan/usr/libexec/ipsec/{pluto,whack,addconn}
#   libreswan 5.2, RFC 5723 capable, built from Debian trixie's orig tarball   [BUILD_LSW5=1, default]
#                                          /opt/libreswan5/usr/local/libexec/ipsec/{pluto,whack,addconn}
#   strongSwan 5.9.8 + load-tester + save-keys, built from Debian source       [BUILD_SW_LT=0, default]
#                                          /opt/strongswan-lt
#
# Only the Debian apt registry this machine already uses is contacted. Recipes and measured
# timings: docs of the peers survey (peers.md §1, §5b, §6). Each step prints its wall time.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "install-peers: must run as root (apt-get, /opt)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_LSW5=${BUILD_LSW5:-1}
BUILD_SW_LT=${BUILD_SW_LT:-0}
JOBS=$(nproc)
START=$SECONDS

step() { echo "install-peers: [$((SECONDS - START))s] $*"; }

# The Debian mirror the machine already uses (deb822 sources first, then the one-line format).
mirror() {
  if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# Packages that are not installed yet (dpkg status "install ok installed").
missing() {
  local p out=()
  for p in "$@"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
      out+=("$p")
    fi
  done
  echo "${out[@]:-}"
}

APT_UPDATED=0
apt_install() {
  local need
  need=$(missing "$@")
  [ -z "$need" ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then
    step "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  step "apt-get install $need"
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $need >/dev/null
}

# Debian's postinst scripts must not start daemons (charon would grab ports 500/4500).
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_CREATED=0
if [ ! -e "$POLICY_RC" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
  chmod +x "$POLICY_RC"
  POLICY_RC_CREATED=1
fi
cleanup() { if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f "$POLICY_RC"; fi; }
trap cleanup EXIT

# tshark asks whether non-root users may capture: answer "no" up front so apt never prompts.
if ! debconf-show wireshark-common 2>/dev/null | grep -q 'install-setuid: false'; then
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
fi

# 1. strongSwan (daemons, swanctl, plugins), tshark, network tools, and libreswan 4.10's runtime deps.
BASE_PKGS=(
  strongswan-charon strongswan-swanctl charon-systemd libcharon-extra-plugins libcharon-extauth-plugins
  libstrongswan-extra-plugins libstrongswan-standard-plugins
  tshark iproute2 iputils-ping libnss3-tools util-linux
  dns-root-data bind9-host iptables libaudit1 libcap-ng0 libcrypt1 libcurl3-nss
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libldap-2.5-0 libldns3 libnspr4 libnss3 libpam0g
  libselinux1 libunbound8
)
apt_install "${BASE_PKGS[@]}"
step "strongSwan: $(/usr/lib/ipsec/charon --version 2>&1 | head -n1)"

# 2. libreswan 4.10: unpack only (installing it would remove strongSwan).
LSW4=/opt/libreswan/usr/libexec/ipsec/pluto
if [ ! -x "$LSW4" ]; then
  step "libreswan 4.10: apt-get download + dpkg -x /opt/libreswan"
  [ "$APT_UPDATED" = 1 ] || { apt-get update -qq; APT_UPDATED=1; }
  T=$(mktemp -d)
  chmod 755 "$T" # apt downloads as the _apt user
  (cd "$T" && apt-get download -qq libreswan && dpkg -x libreswan_*.deb /opt/libreswan)
  rm -rf "$T"
fi
step "libreswan 4.10: $("$LSW4" --version 2>&1 | head -n1)"

# A private apt configuration for deb-src lists, so the system's sources stay untouched.
private_apt() { # <dir> <suite>
  local dir=$1 suite=$2
  mkdir -p "$dir/lists/partial"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) $suite main" >"$dir/sources.list"
  echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$dir/lists"
}

# 3. libreswan 5.2 (first release with RFC 5723 IKE_SESSION_RESUME) from trixie's orig tarball.
LSW5=/opt/libreswan5/usr/local/libexec/ipsec/pluto
if [ "$BUILD_LSW5" = 1 ] && [ ! -x "$LSW5" ]; then
  step "libreswan 5.2: build deps"
  apt_install build-essential pkg-config libnss3-dev libnspr4-dev libevent-dev bison flex
  AO=$(private_apt /var/tmp/tessera-apt-trixie trixie)
  step "libreswan 5.2: fetch trixie orig tarball"
  # shellcheck disable=SC2086
  apt-get $AO update -qq
  mkdir -p /opt/src/deb-libreswan
  (
    cd /opt/src/deb-libreswan
    if [ ! -f libreswan_5.2.orig.tar.gz ]; then
      # the .dsc/.debian.tar.xz may 404 on the mirror; the upstream orig tarball is all we need
      # shellcheck disable=SC2086
      apt-get $AO -o APT::Sandbox::User=root source --download-only -qq libreswan >/tmp/tessera-libreswan5-fetch.log 2>&1 || true
    fi
    test -f libreswan_5.2.orig.tar.gz || { echo "install-peers: libreswan_5.2.orig.tar.gz not fetched" >&2; exit 1; }
    step "libreswan 5.2: build (make -j$JOBS programs)"
    rm -rf libreswan-5.2 && tar -xzf libreswan_5.2.orig.tar.gz && cd libreswan-5.2
    # MANPAGES= skips xmlto; INITSYSTEM=docker installs no service files; optional features off.
    MV=(USE_DNSSEC=false USE_LIBCURL=false USE_AUTHPAM=false USE_LIBCAP_NG=false USE_SYSTEMD_WATCHDOG=false
        USE_SECCOMP=false USE_LABELED_IPSEC=false USE_LDAP=false USE_LINUX_AUDIT=false USE_NSS_KDF=true
        INITSYSTEM=docker WERROR_CFLAGS= MANPAGES=)
    make -j"$JOBS" "${MV[@]}" programs >/tmp/tessera-libreswan5-build.log 2>&1 ||
      { tail -n 40 /tmp/tessera-libreswan5-build.log >&2; exit 1; }
    make "${MV[@]}" DESTDIR=/opt/libreswan5 install-base >>/tmp/tessera-libreswan5-build.log 2>&1 ||
      { tail -n 40 /tmp/tessera-libreswan5-build.log >&2; exit 1; }
  )
fi
if [ -x "$LSW5" ]; then
  step "libreswan 5.2: $("$LSW5" --version 2>&1 | head -n1)"
fi

# 4. strongSwan with load-tester/save-keys (performance work only; off by default).
SWLT=/opt/strongswan-lt/libexec/ipsec/charon
if [ "$BUILD_SW_LT" = 1 ] && [ ! -x "$SWLT" ]; then
  step "strongSwan load-tester: build deps"
  apt_install build-essential pkg-config libssl-dev libgmp-dev dpkg-dev
  AO=$(private_apt /var/tmp/tessera-apt-bookworm-src bookworm)
  # shellcheck disable=SC2086
  apt-get $AO update -qq
  mkdir -p /opt/src
  (
    cd /opt/src
    # deb12u5 is the version whose .dsc/.debian.tar.xz the mirror has (deb12u6 from -security gave 404)
    # shellcheck disable=SC2086
    apt-get $AO -o APT::Sandbox::User=root source --download-only -qq strongswan=5.9.8-5+deb12u5
    rm -rf strongswan-5.9.8 && dpkg-source -x strongswan_5.9.8-5+deb12u5.dsc strongswan-5.9.8 >/dev/null
    cd strongswan-5.9.8
    patch -p1 <"$HERE/patches/load-tester-childless.patch"
    touch src/libtls/Makefile.in # a Debian patch touched Makefile.am; avoid needing automake
    step "strongSwan load-tester: configure + make -j$JOBS"
    ./configure --prefix=/opt/strongswan-lt --sysconfdir=/opt/strongswan-lt/etc \
      --with-piddir=/opt/strongswan-lt/run \
      --enable-load-tester --enable-save-keys \
      --enable-openssl --enable-curve25519 --enable-chapoly --enable-ctr --enable-ccm --enable-gcm \
      --enable-kernel-libipsec --enable-libipsec --enable-swanctl --enable-vici \
      --disable-stroke --disable-starter --disable-scepclient --disable-ikev1 --disable-ldap \
      >/tmp/tessera-strongswan-lt-build.log 2>&1
    make -j"$JOBS" >>/tmp/tessera-strongswan-lt-build.log 2>&1 && make install >>/tmp/tessera-strongswan-lt-build.log 2>&1
    mkdir -p /opt/strongswan-lt/run
  )
fi

step "done in $((SECONDS - START))s"
