#!/bin/sh
# The one-shot `mqtt-init` service (eclipse-mosquitto image), run before the broker and fleet-telemetry:
#  - the broker's password file (users teslasync, fleet-telemetry and healthcheck) and ACL, into the
#    `mosquitto-auth` volume, owned by the broker's user, mode 0600;
#  - fleet-telemetry's config.json with its MQTT password filled in, into the `fleet-telemetry-config`
#    volume, readable by that image's non-root user (65532) only.
# The passwords come from the secret files written by init-secrets.sh; the healthcheck user's is made here.
# Paths and owners can be overridden (the tests run this script outside a container).
set -eu
umask 077

secrets=${MQTT_INIT_SECRETS:-/run/secrets}
source_dir=${MQTT_INIT_SOURCE:-/init}
auth=${MQTT_INIT_AUTH_DIR:-/mosquitto/auth}
ft_dir=${MQTT_INIT_FT_DIR:-/fleet-telemetry}
broker_owner=${MQTT_INIT_BROKER_OWNER:-mosquitto:mosquitto}
ft_owner=${MQTT_INIT_FT_OWNER:-65532:65532}

password() {
    if [ ! -r "$secrets/$1" ]; then
        echo "mqtt-init: the secret $1 is missing (run deploy/compose/init-secrets.sh)" >&2
        exit 1
    fi
    value=$(cat "$secrets/$1")
    # the password also goes into a URL and a JSON file unescaped: keep to characters safe in both
    case "$value" in
        '' | *[!A-Za-z0-9._~-]*)
            echo "mqtt-init: the secret $1 must be letters, digits, '.', '_', '~' or '-' only" >&2
            exit 1
            ;;
    esac
    printf '%s' "$value"
}

teslasync_password=$(password mqtt_teslasync_password)
fleet_telemetry_password=$(password mqtt_fleet_telemetry_password)
healthcheck_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

mkdir -p "$auth" "$ft_dir"
passwords="$auth/passwords.new"
rm -f "$passwords"
: >"$passwords"
mosquitto_passwd -b "$passwords" teslasync "$teslasync_password"
mosquitto_passwd -b "$passwords" fleet-telemetry "$fleet_telemetry_password"
mosquitto_passwd -b "$passwords" healthcheck "$healthcheck_password"
printf '%s' "$healthcheck_password" >"$auth/healthcheck_password.new"
cp "$source_dir/acl" "$auth/acl.new"
for file in passwords healthcheck_password acl; do
    chown "$broker_owner" "$auth/$file.new"
    chmod 0600 "$auth/$file.new"
    mv -f "$auth/$file.new" "$auth/$file"
done
chown "$broker_owner" "$auth"
chmod 0700 "$auth"

placeholder=__FLEET_TELEMETRY_MQTT_PASSWORD__
if ! grep -q "$placeholder" "$source_dir/fleet-telemetry.json"; then
    echo "mqtt-init: $placeholder is not in fleet-telemetry's config.json" >&2
    exit 1
fi
sed "s/$placeholder/$fleet_telemetry_password/" "$source_dir/fleet-telemetry.json" >"$ft_dir/config.json.new"
chown "$ft_owner" "$ft_dir/config.json.new"
chmod 0400 "$ft_dir/config.json.new"
mv -f "$ft_dir/config.json.new" "$ft_dir/config.json"

echo "mqtt-init: wrote the broker's password file and ACL, and fleet-telemetry's config"
