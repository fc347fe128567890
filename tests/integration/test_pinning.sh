#!/bin/bash
# Guests inside the job's allocation (issue 22), through real Slurm,
# vlanallocd, OVS and libvirt + QEMU on one node of 2 CPUs:
#  - sbatch (and srun making its own allocation) refuses a spec whose
#    guests cannot fit what the job asks per node (CPUs from -n /
#    --ntasks-per-node in a #SBATCH line, memory from --mem), with the
#    numbers; nothing is queued;
#  - a request incomplete at submit (--exclusive) is judged by the
#    controller's prolog against what Slurm allocated: the job is held with
#    the same message, no node drained, no VLAN taken;
#  - two jobs of 1 CPU each share the node: each one's guest has its vCPUs
#    and emulator pinned to that job's CPU ids (scontrol show job -d), read
#    back from libvirt (vcpupin, emulatorpin, the live XML) and from every
#    QEMU thread's Cpus_allowed_list; the two sets are disjoint; vcluster
#    status shows them; at the end no domain and no QEMU is left;
#  - Slurm runs with proctrack/cgroup, task/cgroup (cgroup v1 here) and
#    PrologFlags=Contain: each guest's QEMU, every thread of it, is in its
#    job's cgroups (step_extern), the job's cpuset is the CPUs the guest is
#    pinned to (slurmd's own translation of the ids agrees with ours), its
#    memory cgroup's limit the job's --mem (no <memtune> of libvirt's then),
#    sstat shows JOBID.extern with QEMU's memory and CPU time, and after
#    scancel no QEMU is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
vc_setup
# Slurm names its cgroup tree after the node (slurm_NODE, machine-wide): a
# node of its own per run, so that two runs at once rarely share one
NODE=$(printf 'a%03d' $((RANDOM % 16 + 1)))
SLURM_CGROUP_CONF=$'CgroupPlugin=cgroup/v1\nConstrainCores=yes\nConstrainRAMSpace=yes' SLURM_NODE_MEM=4096 \
        SLURM_SELECT_PARAMS=CR_Core_Memory SLURM_PROLOG_FLAGS=Alloc,Contain \
        SLURM_CONF_EXTRA=$'JobAcctGatherType=jobacct_gather/linux\nJobAcctGatherFrequency=task=1' \
        start_guest_cluster "$NODE"

say "sbatch refuses guests that cannot fit what the job asks per node, with the numbers; nothing queued"
expect_exit 1 sbatch -n1 -o /dev/null --vcluster=image=tiny,vms=2 --wrap true
expect_in "vms=2 × cpus=1 = 2 vCPUs per node, but the job's share of a node is 1 CPU (asked: -n 1 on at least 1 node, -c 1)" "$ERR"
expect_in "ask Slurm for 2 CPUs per node" "$ERR"
# options from the script's #SBATCH lines count as the command line's do
printf '#!/bin/sh\n#SBATCH --ntasks-per-node=1\n#SBATCH -o /dev/null\ntrue\n' >"$T/job.sh"
expect_exit 1 sbatch --vcluster=image=tiny,cpus=2 "$T/job.sh"
expect_in "vms=1 × cpus=2 = 2 vCPUs per node, but the job's share of a node is 1 CPU (asked: --ntasks-per-node=1, -c 1)" "$ERR"
expect_exit 1 sbatch -n1 --mem=100M -o /dev/null --vcluster=image=tiny,vms=1,mem=128M --wrap true
expect_in "vms=1 × mem=128M = 128M per node, but the job's share of a node is 100M of memory (asked: --mem=100M)" "$ERR"
# srun making its own allocation is judged the same way
expect_exit 1 srun -n1 --vcluster=image=tiny,vms=2 true
expect_in "vms=2 × cpus=1 = 2 vCPUs per node, but the job's share of a node is 1 CPU (asked: -n 1 on at least 1 node, -c 1)" "$ERR"
[ -z "$(squeue -h)" ] || fail "a refused job was queued: $(squeue)"
[ "$(va list --json | jq '[.vlans[] | select(.job != null)] | length')" = 0 ] || fail "a VLAN was taken: $(va list)"

say "--exclusive is judged on what Slurm allocated: the job is held with the same message, no node drained"
JX=$(sbatch --parsable --exclusive -o /dev/null --vcluster=image=tiny,vms=3 --wrap true) ||
        fail "sbatch --exclusive refused at submit"
for _ in $(seq 150); do
        grep -q "job $JX: refused" "$HOOK_LOG" && [ "$(squeue -h -j "$JX" -o %Q)" = 0 ] && break
        sleep 0.2
