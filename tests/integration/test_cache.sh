#!/bin/bash
# The per-cluster package cache alone (node/cache.c, the step cache.squid),
# run through tests/tools/nodestep against a real squid, nftables and busybox
# httpd in private network namespaces:
#   vcl-JOB  the cluster's namespace on a remote site's gateway, as
#            l2.segment leaves it: bridge br0 (10.0.0.254/24), its port lan0
#            to the local site's switch, its port wan0 the "tunnel" to the
#            site where the origin is (a veth shaped with tc tbf: the WAN)
#   …lsw     the local site's switch (a Linux bridge) with 4 guests f1-f4
#   …org     the other site: the origin 10.0.0.200 (busybox httpd) serving a
#            package set (CACHE_FILES files of CACHE_FILE_SIZE: 50 × 2 MiB)
# and it proves, by the WAN veth's byte counter at the origin:
#  (a) 4 guests fetching the whole set at once move ≤ 1.05 × the set across
#      the WAN (collapsed forwarding, then hits); a file matching the bypass
#      regex crosses once per guest (4×), the others not again; a direct
#      connection to the intercept port is refused and interception still
#      works after it; do again is fine (the same squid)
#  (b) undo leaves no squid process, no nft table, no cache dir, twice; the
#      same fetch with no cache costs ≈ 4 × the set
#  (c) a preload list (comments, a 404 among the URLs, and an "apt" line:
#      packages by name and from an image's package list, resolved through a
#      flat Debian repository's index on the origin, with what they depend
#      on there) warms the cache: "57 of 58 URLs preloaded (BYTES bytes)",
#      then 4 guests fetching the set and the packages' .debs move ~0 bytes
#  (d) a second job's squid (its own namespace, dir and WAN) does not get the
#      first's cache: its first fetch crosses again, its second does not;
#      its parent cache is down, so it goes direct
#  (e) failures change nothing and leave nothing: a preload list with a bad
#      line (FILE:LINE), a bad package name, a package list that is not there, a port another program holds, squid unable to bind
#      (its own words); undo of a squid that ignores SIGTERM (SIGKILL), and
#      of one whose namespace is already gone.
# The cache dir lies under 0700 root directories, as a node's job dir does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/apt.sh"
vc_setup

NODESTEP=$TOOLS/nodestep
[ -x "$NODESTEP" ] || fail "no $NODESTEP: build it with make BUILD=$VC_BUILD"
command -v squid >/dev/null || fail "squid is not installed"
RATE=${CACHE_WAN_RATE:-1gbit}
NFILES=${CACHE_FILES:-50}
FSIZE=${CACHE_FILE_SIZE:-2M}
JOB=$((800000 + $$ % 100000))
JOB2=$((JOB + 100000))
GW=vcl-$JOB
GW2=vcl-$JOB2
P=$SITES_PREFIX
LSW=${P}lsw ORG=${P}org ORG2=${P}org2 BF=${P}bf
ORIGIN=http://10.0.0.200

# step WANT do|undo ARGS: nodestep must exit WANT; its stderr is kept in $ERR
# (and must hold no sanitizer report). step_do and step_undo say which.
step() {
        local want=$1 rc=0
        shift
        "$NODESTEP" "$1" cache.squid "$2" 2>"$T/step.err" || rc=$?
        ERR=$(cat "$T/step.err")
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/step.err"; then
                cat "$T/step.err" >&2
                fail "sanitizer report from nodestep $*"
        fi
        [ "$rc" = "$want" ] || fail "nodestep $1 cache.squid $2 exited $rc, expected $want: $ERR"
}

step_do() { step "$1" "do" "$2"; }
step_undo() { step "$1" undo "$2"; }

# job_args FILE JOB NETNS DIR [BYPASS_JSON [PRELOAD [PARENT]]]: the step's args as the plan writes them.
job_args() {
        jq -n --argjson job "$2" --arg ns "$3" --arg dir "$4" --argjson bypass "${5:-[]}" --arg preload "${6:-}" \
                --arg parent "${7:-}" \
                '{job: $job, netns: $ns, dir: $dir, port: 3129, proxy_port: 3130, user: "proxy", size_mb: 512,
                  subnet: "10.0.0.0/24", lan: "lan0", bypass: $bypass,
                  parent: (if $parent == "" then null else $parent end),
                  preload: (if $preload == "" then null else $preload end)}' >"$1"
        echo "$1" >>"$T/jobs"
}

