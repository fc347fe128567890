#!/bin/bash
# A VXLAN-stitched cluster takes frames only from its peer gateways (issue 15,
# item 4). The product's steps (l2.segment, l2.vxlan through nodestep) stitch
# job J between site A (gateway WAN address 192.0.2.1, namespace WA) and site
# B (192.0.2.11, WB). A third WAN namespace WX (192.0.2.66) on the same WAN
# bridge is no peer of J; it is the peer of another job K at site A, so it
# may feed K's VNI and only that one.
#  (a) positive controls: J's hosts talk across the sites; K's peer X reaches
#      K's gateway address over K's VNI;
#  (b) the injection: X makes its own VXLAN device with J's VNI pointed at
#      A's gateway and pings J's host (ARP, and a static neighbour so the
#      echo is sent without ARP too) and J's gateway address, while B's
#      host pings A's host at the same time. X gets no reply and no packet
#      of J's VNI back from A; J's host sees nothing from X; A's gateway learned
#      nothing (vx0's FDB, br0's FDB); the filter's counter in WA shows the
#      injected packets did arrive and were dropped; B's pings all came back;
#  (c) the device does not learn, and the filter names only the peers;
#  (d) undo removes J's filter and leaves K's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
vc_setup

NSTEP=$TOOLS/nodestep
[ -x "$NSTEP" ] || fail "no $NSTEP: build it with make BUILD=$VC_BUILD"
command -v tcpdump >/dev/null || fail "tcpdump is not installed"

