#!/bin/bash
# The L2 extension of stitched sites (node/l2ext.c), driven step by step
# through tests/tools/nodestep as a gateway's prolog and epilog would run
# them. One ovs-vswitchd (namespace $OVS_NS) with bridges br-a and br-b
# plays both sites' switches; WAN namespaces ${NS_PREFIX}wa and
# ${NS_PREFIX}wb (192.0.2.1 and .11, joined by a veth; .1 sits on a bridge
# so a third site can join) hold the gateways' WAN addresses. Site A's
# VLANs are 101/102, site B's 205/206; each gateway's namespace vcl-… is
# made by l2.segment.
#  (a) l2.segment at both sites for job J1 (twice: idempotent): the OVS
#      port with its tag and job mark, the veth, br0 with its address;
#  (b) l2.vxlan (VNI 5001) joins them: A's host pings B's host, also with
#      1500-byte frames, and br0's address; job J2 stitched with VNI 5002
#      (VLANs 102/206) talks inside itself and never to J1; a decoy host on
#      br-b with VLAN 101 (site A's id of J1, not site B's) reaches nothing
#      of J1, while it reaches its neighbour on that VLAN; a capture on the WAN veth sees the ping's pattern in clear
#      (the control for (d));
#  (c) a three-site job J3 over one VXLAN device per site with two remotes
#      each (FDB head-end replication): all three hosts talk pairwise;
#  (d) J1 over l2.openvpn instead: the hosts talk again, the capture on the
#      WAN veth has the tunnel's packets but never the pattern; the key file
#      is 0600 while it runs; J2 (still VXLAN) stays apart;
#  (e) failures: no key (refused, nothing made), a WAN namespace that does
#      not exist (message, nothing made), a missing OVS bridge (segment
#      removes its netns and veth), a pid file naming a process that is not
#      our openvpn (undo leaves it alone);
#  (f) undo, twice, of everything: no vcl-… namespace, no vcg… port on the
#      bridges, no openvpn, no key file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
vc_setup

NSTEP=$TOOLS/nodestep
[ -x "$NSTEP" ] || fail "no $NSTEP: build it with make BUILD=$VC_BUILD"
command -v openvpn >/dev/null || fail "openvpn is not installed"
command -v tcpdump >/dev/null || fail "tcpdump is not installed"

start_ovs
ovs_bridge br-a
ovs_bridge br-b
WA=${NS_PREFIX}wa
WB=${NS_PREFIX}wb
WC=${NS_PREFIX}wc
# Job ids of this run only, so parallel runs never share a vcl-… name.
J1=$((700000 + $$ % 100000))
J2=$((J1 + 100000))
J3=$((J1 + 200000))
# The names the product gives a gateway's namespace and OVS port
# (vcl-JOB-NODE, vcgHEX.SITE) come from its own helpers (nodestep names,
# l2ext.h), never built here: the gateways of sites a (id 1), b (2) and
# c (3) are nodes a001, b001 and c001, all on this one machine as the
# slurmd of several sites on one host would be.
# gwname NSVAR PORTVAR JOB NODE SITE_ID
gwname() {
        local out
        out=$("$NSTEP" names "$3" "$4" "$5") || fail "nodestep names $3 $4 $5 failed"
        read -r "$1" "$2" <<<"$out"
        [ -n "${!1}" ] && [ -n "${!2}" ] || fail "nodestep names $3 $4 $5: '$out'"
}
for k in 1 2 3; do
        j=J$k
        gwname NA$k PA$k "${!j}" a001 1
        gwname NB$k PB$k "${!j}" b001 2
        gwname NC$k PC$k "${!j}" c001 3
done
JOBNS=("$NA1" "$NB1" "$NC1" "$NA2" "$NB2" "$NC2" "$NA3" "$NB3" "$NC3")
EXTRA_PIDS=()

