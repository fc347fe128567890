#!/bin/bash
# bench/mpi.sh BUILD — what a user's real cluster costs the two things a
# user does in it, each next to a baseline measured in the same run. One
# 2-node Debian 12 cluster (make image) of an unprivileged user, one guest
# per node (TCG, 1 vCPU, 1 GiB), through real Slurm, vlanallocd, Open
# vSwitch and libvirt + QEMU; the job's directory shared into the guests.
#
#   ssh   `vcluster ssh GUEST true` as the user on a job node (the access
#         path: vcluster, ProxyCommand, the forwarder's socket, the guest's
#         sshd), against the same user's plain `ssh` with the job's key
#         straight from the job's access namespace to the same guest (no
#         vcluster, no forwarder): the ratio is the access path's cost.
#         Median and mean of N runs each.
#   mpi   bench/mpi/pingpong.c, built on the host with mpicc into the job's
#         directory: 2 ranks on the host (shared memory, Open MPI's default;
#         and TCP over loopback), against 2 ranks on the two guests through
#         `vcluster ssh -- mpirun --hostfile /etc/vcluster/hostfile --map-by
#         node` (one rank per guest, checked). Ratios guest/host.
# Printed, never judged (TCG on a shared 2-core machine): it fails only
# when it cannot measure. Nothing is left (the harness's leak checks).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VC_BUILD=${1:-build}
export VC_BUILD
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/ovs.sh"
. "$ROOT/tests/integration/libvirt.sh"
. "$ROOT/tests/integration/slurm.sh"
. "$ROOT/tests/integration/guests.sh"
TEST_NAME=bench-mpi
N=${BENCH_MPI_N:-20}
for t in ssh useradd userdel setpriv mpicc mpirun; do
        command -v "$t" >/dev/null || fail "$t is needed (scripts/deps)"
done
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

TU=vcm$$
test_user "$TU" "$T/home"
TU_UID=$(id -u "$TU") TU_GID=$(id -g "$TU")
as_tu() { as_user "$TU" "$@"; }

GUEST_NODES="a[003-016]"
guest_conf_lines() {
        grep '^ImageName=' "$IMG/image.conf"
        echo "NodeName=a[001-002] OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=900"
}
# Job ids of their own: a test running beside this one starts at job 1 too,
# and a job's access namespace is named by its id (vcl-JOB-NODE-access).
SLURM_CONF_EXTRA="FirstJobId=$((1000000 + $$))" start_guest_cluster a001 a002
chmod 0711 "$T/state" # the user's keys and sockets are below it

# the job's access path on this host (namespaces, forwarders, dirs): none after it
access_leak_check() {
        local j left
        for j in "${VC_JOBS[@]}"; do
                left=$(
                        ip netns list | awk '{print $1}' | grep -E "^vcl-$j-.*-access\$" || true
                        pgrep -af -- "vcluster-forward $T/state/access/[^ ]*/$j( |\$)" || true
                        find "$T/state/access" -mindepth 2 -maxdepth 2 -name "$j" 2>/dev/null || true
                )
                [ -z "$left" ] || leak "job $j's access path: $(tr '\n' ';' <<<"$left")"
        done
}
LEAK_HOOKS+=(access_leak_check)

JD=$T/home/job
mkdir "$JD"
mpicc -O2 -o "$JD/pingpong" "$ROOT/bench/mpi/pingpong.c" || fail "mpicc"
chown -R "$TU:$TU" "$JD"
t0=$(date +%s)
J=$(as_tu sbatch --parsable -N2 -n2 -w a001,a002 -D "$JD" -o /dev/null \
        --vcluster=image=debian12,name=deb,mem=1G,cpus=1,subnet=10.0.1.0/24 --wrap 'exec sleep 3600') || fail "sbatch: $J"
VC_JOBS+=("$J")
"$BIN/vcluster" wait "$J" --timeout 900 >"$T/w" || fail "vcluster wait $J: $(cat "$T/w"); $(tail -5 "$HOOK_LOG")"
up=$(($(date +%s) - t0))