start_ovs
ovs_bridge br-a
ovs_bridge br-b
WA=${NS_PREFIX}wa WB=${NS_PREFIX}wb WX=${NS_PREFIX}wx
# Job ids of this run only (test_l2ext counts from 700000).
J=$((500000 + $$ % 100000))
K=$((J + 100000))
VJ=6001 VK=6002
hex() { printf '%x' "$1"; }
JOBNS=("vcl-$J" "vcl-$J-b" "vcl-$K")
EXTRA_PIDS=()
LEFT=""
inj_cleanup() {
        local p ns
        for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${EXTRA_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        EXTRA_PIDS=()
        for ns in "${JOBNS[@]}"; do
                [ -e "/run/netns/$ns" ] || continue
                LEFT="$LEFT netns:$ns"
                ip netns del "$ns" 2>/dev/null || true
        done
        for ns in "$WA" "$WB" "$WX"; do ip netns del "$ns" 2>/dev/null || true; done
        return 0
}
inj_leak_check() { [ -z "$LEFT" ] || fail "leak: left behind:$LEFT"; }
CLEANUP_HOOKS+=(inj_cleanup)
LEAK_HOOKS+=(inj_leak_check)

# The WAN: WA's bridge wan0 (192.0.2.1) with veths to WB (.11) and WX (.66).
for ns in "$WA" "$WB" "$WX"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
ip -n "$WA" link add wan0 type bridge
ip -n "$WA" addr add 192.0.2.1/24 dev wan0
ip -n "$WA" link set wan0 up
for x in b:"$WB":192.0.2.11 x:"$WX":192.0.2.66; do
        s=${x%%:*} rest=${x#*:} ns=${rest%%:*} ip=${rest#*:}
        ip -n "$WA" link add "wa-$s" type veth peer name "w$s-a" netns "$ns"
        ip -n "$WA" link set "wa-$s" master wan0
        ip -n "$WA" link set "wa-$s" up
        ip -n "$ns" addr add "$ip/24" dev "w$s-a"
        ip -n "$ns" link set "w$s-a" up
        ip netns exec "$ns" ping -c1 -W2 -q 192.0.2.1 >/dev/null || fail "the WAN does not reach $ns"
done

host() {
        ovs_host "$1" "$2" "$3" "$4"
        vsctl set port "$4" tag="$5"
}
host ha 10.78.0.1 br-a pa 101
host hb 10.78.0.2 br-b pb 205

N=0
nstep() {
        local want=$1 rc=0
        shift
        N=$((N + 1))
        local args=("$@") f=$T/args.$N.json
        printf '%s\n' "${args[-1]}" >"$f"
        args[-1]=$f
        "$NSTEP" "${args[@]}" >/dev/null 2>"$T/nstep.$N.err" || rc=$?
        ERR=$(cat "$T/nstep.$N.err")
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/nstep.$N.err"; then
                cat "$T/nstep.$N.err" >&2
                fail "sanitizer report from nodestep $*"
        fi
        [ "$rc" = "$want" ] || fail "nodestep ${*:1:$#-1} exited $rc, expected $want: $ERR"
}
segment() {
        local addr=null
        [ "$6" = null ] || addr="\"$6\""
        printf '{"job": %s, "netns": "%s", "ovs_db": "%s", "ovs_bridge": "%s", "ovs_netns": "%s", "port": "%s", "vlan": %s, "address": %s}' \
                "$1" "$2" "$OVS_DB" "$4" "$OVS_NS" "$3" "$5" "$addr"
}
vxlan() {
        local job=$1 ns=$2 wan=$3 local=$4 vni=$5 rs
        shift 5
        rs=$(printf '"%s",' "$@")
        printf '{"job": %s, "netns": "%s", "wan_netns": "%s", "local": "%s", "remotes": [%s], "vni": %s, "port": 4789, "dev": "vx0"}' \
                "$job" "$ns" "$wan" "$local" "${rs%,}" "$vni"
}
ping_eventually() {
        for _ in $(seq 10); do host_ping "$1" "$2" && return 0; done
        fail "$1 cannot reach $2 (${3:-})"
}

say "(a) job $J stitched A ⇄ B over VNI $VJ; job $K stitched A ⇄ X over VNI $VK"
SA=$(segment $J vcl-$J vcg$(hex $J) br-a 101 10.78.0.254/24)
SB=$(segment $J vcl-$J-b vcg$(hex $J)b br-b 205 null)
SK=$(segment $K vcl-$K vcg$(hex $K) br-a 102 10.79.0.254/24)
XA=$(vxlan $J vcl-$J "$WA" 192.0.2.1 $VJ 192.0.2.11)
XB=$(vxlan $J vcl-$J-b "$WB" 192.0.2.11 $VJ 192.0.2.1)
XK=$(vxlan $K vcl-$K "$WA" 192.0.2.1 $VK 192.0.2.66)
for s in "$SA" "$SB" "$SK"; do nstep 0 do l2.segment "$s"; done
for s in "$XA" "$XB" "$XK"; do nstep 0 do l2.vxlan "$s"; done
ping_eventually ha 10.78.0.2 "J across the VXLAN"
ping_eventually hb 10.78.0.254 "site B's host to J's gateway at A"
# X, K's peer: a VXLAN device of its own for K's VNI.
ip -n "$WX" link add kx type vxlan id $VK local 192.0.2.66 remote 192.0.2.1 dstport 4789
ip -n "$WX" addr add 10.79.0.66/24 dev kx
ip -n "$WX" link set kx up
for _ in $(seq 10); do ip netns exec "$WX" ping -c1 -W1 -q 10.79.0.254 >/dev/null && break; done
ip netns exec "$WX" ping -c1 -W1 -q 10.79.0.254 >/dev/null || fail "K's peer X cannot reach K's gateway over VNI $VK"
say "positive controls: J talks across A ⇄ B, X reaches K over K's VNI"

say "(b) X injects into J's VNI $VJ, while B's host pings A's host"
ip -n "$WX" link add evil type vxlan id $VJ local 192.0.2.66 remote 192.0.2.1 dstport 4789
ip -n "$WX" addr add 10.78.0.66/24 dev evil
ip -n "$WX" link set evil up
EVIL_MAC=$(ip -n "$WX" -j link show evil | jq -r '.[0].address')
HA_MAC=$(ip -n "${NS_PREFIX}ha" -j link show eth0 | jq -r '.[0].address')
# started CMD…: run in the background, remembered for cleanup; pid in $!.
started() { "$@" & EXTRA_PIDS+=("$!"); }
capture() { # NS IFACE FILE FILTER
        started ip netns exec "$1" tcpdump -i "$2" --immediate-mode -U -n -w "$3" "$4" 2>"$3.err"
        for _ in $(seq 50); do grep -q "listening on" "$3.err" 2>/dev/null && return 0; sleep 0.1; done
        fail "tcpdump in $1 did not start: $(cat "$3.err")"
}
# anything of J's VNI from A to X (K's VNI may go there: X is K's peer)
capture "$WX" wx-a "$T/back.pcap" "udp and src host 192.0.2.1 and (udp[12:4] & 0xffffff00) = $((VJ << 8))"
CAP_BACK=$!
capture "${NS_PREFIX}ha" eth0 "$T/in.pcap" "host 10.78.0.66 or ether src $EVIL_MAC"
CAP_IN=$!
ip netns exec "${NS_PREFIX}hb" ping -c 20 -i 0.2 -W 2 10.78.0.1 >"$T/control.txt" 2>&1 &
CONTROL=$!
EXTRA_PIDS+=("$CONTROL")
got=""
ip netns exec "$WX" ping -c3 -W1 -q 10.78.0.1 >/dev/null 2>&1 && got="$got ha(arp)"
ip netns exec "$WX" ping -c3 -W1 -q 10.78.0.254 >/dev/null 2>&1 && got="$got gateway(arp)"
# Without ARP: X knows (guesses) the host's MAC and sends the echo straight at it.
ip -n "$WX" neigh replace 10.78.0.1 lladdr "$HA_MAC" dev evil nud permanent
ip netns exec "$WX" ping -c3 -W1 -q 10.78.0.1 >/dev/null 2>&1 && got="$got ha(static)"
wait "$CONTROL" || true
sleep 0.5
for p in $CAP_BACK $CAP_IN; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
[ -z "$got" ] || fail "the non-peer X got replies from job $J:$got"
back=$(tcpdump -r "$T/back.pcap" -n 2>/dev/null | wc -l)
[ "$back" = 0 ] || fail "A's gateway sent $back packets of VNI $VJ back to X: $(tcpdump -r "$T/back.pcap" -n 2>/dev/null | head -3)"
in=$(tcpdump -r "$T/in.pcap" -n 2>/dev/null | wc -l)
[ "$in" = 0 ] || fail "J's host at A saw $in packets of X: $(tcpdump -r "$T/in.pcap" -n 2>/dev/null | head -3)"
[ -z "$(ip -n "${NS_PREFIX}ha" neigh show 10.78.0.66)" ] || fail "J's host knows X: $(ip -n "${NS_PREFIX}ha" neigh show 10.78.0.66)"
fdb=$(bridge -n vcl-$J fdb show dev vx0)
! grep -q 192.0.2.66 <<<"$fdb" || fail "A's vx0 learned X: $fdb"
! bridge -n vcl-$J fdb show br br0 | grep -qi "^$EVIL_MAC " || fail "A's br0 learned X's MAC $EVIL_MAC"
received=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$T/control.txt")
[ "${received:-0}" -ge 18 ] || fail "the control: B's host got ${received:-0} of 20 replies from A's host: $(tail -2 "$T/control.txt")"
dropped=$(ip netns exec "$WA" nft -j list table inet "vcvx-vcl-$J-vx0" |
        jq '[.nftables[] | .rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add')
[ "${dropped:-0}" -ge 6 ] || fail "the filter in $WA counted ${dropped:-0} dropped packets: the injection never arrived?"
say "X got nothing back and nothing in ($dropped packets dropped at A's WAN); B's host got $received/20 replies meanwhile"

say "(c) the device does not learn; the filter lets only J's peer feed VNI $VJ"
expect_in "nolearning" "$(ip -n vcl-$J -d -o link show vx0)"
rule=$(ip netns exec "$WA" nft list table inet "vcvx-vcl-$J-vx0")
expect_in "ip daddr 192.0.2.1 udp dport 4789 @th,96,24 0x1771 ip saddr != 192.0.2.11" "$rule"
expect_in "drop" "$rule"
# X is still welcome on K's VNI: the filter is per cluster, not per address.
ip netns exec "$WX" ping -c1 -W2 -q 10.79.0.254 >/dev/null || fail "X lost K over VNI $VK"

say "(d) undo: J's filter goes, K's stays"
nstep 0 undo l2.vxlan "$XA"
nstep 0 undo l2.vxlan "$XA" # again: already gone
! ip netns exec "$WA" nft list table inet "vcvx-vcl-$J-vx0" >/dev/null 2>&1 || fail "undo left J's filter in $WA"
ip netns exec "$WA" nft list table inet "vcvx-vcl-$K-vx0" >/dev/null 2>&1 || fail "undoing J removed K's filter"
for s in "$XB" "$XK"; do nstep 0 undo l2.vxlan "$s"; done
for s in "$SA" "$SB" "$SK"; do nstep 0 undo l2.segment "$s"; done
[ -z "$(ip netns exec "$WA" nft list tables | grep vcvx)" ] || fail "filters left in $WA: $(ip netns exec "$WA" nft list tables)"
for ns in "${JOBNS[@]}"; do [ ! -e "/run/netns/$ns" ] || fail "undo left namespace $ns"; done
pass