# Cleanup removes whatever is left, and records each thing it removes (leak)
# before removing it: pass then fails (lib.sh's leak hooks run before it).
l2_cleanup() {
        local p ns f
        for f in "$T"/st-*/*.pid; do
                [ -f "$f" ] || continue
                p=$(cat "$f")
                if tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -qF -- "--writepid $f"; then
                        leak "openvpn $p left running"
                        kill "$p" 2>/dev/null || true
                fi
        done
        for f in "$T"/st-*/*.key; do [ ! -f "$f" ] || leak "key file $f left"; done
        for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${EXTRA_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        EXTRA_PIDS=()
        for ns in "${JOBNS[@]}"; do
                [ -e "/run/netns/$ns" ] || continue
                leak "namespace $ns left"
                ip netns del "$ns" 2>/dev/null || true
        done
        for ns in "$WA" "$WB" "$WC"; do
                [ -e "/run/netns/$ns" ] || continue
                p=$(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^vc' | tr '\n' ' ' || true)
                [ -z "$p" ] || leak "tunnel devices left in $ns: $p"
                ip netns del "$ns" 2>/dev/null || true
        done
        return 0
}
CLEANUP_HOOKS+=(l2_cleanup)

# The WAN: WA's bridge wan0 (192.0.2.1) ⇄ veth ⇄ WB (192.0.2.11).
for ns in "$WA" "$WB"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
ip -n "$WA" link add wan0 type bridge
ip -n "$WA" link add wa-b type veth peer name wb-a netns "$WB"
ip -n "$WA" link set wa-b master wan0
ip -n "$WA" addr add 192.0.2.1/24 dev wan0
ip -n "$WB" addr add 192.0.2.11/24 dev wb-a
for l in wan0 wa-b; do ip -n "$WA" link set "$l" up; done
ip -n "$WB" link set wb-a up
ip netns exec "$WA" ping -c1 -W2 -q 192.0.2.11 >/dev/null || fail "the WAN does not work"

# Hosts on the sites' switches: NAME IP BRIDGE PORT TAG.
host() {
        ovs_host "$1" "$2" "$3" "$4"
        vsctl set port "$4" tag="$5"
}
host ha1 10.77.0.1 br-a pa1 101
host hb1 10.77.0.2 br-b pb1 205
host ha2 10.77.0.3 br-a pa2 102
host hb2 10.77.0.4 br-b pb2 206
host hd 10.77.0.9 br-b pd 101
host hd2 10.77.0.10 br-b pd2 101 # the decoy's neighbour: its positive control

# nstep WANT [-k KEY] do|undo KIND JSON: nodestep must exit WANT; stderr in $ERR, no sanitizer report.
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

# segment JOB NSNAME PORT BRIDGE VLAN ADDRESS|null: the args of l2.segment.
segment() {
        local addr=null
        [ "$6" = null ] || addr="\"$6\""
        printf '{"job": %s, "netns": "%s", "ovs_db": "%s", "ovs_bridge": "%s", "ovs_netns": "%s", "port": "%s", "vlan": %s, "address": %s}' \
                "$1" "$2" "$OVS_DB" "$4" "$OVS_NS" "$3" "$5" "$addr"
}
# vxlan JOB NSNAME WAN LOCAL VNI REMOTE…
vxlan() {
        local job=$1 ns=$2 wan=$3 local=$4 vni=$5 rs
        shift 5
        rs=$(printf '"%s",' "$@")
        printf '{"job": %s, "netns": "%s", "wan_netns": "%s", "local": "%s", "remotes": [%s], "vni": %s, "port": 4789, "dev": "vx0"}' \
                "$job" "$ns" "$wan" "$local" "${rs%,}" "$vni"
}
# openvpn JOB NSNAME WAN LOCAL REMOTE PORT DEV DIR [ROLE]: ROLE hub (default) or
# spoke (spoke 1: the only one here)
openvpn_args() {
        printf '{"job": %s, "netns": "%s", "wan_netns": "%s", "local": "%s", "remote": "%s", "port": %s, "dev": "%s", "dir": "%s", "role": "%s", "spoke": 1}' \
                "${@:1:8}" "${9:-hub}"
}

# ping_eventually NAME IP: NAME reaches IP within ~10 s (tunnels learn, peers start).
ping_eventually() {
        local i
        for i in $(seq 10); do host_ping "$1" "$2" && return 0; done
        fail "$1 cannot reach $2 (${3:-})"
}
expect_no_ping() {
        ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.ctl" revalidator/wait >/dev/null 2>&1 || true
        ! host_ping "$1" "$2" || fail "$1 reaches $2 ($3)"
}
links_of() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
ports_of() { ip -n "$1" -o link show master br0 | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
# alive PID: the process runs (a zombie waiting for init to reap it does not).
alive() { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
vcg_ports() { vsctl list-ports "$1" | grep '^vcg' | tr '\n' ' ' || true; }

P1=$PA1 P1B=$PB1 P2=$PA2 P2B=$PB2

say "(a) l2.segment at both sites"
SA1=$(segment $J1 $NA1 $P1 br-a 101 10.77.0.254/24)
SB1=$(segment $J1 $NB1 $P1B br-b 205 null)
nstep 0 do l2.segment "$SA1"
nstep 0 do l2.segment "$SA1" # idempotent
nstep 0 do l2.segment "$SB1"
[ "$(vsctl get port $P1 tag)" = 101 ] || fail "$P1 tag: $(vsctl get port $P1 tag)"
[ "$(vsctl get port $P1B tag)" = 205 ] || fail "$P1B tag: $(vsctl get port $P1B tag)"
[ "$(vsctl get port $P1 external_ids:vcluster-job)" = "\"$J1\"" ] ||
        fail "$P1 mark: $(vsctl get port $P1 external_ids)"
[ "$(vsctl list-ports br-a | grep -c "^$P1\$")" = 1 ] || fail "$P1 is not on br-a: $(vsctl list-ports br-a)"
[ "$(links_of $NA1)" = "br0 lan0 lo " ] || fail "$NA1 has links: $(links_of $NA1)"
[ "$(ports_of $NA1)" = "lan0 " ] || fail "br0 ports: $(ports_of $NA1)"
ip -n $NA1 -o link show br0 | grep -q '[<,]UP[,>]' || fail "br0 is not up"
ip -n $NA1 -o link show lan0 | grep -q '[<,]UP[,>]' || fail "lan0 is not up"
ip -n $NA1 -o link show lo | grep -q '[<,]UP[,>]' || fail "lo is not up"
ip -n "$OVS_NS" -d -o link show $P1 | grep -q veth || fail "$P1 is no veth in $OVS_NS"
ip -n $NA1 -o addr show dev br0 | grep -q 'inet 10.77.0.254/24' || fail "br0 has no 10.77.0.254/24"
ip netns list | grep -q "^$NA1\b" || fail "ip netns does not list $NA1"
ping_eventually ha1 10.77.0.254 "site A's host to its gateway's br0 over VLAN 101"
expect_no_ping hb1 10.77.0.1 "no tunnel yet"

say "(b) l2.vxlan: VNI 5001 for J1, 5002 for J2"
XA1=$(vxlan $J1 $NA1 "$WA" 192.0.2.1 5001 192.0.2.11)
XB1=$(vxlan $J1 $NB1 "$WB" 192.0.2.11 5001 192.0.2.1)
nstep 0 do l2.vxlan "$XA1"
nstep 0 do l2.vxlan "$XA1" # idempotent
nstep 0 do l2.vxlan "$XB1"
d=$(ip -n $NA1 -d -o link show vx0)
expect_in "vxlan id 5001 remote 192.0.2.11 local 192.0.2.1" "$d"
expect_in "dstport 4789" "$d"
expect_in "mtu 1500" "$d"
# frames go only to the peers (the remote or the all-zero FDB entries): nothing is learned
expect_in "nolearning" "$d"
# Its socket is in the WAN namespace, the device in vcl-…: link-netns says so.
[ -n "$(ip netns exec "$WA" ss -Hlun 'sport = :4789')" ] || fail "no VXLAN socket on 4789 in $WA"
[ -z "$(ip netns exec $NA1 ss -Hlun 'sport = :4789')" ] || fail "a VXLAN socket in $NA1"
[ "$(ports_of $NA1)" = "lan0 vx0 " ] || fail "br0 ports: $(ports_of $NA1)"
ping_eventually ha1 10.77.0.2 "J1 across the VXLAN"
ping_eventually hb1 10.77.0.254 "site B's host to site A's br0"
ip netns exec ${NS_PREFIX}ha1 ping -c1 -W2 -q -M dont -s 1472 10.77.0.2 >/dev/null ||
        fail "a 1500-byte packet does not cross the VXLAN"

SA2=$(segment $J2 $NA2 $P2 br-a 102 null)
SB2=$(segment $J2 $NB2 $P2B br-b 206 null)
nstep 0 do l2.segment "$SA2"
nstep 0 do l2.segment "$SB2"
nstep 0 do l2.vxlan "$(vxlan $J2 $NA2 "$WA" 192.0.2.1 5002 192.0.2.11)"
nstep 0 do l2.vxlan "$(vxlan $J2 $NB2 "$WB" 192.0.2.11 5002 192.0.2.1)"
ping_eventually ha2 10.77.0.4 "J2 across its VXLAN"
expect_no_ping ha1 10.77.0.3 "J1 → J2 at site A"
expect_no_ping ha1 10.77.0.4 "J1 → J2 at site B"
expect_no_ping hb2 10.77.0.2 "J2 → J1 at site B"
expect_no_ping hd 10.77.0.1 "decoy with site A's VLAN id 101 on site B's switch"
expect_no_ping hd 10.77.0.2 "decoy to J1's site B host"
# the control: the same probe from the decoy works on its own VLAN at site B
ping_eventually hd 10.77.0.10 "control: the decoy to its neighbour on VLAN 101 at site B"
say "J1 and J2 each talk across the sites, never to each other; the decoy reaches nothing"

# capture IFACE FILE: tcpdump on WA's WAN veth until capture_stop.
CAP_PID=""
capture() {
        ip netns exec "$WA" tcpdump -i wa-b --immediate-mode -U -w "$1" -n udp 2>"$1.err" &
        CAP_PID=$!
        EXTRA_PIDS+=("$CAP_PID")
        for _ in $(seq 50); do grep -q "listening on" "$1.err" 2>/dev/null && return 0; sleep 0.1; done
        fail "tcpdump did not start: $(cat "$1.err")"
}
capture_stop() {
        sleep 0.5
        kill "$CAP_PID"
        wait "$CAP_PID" 2>/dev/null || true
        EXTRA_PIDS=("${EXTRA_PIDS[@]/$CAP_PID/}")
        CAP_PID=""
}
# The ping's payload: "VCL2CLEARTEXT!!" repeated.
PATTERN=56434c32434c45415254455854212121
pattern_ping() { ip netns exec "${NS_PREFIX}$1" ping -c3 -i0.2 -W2 -q -p "$PATTERN" "$2" >/dev/null; }
capture "$T/vxlan.pcap"
pattern_ping ha1 10.77.0.2 || fail "pattern ping over the VXLAN"
capture_stop
grep -qa "VCL2CLEARTEXT!!!" "$T/vxlan.pcap" || fail "control: the pattern is not in the VXLAN capture"
say "control: the VXLAN capture on the WAN shows the ping's payload in clear"

say "(c) three sites, one VXLAN device each, two remotes (FDB head-end replication)"
ip netns add "$WC"
ip -n "$WC" link set lo up
ip -n "$WA" link add wa-c type veth peer name wc-a netns "$WC"
ip -n "$WA" link set wa-c master wan0
ip -n "$WA" link set wa-c up
ip -n "$WC" addr add 192.0.2.21/24 dev wc-a
ip -n "$WC" link set wc-a up
host ha3 10.77.0.5 br-a pa3 103
host hb3 10.77.0.6 br-b pb3 207
host hc3 10.77.0.7 br-b pc3 208 # site C's switch: br-b serves for it
P3=$PA3
nstep 0 do l2.segment "$(segment $J3 $NA3 $P3 br-a 103 null)"
nstep 0 do l2.segment "$(segment $J3 $NB3 $PB3 br-b 207 null)"
nstep 0 do l2.segment "$(segment $J3 $NC3 $PC3 br-b 208 null)"
X3A=$(vxlan $J3 $NA3 "$WA" 192.0.2.1 5003 192.0.2.11 192.0.2.21)
nstep 0 do l2.vxlan "$X3A"
nstep 0 do l2.vxlan "$X3A" # idempotent: the FDB entries are appended once
nstep 0 do l2.vxlan "$(vxlan $J3 $NB3 "$WB" 192.0.2.11 5003 192.0.2.1 192.0.2.21)"
nstep 0 do l2.vxlan "$(vxlan $J3 $NC3 "$WC" 192.0.2.21 5003 192.0.2.1 192.0.2.11)"
fdb=$(bridge -n $NA3 fdb show dev vx0 | grep '^00:00:00:00:00:00' | sed 's/ link-netnsid [0-9]*//' | sort | tr '\n' ';')
[ "$fdb" = "00:00:00:00:00:00 dst 192.0.2.11 self permanent;00:00:00:00:00:00 dst 192.0.2.21 self permanent;" ] ||
        fail "vx0 of $NA3 has FDB entries: $fdb"
ip -n $NA3 -d -o link show vx0 | grep -q ' remote ' && fail "vx0 with two remotes has a remote set"
ping_eventually ha3 10.77.0.6 "J3 A → B"
ping_eventually ha3 10.77.0.7 "J3 A → C"
ping_eventually hb3 10.77.0.7 "J3 B → C"
expect_no_ping ha3 10.77.0.1 "J3 → J1"
say "three sites talk pairwise over one VXLAN device each"

say "(d) J1 over OpenVPN instead"
nstep 0 undo l2.vxlan "$XA1"
nstep 0 undo l2.vxlan "$XB1"
ip -n $NA1 link show vx0 >/dev/null 2>&1 && fail "undo left vx0 in $NA1"
expect_no_ping ha1 10.77.0.2 "J1 without a tunnel"
head -c 256 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/tunnel.key"
chmod 0600 "$T/tunnel.key"
VPORT=$(free_port)
OA1=$(openvpn_args $J1 $NA1 "$WA" 192.0.2.1 192.0.2.11 "$VPORT" vpn$J1 "$T/st-a")
OB1=$(openvpn_args $J1 $NB1 "$WB" 192.0.2.11 192.0.2.1 "$VPORT" vpn$J1 "$T/st-b" spoke)
nstep 0 -k "$T/tunnel.key" do l2.openvpn "$OA1"
[ "$(stat -c %a "$T/st-a/vpn$J1.key")" = 600 ] || fail "key file mode $(stat -c %a "$T/st-a/vpn$J1.key")"
[ "$(stat -c %a "$T/st-a")" = 700 ] || fail "state dir mode $(stat -c %a "$T/st-a")"
head -1 "$T/st-a/vpn$J1.key" | grep -qx -- "-----BEGIN OpenVPN Static key V1-----" || fail "key file format"
[ "$(sed -n 2,17p "$T/st-a/vpn$J1.key" | tr -d '\n')" = "$(cat "$T/tunnel.key")" ] || fail "key file text"
pa=$(cat "$T/st-a/vpn$J1.pid")
tr '\0' ' ' </proc/$pa/cmdline | grep -q "^openvpn " || fail "pid $pa is not openvpn"
tr '\0' ' ' </proc/$pa/cmdline | grep -q "$(head -c 32 "$T/tunnel.key")" && fail "the key is on openvpn's command line"
grep -q "$(head -c 32 "$T/tunnel.key")" "$T"/args.*.json && fail "the key is in a step's args"
[ "$(readlink /proc/$pa/ns/net)" = "$(ip netns exec "$WA" readlink /proc/self/ns/net)" ] ||
        fail "openvpn does not run in $WA"
[ "$(ports_of $NA1)" = "lan0 vpn$J1 " ] || fail "br0 ports: $(ports_of $NA1)"
ip -n "$WA" link show vpn$J1 >/dev/null 2>&1 && fail "the tap is still in $WA"
nstep 0 -k "$T/tunnel.key" do l2.openvpn "$OB1"
capture "$T/vpn.pcap"
ping_eventually ha1 10.77.0.2 "J1 across OpenVPN"
pattern_ping ha1 10.77.0.2 || fail "pattern ping over OpenVPN"
capture_stop
n=$(tcpdump -r "$T/vpn.pcap" -n "udp port $VPORT" 2>/dev/null | wc -l)
[ "$n" -ge 6 ] || fail "the capture has $n OpenVPN packets"
grep -qa "VCL2CLEARTEXT" "$T/vpn.pcap" && fail "the pattern is in clear on the WAN with OpenVPN"
say "OpenVPN: $n tunnel packets on the WAN, the pattern never in clear"
expect_no_ping ha1 10.77.0.3 "J1 (OpenVPN) → J2 (VXLAN)"
expect_no_ping hd 10.77.0.1 "decoy → J1 over OpenVPN"
ping_eventually hd 10.77.0.10 "control: the decoy to its neighbour (OpenVPN)"
ping_eventually ha2 10.77.0.4 "J2 still over its VXLAN"
# do again (a prolog run again after a crash): the old openvpn is replaced, the tunnel works.
nstep 0 -k "$T/tunnel.key" do l2.openvpn "$OA1"
pa2=$(cat "$T/st-a/vpn$J1.pid")
[ "$pa2" != "$pa" ] || fail "do again kept openvpn $pa"
! alive "$pa" || fail "do again left the old openvpn $pa running"
ping_eventually ha1 10.77.0.2 "J1 across OpenVPN after do again"

say "(e) failures"
# No key: refused before anything is made.
OX=$(openvpn_args $J2 $NA2 "$WA" 192.0.2.1 192.0.2.11 "$VPORT" vpnx "$T/st-x")
nstep 1 do l2.openvpn "$OX"
expect_in "l2.openvpn: vpnx: the job has no tunnel key" "$ERR"
expect_in "(untouched)" "$ERR"
[ ! -e "$T/st-x" ] || fail "a refused openvpn step made $T/st-x"
# A WAN namespace that does not exist.
before=$(links_of $NA2)
nstep 1 do l2.vxlan "$(vxlan $J2 $NA2 "${NS_PREFIX}nowan" 192.0.2.1 5009 192.0.2.11 | sed 's/"vx0"/"vx9"/')"
expect_in "l2.vxlan: WAN namespace (\"wan_netns\") ${NS_PREFIX}nowan does not exist" "$ERR"
[ "$(links_of $NA2)" = "$before" ] || fail "the failed vxlan step changed $NA2: $(links_of $NA2)"
[ ! -e /run/netns/${NS_PREFIX}nowan ] || fail "the failed step made ${NS_PREFIX}nowan"
# A VNI already in use on the same WAN port: the kernel refuses, the message says why.
nstep 1 do l2.vxlan "$(vxlan $J1 $NA1 "$WA" 192.0.2.1 5002 192.0.2.11 | sed 's/"vx0"/"vx9"/')"
expect_in "creating vx9 in $NA1" "$ERR"
expect_in "VNI 5002 and port 4789" "$ERR"
ip -n $NA1 link show vx9 >/dev/null 2>&1 && fail "a failed vxlan step left vx9"
# No namespace of the job (l2.segment not done).
nstep 1 do l2.vxlan "$(vxlan 1 vcl-nosuch-$$ "$WA" 192.0.2.1 5009 192.0.2.11)"
expect_in "network namespace vcl-nosuch-$$ does not exist (is l2.segment done?)" "$ERR"
# A missing OVS bridge: the segment removes its namespace and veth again.
SX=$(segment $J2 $NC2 vcgx$$ br-zz 101 null)
nstep 1 do l2.segment "$SX"
expect_in "OVS bridge br-zz does not exist in $OVS_DB" "$ERR"
[ ! -e /run/netns/$NC2 ] || fail "the failed segment left $NC2"
ip -n "$OVS_NS" link show vcgx$$ >/dev/null 2>&1 && fail "the failed segment left vcgx$$"
[ -z "$(vsctl --columns=name find port name=vcgx$$)" ] || fail "the failed segment left an OVS port"
# An OVS port of that name that is not this job's is refused and left alone.
vsctl --no-wait add-port br-b vcgy$$ -- set port vcgy$$ external_ids:vcluster-job=1
SY=$(segment $J2 $NC2 vcgy$$ br-b 101 null)
nstep 1 do l2.segment "$SY"
expect_in "OVS port vcgy$$ already exists in $OVS_DB and is not job $J2's (external_ids:vcluster-job=1)" "$ERR"
[ "$(vsctl get port vcgy$$ external_ids:vcluster-job)" = '"1"' ] || fail "the other job's port was changed"
[ "$(vsctl get port vcgy$$ tag)" = '[]' ] || fail "the other job's port got a tag"
[ ! -e /run/netns/$NC2 ] || fail "the refused segment left $NC2"
ip -n "$OVS_NS" link show vcgy$$ >/dev/null 2>&1 && fail "the refused segment left its veth vcgy$$"
nstep 0 undo l2.segment "$SY"
[ "$(vsctl list-ports br-b | grep -c "^vcgy$$\$")" = 1 ] || fail "undo removed another job's OVS port"
vsctl del-port br-b vcgy$$
# A device of the port's name in the OVS namespace that is no veth of ours.
ip -n "$OVS_NS" link add vcgz$$ type bridge
nstep 1 do l2.segment "$(segment $J2 $NC2 vcgz$$ br-b 101 null)"
expect_in "vcgz$$ already exists in $OVS_NS (without its peer lan0 in $NC2): not ours" "$ERR"
[ ! -e /run/netns/$NC2 ] || fail "the refused segment left $NC2"
nstep 0 undo l2.segment "$(segment $J2 $NC2 vcgz$$ br-b 101 null)"
ip -n "$OVS_NS" link show vcgz$$ >/dev/null 2>&1 || fail "undo deleted a device that is no veth"
ip -n "$OVS_NS" link del vcgz$$
# A pid file naming a process that is not our openvpn: undo leaves it running.
mkdir -p "$T/st-y"
sleep 300 &
SLEEP=$!
EXTRA_PIDS+=("$SLEEP")
echo "$SLEEP" >"$T/st-y/vpny.pid"
nstep 0 undo l2.openvpn "$(openvpn_args $J2 $NA2 "$WA" 192.0.2.1 192.0.2.11 "$VPORT" vpny "$T/st-y")"
kill -0 "$SLEEP" 2>/dev/null || fail "undo killed a process that is not its openvpn"
[ ! -e "$T/st-y/vpny.pid" ] || fail "undo left the pid file"

say "(f) undo everything, twice"
for i in 1 2; do
        nstep 0 undo l2.openvpn "$OB1"
        nstep 0 undo l2.openvpn "$OA1"
        for k in 1 2 3; do
                j=J$k a=NA$k b=NB$k c=NC$k pa=PA$k pb=PB$k pc=PC$k
                nstep 0 undo l2.vxlan "$(vxlan "${!j}" "${!a}" "$WA" 192.0.2.1 5001 192.0.2.11)"
                nstep 0 undo l2.vxlan "$(vxlan "${!j}" "${!b}" "$WB" 192.0.2.1 5001 192.0.2.11)"
                nstep 0 undo l2.vxlan "$(vxlan "${!j}" "${!c}" "$WC" 192.0.2.1 5001 192.0.2.11)"
        done
        for k in 1 2 3; do
                j=J$k a=NA$k b=NB$k c=NC$k pa=PA$k pb=PB$k pc=PC$k
                nstep 0 undo l2.segment "$(segment "${!j}" "${!a}" "${!pa}" br-a 101 null)"
                nstep 0 undo l2.segment "$(segment "${!j}" "${!b}" "${!pb}" br-b 205 null)"
                nstep 0 undo l2.segment "$(segment "${!j}" "${!c}" "${!pc}" br-b 208 null)"
        done
done
for ns in "${JOBNS[@]}"; do [ ! -e "/run/netns/$ns" ] || fail "undo left namespace $ns"; done
[ -z "$(vcg_ports br-a)$(vcg_ports br-b)" ] || fail "undo left OVS ports: $(vcg_ports br-a) $(vcg_ports br-b)"
[ -z "$(ip -n "$OVS_NS" -o link show | grep -o 'vcg[0-9a-f]*')" ] || fail "undo left veths in $OVS_NS"
! alive "$pa2" || fail "undo left openvpn $pa2"
[ -z "$(pgrep -f -- "--writepid $T/")" ] || fail "an openvpn of this test still runs"
ls "$T"/st-a "$T"/st-b | grep -E '\.(key|pid|log)$' && fail "undo left files"
expect_no_ping ha1 10.77.0.2 "everything undone"
say "undo removed every namespace, port, process and file, and may run again"

pass