# Whatever a failed run left: recorded (leak), then undone before the
# namespaces go (hooks run last-registered first).
cache_cleanup() {
        [ -f "$T/jobs" ] || return 0
        local f d
        while read -r f; do
                d=$(jq -r .dir "$f" 2>/dev/null || true)
                if [ -n "$d" ] && { [ -e "$d" ] || [ -n "$(squid_pids "$d")" ]; }; then
                        leak "the cache of $f is left: $d $(squid_pids "$d")"
                fi
                "$NODESTEP" undo cache.squid "$f" >/dev/null 2>&1 || true
        done < <(sort -u "$T/jobs")
}
CLEANUP_HOOKS+=(cache_cleanup)

squid_pids() { pgrep -f -- "-f $1/squid.conf" | tr '\n' ' ' || true; }
vcache_tables() { ip netns exec "$1" nft list tables 2>/dev/null | grep -w vcache | tr '\n' ' ' || true; }

# gone DIR NS: no squid with DIR's config, no table of ours in NS (when NS is there), no DIR.
gone() {
        [ -z "$(squid_pids "$1")" ] || fail "squid still runs: $(squid_pids "$1")"
        [ -z "$(vcache_tables "$2")" ] || fail "tables left in $2: $(vcache_tables "$2")"
        [ ! -e "$1" ] || fail "$1 is left: $(ls -la "$1")"
}

# gateway NS: the cluster's namespace as l2.segment leaves it.
gateway() {
        sites_netns "$1"
        ip -n "$1" link add br0 type bridge
        ip -n "$1" addr add 10.0.0.254/24 dev br0
        ip -n "$1" link set br0 up
}

# cable NSA DEVA NSB DEVB: a veth between two namespaces, both ends up.
cable() {
        ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
        ip -n "$1" link set "$2" up
        ip -n "$3" link set "$4" up
}

# fetch_at_once WANT LIST NS…: every NS fetches all of LIST from the origin at the same time; each gets WANT bytes.
fetch_at_once() {
        local want=$1 list=$2 pids=() ns i=0 k
        shift 2
        for ns in "$@"; do
                fetch_all "$ns" "$ORIGIN" "$list" >"$T/got.$i" &
                pids+=($!)
                i=$((i + 1))
        done
        for k in "${pids[@]}"; do wait "$k" || fail "a guest's fetch failed"; done
        for ((k = 0; k < i; k++)); do
                [ "$(cat "$T/got.$k")" = "$want" ] || fail "guest $k got $(cat "$T/got.$k") bytes, expected $want"
        done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# within A LO HI: LO <= A <= HI (numbers, possibly fractional)
within() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a >= lo && a <= hi) }'; }
crossed() { echo $(($(wan_bytes "$1" wan0) - $2)); }

# --- the sites ---
gateway "$GW"
sites_netns "$LSW"
ip -n "$LSW" link add sw type bridge
ip -n "$LSW" link set sw up
cable "$GW" lan0 "$LSW" up0
ip -n "$GW" link set lan0 master br0
ip -n "$LSW" link set up0 master sw
GUESTS=()
for i in 1 2 3 4; do
        sites_netns "${P}f$i"
        cable "${P}f$i" eth0 "$LSW" "f$i"
        ip -n "$LSW" link set "f$i" master sw
        ip -n "${P}f$i" addr add "10.0.0.1$i/24" dev eth0
        GUESTS+=("${P}f$i")
done
wan_link "$GW" - "$ORG" 10.0.0.200/24 "$RATE"
ip -n "$GW" link set wan0 master br0

WWW=$T/www
package_set "$WWW" "$NFILES" "$FSIZE"
SET=$PKG_BYTES
mkdir -p "$WWW/config"
head -c 1M /dev/urandom >"$WWW/config/site.conf"
echo /config/site.conf >"$T/config.list"
CONF_BYTES=$(stat -c %s "$WWW/config/site.conf")
head -1 "$PKG_LIST" >"$T/one.list"
ONE_BYTES=$(stat -c %s "$WWW$(head -1 "$PKG_LIST")")
origin_start "$ORG" "$WWW" 80
say "package set: $NFILES files, $SET bytes; WAN $RATE"
[ "$(fetch_all "${P}f1" "$ORIGIN" "$T/one.list")" = "$ONE_BYTES" ] || fail "the origin is not reachable directly"

