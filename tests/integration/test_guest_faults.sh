#!/bin/bash
# When guests cannot come up, the node prolog undoes what it did on that
# node and fails; Slurm holds the job, the allocator's VLAN is released, and
# no domain, port, overlay or node state remains:
#   - an image whose kernel is missing (refused before libvirt is asked)
#   - a frontend whose public bridge does not exist (libvirt/QEMU refuse to start it)
#   - HostNet=bridge on this kernel: no 802.1Q, and the message says so
#   - a prolog that crashes after its guests started (failpoint): the epilog
#     cleans up exactly what was done
#   - libvirtd restarted while a job runs: the epilog still tears it down
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
vc_setup
TRUNK=vc$$tk
ip link add "$TRUNK" type veth peer name "${TRUNK}p"
drop_trunk() { ip link del "$TRUNK" 2>/dev/null || true; }
CLEANUP_HOOKS+=(drop_trunk)
GUEST_NODES="a[001-016]"
guest_conf_lines() {
        echo "ImageName=nokernel Kernel=$T/missing/vmlinuz Initrd=$GUEST_IMG/initrd.img"
        echo "NodeName=b001 HostNet=bridge Trunk=$TRUNK Libvirt=$LIBVIRT_URI DomainType=qemu"
        echo "NodeName=c001 OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS PublicBridge=br-nope Libvirt=$LIBVIRT_URI DomainType=qemu"
}
start_guest_cluster a001 a002 b001 c001

# held_after_prolog_failure JOB NODE: Slurm drained NODE and holds JOB; the
# VLAN is released; nothing of the job is left. Then frees the node.
held_after_prolog_failure() {
        local job=$1 node=$2 i
        for i in $(seq 300); do
                scontrol show job "$job" | grep -qE "JobState=PENDING.*Reason=[a-zA-Z_]*[Hh]eld" && break
                sleep 0.2
        done
        scontrol show job "$job" | grep -qE "JobState=PENDING.*Reason=[a-zA-Z_]*[Hh]eld" ||
                fail "job $job not held after its prolog failed: $(scontrol show job "$job" | head -4)"
        wait_released "$job"
        for i in $(seq 100); do [ -z "$(domains)" ] && break; sleep 0.2; done
        guest_leak_check
        [ ! -e "$T/state/nodes/$node/$job" ] || fail "node state of $job left: $(ls -la "$T/state/nodes/$node/$job")"
        scancel "$job"
        wait_job_gone "$job"
        scontrol update nodename="$node" state=resume
}

say "an image whose kernel is missing: the prolog fails naming the file"
J=$(sbatch --parsable -N1 -w a001 --vcluster=image=nokernel,mem=128M -o /dev/null --wrap true)
held_after_prolog_failure "$J" a001
grep -q "image file $T/missing/vmlinuz: No such file or directory" "$HOOK_LOG" ||
        fail "no message naming the missing kernel: $(grep "$J" "$HOOK_LOG" | tail -3)"
st=$("$BIN/vcluster" status "$J" --json)
[ "$(jq -c '[.nodes[0].phase, .guests[0].phase]' <<<"$st")" = '["failed","failed"]' ] ||
        fail "the user is not shown the failure: $st"
expect_in "image file $T/missing/vmlinuz" "$(jq -r '.nodes[0].detail' <<<"$st")"

say "a frontend on a public bridge that does not exist: libvirt cannot start it; rolled back"
J=$(sbatch --parsable -N1 -w c001 --vcluster=image=tiny,frontend=yes,mem=128M -o /dev/null --wrap true)
held_after_prolog_failure "$J" c001
grep -q "job $J on c001: .*domain vcluster-$J-vc-3-1: start: .*br-nope" "$HOOK_LOG" ||
        fail "no message naming the start failure: $(grep "$J" "$HOOK_LOG" | tail -3)"

say "HostNet=bridge on a kernel without 802.1Q: the message names what is missing"
J=$(sbatch --parsable -N1 -w b001 --vcluster=image=tiny,mem=128M -o /dev/null --wrap true)
held_after_prolog_failure "$J" b001
grep -q "job $J on b001: .*$TRUNK\.[0-9]* on $TRUNK: kernel has no 802.1Q support (CONFIG_VLAN_8021Q)" "$HOOK_LOG" ||
        fail "no 802.1Q message: $(grep "$J" "$HOOK_LOG" | tail -3)"
[ -z "$(ip -o link show | grep -E "vcbr[0-9]+:|$TRUNK\.[0-9]")" ] || fail "bridge path left links: $(ip -o link show | grep vcbr)"

say "a prolog that crashes after starting its guests: the epilog undoes exactly that"
hook_failpoints "node.guests.started=crash"
J=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tiny,mem=128M -o /dev/null --wrap true)
# the prolog got as far as its guests (started: the failpoint is after that)
for _ in $(seq 300); do grep -q "failpoint node.guests.started: crashing" "$HOOK_LOG" && break; sleep 0.2; done
grep -q "failpoint node.guests.started: crashing" "$HOOK_LOG" ||
        fail "the prolog of job $J never crashed after starting its guests: $(grep "job $J" "$HOOK_LOG" | tail -5)"
hook_failpoints ""
# ends with the job held, its VLAN released and nothing of it left (and a001 resumed)
held_after_prolog_failure "$J" a001
grep -qE "vcluster-epilog: job $J on a001: 6 node step\(s\) undone" "$HOOK_LOG" ||
        fail "the epilog did not undo the crashed prolog's 4 steps: $(grep "job $J" "$HOOK_LOG")"
scontrol update nodename=a002 state=resume 2>/dev/null || true # drained too if its prolog crashed as well
[ -z "$(find "$T/state/nodes" -mindepth 2 -maxdepth 2)" ] || fail "node state left: $(find "$T/state/nodes")"

say "libvirtd restarted while a job runs: the epilog still tears the guests down"
J=$(sbatch --parsable -N1 -w a002 --vcluster=image=tiny,mem=128M -o /dev/null --wrap 'sleep 600')
"$BIN/vcluster" wait "$J" --timeout 240 >/dev/null || fail "job $J never ready: $(tail -5 "$HOOK_LOG")"
restart_libvirtd
[ "$(domains)" = "vcluster-$J-vc-1-1" ] || fail "after the restart libvirtd lists: $(domains)"
end_guest_jobs "$J"
guest_leak_check
pass