# ms_runs CMD…: CMD N times (once more first, unmeasured); milliseconds of each, a line each
ms_runs() {
        local i t0 t1
        "$@" >/dev/null 2>&1 || fail "cannot measure: $* failed: $("$@" 2>&1 | tail -3)"
        for ((i = 0; i < N; i++)); do
                t0=$(date +%s%N)
                "$@" >/dev/null 2>&1 || fail "cannot measure: $* failed"
                t1=$(date +%s%N)
                echo $(((t1 - t0) / 1000))
        done
}
# stats: "MEDIAN MEAN" in ms of the microsecond lines on stdin
stats() { sort -n | awk '{v[NR] = $1; s += $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f\n", m / 1000, s / NR / 1000}'; }

KD=$T/state/keys/a001/$J
vc_ssh() { as_tu env SLURMD_NODENAME=a001 "$BIN/vcluster" ssh -j "$J" deb-1-1 -- true; }
plain_ssh() {
        ip netns exec "vcl-$J-a001-access" setpriv --reuid="$TU_UID" --regid="$TU_GID" --init-groups env HOME="$T/home" \
                ssh -i "$KD/id_ed25519" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KD/known_hosts" \
                -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=30 "$TU@10.0.1.1" true
}
ms_runs vc_ssh >"$T/vc.us"
ms_runs plain_ssh >"$T/plain.us"
read -r vmed vmean < <(stats <"$T/vc.us")
read -r pmed pmean < <(stats <"$T/plain.us")

# pingpong WHERE CMD…: pingpong's line from CMD, one rank on each of two different hosts when WHERE is guests
pingpong() {
        local where=$1 out
        shift
        out=$("$@" 2>&1) || fail "cannot measure MPI on the $where: $(tail -5 <<<"$out")"
        out=$(grep -m1 '^latency_us=' <<<"$out") || fail "no figures from pingpong on the $where"
        if [ "$where" = guests ]; then
                [[ $out =~ host0=([^ ]+)\ host1=([^ ]+) ]] && [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ] ||
                        fail "pingpong's ranks are not on two guests: $out"
        fi
        echo "$out"
}
host_shm=$(pingpong host as_tu timeout 300 mpirun --oversubscribe -np 2 "$JD/pingpong")
host_tcp=$(pingpong host as_tu timeout 300 mpirun --oversubscribe -np 2 --mca btl tcp,self --mca btl_tcp_if_include lo "$JD/pingpong")
guests=$(pingpong guests as_tu env SLURMD_NODENAME=a001 timeout 900 "$BIN/vcluster" ssh -j "$J" -- \
        "timeout 600 mpirun --hostfile /etc/vcluster/hostfile -np 2 --map-by node $JD/pingpong")

echo "== a user's Debian 12 cluster (2 nodes, a guest each; TCG, 1 vCPU / 1 GiB; up in $up s)"
echo "-- ssh GUEST true, $N runs each, ms"
printf '  %-44s %8s %8s\n' "" median mean
printf '  %-44s %8.1f %8.1f\n' "vcluster ssh deb-1-1 true (the access path)" "$vmed" "$vmean"
printf '  %-44s %8.1f %8.1f\n' "ssh from the job's access namespace" "$pmed" "$pmean"
awk -v a="$vmed" -v b="$vmean" -v c="$pmed" -v d="$pmean" 'BEGIN { printf "  %-44s %8.2f %8.2f\n", "ratio", a / c, b / d }'
echo "-- MPI ping-pong (8 B latency, 1 MiB bandwidth), 2 ranks"
printf '  %-20s %s\n' "host (shared memory)" "$host_shm" "host (TCP, loopback)" "$host_tcp" "two guests" "$guests"
field() { sed -E "s/.*$1=([^ ]+).*/\1/" <<<"$2"; }
for base in "host_shm:shared memory" "host_tcp:TCP loopback"; do
        b=${base%%:*}
        b=${!b}
        awk -v gl="$(field latency_us "$guests")" -v gb="$(field bandwidth_MBps "$guests")" \
                -v hl="$(field latency_us "$b")" -v hb="$(field bandwidth_MBps "$b")" -v n="${base#*:}" \
                'BEGIN { printf "  guests / host (%s): latency %.1fx, bandwidth %.3fx\n", n, gl / hl, gb / hb }'
done

end_guest_jobs "$J"
guest_leak_check
pass
