#!/bin/bash
# The per-cluster package cache, end to end through Slurm and vlanallocd: a
# 4-node job stitched over two sites (VXLAN over a tbf-shaped "WAN"), an
# origin at site a on the cluster's VLAN serving a package set of 50 files,
# 100 MiB in all, and four namespaces on the cluster's VLAN at site b (the
# remote guests) fetching all of it at once. The bytes that crossed the WAN,
# against what one fetcher's copy costs there without a cache (measured first,
# tunnel and TCP headers included):
#   cache=off                no squid at all: ~4 x
#   cache on (the default)   at most 1.05 x
#   a second cluster         its own squid: the set crosses again (~1 x)
#   CachePreload=            warmed before the job is ready: ~0 during the fetch
# and the cache's squid, nft tables and directory, the gateways' namespaces
# and OVS ports and the tunnel's pieces in the WAN namespaces are gone with
# each job (and are found, by the same probes, while it runs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/sites.sh"
vc_setup
start_munged
start_ovs
ovs_bridge br-a
ovs_bridge br-b
WA=${SITES_PREFIX}wa WB=${SITES_PREFIX}wb
wan_link "$WA" 192.0.2.1/24 "$WB" 192.0.2.11/24 400mbit wan
package_set "$T/www" 50 2M
conf_lines() {
        echo "NodeName=a001 OvsBridge=br-a OvsDb=$OVS_DB OvsNetns=$OVS_NS WanAddr=192.0.2.1 WanNetns=$WA"
        echo "NodeName=a002 OvsBridge=br-a OvsDb=$OVS_DB OvsNetns=$OVS_NS"
        echo "NodeName=b001 OvsBridge=br-b OvsDb=$OVS_DB OvsNetns=$OVS_NS WanAddr=192.0.2.11 WanNetns=$WB"
        echo "NodeName=b002 OvsBridge=br-b OvsDb=$OVS_DB OvsNetns=$OVS_NS"
}
VLANS_A=100-119 VLANS_B=110-129 L2EXT_A=vxlan L2EXT_B=vxlan
mapfile -t lines < <(conf_lines)
write_conf "${lines[@]}"
start_daemon
SLURM_NODE_CPUS=2 start_vcluster_slurm a001 a002 b001 b002

