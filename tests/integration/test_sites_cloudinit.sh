#!/bin/bash
# The real Debian image (make image), booting from its own disk as a stock
# cloud image does (debian12-disk: no Kernel=), on a stitched two-site job: one guest at
# site a (a005), two at site b (b005, b006), their VLANs joined by VXLAN over a
# "WAN" between the gateways (the two-site harness of test_sites). The seed
# lowers the guests' MTU by the tunnel's 50 bytes, so a full-size packet
# crosses sites with DF set, relying on no clamp: from inside each guest
# (ssh from a probe on site a's VLAN, the job's key and known_hosts, strict
# checking) the MTU is 1450, `ping -M do -s 1422` reaches the other site's
# guest by name and one byte more is refused by the guest's own stack.
# The same cluster runs the seeds' workload (apt.sh): a flat Debian
# repository at site a on the cluster's VLAN, and site b's two guests (b005,
# b006) installing the same packages with apt-get through the cluster's
# transparent cache at site b's gateway: the bytes that cross the WAN stay
# within 1.05 x what one guest's install costs there without the cache
# (measured first, on a port the cache does not intercept).
# Runs in the hardened pass of `make check` only, as test_cloudinit does.
. "$(dirname "$0")/lib.sh"
skip_real_image_in_san
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/apt.sh"
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

# Nodes a005, b005 and b006: a gateway's namespace is vcl-JOB-NODE, and test_sites,
# which may run on this machine at the same time, runs job 1 on a001.
GUEST_SITE_A=a005 GUEST_SITE_B="b005 b006"
. "$(dirname "$0")/guest_sites.sh"
# TUNNEL=openvpn runs it over OpenVPN instead (by hand: make check runs VXLAN)
TUNNEL=${TUNNEL:-vxlan}
case $TUNNEL in vxlan) MTU=1450 ;; openvpn) MTU=1434 ;; *) fail "TUNNEL=$TUNNEL: vxlan or openvpn" ;; esac
VLANS_A=100-119 VLANS_B=110-129 L2EXT_A=$TUNNEL L2EXT_B=$TUNNEL
SWITCH_A="SwitchName=swa Site=a Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-a NodePortMode=access"
SWITCH_B="SwitchName=swb Site=b Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-b NodePortMode=access"
start_guest_cluster a005 b005 b006
# the packages the guests install, from this machine's own apt archive, with
# what they need that the image may lack
APT_PKGS=$APT_WORKLOAD
apt_repo "$T/repo" $APT_PKGS $APT_WORKLOAD_DEPS

say "a stitched job, Debian guests at both sites (one at a, two at b), each booting from its own disk (BIOS, GRUB)"
t0=$(date +%s)
J=$(sbatch --parsable -N3 -n3 -w a005,b005,b006 --vcluster=image=debian12-disk,name=deb,mem=1G,l2=stitched \
        -o /dev/null --wrap 'sleep 900')
"$BIN/vcluster" wait "$J" --timeout 900 >"$T/w" || fail "vcluster wait $J: $(cat "$T/w"); $(tail -5 "$HOOK_LOG")"
echo "  (job start to every guest up: $(($(date +%s) - t0)) s)"
[ "$(va show "$J" --json | jq -r '.mode, .l2ext' | paste -sd' ')" = "stitched $TUNNEL" ] || fail "$(va show "$J")"

