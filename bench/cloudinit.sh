#!/bin/bash
# bench/cloudinit.sh BUILD — a real cloud-init image (make image) brought up
# through Slurm, next to the same image booted by a plain qemu-system-x86_64
# with the same kind of seed, in the same run. Printed, never judged.
#
#   job       sbatch of a 1-node job with vms=G → `vcluster wait` returns,
#             i.e. every guest's seed script saw sshd answer and said up
#   plain     G qemu-system-x86_64 started at once (TCG, 1 vCPU, 1 GiB,
#             direct kernel boot, an overlay, a seed made by the node step
#             itself through tools/ciseed) → every one said up on its agent
#             socket
# for G = 1 and 2 guests per node. The ratio job/plain is what the whole
# machinery (Slurm, vlanallocd, OVS, libvirt, seeds, keys) costs on top of
# booting the guests. TCG on a shared 2-core machine: minutes, and noisy.
TEST_NAME=bench-cloudinit
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VC_BUILD=${1:-build}
export VC_BUILD
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/ovs.sh"
. "$ROOT/tests/integration/libvirt.sh"
. "$ROOT/tests/integration/slurm.sh"
. "$ROOT/tests/integration/guests.sh"
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"
GUEST_NODES=a[002-016]
guest_conf_lines() {
        grep '^ImageName=' "$IMG/image.conf"
        echo "NodeName=a001 OvsBridge=$GUEST_BR OvsDb=$OVS_DB Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=900"
}
start_guest_cluster a001

# plain G: seconds until G plain QEMUs of the image all said up.
plain() {
        local g=$1 i pids=() t0 d=$T/plain$1
        mkdir -p "$d"
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/seed"
        t0=$(date +%s.%N)
        for i in $(seq "$g"); do
                cat >"$d/args$i.json" <<EOF
{"path":"$d/g$i.seed","job":1,"guest":{"name":"p-1-$i","instance":"plain-$i","mac":"02:01:00:01:00:0$i","ip":"10.0.0.$i","prefix":24,"mtu":0},
 "user":{"name":"root","group":"root","uid":0,"gid":0,"sudo":true,"keys":[]},
 "hosts":[{"name":"p-1-$i","ip":"10.0.0.$i"}],"known_hosts":"","user_part":false}
EOF
                "$ROOT/$VC_BUILD/tools/ciseed" "$d/seed" "$d/args$i.json" || fail "ciseed"
                qemu-img create -q -f qcow2 -F qcow2 -b "$IMG/disk.qcow2" "$d/o$i.qcow2"
                qemu-system-x86_64 -machine pc,accel=tcg -m 1024 -smp 1 -display none -nodefaults \
                        -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" -append "root=LABEL=root ro console=ttyS0" \
                        -drive "file=$d/o$i.qcow2,if=virtio,format=qcow2" \
                        -drive "file=$d/g$i.seed,if=virtio,format=raw,readonly=on" \
                        -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,mac=02:01:00:01:00:0$i \
                        -device virtio-serial -chardev "socket,id=ag,path=$d/a$i.sock,server=on,wait=off" \
                        -device virtserialport,chardev=ag,name=org.vcluster.agent -serial "file:$d/c$i.log" 2>/dev/null &
                pids+=($!)
        done
        for i in $(seq "$g"); do
                for _ in $(seq 9000); do [ -S "$d/a$i.sock" ] && break; sleep 0.1; done
                "$ROOT/$VC_BUILD/tools/guestexec" -w -t 900 "$d/a$i.sock" >/dev/null || fail "plain guest $i never up"
        done
        echo "$(date +%s.%N) - $t0" | bc
        for p in "${pids[@]}"; do kill "$p"; done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

# job G: seconds from sbatch to `vcluster wait` returning, vms=G on a001.
job() {
        local t0 j
        t0=$(date +%s.%N)
        j=$(sbatch --parsable -N1 -w a001 -o /dev/null --vcluster="image=debian12,name=b,mem=1G,vms=$1" --wrap 'sleep 900')
        "$BIN/vcluster" wait "$j" --timeout 900 >/dev/null || fail "job $j: $(tail -3 "$HOOK_LOG")"
        echo "$(date +%s.%N) - $t0" | bc
        scancel "$j"
        wait_job_gone "$j"
        wait_released "$j"
}

echo "== cloud-init image ($(basename "$IMG")), TCG, 1 vCPU / 1 GiB each: start → every guest's sshd answers"
printf '%-16s %10s %10s %8s\n' "guests per node" "job (s)" "plain (s)" "ratio"
for g in 1 2; do
        a=$(job "$g")
        b=$(plain "$g")
        printf '%-16s %10.1f %10.1f %8.2f\n' "$g" "$a" "$b" "$(echo "$a / $b" | bc -l)"
done
guest_leak_check
pass