# The job dir of a node: root's and 0700 all the way down, like nodestate.c makes it.
mkdir -p "$T/state/nodes/n1/$JOB" "$T/state/nodes/n2/$JOB2"
chmod 0700 "$T/state" "$T/state/nodes" "$T/state/nodes/n1" "$T/state/nodes/n2" "$T/state/nodes/n1/$JOB" \
        "$T/state/nodes/n2/$JOB2"
DIR=$T/state/nodes/n1/$JOB/cache
DIR2=$T/state/nodes/n2/$JOB2/cache
A=$T/a.json
job_args "$A" "$JOB" "$GW" "$DIR" '["/config/"]'

# (a) the cache in front of 4 guests
t0=$(date +%s.%N)
step_do 0 "$A"
say "(a) cache.squid do: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
PID=$(cat "$DIR/squid.pid")
[ -n "$(squid_pids "$DIR")" ] || fail "no squid runs with $DIR/squid.conf"
[ "$(vcache_tables "$GW")" = "table bridge vcache table ip vcache " ] || fail "tables: $(vcache_tables "$GW")"
[ "$(ip netns exec "$GW" sysctl -n net.bridge.bridge-nf-call-iptables)" = 1 ] || fail "bridge netfilter is off"
cc=$(ip netns exec "$GW" sysctl -n net.ipv4.tcp_congestion_control)
[ "$cc" = reno ] || fail "the cache's namespace uses $cc, not reno"
[ "$(ip netns exec "$GW" ss -Htnli "( sport = :3129 )" | awk '/cwnd:/ { print $1 }' | sort -u)" = reno ] || \
        fail "squid's intercept port does not use reno: $(ip netns exec "$GW" ss -Htnli)"
[ "$(stat -c %U:%a "$DIR")" = root:711 ] || fail "$DIR: $(stat -c %U:%a "$DIR")"
[ "$(stat -c %U "$DIR/cache" "$DIR/log" | sort -u)" = proxy ] || fail "cache/ and log/ are not proxy's"
[ "$(stat -c %U "$DIR/squid.conf")" = root ] || fail "squid.conf is not root's"
expect_in "user proxy may now search $T/state (POSIX ACL" "$ERR"
step_do 0 "$A"
expect_in "squid already runs (pid $PID)" "$ERR"
[ "$(cat "$DIR/squid.pid")" = "$PID" ] || fail "a second do started another squid"

b0=$(wan_bytes "$ORG" wan0)
fetch_at_once "$SET" "$PKG_LIST" "${GUESTS[@]}"
w=$(crossed "$ORG" "$b0")
say "(a) 4 guests × $SET bytes through the cache: $w bytes crossed the WAN, ratio $(ratio "$w" "$SET")"
within "$w" "$SET" "$(awk -v s="$SET" 'BEGIN { print s * 1.05 }')" || fail "WAN bytes $w not within 1-1.05 × $SET"
say "(a) squid's answers:$(awk '{ split($4, r, "/"); n[r[1]]++ } END { for (k in n) printf " %s %d", k, n[k] }' \
        "$DIR/log/access.log")"

b0=$(wan_bytes "$ORG" wan0)
fetch_at_once "$CONF_BYTES" "$T/config.list" "${GUESTS[@]}"
w=$(crossed "$ORG" "$b0")
say "(a) bypass /config/: 4 guests × $CONF_BYTES bytes: $w bytes crossed, ratio $(ratio "$w" "$CONF_BYTES")"
within "$w" "$((CONF_BYTES * 4))" "$((CONF_BYTES * 5))" || fail "the bypassed file did not cross 4 times: $w"
b0=$(wan_bytes "$ORG" wan0)
fetch_at_once "$ONE_BYTES" "$T/one.list" "${GUESTS[@]}"
w=$(crossed "$ORG" "$b0")
[ "$w" -lt $((ONE_BYTES / 20)) ] || fail "a cached file crossed again: $w bytes"

# A connection straight to the intercept port is reset; interception still works after it.
rc=0
ip netns exec "${P}f1" curl -sS -o /dev/null --max-time 5 http://10.0.0.254:3129/ 2>/dev/null || rc=$?
[ "$rc" = 7 ] || fail "a direct connection to the intercept port was not refused (curl exit $rc)"
[ "$(fetch_all "${P}f1" "$ORIGIN" "$T/one.list")" = "$ONE_BYTES" ] || fail "interception broken by a direct connection"

