#!/bin/bash
# One cluster, two sites, end to end: real Slurm, vlanallocd, Open vSwitch and
# libvirt + QEMU. Site a's switch is OVS bridge br-a, site b's br-b (one
# ovs-vswitchd, two switches); their trunks meet only through an uplink
# (up-a — up-b) that carries nothing until a shared job asks; each site's
# gateways reach the other site only over a "WAN": namespaces wa and wb
# joined by a veth shaped with tc tbf. A 4-node job, 2 nodes per site:
#   stitched (VXLAN)  different VLAN ids at the two sites; the real guests
#                     ping each other across sites; a second stitched cluster
#                     is unreachable from the first, and so is a decoy at
#                     site b on the VLAN id the first uses at site a
#   shared            one VLAN id at both sites, carried by the uplinks
#   stitched (OpenVPN) the same reachability; a capture of the WAN shows no
#                     cleartext inner frame (the VXLAN run's capture does: the
#                     control)
# and after every job: no namespace, tunnel, port, process or key left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
vc_setup

GUEST_NODES="a016"   # the default guest line names no node of this test
WA="" WB=""
stop_wan() {
        local ns
        for ns in $WA $WB; do ip netns del "$ns" 2>/dev/null || true; done
        # a job's namespaces, should a failed test leave them
        for ns in $(ip netns list | awk '{print $1}' | grep "^vcl-.*-[ab]00[12]$" || true); do
                if [ -f "$T/jobs" ] && grep -qx "${ns#vcl-}" "$T/jobs"; then
                        leak "namespace $ns of a job left"
                        ip netns del "$ns"
                fi
        done
        return 0
}
guest_setup() {
        WA=${NS_PREFIX}wa WB=${NS_PREFIX}wb
        CLEANUP_HOOKS+=(stop_wan)
        ip netns add "$WA"
        ip netns add "$WB"
        ip -n "$WA" link add wan type veth peer name wan netns "$WB"
        ip -n "$WA" addr add 192.0.2.1/24 dev wan
        ip -n "$WA" addr add 192.0.2.2/24 dev wan
        ip -n "$WB" addr add 192.0.2.11/24 dev wan
        ip -n "$WB" addr add 192.0.2.12/24 dev wan
        for ns in "$WA" "$WB"; do
                ip -n "$ns" link set lo up
                ip -n "$ns" link set wan up
                tc -n "$ns" qdisc add dev wan root tbf rate 400mbit burst 256kb latency 100ms
        done
        ovs_bridge br-a
        ovs_bridge br-b
        ip -n "$OVS_NS" link add up-a type veth peer name up-b
        ip -n "$OVS_NS" link set up-a up
        ip -n "$OVS_NS" link set up-b up
        # the uplinks carry no VLAN until a shared job's switch step adds it
        vsctl -- add-port br-a up-a trunks=4095 -- add-port br-b up-b trunks=4095
}
guest_conf_lines() {
        local n ip wan br
        for n in a001:192.0.2.1 a002:192.0.2.2 b001:192.0.2.11 b002:192.0.2.12; do
                ip=${n#*:} n=${n%:*}
                case $n in a*) wan=$WA br=br-a ;; *) wan=$WB br=br-b ;; esac
                echo "NodeName=$n OvsBridge=$br OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu" \
                        "BootTimeout=180 WanAddr=$ip WanNetns=$wan"
        done
}
VLANS_A=100-119 VLANS_B=110-129 L2EXT_A=vxlan L2EXT_B=vxlan
SWITCH_A="SwitchName=swa Site=a Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-a Uplinks=up-a NodePortMode=access"
SWITCH_B="SwitchName=swb Site=b Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-b Uplinks=up-b NodePortMode=access"
start_guest_cluster a001 a002 b001 b002
NODES=a001,a002,b001,b002

