#!/usr/bin/env bash
# Starts the single sign-on example on this machine, without containers:
#   slapd (the directory) → LemonLDAP::NG behind nginx (the OpenID provider) → Apache httpd with
#   mod_oauth2 (the JMAP gateway) → Tessera (IMAP, SMTP submission, JMAP).
# Everything listens on free loopback ports and lives in one run directory (argument 1, or
# $OIDC_EXAMPLE_DIR, or a new one under /tmp): configuration, data, logs, and one pid file per process
# under <run>/pids. Nothing is started through systemd or /etc/init.d, and nothing in /etc is changed.
# Prints the run directory and its settings; check.sh and stop.sh take the same directory.
#
# Needs the Debian packages: slapd ldap-utils lemonldap-ng lemonldap-ng-fastcgi-server nginx apache2
# libapache2-mod-oauth2 curl (see README.md), and node (this repository's).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUN=${1:-${OIDC_EXAMPLE_DIR:-}}
[ -n "$RUN" ] || RUN=$(mktemp -d /tmp/tessera-oidc-XXXXXX)
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
START_MS=$(date +%s%3N)

die() { echo "start: $*" >&2; exit 1; }
for bin in /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/nginx /usr/sbin/apache2 /usr/sbin/llng-fastcgi-server \
  curl node openssl /usr/lib/apache2/modules/mod_oauth2.so; do
  command -v "$bin" >/dev/null 2>&1 || [ -e "$bin" ] || die "$bin is missing: apt-get install slapd ldap-utils lemonldap-ng lemonldap-ng-fastcgi-server nginx apache2 libapache2-mod-oauth2 curl"
done
[ ! -e "$RUN/pids" ] || [ -z "$(ls -A "$RUN/pids")" ] || die "$RUN already has running processes (pids/); run stop.sh $RUN first"

# Stop what this run started if any step fails.
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "start: failed; stopping what was started" >&2; "$HERE/stop.sh" "$RUN" >&2 || true; fi' EXIT

mkdir -p "$RUN"/{pids,logs,ldap/data,nginx/tmp,apache,tessera-data}
# The services drop to www-data when started as root; they must reach their files in the run directory.
# What only this user's own processes read (mail, directory data, logs, secrets) stays private.
chmod 755 "$RUN"
chmod 700 "$RUN/ldap" "$RUN/tessera-data" "$RUN/logs"
if [ "$(id -u)" = 0 ]; then
  SERVICE_USER=www-data
  id "$SERVICE_USER" >/dev/null 2>&1 || die "user $SERVICE_USER is missing (it comes with nginx and apache2)"
fi

# --- ports and secrets ---------------------------------------------------------------------------
read -r LDAP_PORT OP_PORT GATEWAY_PORT JMAP_PORT IMAP_PORT SMTP_PORT SIEVE_PORT < <(node -e '
  const net = require("node:net");
  const servers = Array.from({ length: 7 }, () => net.createServer());
  Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
    .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });')
secret() { openssl rand -hex 16; }
LDAP_ADMIN_PASSWORD=$(secret)
THUNDERBIRD_SECRET=$(secret)
GATEWAY_SECRET=$(secret)
TESSERA_SECRET=$(secret)
XUSER_SECRET=$(secret)
MAIL_AUDIENCE=urn:tessera:mail
OP_URL="http://127.0.0.1:$OP_PORT"

cat >"$RUN/env" <<EOF
# Written by examples/oidc/start.sh: what check.sh needs to reach this run.
RUN=$RUN
LDAP_PORT=$LDAP_PORT
OP_URL=$OP_URL
GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT
JMAP_URL=http://127.0.0.1:$JMAP_PORT
IMAP_PORT=$IMAP_PORT
SMTP_PORT=$SMTP_PORT
SIEVE_PORT=$SIEVE_PORT
TLS_CA=$RUN/tessera-data/tls/self-signed.crt
CLIENT_ID=thunderbird
CLIENT_SECRET=$THUNDERBIRD_SECRET
XUSER_SECRET=$XUSER_SECRET
MAIL_AUDIENCE=$MAIL_AUDIENCE
USER_NAME=james-user@localhost
USER_PASSWORD=secret
EOF
chmod 600 "$RUN/env"

