#!/bin/sh
# Writes what the Compose stack needs and Git must never see, next to this script:
#   secrets/   passwords, the secret key and the connection URLs made from those passwords;
#   certs/     the vehicle-command proxy's TLS certificate from a private CA made for it, and, when you
#              name your public telemetry host (./init-secrets.sh telemetry.example.org), a private CA and
#              certificate for fleet-telemetry.
# A file that exists is kept, never overwritten, so running it again is safe; it then checks that the
# URLs still carry the passwords. What it cannot make, it names at the end: the developer app's key
# (secrets/fleet-key.pem) and, without a host name, fleet-telemetry's certificate.
#
# Modes: secrets/ and certs/ are 0700, so no other user of this machine can reach the files in them. The
# files themselves are 0644, because Compose bind-mounts each one into a container whose process runs as
# its own user (PostgreSQL 1000, TeslaSync 10001, fleet-telemetry 65532, ...) and must be able to read it.
set -eu
umask 077
cd "$(dirname "$0")"

telemetry_host=${1:-}
need_openssl=
made=

random_hex() {
    head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# put NAME CONTENT: write secrets/NAME (no trailing newline) unless it exists
put() {
    if [ -e "secrets/$1" ]; then
        echo "kept   secrets/$1"
    else
        printf '%s' "$2" >"secrets/$1.new"
        chmod 0644 "secrets/$1.new"
        mv "secrets/$1.new" "secrets/$1"
        echo "wrote  secrets/$1"
        made=yes
    fi
}

# password NAME: make secrets/NAME, a random password, unless it exists
password() {
    put "$1" "$(random_hex 24)"
}

# check NAME TEXT: warn when secrets/NAME does not contain TEXT (edited by hand?)
check() {
    if ! grep -qF -- "$2" "secrets/$1"; then
        echo "WARNING: secrets/$1 does not hold the password it is made from; remove it and run this again" >&2
    fi
}

mkdir -p secrets certs
chmod 0700 secrets certs

put secret_key "$(random_hex 48)"

password postgres_password
postgres=$(cat secrets/postgres_password)
put database_url "postgresql://teslasync:$postgres@db:5432/teslasync"
check database_url ":$postgres@"

password redis_password
redis=$(cat secrets/redis_password)
put redis.conf "requirepass $redis"
put redis_url "redis://:$redis@redis:6379/0"
check redis.conf " $redis"
check redis_url ":$redis@"

password mqtt_teslasync_password
mqtt=$(cat secrets/mqtt_teslasync_password)
put mqtt_url "mqtt://teslasync:$mqtt@mosquitto:1883"
check mqtt_url ":$mqtt@"
password mqtt_fleet_telemetry_password

password grafana_admin_password
password grafana_db_password

# ca DIR CN: a private CA, its key in certs/DIR-ca/ca.key (mounted nowhere), its certificate in certs/DIR/ca.crt
ca() {
    mkdir -p "certs/$1" "certs/$1-ca"
    openssl ecparam -name prime256v1 -genkey -noout -out "certs/$1-ca/ca.key" 2>/dev/null
    openssl req -x509 -new -key "certs/$1-ca/ca.key" -sha256 -days 3650 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "certs/$1/ca.crt"
}

# server DIR HOST: a key and a certificate for HOST signed by DIR's CA, in certs/DIR/tls.key and tls.crt
server() {
    openssl ecparam -name prime256v1 -genkey -noout -out "certs/$1/tls.key" 2>/dev/null
    openssl req -new -key "certs/$1/tls.key" -subj "/CN=$2" -out "certs/$1/tls.csr"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$2" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always" >"certs/$1/tls.ext"
    openssl x509 -req -in "certs/$1/tls.csr" -CA "certs/$1/ca.crt" -CAkey "certs/$1-ca/ca.key" \
        -set_serial "0x$(random_hex 16)" -days 825 -sha256 -extfile "certs/$1/tls.ext" \
        -out "certs/$1/tls.crt" 2>/dev/null
    rm -f "certs/$1/tls.csr" "certs/$1/tls.ext"
    chmod 0644 "certs/$1/tls.key" "certs/$1/tls.crt" "certs/$1/ca.crt"
}

# pki DIR HOST CA_NAME
pki() {
    if [ -e "certs/$1/tls.crt" ]; then
        echo "kept   certs/$1/"
    elif ! command -v openssl >/dev/null 2>&1; then
        need_openssl=yes
    else
        ca "$1" "$3"
        server "$1" "$2"
        echo "wrote  certs/$1/ (ca.crt, tls.crt, tls.key; the CA's key in certs/$1-ca/)"
        made=yes
    fi
}

# TeslaSync reaches the proxy as https://vehicle-command-proxy:4443 and trusts certs/proxy/ca.crt only
pki proxy vehicle-command-proxy "TeslaSync vehicle-command proxy CA"
if [ -n "$telemetry_host" ]; then
    pki fleet-telemetry "$telemetry_host" "TeslaSync fleet-telemetry CA"
fi

if [ -n "$need_openssl" ]; then
    echo "openssl is not installed: make the certificates as docs/deploy.md shows, or install it and run this again" >&2
fi
if [ ! -e secrets/fleet-key.pem ]; then
    echo "still to do: secrets/fleet-key.pem, your developer app's private key (docs/deploy.md)"
fi
if [ ! -e certs/fleet-telemetry/tls.crt ]; then
    echo "still to do: certs/fleet-telemetry/ (tls.crt, tls.key, ca.crt) for your public telemetry host (docs/deploy.md)"
fi
[ -n "$made" ] || echo "nothing new"
