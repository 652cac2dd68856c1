#!/usr/bin/env bash
# Installs the Debian packages the local example runs on (as root; idempotent, non-interactive).
# Debian starts a service as it installs it (a system slapd on :389, nginx and Apache on :80, the
# LemonLDAP::NG FastCGI server); the example starts its own, so a policy-rc.d that refuses keeps the
# packages from starting theirs while they install. An existing policy-rc.d is left as it is.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# The services, and the Perl modules LemonLDAP::NG's portal loads for an LDAP backend and its login
# page (Debian has them as Recommends, which --no-install-recommends leaves out).
PACKAGES=(
  slapd lemonldap-ng lemonldap-ng-fastcgi-server nginx apache2 libapache2-mod-oauth2 curl openssl
  libnet-ldap-perl libunicode-string-perl libio-socket-timeout-perl libgd-securityimage-perl libimage-magick-perl
  libcrypt-openssl-bignum-perl libconvert-base32-perl libio-string-perl libipc-run-perl libmime-tools-perl
  libstring-random-perl libhttp-parser-xs-perl libcookie-baker-xs-perl libapache-session-browseable-perl
  libemail-sender-perl liblwp-protocol-https-perl
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
[ "$(id -u)" = 0 ] || { echo "install-packages: as root: apt-get install ${missing[*]}" >&2; exit 1; }
echo "examples/oidc: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  ours="$policy"
  trap 'rm -f "$ours"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
