# shellcheck shell=bash
# sites.sh — multi-site pieces for tests and benchmarks, sourced after
# lib.sh: namespaces joined by a shaped "WAN", an origin web server, a set
# of package files and clients that fetch them all. Every namespace made
# here, and every origin started here, is removed or stopped by pid at exit
# (CLEANUP_HOOKS); the leak check (LEAK_HOOKS, before that cleanup) fails the
# test when a process other than an origin, a UDP socket or a vc… link is
# left in one of them. Namespace names start with the run's prefix SITES_PREFIX (vc$$s), so
# parallel runs never collide; a namespace the caller names otherwise (as test_cache
# does its stand-in vcl-N) is registered with sites_netns all the same.
#
#   sites_netns NS                 namespace NS exists (made with lo up if
#                                  missing) and is deleted at exit
#   wan_link NSA IPA NSB IPB RATE [DEV]
#                                  a veth DEV (default wan0) in NSA and in
#                                  NSB (both made if missing), IPA/IPB as
#                                  ADDR/LEN or "-" for none, both ends
#                                  shaped with tc tbf at RATE (tc's units:
#                                  100mbit, 1gbit; "-": unshaped), up
#   wan_bytes NS DEV               DEV's transmitted byte counter in NS
#   origin_start NS DIR PORT       busybox httpd serving DIR on PORT in NS,
#                                  returns once it listens (its pid in
#                                  ORIGIN_PID); stopped at exit
#   origin_stop PID                stop that origin now
#   origin_stop_all                stop every origin started here (by pid)
#   package_set DIR N SIZE         N files of SIZE (head -c units: 2M, 512K)
#                                  of random data in DIR/pkg; their URL paths
#                                  (/pkg/pNNN.deb) in DIR/pkg.list; sets
#                                  PKG_LIST and PKG_BYTES (the total)
#   fetch_all NS BASEURL LISTFILE  GET BASEURL+path for every path of
#                                  LISTFILE, in NS, in one curl; prints the
#                                  bytes fetched; fails the test on any
#                                  error or non-200 answer
SITES_PREFIX="vc$$s" # a letter after the pid: run 12 never matches run 123
SITES_NS=()
ORIGIN_PIDS=()

sites_netns() {
        local ns=$1
        if ! ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
                ip netns add "$ns"
                ip -n "$ns" link set lo up
        fi
        local n
        for n in "${SITES_NS[@]}"; do [ "$n" = "$ns" ] && return 0; done
        SITES_NS+=("$ns")
}

# tbf_burst RATE: a bucket for RATE (tc units) holding 20 ms of it, at least
# 128 KiB so a whole GSO packet of a veth fits (tbf would split it otherwise).
tbf_burst() {
        local r=$1 n unit mult
        n=${r%%[a-zA-Z]*}
        unit=${r#"$n"}
        case "$unit" in
        bit | "") mult=1 ;;
        kbit) mult=1000 ;;
        mbit) mult=1000000 ;;
        gbit) mult=1000000000 ;;
        *) fail "wan_link: rate '$r': use bit, kbit, mbit or gbit" ;;
        esac
        local b=$((n * mult / 8 / 50))
        [ "$b" -ge 131072 ] || b=131072
        echo "$b"
}

wan_link() {
        local nsa=$1 ipa=$2 nsb=$3 ipb=$4 rate=$5 dev=${6:-wan0} ns ip
        sites_netns "$nsa"
        sites_netns "$nsb"
        ip link add "$dev" netns "$nsa" type veth peer name "$dev" netns "$nsb"
        for ns in "$nsa" "$nsb"; do
                [ "$ns" = "$nsa" ] && ip=$ipa || ip=$ipb
                [ "$ip" = - ] || ip -n "$ns" addr add "$ip" dev "$dev"
                if [ "$rate" != - ]; then
                        tc -n "$ns" qdisc add dev "$dev" root tbf rate "$rate" burst "$(tbf_burst "$rate")" \
                                latency 100ms
                fi
                ip -n "$ns" link set "$dev" up
        done
}

wan_bytes() {
        ip -n "$1" -s -j link show dev "$2" | jq '.[0].stats64.tx.bytes'
}

origin_start() {
        local ns=$1 dir=$2 port=$3
        ip netns exec "$ns" busybox httpd -f -p "$port" -h "$dir" >>"$T/origin.log" 2>&1 &
        ORIGIN_PID=$!
        ORIGIN_PIDS+=("$ORIGIN_PID")
        VC_OWN_PIDS+=("$ORIGIN_PID")
        for _ in $(seq 100); do
                ip netns exec "$ns" ss -Htln "sport = :$port" | grep -q . && return 0
                kill -0 "$ORIGIN_PID" 2>/dev/null || fail "origin in $ns did not start: $(tail -3 "$T/origin.log")"
                sleep 0.05
        done
        fail "origin in $ns does not listen on port $port"
}