# member NAME BR VLAN IP: a namespace "host" on bridge BR, access port of VLAN
member() {
        ovs_host "$1" "$4" "$2" "m-$1"
        vsctl set port "m-$1" tag="$3"
}
vlan_at() { va show "$1" --json | jq -r ".sites[] | select(.name == \"$2\") | .vlan"; }
submit() {
        local j
        j=$(sbatch --parsable -N4 -n4 -w $NODES --vcluster="$1" -o /dev/null --wrap 'sleep 600')
        echo "$j-a001 $j-b001" | tr ' ' '\n' >>"$T/jobs"
        echo "$j"
}
# gone JOB: nothing of the job's segment is left on either gateway
gone() {
        local left
        # this job's gateways (a001, b001), by the product's own names: another
        # run's job of the same id on other nodes is not ours
        local na nb
        na=$("$TOOLS/nodestep" names "$1" a001 1 | awk '{print $1}') && [ -n "$na" ] || fail "nodestep names $1 a001"
        nb=$("$TOOLS/nodestep" names "$1" b001 2 | awk '{print $1}') && [ -n "$nb" ] || fail "nodestep names $1 b001"
        left=$(ip netns list | awk '{print $1}' | grep -xE "($na|$nb)" || true)
        [ -z "$left" ] || fail "job $1: namespaces left: $left"
        left=$(vsctl list-ports br-a; vsctl list-ports br-b)
        ! grep -q "^vcg" <<<"$left" || fail "job $1: gateway ports left: $left"
        for ns in "$WA" "$WB"; do
                left=$(ip -n "$ns" -o link show | grep -oE "vc[ts][0-9a-f.]+" || true)
                [ -z "$left" ] || fail "job $1: tunnel devices left in $ns: $left"
        done
        [ -z "$(find "$T/state/nodes" -name "*.key" 2>/dev/null)" ] || fail "job $1: key files left"
}

say "stitched over VXLAN: a 4-node cluster, 2 guests per site, on different VLAN ids"
J1=$(submit image=tiny,name=red,mem=128M,l2=stitched,cache=off)
J2=$(submit name=blue,l2=stitched,cache=off)
"$BIN/vcluster" wait "$J1" --timeout 300 >"$T/w1" || fail "vcluster wait $J1: $(cat "$T/w1"); $(tail -5 "$HOOK_LOG")"
"$BIN/vcluster" wait "$J2" --timeout 60 >"$T/w2" || fail "vcluster wait $J2: $(cat "$T/w2"); $(tail -5 "$HOOK_LOG")"
[ "$(va show "$J1" --json | jq -r '.mode, .l2ext' | paste -sd' ')" = "stitched vxlan" ] || fail "$(va show "$J1")"
va1=$(vlan_at "$J1" a) vb1=$(vlan_at "$J1" b) va2=$(vlan_at "$J2" a) vb2=$(vlan_at "$J2" b)
[ "$va1" != "$vb1" ] || fail "job $J1 has VLAN $va1 at both sites: not stitched"
st=$("$BIN/vcluster" status "$J1" --json)
[ "$(jq -c '[.guests[] | [.name, .site, .ip, .phase]]' <<<"$st")" = \
        '[["red-1-1","a","10.0.0.1","up"],["red-1-2","a","10.0.0.2","up"],["red-2-1","b","10.0.0.3","up"],["red-2-2","b","10.0.0.4","up"]]' ] ||
        fail "status $J1: $st"
"$BIN/vcluster" status "$J1" | grep -Eq "^b +2 +$vb1 +b001 +192.0.2.11 " ||
        fail "status shows no WAN address of site b's gateway: $("$BIN/vcluster" status "$J1")"
[ -n "$(ip -n "vcl-$J1-a001" -d link show vx0 | grep "vxlan id $(va show "$J1" --json | jq .vni)")" ] ||
        fail "no VXLAN device of the job's VNI on a001: $(ip -n "vcl-$J1-a001" -d link show 2>&1)"

say "every guest reaches every other across the sites"
for g in a001:red-1-1 b002:red-2-2; do
        for ip in 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4; do
                gexec "${g%:*}" "$J1" "${g#*:}" ping -c1 -W3 "$ip" >/dev/null || fail "${g#*:} cannot ping $ip"
        done
done

