# SPDX-License-Identifier: BSD-3-Clause
# Shared by the test and demo scripts: free ports, memcached on 127.0.0.1, and a
# cleanup trap that stops every service started here, also when a test fails.
# Source it; call cs_services_init first.

cs_services_init() {
  CS_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/clustered_session.XXXXXX")
  export CS_RUN_DIR
  trap cs_services_stop EXIT
  trap 'exit 130' INT TERM
}

# Every service's PID goes into a file, not a variable: starters often run in a
# subshell ($(...), <(...)) whose variables the caller never sees.
cs_track_pid() {
  echo "$1" >>"$CS_RUN_DIR/pids"
}

cs_services_stop() {
  local pid pids=()
  [ -f "${CS_RUN_DIR:-}/pids" ] && mapfile -t pids <"$CS_RUN_DIR/pids"
  for pid in "${pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true  # a frozen (SIGSTOPped) server must be able to die
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [ -n "${CS_RUN_DIR:-}" ] && rm -rf "$CS_RUN_DIR"
  return 0
}

# A TCP port on 127.0.0.1 that nothing listens on now.
cs_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cs_wait_port() {  # port [seconds]
  local port=$1 tries=$(( ${2:-10} * 20 ))
  for _ in $(seq "$tries"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing answers on 127.0.0.1:$port" >&2
  return 1
}

# Starts memcached on 127.0.0.1:<free port>; prints "PORT PID".
cs_start_memcached() {
  local port pid
  port=$(cs_free_port)
  memcached -u nobody -l 127.0.0.1 -p "$port" -U 0 -m 64 -t 2 "$@" >"$CS_RUN_DIR/memcached-$port.log" 2>&1 &
  pid=$!
  cs_track_pid "$pid"
  cs_wait_port "$port" 10 || return 1
  echo "$port $pid"
}