origin_stop() {
        local p keep=()
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
        for p in "${ORIGIN_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
        ORIGIN_PIDS=("${keep[@]}")
}

origin_stop_all() {
        local p
        for p in "${ORIGIN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${ORIGIN_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        ORIGIN_PIDS=()
}

package_set() {
        local dir=$1 n=$2 size=$3 i f
        mkdir -p "$dir/pkg"
        PKG_LIST=$dir/pkg.list
        : >"$PKG_LIST"
        PKG_BYTES=0
        for i in $(seq -f %03g "$n"); do
                f=$dir/pkg/p$i.deb
                head -c "$size" /dev/urandom >"$f"
                echo "/pkg/p$i.deb" >>"$PKG_LIST"
                PKG_BYTES=$((PKG_BYTES + $(stat -c %s "$f")))
        done
}

fetch_all() {
        local ns=$1 base=$2 list=$3 cfg out path n=0 code size bytes=0 bad=0
        cfg=$(mktemp "$T/fetch.XXXXXX")
        while read -r path; do
                [ -n "$path" ] || continue
                printf 'url = "%s%s"\noutput = "/dev/null"\n' "$base" "$path" >>"$cfg"
                n=$((n + 1))
        done <"$list"
        out=$(ip netns exec "$ns" curl -sS --max-time 300 -K "$cfg" -w '%{http_code} %{size_download}\n' 2>&1) ||
                fail "fetch_all in $ns from $base: curl failed: $(echo "$out" | grep -v '^[0-9]' | head -3)"
        rm -f "$cfg"
        while read -r code size; do
                [ "$code" = 200 ] || bad=$((bad + 1))
                bytes=$((bytes + size))
        done <<<"$(echo "$out" | grep -E '^[0-9]+ [0-9]+$')"
        [ "$(echo "$out" | grep -cE '^[0-9]+ [0-9]+$')" = "$n" ] || fail "fetch_all in $ns: $n URLs, answers: $out"
        [ "$bad" = 0 ] || fail "fetch_all in $ns from $base: $bad of $n answers were not 200: $out"
        echo "$bytes"
}

# sites_cleanup: stop the origins, then remove the namespaces; a process
# still in one (a product's squid, openvpn…) is recorded, then killed.
sites_cleanup() {
        origin_stop_all
        local ns p
        for ns in "${SITES_NS[@]}"; do
                [ -e "/run/netns/$ns" ] || continue
                p=$(vc_foreign_pids "$ns" 2>/dev/null || true)
                [ -z "$p" ] || leak "processes still in $ns at cleanup: $(tr '\n' ';' <<<"$p")"
                p=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
                [ -z "$p" ] || kill -KILL $p 2>/dev/null || true
                ip netns del "$ns" 2>/dev/null || true
                [ ! -e "/run/netns/$ns" ] || leak "network namespace $ns could not be removed"
        done
        SITES_NS=()
}

# sites_leak_check: before sites_cleanup, in every namespace made here: no
# process but the origins, no UDP socket (a tunnel's), no link the product
# names vc… (a tunnel's tap). A listing that fails is a leak, never "none".
# A job's own namespaces (vcl-JOB-NODE) are the product's to remove: each
# test checks them after every job, and vc_netns_leak_check at pass.
sites_leak_check() {
        local ns p links udp
        for ns in "${SITES_NS[@]}"; do
                [ -e "/run/netns/$ns" ] || continue # the test removed it (sites_cleanup need not)
                if ! p=$(vc_foreign_pids "$ns"); then
                        leak "cannot list the processes in $ns"
                        continue
                fi
                [ -z "$p" ] || leak "processes left in $ns: $(tr '\n' ';' <<<"$p")"
                if links=$(ip -n "$ns" -o link show); then
                        p=$(awk -F': ' '{print $2}' <<<"$links" | sed 's/@.*//' | grep '^vc' | tr '\n' ' ' || true)
                        [ -z "$p" ] || leak "links of the product left in $ns: $p"
                else
                        leak "cannot list the links in $ns"
                fi
                if udp=$(ip netns exec "$ns" ss -Hlun); then
                        [ -z "$udp" ] || leak "UDP sockets left in $ns: $(tr '\n' ';' <<<"$udp")"
                else
                        leak "cannot list the sockets in $ns"
                fi
        done
        return 0
}

CLEANUP_HOOKS+=(sites_cleanup)
LEAK_HOOKS+=(sites_leak_check)
