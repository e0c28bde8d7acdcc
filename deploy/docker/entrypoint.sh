#!/bin/sh
# The image's entrypoint. Docker secrets convention: for every TESLASYNC_<NAME>_FILE in the environment,
# export TESLASYNC_<NAME> with that file's content (a trailing newline dropped) and unset the _FILE
# variable; then run the command (default: `teslasync serve`). The image also installs it as `teslasync`
# (see the end), so that `docker compose exec api teslasync ...` gets the same settings.
#
#   TESLASYNC_SECRET_KEY_FILE=/run/secrets/secret_key     -> TESLASYNC_SECRET_KEY
#   TESLASYNC_DATABASE_URL_FILE=/run/secrets/database_url -> TESLASYNC_DATABASE_URL
#   TESLASYNC_MQTT_URL_FILE, TESLASYNC_REDIS_URL_FILE, TESLASYNC_FLEET_API_TOKEN_FILE, ... likewise.
#
# Settings whose own names end in _FILE hold paths and are left alone: TESLASYNC_KEY_FILE and
# TESLASYNC_COMMAND_PROXY_CA_FILE (docs/configuration.md). Setting both X and X_FILE is an error, and so
# is a file that cannot be read. Values are never printed.
set -eu

path_setting() {
    case "$1" in
        TESLASYNC_KEY_FILE | TESLASYNC_COMMAND_PROXY_CA_FILE) return 0 ;;
        *) return 1 ;;
    esac
}

for name in $(env | sed -n 's/^\(TESLASYNC_[A-Za-z0-9_]*_FILE\)=.*$/\1/p' | sort -u); do
    if path_setting "$name"; then
        continue
    fi
    eval "file=\${$name-}"
    # a line of another variable's multi-line value can look like one; only real variables count
    eval "is_set=\${$name+yes}"
    [ "${is_set:-}" = yes ] || continue
    target=${name%_FILE}
    eval "already=\${$target+yes}"
    if [ "${already:-}" = yes ]; then
        echo "entrypoint: both $target and $name are set; set one of them" >&2
        exit 2
    fi
    if [ -z "$file" ] || [ ! -f "$file" ] || [ ! -r "$file" ]; then
        echo "entrypoint: $name names '$file', which is not a readable file" >&2
        exit 2
    fi
    value=$(cat "$file")
    export "$target=$value"
    unset "$name"
    unset already is_set
done

# The image installs this script a second time as `teslasync`, first on PATH, because
# `docker exec <container> teslasync ...` bypasses the entrypoint: under that name it reads the secret
# files as above, then runs the real command.
case "${0##*/}" in
    teslasync) exec "${TESLASYNC_BIN:-/opt/teslasync/bin/teslasync}" "$@" ;;
esac

if [ "$#" -eq 0 ]; then
    set -- teslasync serve
fi
exec "$@"