say "a second stitched cluster works on its own and cannot reach the first; nor can a decoy on VLAN $va1 at site b"
member ba br-a "$va2" 10.0.0.101
member bb br-b "$vb2" 10.0.0.102
member decoy br-b "$va1" 10.0.0.103
for _ in $(seq 10); do host_ping ba 10.0.0.102 && break; done
host_ping ba 10.0.0.102 || fail "blue: site a cannot reach site b"
for ip in 10.0.0.101 10.0.0.102 10.0.0.103; do
        gexec_unreached a001 "$J1" red-1-1 ping -c2 -W2 "$ip" # (it reached all of red above)
done
if host_ping bb 10.0.0.3 || host_ping ba 10.0.0.1; then fail "blue reached red"; fi
if host_ping decoy 10.0.0.1 || host_ping decoy 10.0.0.3; then fail "the decoy on VLAN $va1 at site b reached red"; fi
# the control: the decoy is alive where it is
member decoy2 br-b "$va1" 10.0.0.104
host_ping decoy 10.0.0.104 || fail "the decoy cannot reach its own neighbour"

say "the VXLAN WAN carries the inner frames in clear (the control for OpenVPN)"
ip netns exec "$WA" timeout 8 tcpdump -i wan -w "$T/vxlan.pcap" -U udp 2>/dev/null &
cap=$!
sleep 1
ip netns exec "${NS_PREFIX}ba" ping -c3 -W2 -p c0ffeec0ffeec0ffee 10.0.0.102 >/dev/null || fail "blue: ping with pattern"
kill "$cap" 2>/dev/null || true
wait "$cap" 2>/dev/null || true
LC_ALL=C grep -aq "$(printf '\xc0\xff\xee\xc0\xff\xee')" "$T/vxlan.pcap" || fail "no cleartext ping pattern in the VXLAN capture"

say "the jobs end: their namespaces, tunnels and ports go"
end_guest_jobs "$J1" "$J2"
guest_leak_check_ports() { vsctl list-ports br-a; vsctl list-ports br-b; }
gone "$J1"
gone "$J2"
[ -z "$(domains)" ] || fail "domains left: $(domains)"
[ -z "$(guest_leak_check_ports | grep '^vc[0-9a-f]*\.')" ] || fail "guest ports left: $(guest_leak_check_ports)"

say "shared: one VLAN id at both sites, carried over the uplinks"
J3=$(submit name=green,l2=shared)
J4=$(submit name=teal,l2=shared)
"$BIN/vcluster" wait "$J3" --timeout 60 >/dev/null || fail "vcluster wait $J3: $(tail -5 "$HOOK_LOG")"
"$BIN/vcluster" wait "$J4" --timeout 60 >/dev/null || fail "vcluster wait $J4: $(tail -5 "$HOOK_LOG")"
v3=$(vlan_at "$J3" a)
[ "$v3" = "$(vlan_at "$J3" b)" ] || fail "shared job $J3 has two VLAN ids"
vsctl get port up-a trunks | grep -qw "$v3" || fail "uplink up-a does not carry $v3: $(vsctl get port up-a trunks)"
member ga br-a "$v3" 10.0.0.111
member gb br-b "$v3" 10.0.0.112
member ta br-a "$(vlan_at "$J4" a)" 10.0.0.113
member tb br-b "$(vlan_at "$J4" b)" 10.0.0.114
for _ in $(seq 10); do host_ping ga 10.0.0.112 && break; done
host_ping ga 10.0.0.112 || fail "shared: site a cannot reach site b"
host_ping ta 10.0.0.114 || fail "shared: the second job's sites do not meet"
if host_ping ga 10.0.0.114 || host_ping tb 10.0.0.111; then fail "shared: one job reached the other"; fi
# by the product's own names for this job's gateways: on a shared machine
# another run's job of the same id has namespaces too, and they are not ours
n3a=$("$TOOLS/nodestep" names "$J3" a001 1 | awk '{print $1}') && [ -n "$n3a" ] || fail "nodestep names $J3 a001"
n3b=$("$TOOLS/nodestep" names "$J3" b001 2 | awk '{print $1}') && [ -n "$n3b" ] || fail "nodestep names $J3 b001"
[ -z "$(ip netns list | awk '{print $1}' | grep -xE "($n3a|$n3b)")" ] || fail "a shared job built a tunnel namespace"
scancel "$J3" "$J4"
for j in "$J3" "$J4"; do wait_job_gone "$j"; wait_released "$j"; done
[ "$(vsctl get port up-a trunks)" = "[4095]" ] || fail "uplink still carries: $(vsctl get port up-a trunks)"