say "they booted from their disks: no kernel in the domains, GRUB's command line on the consoles"
for n in a005:deb-1-1 b005:deb-2-1 b006:deb-2-2; do
        ! vvirsh dumpxml "vcluster-$J-${n#*:}" | grep -q "<kernel>" || fail "${n#*:} was booted with a kernel given"
        grep -q "BOOT_IMAGE=/boot/vmlinuz" "$T/state/nodes/${n%:*}/$J/${n#*:}.console" ||
                fail "${n#*:}: no GRUB boot on its console: $(head -c 300 "$T/state/nodes/${n%:*}/$J/${n#*:}.console")"
done

VA=$(va show "$J" --json | jq -r '.sites[] | select(.name == "a") | .vlan')
VB=$(va show "$J" --json | jq -r '.sites[] | select(.name == "b") | .vlan')
ovs_host probe 10.0.0.100 br-a "pr$$"
vsctl set Port "pr$$" tag="$VA"
KD=$T/state/keys/a005/$J

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

say "apt-get: one guest at b, uncached (port 8080, which the cache does not intercept), sets the WAN cost of one install"
# the repository is served from the probe at site a; site b's guests are
# reached from a probe at site b, so no ssh crosses the WAN being counted.
# The probes' addresses are below the top of the subnet, where each site's
# cache and each node's access path take theirs (10.0.0.250 is b006's).
ovs_host probeb 10.0.0.101 br-b "pb$$"
vsctl set Port "pb$$" tag="$VB"
ip netns exec "${NS_PREFIX}probe" ethtool -K eth0 tx off tso off gso off >/dev/null
origin_start "${NS_PREFIX}probe" "$T/repo" 80
origin_start "${NS_PREFIX}probe" "$T/repo" 8080
bsh() { PROBE=probeb gssh "$@"; }
for g in 10.0.0.2:deb-2-1 10.0.0.3:deb-2-2; do
        [ "$(bsh "${g%:*}" hostname)" = "${g#*:}" ] || fail "guest ${g%:*} is not ${g#*:}: $(bsh "${g%:*}" hostname 2>&1)"
done
before=$(wan_bytes "$WA" wan)
out=$(bsh 10.0.0.2 "$(apt_install_cmd http://10.0.0.100:8080 $APT_PKGS)" 2>&1) || fail "apt-get install at deb-2-1 (uncached): $out"
one=$(($(wan_bytes "$WA" wan) - before))
echo "  (one install, uncached: $one bytes on the WAN; the repository's .debs: $APT_DEBS bytes)"
[ "$one" -gt 100000 ] || fail "the uncached install moved only $one bytes across the WAN"
out=$(bsh 10.0.0.2 "$(apt_reset_cmd)" 2>&1) || fail "taking back deb-2-1's install: $out"

say "apt-get: both guests at b at once, through the cache: the WAN carries at most 1.05 x one install"
before=$(wan_bytes "$WA" wan)
t1=$(date +%s%N)
pids=()
for ip in 10.0.0.2 10.0.0.3; do
        bsh "$ip" "$(apt_install_cmd http://10.0.0.100 $APT_PKGS)" >"$T/apt.$ip" 2>&1 &
        pids+=($!)
done
for i in 0 1; do
        wait "${pids[$i]}" || fail "apt-get install through the cache at 10.0.0.$((i + 2)): $(cat "$T/apt.10.0.0.$((i + 2))");" \
                "the cache's log: $(tail -20 "$T/state/nodes/b005/$J/cache/log/access.log" 2>&1)"
done
both=$(($(wan_bytes "$WA" wan) - before))
echo "  (two installs through the cache: $both bytes on the WAN, $(awk -v a="$both" -v b="$one" 'BEGIN { printf "%.3f", a / b }') x one; $((($(date +%s%N) - t1) / 1000000)) ms)"
[ "$both" -le $((one * 105 / 100)) ] || fail "two installs through the cache moved $both bytes across the WAN, one alone $one"
for ip in 10.0.0.2 10.0.0.3; do
        out=$(bsh "$ip" "tcpdump --version && iperf3 --version && ethtool --version" 2>&1) || fail "$ip: installed programs do not run: $out"
done
log=$T/state/nodes/b005/$J/cache/log/access.log
grep -q "http://10.0.0.100/" "$log" || fail "the cache at b005 logged no request to the repository: $(tail -3 "$log" 2>&1)"
origin_stop_all

say "the job ends: nothing of it is left"
vsctl del-port "pr$$"
vsctl del-port "pb$$"
end_guest_jobs "$J"
[ -z "$(domains)" ] || fail "domains left: $(domains)"
# this job's gateways' namespaces (vcl-JOB-NODE) only: a concurrent run's job of the same id on other
# nodes is not this test's (a run here saw vcl-1-b001, as test_sites did)
left=$(ip netns list | awk '{print $1}' | grep -xE "vcl-$J-(a005|b005)" || true)
[ -z "$left" ] || fail "namespaces left: $left"
left=$(for p in $(pgrep -x squid || true); do grep -qs "$T" "/proc/$p/cmdline" && echo "$p"; done; true)
[ -z "$left" ] || fail "the job's squid still runs: pid $left"
left=$(vsctl list-ports br-a; vsctl list-ports br-b)
[ -z "$left" ] || fail "ports left: $left"
left=$(find "$T/state/keys" -mindepth 2 2>/dev/null; ls "$T/state/secrets" 2>/dev/null | grep -F "$J." || true)
[ -z "$left" ] || fail "leak: $left"
pass