vlan_at() { va show "$1" --json | jq -r ".sites[] | select(.name == \"$2\") | .vlan"; }
# member NAME BR VLAN IP: a namespace "guest" on bridge BR, access port of
# VLAN. Its veth hands OVS's userspace datapath TCP segmentation offload
# super-packets that stall once they cross a tunnel (TESTBED.md: TCP through
# veth on this datapath); a guest's virtio NIC on a kernel datapath does not.
member() {
        ovs_host "$1" "$4" "$2" "m-$1"
        vsctl set port "m-$1" tag="$3"
        ip netns exec "${NS_PREFIX}$1" ethtool -K eth0 tx off tso off gso off >/dev/null
}
submit() {
        local j
        j=$(sbatch --parsable -N4 -n4 -w a001,a002,b001,b002 --vcluster="$1" -o /dev/null --wrap 'sleep 600')
        "$BIN/vcluster" wait "$j" --timeout 90 >"$T/wait" || fail "vcluster wait $j: $(cat "$T/wait"); $(tail -5 "$HOOK_LOG")"
        echo "$j"
}
# fetch N PREFIX: N fetchers PREFIX1..N at once, each the whole set; prints the WAN bytes (site a to b)
fetch() {
        local n=$1 p=$2 i before pids=()
        before=$(wan_bytes "$WA" wan)
        for i in $(seq "$n"); do
                fetch_all "${NS_PREFIX}$p$i" http://10.0.0.200 "$PKG_LIST" >"$T/fetch.$p$i" &
                pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i" || fail "a fetcher of $p failed"; done
        for i in $(seq "$n"); do
                [ "$(cat "$T/fetch.$p$i")" = "$PKG_BYTES" ] || fail "$p$i fetched $(cat "$T/fetch.$p$i") of $PKG_BYTES bytes"
        done
        echo $(($(wan_bytes "$WA" wan) - before))
}
# ratio BYTES: BYTES over the baseline, what one fetcher's copy costs on this WAN
ratio() { awk -v a="$1" -v b="$BASE" 'BEGIN { printf "%.3f", a / b }'; }
# ours: pids of squids of this test still running
ours() {
        local p
        for p in $(pgrep -x squid || true); do grep -qs "$T" "/proc/$p/cmdline" && echo "$p"; done
        return 0
}
# gw_names JOB: the names the product gives the job's gateway pieces, from its
# own helpers (nodestep names): GW_NS_A/GW_PORT_A at a001 (site a, id 1),
# GW_NS_B/GW_PORT_B at b001 (site b, id 2)
gw_names() {
        local out
        out=$("$TOOLS/nodestep" names "$1" a001 1) || fail "nodestep names $1 a001 1"
        read -r GW_NS_A GW_PORT_A <<<"$out"
        out=$("$TOOLS/nodestep" names "$1" b001 2) || fail "nodestep names $1 b001 2"
        read -r GW_NS_B GW_PORT_B <<<"$out"
}
# listing VAR CMD…: VAR is CMD's output; a listing that fails fails the test
# (never reads as "none"). Called in this shell, never in $(…) or a pipe,
# where a failure would only end a subshell.
listing() {
        local __v=$1 __out
        shift
        __out=$("$@" 2>"$T/listing.err") || fail "listing failed: $*: $(cat "$T/listing.err")"
        printf -v "$__v" '%s' "$__out"
}
# wan_state: WAN_STATE is what the product has in the WAN namespaces: UDP
# sockets (the VXLAN port), links it names vc… (tunnel taps), nft tables it
# names vc…; empty when there is none
wan_state() {
        local ns o acc=""
        for ns in "$WA" "$WB"; do
                listing o ip netns exec "$ns" ss -Hlun
                [ -z "$o" ] || acc+="$ns udp: $o;"
                listing o ip -n "$ns" -o link show
                o=$(awk -F': ' '{print $2}' <<<"$o" | sed 's/@.*//' | grep '^vc' || true)
                [ -z "$o" ] || acc+="$ns links: $o;"
                listing o ip netns exec "$ns" nft list tables
                o=$(grep ' vc' <<<"$o" || true)
                [ -z "$o" ] || acc+="$ns nft: $o;"
        done
        WAN_STATE=$acc
}
# gateway_up JOB: the control for gone: while the job runs, the same probes
# find its gateway ports on the sites' bridges, its namespaces, and its
# tunnel's UDP socket in each WAN namespace
gateway_up() {
        local p
        gw_names "$1"
        listing p vsctl list-ports br-a
        grep -qx -- "$GW_PORT_A" <<<"$p" || fail "job $1: no gateway port $GW_PORT_A on br-a: $p"
        listing p vsctl list-ports br-b
        grep -qx -- "$GW_PORT_B" <<<"$p" || fail "job $1: no gateway port $GW_PORT_B on br-b: $p"
        [ -e "/run/netns/$GW_NS_A" ] && [ -e "/run/netns/$GW_NS_B" ] || fail "job $1: no namespace $GW_NS_A or $GW_NS_B"
        wan_state
        [[ $WAN_STATE == *"$WA udp: "* ]] || fail "job $1: no tunnel socket in $WA: $WAN_STATE"
        [[ $WAN_STATE == *"$WB udp: "* ]] || fail "job $1: no tunnel socket in $WB: $WAN_STATE"
}
# gone JOB: no squid, namespace, gateway port (vcgHEX.SITE on the sites'
# bridges, its veth in the switch's namespace) or cache directory of the job
# is left once the node epilogs are through (they may still run when the job
# is released); with no job left, nothing of a tunnel in the WAN namespaces
gone() {
        local l q
        gw_names "$1"
        for _ in $(seq 150); do
                [ -z "$(ip netns list | grep -xE "($GW_NS_A|$GW_NS_B)( .*)?")$(ours)" ] && break
                sleep 0.2
        done
        # This job's gateways' namespaces, by the product's own names: another
        # run's job of the same id on other nodes is not ours.
        listing l ip netns list
        ! grep -qxE "($GW_NS_A|$GW_NS_B)( .*)?" <<<"$l" ||
                fail "job $1: namespaces left: $(grep -xE "($GW_NS_A|$GW_NS_B)( .*)?" <<<"$l")"
        [ -z "$(ours)" ] || fail "job $1: a squid of this test still runs (pid $(ours))"
        [ -z "$(find "$T/state/nodes" -path "*/$1/cache" 2>/dev/null)" ] || fail "job $1: cache directory left"
        listing l vsctl list-ports br-a
        ! grep -qx -- "$GW_PORT_A" <<<"$l" || fail "job $1: gateway port $GW_PORT_A left on br-a"
        listing l vsctl list-ports br-b
        ! grep -qx -- "$GW_PORT_B" <<<"$l" || fail "job $1: gateway port $GW_PORT_B left on br-b"
        listing l ip -n "$OVS_NS" -o link show
        ! grep -qE -- ": ($GW_PORT_A|$GW_PORT_B)[@:]" <<<"$l" || fail "job $1: a gateway veth is left in $OVS_NS"
        listing q squeue -h -o %i
        if [ -z "$q" ]; then
                wan_state
                [ -z "$WAN_STATE" ] || fail "job $1: tunnel pieces left in the WAN namespaces: $WAN_STATE"
        fi
}