# (b) undo, twice; without the cache every guest's fetch crosses
step_undo 0 "$A"
gone "$DIR" "$GW"
step_undo 0 "$A"
[ -d "$T/state/nodes/n1/$JOB" ] || fail "undo removed more than the cache dir"
b0=$(wan_bytes "$ORG" wan0)
fetch_at_once "$SET" "$PKG_LIST" "${GUESTS[@]}"
w=$(crossed "$ORG" "$b0")
say "(b) 4 guests × $SET bytes, no cache: $w bytes crossed the WAN, ratio $(ratio "$w" "$SET")"
within "$w" "$(awk -v s="$SET" 'BEGIN { print s * 3.95 }')" "$(awk -v s="$SET" 'BEGIN { print s * 4.25 }')" ||
        fail "without the cache $w bytes crossed, not ≈ 4 × $SET"

# (c) preloading warms the cache: URLs, and packages by name through a flat
# repository's index (tcpdump and iperf3 need the other five there)
apt_repo "$WWW/repo" tcpdump iperf3 libpcap0.8 libiperf0 libsctp1 libdbus-1-3
NDEBS=$(find "$WWW/repo" -name '*.deb' | wc -l)
printf '# an image package list, as dpkg-query -W prints one
tcpdump	4.99.3-1
' >"$T/image.packages"
LIST_C=$T/list-c
{
        cat "$PKG_LIST"
        find "$WWW/repo" -name '*.deb' -printf '/repo/%f\n'
} >"$LIST_C"
SET_C=$((SET + APT_DEBS))
PRE=$T/preload.txt
{
        echo "# the packages the image installs"
        echo
        sed "s|^|$ORIGIN|" "$PKG_LIST"
        echo "   $ORIGIN/pkg/missing.deb   # not on the origin"
        echo "apt $ORIGIN/repo iperf3 nosuch-pkg @$T/image.packages # by name"
        echo "apt $ORIGIN/norepo tcpdump # no index there: a warning, the rest still preloaded"
} >"$PRE"
job_args "$A" "$JOB" "$GW" "$DIR" '["/config/"]' "$PRE"
b0=$(wan_bytes "$ORG" wan0)
step_do 0 "$A"
w=$(crossed "$ORG" "$b0")
expect_in "$ORIGIN/repo/: 3 packages named, $NDEBS .debs with what they need; not in its index: nosuch-pkg" "$ERR"
expect_in "$((NFILES + NDEBS)) of $((NFILES + NDEBS + 1)) URLs preloaded ($SET_C bytes)" "$ERR"
expect_in "preloading $ORIGIN/pkg/missing.deb: 'HTTP/1.1 404 Not Found'" "$ERR"
expect_in "preloading from $ORIGIN/norepo/: its index $ORIGIN/norepo/Packages: 'HTTP/1.1 404 Not Found'" "$ERR"
say "(c) preload: $(echo "$ERR" | grep -o '[0-9]* of [0-9]* URLs preloaded.*'); $w bytes crossed"
within "$w" "$SET_C" "$(awk -v s="$SET_C" 'BEGIN { print s * 1.05 }')" || fail "preloading moved $w bytes"
b0=$(wan_bytes "$ORG" wan0)
fetch_at_once "$SET_C" "$LIST_C" "${GUESTS[@]}"
w=$(crossed "$ORG" "$b0")
say "(c) 4 guests after preloading: $w bytes crossed the WAN, ratio $(ratio "$w" "$SET_C")"
[ "$w" -lt $((SET_C / 100)) ] || fail "after preloading $w bytes crossed"

# (d) a second job: its own namespace, WAN and origin, one guest; job A still runs, warm
gateway "$GW2"
sites_netns "$BF"
cable "$GW2" lan0 "$BF" eth0
ip -n "$GW2" link set lan0 master br0
ip -n "$BF" addr add 10.0.0.31/24 dev eth0
wan_link "$GW2" - "$ORG2" 10.0.0.200/24 "$RATE"
ip -n "$GW2" link set wan0 master br0
origin_start "$ORG2" "$WWW" 80
B=$T/b.json
# Its parent cache is down (nothing listens on 127.0.0.1:9): squid goes direct.
job_args "$B" "$JOB2" "$GW2" "$DIR2" '[]' "" 127.0.0.1:9
step_do 0 "$B"
grep -qx "cache_peer 127.0.0.1 parent 9 0 no-query default" "$DIR2/squid.conf" || fail "no cache_peer line"
a0=$(wan_bytes "$ORG" wan0)
b0=$(wan_bytes "$ORG2" wan0)
[ "$(fetch_all "$BF" "$ORIGIN" "$PKG_LIST")" = "$SET" ] || fail "job 2's guest did not get the set"
w=$(crossed "$ORG2" "$b0")
say "(d) job 2's first fetch: $w bytes crossed its WAN, ratio $(ratio "$w" "$SET")"
within "$w" "$SET" "$(awk -v s="$SET" 'BEGIN { print s * 1.05 }')" || fail "job 2's first fetch moved $w bytes"
[ "$(crossed "$ORG" "$a0")" -lt 65536 ] || fail "job 2's fetch went over job 1's WAN"
say "(d) job 2's squid (its parent down) forwarded to:$(awk '{ split($9, h, "/"); n[h[1]]++ }
        END { for (k in n) printf " %s %d", k, n[k] }' "$DIR2/log/access.log")"
