#!/bin/bash
# The real Debian image (make image), booting from its own disk as a stock
# cloud image does (debian12-disk: no Kernel=), on a stitched two-site job: one guest at
# site a (a005), one at site b (b005), their VLANs joined by VXLAN over a
# "WAN" between the gateways (the two-site harness of test_sites). The seed
# lowers the guests' MTU by the tunnel's 50 bytes, so a full-size packet
# crosses sites with DF set, relying on no clamp: from inside each guest
# (ssh from a probe on site a's VLAN, the job's key and known_hosts, strict
# checking) the MTU is 1450, `ping -M do -s 1422` reaches the other site's
# guest by name and one byte more is refused by the guest's own stack.
# Runs in the hardened pass of `make check` only, as test_cloudinit does.
. "$(dirname "$0")/lib.sh"
skip_real_image_in_san
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

# Nodes a005 and b005: a gateway's namespace is vcl-JOB-NODE, and test_sites,
# which may run on this machine at the same time, runs job 1 on a001.
GUEST_NODES="a016" # the default guest line names no node of this test
WA="" WB=""
stop_wan() {
        local ns
        for ns in $WA $WB; do ip netns del "$ns" 2>/dev/null || true; done
        return 0
}
guest_setup() {
        WA=${NS_PREFIX}wa WB=${NS_PREFIX}wb
        CLEANUP_HOOKS+=(stop_wan)
        ip netns add "$WA"
        ip netns add "$WB"
        ip -n "$WA" link add wan type veth peer name wan netns "$WB"
        ip -n "$WA" addr add 192.0.2.1/24 dev wan
        ip -n "$WB" addr add 192.0.2.11/24 dev wan
        for ns in "$WA" "$WB"; do
                ip -n "$ns" link set lo up
                ip -n "$ns" link set wan up
        done
        ovs_bridge br-a
        ovs_bridge br-b
}
guest_conf_lines() {
        grep '^ImageName=' "$IMG/image.conf"
        echo "NodeName=a005 OvsBridge=br-a OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu" \
                "BootTimeout=900 WanAddr=192.0.2.1 WanNetns=$WA"
        echo "NodeName=b005 OvsBridge=br-b OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu" \
                "BootTimeout=900 WanAddr=192.0.2.11 WanNetns=$WB"
}
# TUNNEL=openvpn runs it over OpenVPN instead (by hand: make check runs VXLAN)
TUNNEL=${TUNNEL:-vxlan}
case $TUNNEL in vxlan) MTU=1450 ;; openvpn) MTU=1434 ;; *) fail "TUNNEL=$TUNNEL: vxlan or openvpn" ;; esac
VLANS_A=100-119 VLANS_B=110-129 L2EXT_A=$TUNNEL L2EXT_B=$TUNNEL
SWITCH_A="SwitchName=swa Site=a Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-a NodePortMode=access"
SWITCH_B="SwitchName=swb Site=b Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-b NodePortMode=access"
start_guest_cluster a005 b005

say "a stitched job, one Debian guest per site, each booting from its own disk (BIOS, GRUB)"
t0=$(date +%s)
J=$(sbatch --parsable -N2 -n2 -w a005,b005 --vcluster=image=debian12-disk,name=deb,mem=1G,l2=stitched,cache=off \
        -o /dev/null --wrap 'sleep 900')
"$BIN/vcluster" wait "$J" --timeout 900 >"$T/w" || fail "vcluster wait $J: $(cat "$T/w"); $(tail -5 "$HOOK_LOG")"
echo "  (job start to both guests up: $(($(date +%s) - t0)) s)"
[ "$(va show "$J" --json | jq -r '.mode, .l2ext' | paste -sd' ')" = "stitched $TUNNEL" ] || fail "$(va show "$J")"

