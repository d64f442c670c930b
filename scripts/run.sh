#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves the app on http://localhost:$PORT
# (default 8080). A rerun on a ready machine touches no network and starts in seconds.
#
#   scripts/run.sh [--turn] [server options, see peddlenet-server --help]
#
# --turn also starts coturn (TURN and STUN for phones that cannot reach each other directly:
# client-isolating Wi-Fi, hidden host addresses) on UDP and TCP port $TURN_PORT (default 3478)
# of the same interfaces as the server (--host), relaying on ports $TURN_MIN_PORT-$TURN_MAX_PORT
# (default 49160-49999). The shared secret is generated once into build/turn/secret (mode 600);
# the server hands each joined phone short-lived credentials made from it, for the address the
# phone reached the server by. coturn stops when the server does.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" all
export PORT=${PORT:-8080}

turn=0
args=()
host=0.0.0.0
for ((i = 1; i <= $#; ++i)); do
  arg=${!i}
  if [[ $arg == --turn ]]; then
    turn=1
    continue
  fi
  args+=("$arg")
  if [[ $arg == --host ]]; then
    next=$((i + 1))
    host=${!next:-$host}
  elif [[ $arg == --host=* ]]; then
    host=${arg#--host=}
  fi
done

server=("$BUILD/native/src/server/peddlenet-server" --root "$BUILD/wasm/web" --port "$PORT")
if ((turn == 0)); then
  log "serving $BUILD/wasm/web on http://localhost:$PORT/"
  exec "${server[@]}" "${args[@]}"
fi

command -v turnserver >/dev/null || die "coturn is missing (scripts/setup.sh installs it)"
TURN_PORT=${TURN_PORT:-3478}
turn_dir="$BUILD/turn"
mkdir -p "$turn_dir"
if [[ ! -s $turn_dir/secret ]]; then
  (umask 077 && openssl rand -hex 32 >"$turn_dir/secret")
fi
# The secret reaches coturn in a config file, not argv (which `ps` shows everyone).
(umask 077 && printf 'use-auth-secret\nstatic-auth-secret=%s\n' "$(cat "$turn_dir/secret")" \
  >"$turn_dir/turnserver.conf")
# A wildcard host lets coturn listen everywhere and pick its relay address per interface.
listen=()
[[ $host != 0.0.0.0 && $host != :: ]] && listen=(--listening-ip="$host" --relay-ip="$host")
loopback=()
[[ $host == 127.* ]] && loopback=(--allow-loopback-peers) # a one-machine trial
turnserver -c "$turn_dir/turnserver.conf" "${listen[@]}" "${loopback[@]}" --listening-port="$TURN_PORT" \
  --min-port="${TURN_MIN_PORT:-49160}" --max-port="${TURN_MAX_PORT:-49999}" \
  --realm=peddlenet \
  --fingerprint --no-cli --no-tls --no-dtls --no-multicast-peers \
  --log-file="$turn_dir/turnserver.log" --simple-log --pidfile="$turn_dir/turnserver.pid" \
  >"$turn_dir/turnserver.out" 2>&1 & # its console chatter (a line per unsupported socket type) stays out of ours
turn_pid=$!
trap 'kill "$turn_pid" 2>/dev/null; wait "$turn_pid" 2>/dev/null' EXIT
log "coturn (pid $turn_pid) on port $TURN_PORT, log $turn_dir/turnserver.log (console: turnserver.out)"
log "serving $BUILD/wasm/web on http://localhost:$PORT/ with TURN"
"${server[@]}" --turn-port "$TURN_PORT" --turn-secret-file "$turn_dir/secret" "${args[@]}" &
server_pid=$!
trap 'kill "$server_pid" "$turn_pid" 2>/dev/null; wait 2>/dev/null' EXIT
trap 'exit 130' INT TERM
wait "$server_pid"
