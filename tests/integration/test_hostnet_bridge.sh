#!/bin/bash
# The compute node's "bridge" host network (node/bridge.c, libnl-3 route),
# driven through tests/tools/nlbridge inside private network namespaces: a
# node with a veth pair standing in for its trunk, and two "guests".
#  (a) `up` stops at the kernel's missing 802.1Q with the message naming it
#      and exit 1, leaving no bridge and no TRUNK.VLAN link (on a kernel that
#      has 802.1Q, up/idempotent up/down are checked instead);
#  (b) create-bridge, enslave, ports and delete really work (checked with
#      `ip`), and the bridge nlbridge built forwards: guest A pings guest B
#      through it, and no longer once it is deleted; `down` leaves a bridge
#      that another user still has ports on;
#  (c) `down` on nothing is 0, twice;
#  (d) clear errors: missing trunk, too-long names, VLAN id out of range,
#      wrong kinds, bad usage (exit 2).
# Every namespace is removed at the end; the leak check fails if one of this
# run's is left.
. "$(dirname "$0")/lib.sh"
vc_setup

NLB=$TOOLS/nlbridge
[ -x "$NLB" ] || fail "no $NLB: build it with make BUILD=$VC_BUILD"
NS_PREFIX="vcnl$$"
NODE=${NS_PREFIX}node
GA=${NS_PREFIX}ga
GB=${NS_PREFIX}gb
NETNS=()