done
note=$(scontrol show job "$JX" | grep -o 'AdminComment=.*')
expect_in "vcluster: refused, held: vms=3 × cpus=1 = 3 vCPUs per node, but the job's share of a node is 2 CPUs (allocated on $NODE: CPU ids 0-1)" "$note"
[ "$(squeue -h -j "$JX" -o %Q)" = 0 ] || fail "job $JX not held: $(squeue -j "$JX" -o '%i %T %Q %r')"
[ "$(sinfo -h -n $NODE -o %t)" = idle ] || fail "$NODE is $(sinfo -h -n $NODE -o '%t %E')"
[ "$(va show "$JX" --json 2>/dev/null | jq -r '.state // "none"')" != held ] || fail "job $JX holds a VLAN"
scancel "$JX"
wait_job_gone "$JX"

say "two jobs of 1 CPU each share the node; each one's guest is pinned to that job's CPUs"
J1=$(sbatch --parsable -n1 --mem=512M -w $NODE -o /dev/null --vcluster=image=tiny,name=red,mem=128M --wrap 'sleep 600')
J2=$(sbatch --parsable -n1 --mem=512M -w $NODE -o /dev/null --vcluster=image=tiny,name=blue,mem=128M --wrap 'sleep 600')
"$BIN/vcluster" wait "$J1" --timeout 240 >"$T/w1" || fail "vcluster wait $J1: $(cat "$T/w1"); $(tail -5 "$HOOK_LOG")"
"$BIN/vcluster" wait "$J2" --timeout 240 >"$T/w2" || fail "vcluster wait $J2: $(cat "$T/w2"); $(tail -5 "$HOOK_LOG")"
# what Slurm allocated each job on $NODE, as `scontrol show job -d` prints it
slurm_cpus() { scontrol show job -d "$1" | grep -oE "Nodes=$NODE CPU_IDs=[0-9,-]+" | sed 's/.*CPU_IDs=//'; }
c1=$(slurm_cpus "$J1")
c2=$(slurm_cpus "$J2")
[ -n "$c1" ] && [ -n "$c2" ] || fail "no CPU_IDs from Slurm: $(scontrol show job -d "$J1" "$J2")"
[ "$(printf '%s\n%s\n' "$c1" "$c2" | sort | tr '\n' ' ')" = "0 1 " ] || fail "jobs' CPUs not 0 and 1: $c1, $c2"
say "Slurm gave job $J1 CPU $c1 and job $J2 CPU $c2 on $NODE"

# check_pinned JOB DOMAIN CPUS: libvirt and the kernel agree that every
# vCPU and every other QEMU thread of DOMAIN may run on CPUS only.
check_pinned() {
        local job=$1 dom=$2 want=$3 pidf pid t got n=0
        vvirsh dumpxml "$dom" >"$T/$dom.xml" || fail "dumpxml $dom"
        grep -q "<vcpupin vcpu='0' cpuset='$want'/>" "$T/$dom.xml" || fail "$dom: no vcpupin to $want: $(grep -A4 '<vcpu' "$T/$dom.xml")"
        grep -q "<emulatorpin cpuset='$want'/>" "$T/$dom.xml" || fail "$dom: no emulatorpin to $want"
        got=$(vvirsh vcpupin "$dom" | awk '$1 ~ /^[0-9]+$/ {print $1 "=" $2}')
        [ "$got" = "0=$want" ] || fail "$dom: virsh vcpupin says $got, not 0=$want"
        got=$(vvirsh emulatorpin "$dom" | awk '$1 == "*:" {print $2}')
        [ "$got" = "$want" ] || fail "$dom: virsh emulatorpin says $got, not $want"
        pidf=$LIBVIRT_DIR/run/libvirt/qemu/$dom.pid
        pid=$(cat "$pidf") || fail "$dom: no pid file $pidf"
        for t in /proc/"$pid"/task/*; do
                got=$(awk '/^Cpus_allowed_list:/ {print $2}' "$t/status")
                [ "$got" = "$want" ] || fail "$dom: QEMU thread ${t##*/} ($(cat "$t/comm")) may run on $got, not $want"
                n=$((n + 1))
        done
        [ "$n" -ge 2 ] || fail "$dom: QEMU $pid has $n thread(s)"
        # the vCPU thread libvirt knows is one of them, pinned the same
        t=$(vvirsh qemu-monitor-command "$dom" '{"execute":"query-cpus-fast"}' | jq '.return[0]["thread-id"]')
        got=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$pid/task/$t/status")
        [ "$got" = "$want" ] || fail "$dom: vCPU thread $t may run on $got"
        say "job $job: $dom — vcpupin, emulatorpin and all $n QEMU threads on CPU $want"
}
check_pinned "$J1" "vcluster-$J1-red-1-1" "$c1"
check_pinned "$J2" "vcluster-$J2-blue-1-1" "$c2"
grep -q "job $J1 on $NODE: guests pinned to CPUs $c1 (Slurm's CPU ids $c1)" "$HOOK_LOG" || fail "no pinning line: $(grep "job $J1 on $NODE" "$HOOK_LOG")"

