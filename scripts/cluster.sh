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
	fi
	settings
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
	log "stopped"
}

case "${1:-}" in
up) up ;;
env) [ -f "$VAR/ports" ] || die "the cluster is not up: scripts/cluster.sh up"; print_env ;;
down) down ;;
*) echo "usage: $0 up|env|down" >&2; exit 2 ;;
esac