netns_add() {
        ip netns add "$1"
        NETNS+=("$1")
        ip -n "$1" link set lo up
}
# netns_cleanup: a namespace it cannot remove is recorded (leak), as is one
# of this run's that it never made.
netns_cleanup() {
        local ns left
        for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
        NETNS=()
        left=$(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX" || true)
        [ -z "$left" ] || leak "network namespaces left: $(echo $left)"
}
CLEANUP_HOOKS+=(netns_cleanup)

# nlb WANT ARGS…: nlbridge ARGS in the node's namespace must exit WANT;
# its stdout is kept in $OUT, its stderr in $ERR (no sanitizer report in it).
nlb() {
        local want=$1 rc=0
        shift
        OUT=$(nsenter --net="/run/netns/$NODE" "$NLB" "$@" 2>"$T/nlb.err") || rc=$?
        ERR=$(cat "$T/nlb.err")
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/nlb.err"; then
                cat "$T/nlb.err" >&2
                fail "sanitizer report from nlbridge $*"
        fi
        [ "$rc" = "$want" ] || fail "nlbridge $* exited $rc, expected $want: $ERR"
}
links() { ip -n "$NODE" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
has_link() { ip -n "$NODE" link show "$1" >/dev/null 2>&1; }
kind_of() { ip -n "$NODE" -d -o link show "$1" | grep -oE '\b(bridge|veth|vlan)\b' | head -1; }
ports_ip() { ip -n "$NODE" -o link show master "$1" | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
guest_ping() { ip netns exec "$1" ping -c1 -W"${3:-2}" -q "$2" >/dev/null 2>&1; }

netns_add "$NODE"
ip -n "$NODE" link add eth9 type veth peer name sw9
ip -n "$NODE" link set eth9 up
ip -n "$NODE" link set sw9 up
BEFORE=$(links)

# (a) up: the VLAN link comes first; this kernel has no 802.1Q, so nothing is made.
if ip -n "$NODE" link add link eth9 name eth9.7 type vlan id 7 2>/dev/null; then
        ip -n "$NODE" link del eth9.7
        say "(a) kernel has 802.1Q: up/down for real"
        nlb 0 up eth9 101 brv101
        [ "$(kind_of eth9.101)" = vlan ] || fail "eth9.101 is not a VLAN link"
        [ "$(kind_of brv101)" = bridge ] || fail "brv101 is not a bridge"
        [ "$(ports_ip brv101)" = "eth9.101 " ] || fail "brv101 ports: $(ports_ip brv101)"
        nlb 0 up eth9 101 brv101
        nlb 0 ports brv101
        [ "$OUT" = eth9.101 ] || fail "ports brv101: '$OUT'"
        nlb 0 down eth9 101 brv101
        [ "$(links)" = "$BEFORE" ] || fail "down left links: $(links)"
        nlb 0 down eth9 101 brv101
else
        say "(a) kernel has no 802.1Q: up must stop there"
        nlb 1 up eth9 101 brv101
        expect_in "eth9.101 on eth9: kernel has no 802.1Q support (CONFIG_VLAN_8021Q)" "$ERR"
        has_link brv101 && fail "up left the bridge brv101 behind"
        has_link eth9.101 && fail "up left eth9.101 behind"
        [ "$(links)" = "$BEFORE" ] || fail "up changed the links: '$BEFORE' → '$(links)'"
        # An existing bridge of that name is not touched either.
        ip -n "$NODE" link add brv101 type bridge
        nlb 1 up eth9 101 brv101
        expect_in "kernel has no 802.1Q support (CONFIG_VLAN_8021Q)" "$ERR"
        [ "$(kind_of brv101)" = bridge ] || fail "up removed a bridge it did not make"
        ip -n "$NODE" link del brv101
fi

# (b) the building blocks, checked with ip, and a bridge that really forwards.
netns_add "$GA"
netns_add "$GB"
ip -n "$NODE" link add tapa type veth peer name eth0 netns "$GA"
ip -n "$NODE" link add tapb type veth peer name eth0 netns "$GB"
for g in "$GA:10.77.0.1" "$GB:10.77.0.2"; do
        ip -n "${g%%:*}" addr add "${g#*:}/24" dev eth0
        ip -n "${g%%:*}" link set eth0 up
done
ip -n "$NODE" link set tapa up
ip -n "$NODE" link set tapb up
guest_ping "$GA" 10.77.0.2 1 && fail "guests reach each other before there is a bridge"

nlb 0 create-bridge br0
[ "$(kind_of br0)" = bridge ] || fail "create-bridge br0 made no bridge: $(ip -n "$NODE" -d link show br0)"
ip -n "$NODE" -o link show br0 | grep -q '[<,]UP[,>]' || fail "br0 is not up"
nlb 0 create-bridge br0 # idempotent
# An existing bridge that is down is brought up; lo is no bridge.
ip -n "$NODE" link add brdown type bridge
nlb 0 create-bridge brdown
ip -n "$NODE" -o link show brdown | grep -q '[<,]UP[,>]' || fail "create-bridge left brdown down"
nlb 0 delete brdown
has_link brdown && fail "delete brdown: it is still there"
nlb 1 create-bridge lo
expect_in "lo exists but is not a bridge (it has no link kind: a physical or loopback device)" "$ERR"
nlb 0 ports br0
[ -z "$OUT" ] || fail "a new bridge has ports: '$OUT'"
nlb 0 enslave tapa br0
nlb 0 enslave tapb br0
nlb 0 enslave tapb br0 # idempotent
[ "$(ports_ip br0)" = "tapa tapb " ] || fail "ip says br0 has ports '$(ports_ip br0)'"
nlb 0 ports br0
[ "$(echo "$OUT" | sort | tr '\n' ' ')" = "tapa tapb " ] || fail "nlbridge ports br0: '$OUT'"
guest_ping "$GA" 10.77.0.2 || guest_ping "$GA" 10.77.0.2 || fail "guest A cannot reach guest B through br0"
guest_ping "$GB" 10.77.0.1 || fail "guest B cannot reach guest A through br0"
say "(b) ping through the bridge nlbridge built"

# Wrong kinds and busy ports.
nlb 0 create-bridge br1
nlb 1 enslave tapa br1
expect_in "tapa is already a port of br0, not of br1" "$ERR"
nlb 1 enslave tapa tapb
expect_in "tapb exists but is not a bridge (it has kind veth)" "$ERR"
nlb 1 enslave nosuch br1
expect_in "interface nosuch does not exist" "$ERR"
nlb 1 enslave tapa nobr
expect_in "bridge nobr does not exist" "$ERR"
nlb 1 create-bridge tapa
expect_in "tapa exists but is not a bridge (it has kind veth)" "$ERR"
nlb 1 ports tapa
expect_in "tapa exists but is not a bridge" "$ERR"
nlb 1 ports nobr
expect_in "bridge nobr does not exist" "$ERR"

# down leaves a bridge another user still has ports on (and says which one).
nlb 0 down eth9 101 br0
expect_in "bridge br0 still has port tap" "$ERR"
[ "$(ports_ip br0)" = "tapa tapb " ] || fail "down touched br0 with its other users' ports: '$(ports_ip br0)'"
# down refuses to delete a link of the wrong kind called like its bridge.
nlb 1 down eth9 101 tapa
expect_in "tapa exists but is not a bridge" "$ERR"
has_link tapa || fail "down deleted the veth tapa"

# delete: the bridge goes, its ports are released, the guests are cut off.
nlb 0 delete br0
has_link br0 && fail "delete br0: it is still there"
[ -z "$(ip -n "$NODE" -o link show master br0 2>/dev/null)" ] || fail "ports still have master br0"
has_link tapa && has_link tapb || fail "deleting the bridge deleted its ports"
guest_ping "$GA" 10.77.0.2 1 && fail "guests still reach each other with br0 deleted"
nlb 0 delete br0 # already gone
nlb 0 delete br1
nlb 0 delete tapb # a veth goes with its peer in guest B
has_link tapb && fail "delete tapb: it is still there"
[ -z "$(ip -n "$GB" -o link show eth0 2>/dev/null)" ] || fail "tapb's peer is still in guest B"
nlb 1 delete lo
expect_in "deleting lo:" "$ERR"

# (c) down on nothing is 0, and stays 0.
nlb 0 down eth9 101 brv101
nlb 0 down eth9 101 brv101
nlb 0 down eth8 4094 brv4094 # even the trunk may be gone already
say "(c) down on nothing"

# (d) errors that name what is wrong.
nlb 1 up eth8 101 brv101
expect_in "trunk interface eth8 does not exist" "$ERR"
nlb 1 up eth9 101 bridge-name-too-long
expect_in "interface name 'bridge-name-too-long' is longer than 15 characters" "$ERR"
ip -n "$NODE" link add trunk-fourteen type veth peer name tf-peer
nlb 1 up trunk-fourteen 101 brv101
expect_in "VLAN interface name 'trunk-fourteen.101' (TRUNK.VLAN) is longer than 15 characters" "$ERR"
nlb 1 up trunk-name-too-long 101 brv101
expect_in "interface name 'trunk-name-too-long' is longer than 15 characters" "$ERR"
nlb 1 create-bridge bridge-name-too-long
expect_in "'bridge-name-too-long' is longer than 15 characters" "$ERR"
nlb 1 up eth9 0 brv101
expect_in "VLAN id 0 on eth9 is out of range (1-4094)" "$ERR"
nlb 1 up eth9 4095 brv101
expect_in "VLAN id 4095 on eth9 is out of range" "$ERR"
nlb 1 create-bridge "br/0"
expect_in "interface name 'br/0' contains a character that is not allowed" "$ERR"
nlb 2 up eth9 notanumber brv101
nlb 2 up eth9
nlb 2 frobnicate
ip -n "$NODE" link del trunk-fourteen
ip -n "$NODE" link del tapa
[ "$(links)" = "$BEFORE" ] || fail "the node's links changed: '$BEFORE' → '$(links)'"
say "(d) errors name what is wrong"

pass
