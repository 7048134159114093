#!/usr/bin/env bash
# Private PostgreSQL, Redis and MinIO for saoyue, on loopback, data under ./var.
#
#   scripts/services.sh up     install what is missing, start what is not running, print settings
#   scripts/services.sh env    print the settings as shell variables (eval "$(scripts/services.sh env)")
#   scripts/services.sh down   stop the three servers (data stays in ./var)
#   scripts/services.sh deps   only install system packages and build MinIO
#
# Idempotent: running `up` again reuses the servers and ports already chosen.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
ENVFILE="$VAR/services.env"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
export PATH="$PATH:/usr/local/go/bin"

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

gobin() { echo "$(go env GOPATH)/bin"; }

# Debian packages the project needs; each line: a check command, then the packages.
install_deps() {
	local need=()
	command -v go >/dev/null || die "Go is not installed: install Go >= 1.26.8 (go.mod) into /usr/local/go (the machine image ships it)"
	[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
	command -v redis-server >/dev/null || need+=(redis-server)
	pkg-config --exists opencv4 2>/dev/null || need+=(libopencv-dev pkg-config)
	# The reader decodes grey JPEGs with libjpeg itself (omr/jpeg.go).
	pkg-config --exists libjpeg 2>/dev/null || need+=(libjpeg-dev pkg-config)
	command -v pdftoppm >/dev/null || need+=(poppler-utils)
	command -v scanimage >/dev/null && command -v tiffcp >/dev/null || need+=(sane-utils libtiff-tools)
	[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
	command -v curl >/dev/null || need+=(curl)
	command -v chromium >/dev/null || need+=(chromium)
	if [ ${#need[@]} -gt 0 ]; then
		[ "$(id -u)" = 0 ] || die "missing packages ${need[*]}: run as root so apt-get can install them"
		log "installing ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
	# MinIO is built from the pinned module once into GOPATH/bin, outside the
	# clone, because building it takes minutes and CI clones afresh.
	if [ ! -x "$(gobin)/minio" ]; then
		log "building MinIO server $MINIO_VERSION into $(gobin) (once, a few minutes)"
		(cd /tmp && GOFLAGS= go install "github.com/minio/minio@$MINIO_VERSION")
	fi
}

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }

pick_port() { # first free port from $1 upwards
	local p=$1
	while ! port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

load_env() { [ -f "$ENVFILE" ] && . "$ENVFILE"; return 0; }

# PostgreSQL refuses to run as root; it runs as the postgres user. If that
# user cannot reach ./var (a clone under a private home), the data lives in
# /var/tmp and ./var/pg points to it.
pg_dir() {
	local want="$VAR/pg"
	if [ "$(id -u)" != 0 ]; then echo "$want"; return; fi
	if runuser -u postgres -- test -x "$VAR" 2>/dev/null; then echo "$want"; return; fi
	local alt="/var/tmp/saoyue-pg-$(echo -n "$ROOT" | sha256sum | cut -c1-12)"
	mkdir -p "$alt"
	[ -L "$want" ] || ln -sfn "$alt" "$want"
	echo "$alt"
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
	local bin=/usr/lib/postgresql/15/bin dir port
	dir="$(pg_dir)"
	if [ -n "${PGPORT_SAOYUE:-}" ] && pid_alive "$dir/data/postmaster.pid"; then
		return
	fi
	port="${PGPORT_SAOYUE:-}"
	if [ -z "$port" ] || ! port_free "$port"; then port="$(pick_port 25432)"; fi
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		log "initialising PostgreSQL in $dir/data"
		as_pg "$bin/initdb" -D "$dir/data" -U saoyue --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	fi
	log "starting PostgreSQL on 127.0.0.1:$port"
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=on -c max_connections=200 -c shared_preload_libraries=pg_stat_statements" >/dev/null \
		|| { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
	PGPORT_SAOYUE=$port
	if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U saoyue -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='saoyue'" | grep -q 1; then
		as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U saoyue saoyue
	fi
}

start_redis() {
	local dir="$VAR/redis" port
	if [ -n "${REDIS_PORT_SAOYUE:-}" ] && pid_alive "$dir/redis.pid"; then return; fi
	port="${REDIS_PORT_SAOYUE:-}"
	if [ -z "$port" ] || ! port_free "$port"; then port="$(pick_port 26379)"; fi
	mkdir -p "$dir"
	log "starting Redis on 127.0.0.1:$port"
	# appendonly: queued tasks survive a Redis restart (nothing lost).
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
		--pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save "" >/dev/null
	for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
	redis-cli -p "$port" ping | grep -q PONG || die "Redis did not start (see $dir/redis.log)"
	REDIS_PORT_SAOYUE=$port
}

start_minio() {
	local dir="$VAR/minio" port cport
	if [ -n "${MINIO_PORT_SAOYUE:-}" ] && pid_alive "$dir/minio.pid"; then return; fi
	port="${MINIO_PORT_SAOYUE:-}"
	if [ -z "$port" ] || ! port_free "$port"; then port="$(pick_port 29000)"; fi
	cport="$(pick_port $((port + 1)))"
	mkdir -p "$dir/data"
	log "starting MinIO on 127.0.0.1:$port"
	# The data-usage scanner walks the bucket to report usage we never ask
	# for; at its default speed it takes a tenth of MinIO's CPU while pages
	# stream in. Writes go through the page cache (MINIO_API_ODIRECT=off;
	# MinIO still fdatasyncs every file before it answers a PUT, so nothing
	# acknowledged is lost): a worker GETs each page image moments after it
	# was PUT, and then finds it in memory instead of on the disk.
	MINIO_ROOT_USER=saoyue MINIO_ROOT_PASSWORD=saoyue-dev-secret MINIO_BROWSER=off \
		MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off MINIO_SCANNER_SPEED=slowest MINIO_API_ODIRECT=off \
		setsid nohup "$(gobin)/minio" server "$dir/data" --quiet --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$cport" >"$dir/minio.log" 2>&1 < /dev/null &
	echo $! >"$dir/minio.pid"
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$port/minio/health/live" >/dev/null || { tail -n 20 "$dir/minio.log" >&2; die "MinIO did not start"; }
	MINIO_PORT_SAOYUE=$port
}

write_env() {
	mkdir -p "$VAR"
	cat >"$ENVFILE" <<EOT
PGPORT_SAOYUE=$PGPORT_SAOYUE
REDIS_PORT_SAOYUE=$REDIS_PORT_SAOYUE
MINIO_PORT_SAOYUE=$MINIO_PORT_SAOYUE
EOT
}

print_env() {
	load_env
	[ -n "${PGPORT_SAOYUE:-}" ] || die "services are not up: run scripts/services.sh up"
	cat <<EOT
export SAOYUE_DATABASE_URL='postgres://saoyue@127.0.0.1:$PGPORT_SAOYUE/saoyue?sslmode=disable'
export SAOYUE_REDIS_ADDR='127.0.0.1:$REDIS_PORT_SAOYUE'
export SAOYUE_S3_ENDPOINT='127.0.0.1:$MINIO_PORT_SAOYUE'
export SAOYUE_S3_ACCESS_KEY='saoyue'
export SAOYUE_S3_SECRET_KEY='saoyue-dev-secret'
export SAOYUE_S3_BUCKET='saoyue'
export SAOYUE_DATA_DIR='$VAR/data'
EOT
}

stop_all() {
	load_env
	local dir
	dir="$VAR/pg"
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	local f
	for f in "$VAR/redis/redis.pid" "$VAR/minio/minio.pid"; do
		if pid_alive "$f"; then kill "$(cat "$f")" || true; fi
	done
	# Wait for them to exit: an `up` right after must not find them alive
	# and leave them to die.
	for _ in $(seq 100); do
		pid_alive "$VAR/redis/redis.pid" || pid_alive "$VAR/minio/minio.pid" || break
		sleep 0.1
	done
	log "stopped"
}

case "${1:-}" in
up)
	install_deps
	mkdir -p "$VAR"
	load_env
	start_postgres
	start_redis
	start_minio
	write_env
	print_env
	;;
deps) install_deps ;;
env) print_env ;;
down) stop_all ;;
*) echo "usage: $0 up|env|down|deps" >&2; exit 2 ;;
esac