say "cache=off: nothing is started, and each fetcher's copy crosses"
J3=$(submit name=green,l2=stitched,cache=off)
[ "$(va show "$J3" --json | jq '.sites[1].cache')" = null ] || fail "cache=off job has a cache: $(va show "$J3")"
gateway_up "$J3"
[ -z "$(find "$T/state/nodes/b001/$J3" -name squid.conf)" ] || fail "cache=off started a squid"
member o3 br-a "$(vlan_at "$J3" a)" 10.0.0.200
origin_start "${NS_PREFIX}o3" "$T/www" 80
for i in 1 2 3 4; do member "h$i" br-b "$(vlan_at "$J3" b)" "10.0.0.3$i"; done
BASE=$(fetch 1 h)
say "cache off, N=1: $BASE bytes crossed the WAN for the $PKG_BYTES-byte set: the baseline (tunnel and TCP overhead included)"
w=$(fetch 4 h)
say "cache off, N=4: ratio $(ratio "$w") to the baseline"
awk -v w="$w" -v s="$BASE" 'BEGIN { exit !(w >= 3.8 * s) }' || fail "cache=off: only $w bytes crossed for 4 fetchers"
scancel "$J3"
wait_job_gone "$J3"
wait_released "$J3"
gone "$J3"

say "cache on: 4 remote fetchers take the 100 MiB set across the WAN once"
J1=$(submit name=red,l2=stitched)
gateway_up "$J1"
[ "$(va show "$J1" --json | jq -r '.sites[1].cache.address')" = 10.0.0.254/24 ] || fail "plan: $(va show "$J1" --json)"
member o1 br-a "$(vlan_at "$J1" a)" 10.0.0.200
origin_start "${NS_PREFIX}o1" "$T/www" 80
for i in 1 2 3 4; do member "f$i" br-b "$(vlan_at "$J1" b)" "10.0.0.1$i"; done
[ "$(ip netns exec "vcl-$J1-b001" nft list tables | grep vcache | sort | paste -sd' ')" = "table bridge vcache table ip vcache" ] ||
        fail "no interception tables in the cache's namespace: $(ip netns exec "vcl-$J1-b001" nft list tables)"
w=$(fetch 4 f)
say "cache on, N=4: $w bytes crossed the WAN (ratio $(ratio "$w") to the baseline)"
awk -v w="$w" -v s="$BASE" 'BEGIN { exit !(w <= 1.05 * s) }' || fail "cache on: $w bytes crossed, above 1.05 x $BASE"
hits=$(grep -c "TCP_HIT\|TCP_MEM_HIT" "$T/state/nodes/b001/$J1/cache/log/access.log" || true)
say "the squid log shows $hits hits of 200 requests (the rest collapsed onto the first fetch of each file)"
[ "$hits" -gt 0 ] || fail "squid logged no hit: $(tail -3 "$T/state/nodes/b001/$J1/cache/log/access.log")"

say "a second cluster has its own cache: the set crosses again"
J2=$(submit name=blue,l2=stitched)
member o2 br-a "$(vlan_at "$J2" a)" 10.0.0.200
origin_start "${NS_PREFIX}o2" "$T/www" 80
member g1 br-b "$(vlan_at "$J2" b)" 10.0.0.21
w=$(fetch 1 g)
say "second cluster, N=1: ratio $(ratio "$w")"
awk -v w="$w" -v s="$BASE" 'BEGIN { exit !(w >= 0.95 * s) }' || fail "the second cluster got the first's cache ($w bytes)"
scancel "$J1" "$J2"
for j in "$J1" "$J2"; do wait_job_gone "$j"; wait_released "$j"; gone "$j"; done

say "CachePreload=: the set is warmed before the job is ready; the fetch moves next to nothing"
sed 's|^|http://10.0.0.200|' "$PKG_LIST" >"$T/preload.urls"
mark=$(wc -l <"$T/daemon.log")
SITE_B_EXTRA="CachePreload=$T/preload.urls" write_conf "${lines[@]}"
kill -HUP "$DAEMON_PID"
wait_log reloaded "$mark"
# Every VLAN is free again, and the allocator takes the lowest free id: the
# origin can wait on the one the next job gets at site a before it starts.
member o4 br-a 100 10.0.0.200
origin_start "${NS_PREFIX}o4" "$T/www" 80
J4=$(submit name=teal,l2=stitched)
[ "$(vlan_at "$J4" a)" = 100 ] || fail "job $J4 got VLAN $(vlan_at "$J4" a) at site a, not the lowest free (100)"
grep -q "the cache of job $J4 (netns vcl-$J4-b001): 50 of 50 URLs preloaded" "$HOOK_LOG" ||
        fail "no preload record: $(grep "job $J4" "$HOOK_LOG" | tail -5)"
for i in 1 2 3 4; do member "k$i" br-b "$(vlan_at "$J4" b)" "10.0.0.4$i"; done
w=$(fetch 4 k)
say "preloaded, N=4: ratio $(ratio "$w")"
awk -v w="$w" -v s="$BASE" 'BEGIN { exit !(w <= 0.02 * s) }' || fail "preloaded: $w bytes still crossed"
scancel "$J4"
wait_job_gone "$J4"
wait_released "$J4"
gone "$J4"
pass