# Fills @NAME@ placeholders of a template from the variables of the same name.
render() {
  local text
  text=$(<"$1")
  for name in RUN OP_PORT OP_URL GATEWAY_PORT JMAP_PORT MAIL_AUDIENCE XUSER_SECRET LDAP_ADMIN_PASSWORD USER_LINE USER_LINES; do
    text=${text//@$name@/${!name-}}
  done
  printf '%s\n' "$text" >"$2"
}

# Starts a command in the background with its output in logs/<name>.log and its pid in pids/<name>.pid.
launch() {
  local name=$1; shift
  setsid "$@" </dev/null >"$RUN/logs/$name.log" 2>&1 &
  echo $! >"$RUN/pids/$name.pid"
}

# Waits until `probe` succeeds, or fails naming what did not come up and the end of its log.
wait_for() {
  local what=$1 name=$2 probe=$3 deadline=$((SECONDS + ${4:-30}))
  until eval "$probe" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$RUN/pids/$name.pid")" 2>/dev/null; then
      tail -n 20 "$RUN/logs/$name.log" >&2; die "$what exited"
    fi
    # LemonLDAP::NG answers 500 for good when its configuration or a Perl module is wrong.
    if grep -q "Initialization failed" "$RUN/logs/llng.log" 2>/dev/null; then
      grep -v "Initialization failed" "$RUN/logs/llng.log" | grep "\[error\]" | head -n 3 >&2; die "LemonLDAP::NG failed to start"
    fi
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$RUN/logs/$name.log" >&2; die "$what did not come up"; }
    sleep 0.2
  done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- 1. slapd: James' example directory --------------------------------------------------------------
LDAP_ADMIN_PASSWORD_CLEAR=$LDAP_ADMIN_PASSWORD
LDAP_ADMIN_PASSWORD=$(/usr/sbin/slappasswd -s "$LDAP_ADMIN_PASSWORD_CLEAR")
render "$HERE/ldap/slapd.conf.in" "$RUN/ldap/slapd.conf"
LDAP_ADMIN_PASSWORD=$LDAP_ADMIN_PASSWORD_CLEAR
cat "$HERE/ldap/base.ldif" "$HERE/ldap/populate.ldif" >"$RUN/ldap/data.ldif"
/usr/sbin/slapadd -q -f "$RUN/ldap/slapd.conf" -l "$RUN/ldap/data.ldif" >"$RUN/logs/slapadd.log" 2>&1 \
  || { cat "$RUN/logs/slapadd.log" >&2; die "slapadd failed"; }
# -d 0: in the foreground (so the pid is slapd's own) without debug output.
launch slapd /usr/sbin/slapd -d 0 -h "ldap://127.0.0.1:$LDAP_PORT/" -f "$RUN/ldap/slapd.conf"
wait_for slapd slapd "port_open $LDAP_PORT"

# --- 2. LemonLDAP::NG: FastCGI server + nginx ----------------------------------------------------------
settings=$(printf '{"opPort":%s,"ldapPort":%s,"jmapPort":%s,"ldapAdminPassword":"%s","thunderbirdSecret":"%s","gatewaySecret":"%s","tesseraSecret":"%s","mailAudience":"%s"}' \
  "$OP_PORT" "$LDAP_PORT" "$JMAP_PORT" "$LDAP_ADMIN_PASSWORD" "$THUNDERBIRD_SECRET" "$GATEWAY_SECRET" "$TESSERA_SECRET" "$MAIL_AUDIENCE")
node "$HERE/lemonldap/make-conf.mjs" "$RUN" "$settings"
USER_LINE=""
USER_LINES=""
fcgi_user=()
if [ -n "${SERVICE_USER:-}" ]; then
  chown -R "$SERVICE_USER:$SERVICE_USER" "$RUN/llng" "$RUN/nginx" "$RUN/apache"
  USER_LINE="user $SERVICE_USER;"
  USER_LINES=$'User www-data\nGroup www-data'
  fcgi_user=(--user "$SERVICE_USER" --group "$SERVICE_USER")
fi
chmod 600 "$RUN/llng/conf/lmConf-1.json"
# LLNG_DEFAULTCONFFILE points LemonLDAP::NG at this run's lemonldap-ng.ini instead of /etc/lemonldap-ng.
launch llng env LLNG_DEFAULTCONFFILE="$RUN/llng/lemonldap-ng.ini" \
  LLNG_DEFAULTLOGGER=Lemonldap::NG::Common::Logger::Std \
  /usr/sbin/llng-fastcgi-server --foreground --proc 2 "${fcgi_user[@]}" \
  --socket "$RUN/llng/fastcgi.sock" --pid "$RUN/llng/fastcgi.pid"
wait_for "LemonLDAP::NG FastCGI server" llng "[ -S '$RUN/llng/fastcgi.sock' ]"
render "$HERE/nginx/portal.conf.in" "$RUN/nginx/nginx.conf"
launch nginx /usr/sbin/nginx -e "$RUN/nginx/error.log" -c "$RUN/nginx/nginx.conf"
wait_for "the OpenID provider" nginx "curl -fsS '$OP_URL/.well-known/openid-configuration'" 60

# --- 3. Tessera --------------------------------------------------------------------------------------
# The example's conf/, with this run's ports and secrets.
mkdir -p "$RUN/conf"
b64() { printf '%s' "$1" | base64 -w0; }
for f in "$HERE"/conf/*; do
  sed -e "s#127.0.0.1:8389#127.0.0.1:$LDAP_PORT#g; s#127.0.0.1:8480#127.0.0.1:$OP_PORT#g" \
      -e "s#127.0.0.1:8481#127.0.0.1:$GATEWAY_PORT#g; s#127.0.0.1:8482#127.0.0.1:$JMAP_PORT#g; s#^jmap.port=8482\$#jmap.port=$JMAP_PORT#" \
      -e "s#127.0.0.1:1993#127.0.0.1:$IMAP_PORT#g; s#127.0.0.1:1465#127.0.0.1:$SMTP_PORT#g; s#127.0.0.1:14190#127.0.0.1:$SIEVE_PORT#g" \
      -e "s#credentials=\"admin\"#credentials=\"$LDAP_ADMIN_PASSWORD\"#" \
      -e "s#change-me-xuser-secret#$XUSER_SECRET#" \
      -e "s#$(b64 tessera:tessera-introspection-secret)#$(b64 "tessera:$TESSERA_SECRET")#g" \
      "$f" >"$RUN/conf/$(basename "$f")"
done
chmod 600 "$RUN"/conf/*
# The compiled server when there is one (npm run build), else the sources through tsx.
launch tessera env TESSERA_DATA_DIR="$RUN/tessera-data" node "$ROOT/bin/tessera.js" serve --conf "$RUN/conf"
wait_for Tessera tessera "port_open $IMAP_PORT && port_open $SMTP_PORT && port_open $SIEVE_PORT && port_open $JMAP_PORT" 90

# --- 4. The gateway: Apache httpd + mod_oauth2 ---------------------------------------------------------
render "$HERE/apache/gateway.conf.in" "$RUN/apache/httpd.conf"
chmod 600 "$RUN/apache/httpd.conf"   # the X-User secret; Apache reads it before dropping to www-data
[ -z "${SERVICE_USER:-}" ] || chown "$SERVICE_USER" "$RUN/apache"
launch apache /usr/sbin/apache2 -f "$RUN/apache/httpd.conf" -DFOREGROUND
wait_for "the gateway" apache "port_open $GATEWAY_PORT"

{ echo "$RUN" >"$HERE/.last-run"; } 2>/dev/null || true  # check.sh and stop.sh default to it
trap - EXIT
cat <<EOF
OIDC example running in $RUN (started in $(( $(date +%s%3N) - START_MS )) ms)
  LDAP       ldap://127.0.0.1:$LDAP_PORT            (dc=localhost; james-user@localhost / secret)
  provider   $OP_URL          (LemonLDAP::NG; discovery at /.well-known/openid-configuration)
  gateway    http://127.0.0.1:$GATEWAY_PORT/jmap/session   (Apache httpd + mod_oauth2 → Tessera JMAP)
  IMAP       127.0.0.1:$IMAP_PORT (TLS)   SMTP submission 127.0.0.1:$SMTP_PORT (TLS)   ManageSieve 127.0.0.1:$SIEVE_PORT (TLS)   JMAP $(grep ^JMAP_URL "$RUN/env" | cut -d= -f2)
  mail client: client_id thunderbird, client_secret $THUNDERBIRD_SECRET
Check it: $HERE/check.sh $RUN      Stop it: $HERE/stop.sh $RUN
EOF