grep -q HIER_DIRECT "$DIR2/log/access.log" || fail "job 2's squid did not go direct with its parent down"
b0=$(wan_bytes "$ORG2" wan0)
[ "$(fetch_all "$BF" "$ORIGIN" "$PKG_LIST")" = "$SET" ] || fail "job 2's guest did not get the set again"
w=$(crossed "$ORG2" "$b0")
[ "$w" -lt $((SET / 100)) ] || fail "job 2's second fetch moved $w bytes"
step_undo 0 "$B"
gone "$DIR2" "$GW2"

# (e) failures: nothing made, nothing left
BAD=$T/bad-preload.txt
printf '# list\n%s/pkg/p001.deb\n\nftp://10.0.0.200/pkg/p002.deb\n' "$ORIGIN" >"$BAD"
job_args "$B" "$JOB2" "$GW2" "$DIR2" '[]' "$BAD"
step_do 1 "$B"
expect_in "$BAD:4: 'ftp://10.0.0.200/pkg/p002.deb' is not an http:// URL" "$ERR"
expect_in "(untouched)" "$ERR"
gone "$DIR2" "$GW2"
say "(e) bad preload list: ${ERR#nodestep: }"
printf 'apt %s/repo tcpdump
apt %s/repo iperf3 Bad_Name
' "$ORIGIN" "$ORIGIN" >"$BAD"
step_do 1 "$B"
expect_in "$BAD:2: 'Bad_Name' is neither a Debian package name nor @FILE (an absolute path)" "$ERR"
gone "$DIR2" "$GW2"
printf 'apt %s/repo @%s/no-such.packages
' "$ORIGIN" "$T" >"$BAD"
step_do 1 "$B"
expect_in "package list $T/no-such.packages: No such file or directory" "$ERR"
expect_in "(untouched)" "$ERR"
gone "$DIR2" "$GW2"

job_args "$B" "$JOB2" "$GW2" "$DIR2"
mkdir -p "$T/empty"
origin_start "$GW2" "$T/empty" 3129 # another program on squid's intercept port
step_do 1 "$B"
expect_in "TCP port 3129 in network namespace $GW2 is already taken by another program" "$ERR"
expect_in "(untouched)" "$ERR"
gone "$DIR2" "$GW2"
origin_stop "$ORIGIN_PID"
say "(e) port taken: ${ERR#nodestep: }"

# No 127.0.0.1 in the namespace: squid starts, cannot bind its proxy port, says so.
ip -n "$GW2" addr del 127.0.0.1/8 dev lo
step_do 1 "$B"
ip -n "$GW2" addr add 127.0.0.1/8 dev lo
expect_in "squid cannot work:" "$ERR"
expect_in "Cannot bind socket" "$ERR"
expect_in "127.0.0.1:3130" "$ERR"
expect_in "(untouched)" "$ERR"
gone "$DIR2" "$GW2"
say "(e) squid cannot bind: $(echo "$ERR" | tail -1)"

# A squid that ignores SIGTERM (stopped) is killed; undo still succeeds.
step_do 0 "$B"
kill -STOP "$(cat "$DIR2/squid.pid")"
step_undo 0 "$B"
expect_in "SIGKILL" "$ERR"
gone "$DIR2" "$GW2"

# The namespace went first (l2.segment undone before us): squid, which held it, still goes.
step_do 0 "$B"
ip netns del "$GW2"
step_undo 0 "$B"
gone "$DIR2" "$GW2"
step_undo 0 "$B"

step_undo 0 "$A"
gone "$DIR" "$GW"
[ -z "$(pgrep -f -- "$T/state" || true)" ] || fail "a process of the caches is left: $(pgrep -af -- "$T/state")"
pass
