#!/usr/bin/env bash
# The README's first command: installs, builds, starts two memcached nodes on
# free local ports and shows one session written by one PHP process and read
# back by others, with the parts of its ID explained.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh

bash scripts/install-deps.sh
bash scripts/build.sh --extension-only >/dev/null
cs_services_init

read -r port1 _ < <(cs_start_memcached)
read -r port2 _ < <(cs_start_memcached)
save_path="n1=127.0.0.1:$port1,n2=127.0.0.1:$port2"

php_on() {  # route, then arguments of demo-session.php
  local route=$1
  shift
  php -n -d extension="$PWD/modules/clustered_session.so" \
    -d session.save_handler=clustered -d session.save_path="\"$save_path\"" \
    -d session.sid_length=26 -d session.sid_bits_per_character=5 \
    -d clustered_session.route="$route" scripts/demo-session.php "$@"
}
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }

echo
echo "memcached n1 on 127.0.0.1:$port1, n2 on 127.0.0.1:$port2"
echo "session.save_path = \"$save_path\""
echo

written=$(php_on web1 write)
id=$(field "$written" id)
echo "1. PHP process $(field "$written" pid) (clustered_session.route=web1) starts a session and writes:"
echo "      $(field "$written" 'data')"
echo "   session ID: $id"
echo "      random part  $(field "$written" random)  ($(field "$written" 'len(random)') chars x 5 bits, from getrandom)"
echo "      store        $(field "$written" store)    memcached node holding the copy"
echo "      route        $(field "$written" owner)  app node that owns the session"
store=$(field "$written" store)
store_port=$([ "$store" = n1 ] && echo "$port1" || echo "$port2")
other_port=$([ "$store" = n1 ] && echo "$port2" || echo "$port1")
ask() { printf 'get sess.%s\r\nquit\r\n' "$id" | python3 -c '
import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read())
out=b""
while True:
    b=s.recv(65536)
    if not b: break
    out+=b
print(out.split(b"\r\n")[0].decode())' "$1"; }
echo "   memcached $store answers: $(ask "$store_port")"
echo "   the other node answers:  $(ask "$other_port")   (the data lives only where the ID says)"
echo

read_back=$(php_on web1 read "$id")
echo "2. Another PHP process $(field "$read_back" pid), same route web1, reads it back:"
echo "      $(field "$read_back" 'data')"
echo "      same ID: $(field "$read_back" id)"
echo

moved=$(php_on web2 read "$id")
echo "3. PHP process $(field "$moved" pid) on another app node (route web2) gets the old cookie:"
echo "      data: $(field "$moved" 'data')"
echo "      fetched from $store through the ID suffix, then taken over under a new ID:"
echo "      $(field "$moved" id)   (route now $(field "$moved" owner); migrations=$(field "$moved" migrations))"
echo "   old key on $store now: $(ask "$store_port")"
echo
echo "Done: the two memcached nodes are stopped again."
