#!/usr/bin/env bash
# A small real saoyue cluster on one machine (docs/DEPLOYMENT.md): MinIO with
# four drives in erasure mode, two `saoyue worker` processes and one
# `saoyue serve`, on the private PostgreSQL and Redis of scripts/services.sh.
#
#   scripts/cluster.sh up      build saoyue, start what is not running, print the URLs
#   scripts/cluster.sh env     print the cluster's settings as shell variables
#   scripts/cluster.sh down    stop the cluster's processes (data stays in var/cluster)
#
# Its own database (saoyue_cluster), Redis database 15 and MinIO: it never
# touches what the tests (queue/queuetest leases 1-14) or the demo use. A test gives its own with
# SAOYUE_CLUSTER_DIR, SAOYUE_CLUSTER_DB and SAOYUE_CLUSTER_REDIS_DB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="${SAOYUE_CLUSTER_DIR:-$ROOT/var/cluster}"
DB="${SAOYUE_CLUSTER_DB:-saoyue_cluster}"
REDIS_DB="${SAOYUE_CLUSTER_REDIS_DB:-15}"
PGBIN=/usr/lib/postgresql/15/bin
export PATH="$PATH:/usr/local/go/bin"

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }
port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }
alive() { [ -f "$VAR/$1.pid" ] && kill -0 "$(cat "$VAR/$1.pid")" 2>/dev/null; }

wait_url() { # url what
	for _ in $(seq 150); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
	die "$2 did not answer $1 (logs in $VAR)"
}

settings() {
	[ -f "$ROOT/var/services.env" ] || die "services are not up: scripts/services.sh up"
	. "$ROOT/var/services.env"
	[ -f "$VAR/ports" ] && . "$VAR/ports"
	export SAOYUE_DATABASE_URL="postgres://saoyue@127.0.0.1:$PGPORT_SAOYUE/$DB?sslmode=disable"
	if [ -n "${PG1_PORT:-}" ]; then
		PGPORT_SAOYUE=$PG1_PORT
		export SAOYUE_DATABASE_URL="postgres://saoyue@127.0.0.1:$PG1_PORT,127.0.0.1:$PG2_PORT/$DB?sslmode=disable&target_session_attrs=read-write"
	fi
	export SAOYUE_REDIS_ADDR="127.0.0.1:$REDIS_PORT_SAOYUE/$REDIS_DB"
	export SAOYUE_S3_ENDPOINT="127.0.0.1:${MINIO_PORT:-}" SAOYUE_S3_BUCKET=saoyue
	export SAOYUE_S3_ACCESS_KEY=saoyue SAOYUE_S3_SECRET_KEY=saoyue-cluster-secret
	export SAOYUE_DATA_DIR="$VAR/data"
}

start_minio() {
	alive minio && return
	mkdir -p "$VAR"/minio/d{1,2,3,4}
	log "starting MinIO, four drives in erasure mode, on 127.0.0.1:$MINIO_PORT"
	# MINIO_CI_CD=1: on one disk MinIO otherwise takes the four directories
	# for missing drives; with it, it formats one erasure set of four.
	MINIO_CI_CD=1 MINIO_ROOT_USER=saoyue MINIO_ROOT_PASSWORD=saoyue-cluster-secret MINIO_BROWSER=off \
		MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off MINIO_SCANNER_SPEED=slowest MINIO_API_ODIRECT=off \
		setsid nohup "$(go env GOPATH)/bin/minio" server "$VAR/minio/d{1...4}" --quiet \
		--address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$((MINIO_PORT + 1))" \
		>"$VAR/minio.log" 2>&1 </dev/null &
	echo $! >"$VAR/minio.pid"
	wait_url "http://127.0.0.1:$MINIO_PORT/minio/health/cluster" MinIO
}