say "stitched over OpenVPN (site b asks for encryption): the same checks, and no cleartext on the WAN"
mark=$(wc -l <"$T/daemon.log")
L2EXT_B=openvpn write_conf "ImageName=tiny Kernel=$GUEST_IMG/vmlinuz Initrd=$GUEST_IMG/initrd.img" \
        "$(guest_conf_lines | head -1)" "$(guest_conf_lines | sed -n 2p)" "$(guest_conf_lines | sed -n 3p)" \
        "$(guest_conf_lines | sed -n 4p)"
kill -HUP "$DAEMON_PID"
wait_log reloaded "$mark"
J5=$(submit name=red,l2=stitched,cache=off)
J6=$(submit name=blue,l2=stitched,cache=off)
"$BIN/vcluster" wait "$J5" --timeout 60 >/dev/null || fail "vcluster wait $J5: $(tail -5 "$HOOK_LOG")"
"$BIN/vcluster" wait "$J6" --timeout 60 >/dev/null || fail "vcluster wait $J6: $(tail -5 "$HOOK_LOG")"
[ "$(va show "$J5" --json | jq -r .l2ext)" = openvpn ] || fail "$(va show "$J5")"
member oa br-a "$(vlan_at "$J5" a)" 10.0.0.121
member ob br-b "$(vlan_at "$J5" b)" 10.0.0.122
member pa br-a "$(vlan_at "$J6" a)" 10.0.0.123
member pb br-b "$(vlan_at "$J6" b)" 10.0.0.124
# Each job's tunnel connects on its own time (a TLS handshake after both
# gateways have started): the first job's being up says nothing of the
# second's (a sanitized run once found it not yet up).
for _ in $(seq 20); do host_ping oa 10.0.0.122 && host_ping pa 10.0.0.124 && break; sleep 0.5; done
host_ping oa 10.0.0.122 || fail "openvpn: site a cannot reach site b"
host_ping pa 10.0.0.124 || fail "openvpn: the second job's sites do not meet"
if host_ping oa 10.0.0.124 || host_ping pb 10.0.0.121; then fail "openvpn: one job reached the other"; fi
ip netns exec "$WA" timeout 8 tcpdump -i wan -w "$T/ovpn.pcap" -U udp 2>/dev/null &
cap=$!
sleep 1
ip netns exec "${NS_PREFIX}oa" ping -c3 -W2 -p c0ffeec0ffeec0ffee 10.0.0.122 >/dev/null || fail "openvpn: ping with pattern"
kill "$cap" 2>/dev/null || true
wait "$cap" 2>/dev/null || true
[ "$(stat -c %s "$T/ovpn.pcap")" -gt 600 ] || fail "the capture saw no tunnel traffic"
if LC_ALL=C grep -aq "$(printf '\xc0\xff\xee\xc0\xff\xee')" "$T/ovpn.pcap"; then fail "cleartext inner frame on the OpenVPN WAN"; fi
key=$(find "$T/state/nodes" -name "*.key" | head -1)
[ -n "$key" ] && [ "$(stat -c %a "$key")" = 600 ] || fail "openvpn key file missing or not 0600: $key"
hex=$(sed -n 2p "$key")
! grep -qa "$hex" /proc/[0-9]*/cmdline 2>/dev/null || fail "the tunnel key is on a command line"
! grep -q "$hex" "$T/daemon.log" "$HOOK_LOG" || fail "the tunnel key is in a log"
scancel "$J5" "$J6"
for j in "$J5" "$J6"; do wait_job_gone "$j"; wait_released "$j"; done
gone "$J5"
gone "$J6"
[ ! -e "$T/state/secrets/$J5.tunnel" ] || fail "the controller kept job $J5's tunnel key"
pass