say "each guest's QEMU is in its job's cgroups and accounted to it (sstat JOBID.extern)"
QEMU_PIDS=()
for j in "$J1" "$J2"; do
        # the batch step adopts them once it starts
        for _ in $(seq 100); do
                grep -qE "vcluster: job $j on $NODE: QEMU [0-9]+ of .* joined the job's extern step" \
                        "$S/log/slurmd-$NODE.log" && break
                sleep 0.2
        done
        line=$(grep -E "vcluster: job $j on $NODE: QEMU [0-9]+ of vcluster-$j-[a-z]+-1-1 joined the job's extern step" \
                "$S/log/slurmd-$NODE.log") || fail "job $j: QEMU not adopted: $(grep "vcluster: job $j" "$S/log/slurmd-$NODE.log")"
        pid=$(sed -E 's/.*QEMU ([0-9]+) of.*/\1/' <<<"$line")
        QEMU_PIDS+=("$pid")
        for t in /proc/"$pid"/task/*; do
                for c in freezer cpuset memory; do
                        grep -qE "^[0-9]+:$c:/slurm_$NODE/uid_0/job_$j/step_extern(/task_[a-z0-9]+)?\$" "$t/cgroup" ||
                                fail "job $j: QEMU thread ${t##*/} not in the job's $c cgroup: $(cat "$t/cgroup")"
                done
        done
        # the job's memory (--mem=512M) bounds QEMU there; libvirt caps nothing of its own
        lim=$(cat "/sys/fs/cgroup/memory/slurm_$NODE/uid_0/job_$j/memory.limit_in_bytes")
        [ "$lim" = $((512 << 20)) ] || fail "job $j: memory cgroup limit $lim, not 512M"
        ! vvirsh dumpxml "vcluster-$j-$( [ "$j" = "$J1" ] && echo red || echo blue)-1-1" | grep -q '<memtune>' ||
                fail "job $j: libvirt caps memory too"
        grep -q "job $j on $NODE: guests pinned to CPUs .*, memory bounded by the job's memory cgroup (ConstrainRAMSpace)" \
                "$HOOK_LOG" || fail "job $j: $(grep "job $j on $NODE: guests pinned" "$HOOK_LOG")"
        cg=$(cat "/sys/fs/cgroup/cpuset/slurm_$NODE/uid_0/job_$j/cpuset.cpus")
        want=$("$BIN/vcluster" status "$j" --json | jq -r '.guests[0].cpus')
        [ "$cg" = "$want" ] || fail "job $j: Slurm's cpuset is $cg, the guest is pinned to $want"
        # the extern step gathers every second (JobAcctGatherFrequency=task=1)
        for _ in $(seq 20); do
                st=$(sstat -n -P -j "$j.extern" -o JobID,NTasks,MaxRSS,AveCPU) || fail "sstat $j.extern: $st"
                IFS='|' read -r id ntasks rss cpu <<<"$st"
                case $rss in *M | *G) break ;; esac
                sleep 0.5
        done
        [ "$id" = "$j.extern" ] && [ "$ntasks" = 1 ] || fail "sstat $j.extern: $st"
        # QEMU holds the guest's booted kernel: tens of MiB at least, not a shell's few
        case $rss in *M | *G) ;; *K) [ "${rss%K}" -ge 20000 ] || fail "$j.extern: MaxRSS $rss is not QEMU's" ;;
                *) fail "$j.extern: MaxRSS '$rss'" ;; esac
        [ "$cpu" != 00:00:00 ] && [ -n "$cpu" ] || fail "$j.extern: no CPU time: $st"
        say "job $j: $j.extern has QEMU: MaxRSS $rss, AveCPU $cpu"
done

say "vcluster status shows each guest's pinned CPUs"
st=$("$BIN/vcluster" status "$J1" --json)
[ "$(jq -c '[.guests[] | [.name, .node, .phase, .cpus]]' <<<"$st")" = "[[\"red-1-1\",\"$NODE\",\"up\",\"$c1\"]]" ] ||
        fail "status $J1: $st"
"$BIN/vcluster" status "$J2" | grep -qE "^blue-1-1 .* $NODE .* up +$c2\$" ||
        fail "vcluster status shows no CPUS column: $("$BIN/vcluster" status "$J2")"

say "the jobs end: no domain, no QEMU left"
scancel "$J1" "$J2"
for p in "${QEMU_PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        ! kill -0 "$p" 2>/dev/null || fail "QEMU $p outlived scancel"
done
wait_job_gone "$J1"
wait_job_gone "$J2"
wait_released "$J1"
wait_released "$J2"
wait_domains_gone
guest_leak_check
pass