# The pair's data lives where the postgres user can reach it (a test's
# temporary directory is private to root), linked from $VAR/pg.
pg_pair_dir() {
	local d="/var/tmp/saoyue-pgpair-$(echo -n "$VAR" | sha256sum | cut -c1-12)"
	mkdir -p "$d"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$d"
	[ -L "$VAR/pg" ] || ln -sfn "$d" "$VAR/pg"
	echo "$d"
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_running() { as_pg "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

start_pg_pair() {
	local d opts
	d="$(pg_pair_dir)"
	opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
	if [ ! -f "$d/primary/PG_VERSION" ]; then
		log "initialising the PostgreSQL pair in $d"
		as_pg "$PGBIN/initdb" -D "$d/primary" -U saoyue --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	fi
	if ! pg_running "$d/primary" && [ ! -f "$d/failed-over" ]; then
		log "starting the primary on 127.0.0.1:$PG1_PORT"
		as_pg "$PGBIN/pg_ctl" -D "$d/primary" -l "$d/primary.log" -w -t 60 start \
			-o "$opts -p $PG1_PORT -c wal_level=replica -c max_wal_senders=5 -c synchronous_standby_names='*'" >/dev/null \
			|| die "the primary did not start (see $d/primary.log)"
	fi
	if [ ! -f "$d/standby/PG_VERSION" ]; then
		log "copying the primary to the standby (pg_basebackup)"
		as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG1_PORT" -U saoyue -D "$d/standby" -R -X stream >/dev/null
	fi
	if ! pg_running "$d/standby"; then
		log "starting the standby on 127.0.0.1:$PG2_PORT"
		as_pg "$PGBIN/pg_ctl" -D "$d/standby" -l "$d/standby.log" -w -t 60 start -o "$opts -p $PG2_PORT" >/dev/null \
			|| die "the standby did not start (see $d/standby.log)"
	fi
}

# failover does what an operator does when the primary's host dies: the
# primary is killed outright, and the standby is promoted.
failover() {
	local d pid
	settings
	d="$(pg_pair_dir)"
	[ -f "$d/primary/postmaster.pid" ] || die "no PostgreSQL pair here"
	pid=$(head -1 "$d/primary/postmaster.pid")
	log "killing the primary (pid $pid), promoting the standby"
	kill -9 "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	touch "$d/failed-over"
	as_pg "$PGBIN/pg_ctl" -D "$d/standby" -w -t 60 promote >/dev/null
}

stop_pg_pair() {
	[ -L "$VAR/pg" ] || return 0
	local d
	d="$(readlink "$VAR/pg")"
	for n in primary standby; do
		pg_running "$d/$n" && as_pg "$PGBIN/pg_ctl" -D "$d/$n" -m immediate -w stop >/dev/null
	done
	# The primary killed by failover leaves children that hold its port.
	pkill -9 -f -- "-D $d/primary" 2>/dev/null || true
	# A test's cluster (its own SAOYUE_CLUSTER_DIR) goes with the test.
	[ "$VAR" = "$ROOT/var/cluster" ] || rm -rf "$d" "$VAR/pg"
}

start_saoyue() { # name args...
	local name=$1; shift
	alive "$name" && return
	log "starting saoyue $*"
	setsid nohup "$VAR/bin/saoyue" "$@" >"$VAR/$name.log" 2>&1 </dev/null &
	echo $! >"$VAR/$name.pid"
}

up() {
	"$ROOT/scripts/services.sh" up >/dev/null
	mkdir -p "$VAR/bin"
	if [ ! -f "$VAR/ports" ]; then
		local m s
		m=$(pick_port 29100); s=$(pick_port 28100)
		printf 'MINIO_PORT=%s\nSERVE_PORT=%s\nWORKER1_PORT=%s\nWORKER2_PORT=%s\n' \
			"$m" "$s" "$(pick_port $((s + 1)))" "$(pick_port $((s + 2)))" >"$VAR/ports"
		if [ "${SAOYUE_CLUSTER_PG_PAIR:-}" = 1 ]; then
			m=$(pick_port 25500)
			printf 'PG1_PORT=%s\nPG2_PORT=%s\n' "$m" "$(pick_port $((m + 1)))" >>"$VAR/ports"
		fi
	fi
	settings
	[ -n "${PG1_PORT:-}" ] && start_pg_pair
	log "building saoyue"
	(cd "$ROOT" && go build -o "$VAR/bin/saoyue" ./cmd/saoyue)
	if ! "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT_SAOYUE" -U saoyue -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
		"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT_SAOYUE" -U saoyue "$DB"
	fi
	start_minio
	"$VAR/bin/saoyue" migrate >/dev/null
	start_saoyue worker1 worker --health-addr "127.0.0.1:$WORKER1_PORT"
	start_saoyue worker2 worker --health-addr "127.0.0.1:$WORKER2_PORT"
	start_saoyue serve serve --http-addr "127.0.0.1:$SERVE_PORT"
	wait_url "http://127.0.0.1:$WORKER1_PORT/readyz" "worker 1"
	wait_url "http://127.0.0.1:$WORKER2_PORT/readyz" "worker 2"
	wait_url "http://127.0.0.1:$SERVE_PORT/readyz" serve
	log "up: serve http://127.0.0.1:$SERVE_PORT/  workers :$WORKER1_PORT :$WORKER2_PORT  MinIO :$MINIO_PORT"
	print_env
}

print_env() {
	settings
	cat <<EOT
export SAOYUE_DATABASE_URL='$SAOYUE_DATABASE_URL'
export SAOYUE_REDIS_ADDR='$SAOYUE_REDIS_ADDR'
export SAOYUE_S3_ENDPOINT='$SAOYUE_S3_ENDPOINT'
export SAOYUE_S3_ACCESS_KEY='$SAOYUE_S3_ACCESS_KEY'
export SAOYUE_S3_SECRET_KEY='$SAOYUE_S3_SECRET_KEY'
export SAOYUE_S3_BUCKET='$SAOYUE_S3_BUCKET'
export SAOYUE_DATA_DIR='$SAOYUE_DATA_DIR'
export SAOYUE_CLUSTER_URL='http://127.0.0.1:$SERVE_PORT/'
export SAOYUE_CLUSTER_MINIO_DRIVES='$VAR/minio/d1 $VAR/minio/d2 $VAR/minio/d3 $VAR/minio/d4'
EOT
}

down() {
	local name pid
	for name in serve worker1 worker2 minio; do
		if alive "$name"; then
			pid=$(cat "$VAR/$name.pid")
			kill "$pid" || true
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
		rm -f "$VAR/$name.pid"
	done
	stop_pg_pair
	log "stopped"
}

case "${1:-}" in
up) up ;;
env) [ -f "$VAR/ports" ] || die "the cluster is not up: scripts/cluster.sh up"; print_env ;;
down) down ;;
failover) failover ;;
*) echo "usage: $0 up|env|down|failover" >&2; exit 2 ;;
esac
