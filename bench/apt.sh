#!/bin/bash
# bench/apt.sh BUILD — the seeds' own workload: N Debian guests (make image)
# at site b install the same packages with apt-get from a flat repository
# at site a (apt.sh: .debs from this machine's apt archive), across a WAN
# shaped to 200 Mbit/s, without and with the cluster's transparent cache.
# One stitched cluster serves every round (TCG guests, 768 MiB each, one
# per node: a001 at site a, b001… at site b; the cache at b001): each
# round serves the repository under a path of its own (/rK/, the same
# files), so the cache is cold for each N, and "off" is the same
# repository on port 8080, which the cache does not intercept (the same
# path through the segment, no squid).
# For each N in VC_APT_NS (default "1 4": on this 2-core machine 9 emulated
# guests booting at once overload QEMU's TCG so that a guest kernel panics
# with "IO-APIC + timer doesn't work!"; "1 4 16" where the machine holds 17):
#   WAN bytes (site a to b) and the time from the start of apt-get update
#   until every guest has installed, cache off and on; wan/set: WAN bytes
#   with the cache / one guest's without (N = 1 off) (goal <= 1.05);
#   off/on: time without / with.
# Printed, never judged; it fails only when it cannot measure. Nothing is
# left (the harness's leak checks).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VC_BUILD=${1:-build}
export VC_BUILD
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/ovs.sh"
. "$ROOT/tests/integration/libvirt.sh"
. "$ROOT/tests/integration/slurm.sh"
. "$ROOT/tests/integration/guests.sh"
. "$ROOT/tests/integration/sites.sh"
. "$ROOT/tests/integration/apt.sh"
TEST_NAME=bench-apt
NS=${VC_APT_NS:-1 4}
# Checked before anything is set up: a bad N is known in a second, not after
# the guests' minutes of booting.
for n in $NS; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "VC_APT_NS: '$n' is not a number of guests (1, 2, …)"; done
[ -n "${NS// /}" ] || fail "VC_APT_NS: empty"
NMAX=$(tr ' ' '\n' <<<"$NS" | sort -n | tail -1)
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

GUEST_SITE_A=a001 GUEST_SITE_B=$(seq -f 'b%03g' "$NMAX" | paste -sd' ')
WAN_RATE=200mbit
. "$ROOT/tests/integration/guest_sites.sh"
VLANS_A=100-119 VLANS_B=110-129 L2EXT_A=vxlan L2EXT_B=vxlan
SWITCH_A="SwitchName=swa Site=a Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-a NodePortMode=access"
SWITCH_B="SwitchName=swb Site=b Driver=ovs Db=unix:$T/ovs/run/db.sock Bridge=br-b NodePortMode=access"
SLURM_CONF_EXTRA="FirstJobId=$((2000000 + $$))" start_guest_cluster $GUEST_SITE_A $GUEST_SITE_B
APT_PKGS=${VC_APT_PKGS:-$APT_WORKLOAD}
apt_repo "$T/repo" $APT_PKGS $APT_WORKLOAD_DEPS
mkdir "$T/www"

nodes=$(echo $GUEST_SITE_A $GUEST_SITE_B | tr ' ' ,)
t0=$(date +%s)
J=$(sbatch --parsable -N$((NMAX + 1)) -n$((NMAX + 1)) -w "$nodes" -o /dev/null \
        --vcluster=image=debian12-disk,name=deb,mem=768M,l2=stitched --wrap 'sleep 7200') || fail "sbatch: $J"
"$BIN/vcluster" wait "$J" --timeout 1800 >"$T/w" || fail "vcluster wait $J: $(cat "$T/w"); $(tail -5 "$HOOK_LOG")"
echo "== $((NMAX + 1)) Debian guests (TCG, 768 MiB) up $(($(date +%s) - t0)) s after the job started"
KD=$T/state/keys/a001/$J
vlan() { va show "$J" --json | jq -r ".sites[] | select(.name == \"$1\") | .vlan"; }
ovs_host probe 10.0.0.100 br-a "pr$$"
vsctl set Port "pr$$" tag="$(vlan a)"
ip netns exec "${NS_PREFIX}probe" ethtool -K eth0 tx off tso off gso off >/dev/null
ovs_host probeb 10.0.0.101 br-b "pb$$"
vsctl set Port "pb$$" tag="$(vlan b)"
origin_start "${NS_PREFIX}probe" "$T/www" 80
origin_start "${NS_PREFIX}probe" "$T/www" 8080
bsh() { PROBE=probeb gssh "$@"; }

# run N URL: site b's first N guests (10.0.0.2…) install at once from URL;
# prints "WAN-BYTES MS", then takes the installs back
run() {
        local n=$1 url=$2 i p before t1 pids=() bytes ms
        before=$(wan_bytes "$WA" wan)
        t1=$(date +%s%N)
        for i in $(seq 2 $((n + 1))); do
                bsh "10.0.0.$i" "$(apt_install_cmd "$url" $APT_PKGS)" >"$T/apt.$i" 2>&1 &
                pids+=($!)
        done
        i=2
        for p in "${pids[@]}"; do
                wait "$p" || fail "apt-get install at 10.0.0.$i from $url: $(cat "$T/apt.$i")"
                i=$((i + 1))
        done
        ms=$((($(date +%s%N) - t1) / 1000000))
        bytes=$(($(wan_bytes "$WA" wan) - before))
        for i in $(seq 2 $((n + 1))); do
                bsh "10.0.0.$i" "$(apt_reset_cmd)" >"$T/reset.$i" 2>&1 || fail "resetting 10.0.0.$i: $(cat "$T/reset.$i")"
        done
        echo "$bytes $ms"
}
kib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1024 }'; }

echo "== apt-get install $APT_PKGS (and what they need that the image lacks; the repository holds $(kib "$APT_DEBS") KiB of .debs)"
echo "   at N guests of site b at once, from site a across the WAN (200 Mbit/s, tbf)"
printf '%4s  %9s %8s  %9s %8s  %8s %7s\n' N "off KiB" "off ms" "on KiB" "on ms" "wan/set" "off/on"
set1=""
for n in $NS; do
        cp -al "$T/repo" "$T/www/r$n"
        run "$n" "http://10.0.0.100:8080/r$n" >"$T/run"
        read -r ob oms <"$T/run"
        [ -n "$set1" ] || set1=$ob
        run "$n" "http://10.0.0.100/r$n" >"$T/run"
        read -r cb cms <"$T/run"
        printf '%4d  %9s %8d  %9s %8d  %7.3fx %6.2fx\n' "$n" "$(kib "$ob")" "$oms" "$(kib "$cb")" "$cms" \
                "$(awk -v a="$cb" -v b="$set1" 'BEGIN { print a / b }')" "$(awk -v a="$oms" -v b="$cms" 'BEGIN { print a / b }')"
done
alog=$T/state/nodes/b001/$J/cache/log/access.log
echo "   (the cache's log: $(grep -c "_HIT/" "$alog" || true) hits of $(wc -l <"$alog") requests)"

origin_stop_all
vsctl del-port "pr$$"
vsctl del-port "pb$$"
end_guest_jobs "$J"
guest_leak_check
pass