say "they booted from their disks: no kernel in the domains, GRUB's command line on the consoles"
for n in a005:deb-1-1 b005:deb-2-1; do
        ! vvirsh dumpxml "vcluster-$J-${n#*:}" | grep -q "<kernel>" || fail "${n#*:} was booted with a kernel given"
        grep -q "BOOT_IMAGE=/boot/vmlinuz" "$T/state/nodes/${n%:*}/$J/${n#*:}.console" ||
                fail "${n#*:}: no GRUB boot on its console: $(head -c 300 "$T/state/nodes/${n%:*}/$J/${n#*:}.console")"
done

VA=$(va show "$J" --json | jq -r '.sites[] | select(.name == "a") | .vlan')
ovs_host probe 10.0.0.250 br-a "pr$$"
vsctl set Port "pr$$" tag="$VA"
KD=$T/state/keys/a005/$J
gssh() {
        local ip=$1
        shift
        ip netns exec "${NS_PREFIX}probe" ssh -i "$KD/id_ed25519" -o UserKnownHostsFile="$KD/known_hosts" \
                -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20 -o IdentitiesOnly=yes \
                -o ServerAliveInterval=10 -o ServerAliveCountMax=3 "root@$ip" "$@"
}

say "inside: MTU $MTU; $((MTU - 28)) bytes with DF cross the tunnel by name, $((MTU - 27)) do not leave the guest"
for g in "10.0.0.1 deb-2-1" "10.0.0.2 deb-1-1"; do
        ip=${g% *} peer=${g#* }
        out=$(gssh "$ip" "ip -o link show | grep -v ' lo:' | grep -o 'mtu [0-9]*';
                ping -M do -s $((MTU - 28)) -c2 -W5 $peer >/dev/null && echo crossed;
                ping -M do -s $((MTU - 27)) -c1 -W2 $peer 2>&1 | grep -c 'message too long'" 2>&1) || fail "ssh $ip: $out"
        [ "$(echo $out)" = "mtu $MTU crossed 1" ] || fail "guest $ip: $out"
done

say "on the WAN the tunnel carries those full-size packets in datagrams of at most 1500 bytes"
ip netns exec "$WA" timeout 15 tcpdump -nn -v -i wan udp >"$T/wan.txt" 2>/dev/null &
cap=$!
sleep 1
gssh 10.0.0.1 "ping -M do -s $((MTU - 28)) -c3 -W5 deb-2-1" >/dev/null || fail "the full-size ping did not cross"
wait "$cap" || true
max=$(grep -oE 'proto UDP \(17\), length [0-9]+' "$T/wan.txt" | grep -oE '[0-9]+$' | sort -n | tail -1)
[ -n "$max" ] || fail "no tunnel datagram seen on the WAN: $(head -5 "$T/wan.txt")"
echo "  (largest datagram on the WAN: $max bytes: the $TUNNEL tunnel costs $((max - MTU)) bytes a packet)"
[ "$max" -le 1500 ] || fail "tunnel datagrams of $max bytes: the guests' MTU does not account for the tunnel"

say "the job ends: nothing of it is left"
vsctl del-port "pr$$"
scancel "$J"
wait_job_gone "$J"
wait_released "$J"
wait_domains_gone
[ -z "$(domains)" ] || fail "domains left: $(domains)"
# this job's gateways' namespaces (vcl-JOB-NODE) only: a concurrent run's job of the same id on other
# nodes is not this test's (a run here saw vcl-1-b001, as test_sites did)
left=$(ip netns list | awk '{print $1}' | grep -xE "vcl-$J-(a005|b005)" || true)
[ -z "$left" ] || fail "namespaces left: $left"
left=$(vsctl list-ports br-a; vsctl list-ports br-b)
[ -z "$left" ] || fail "ports left: $left"
left=$(find "$T/state/keys" -mindepth 2 2>/dev/null; ls "$T/state/secrets" 2>/dev/null | grep -F "$J." || true)
[ -z "$left" ] || fail "leak: $left"
pass
