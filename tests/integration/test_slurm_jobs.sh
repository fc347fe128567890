#!/bin/bash
# Virtual clusters as Slurm jobs, end to end: a real slurmctld and five slurmd
# (sites a, b, c) with spank_vcluster.so and vcluster-prolog/-epilog.
#   - bad specs are refused by sbatch (and srun) with the specific message,
#     and nothing is queued;
#   - 2-node jobs hold their VLANs while they run (two at once get different
#     ones), every node records its part of the plan, the job sees
#     VCLUSTER_*, `vcluster status|wait` follow it, and another user is
#     refused;
#   - the VLANs are free again after the job completes, is cancelled, exits
#     non-zero, and hits its time limit (the one slow case, ~90 s, runs
#     while the others do);
#   - a job without --vcluster leaves no trace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm.sh"
vc_setup
start_munged
write_conf "ImageName=deb12 Kernel=/srv/images/vmlinuz Initrd=/srv/images/initrd.img" \
        "ImageName=alpine Disk=/srv/images/alpine.qcow2" "Limits MaxVmsPerNode=4 MaxMem=8G"
start_vcluster_slurm a001 a002 b001 b002 c001
start_daemon

# gate N: a job body that runs until the test creates $T/open.N.
gate() { echo "while [ ! -e $T/open.$1 ]; do sleep 0.2; done"; }
held() { [ "$(va show "$1" --json 2>/dev/null | jq -r .state)" = held ]; }

say "bad specs: sbatch exits non-zero with the specific message, nothing is queued"
bad() {
        local spec=$1 want=$2 rc=0 err
        err=$(sbatch -N1 --vcluster="$spec" -o /dev/null --wrap true 2>&1) || rc=$?
        [ "$rc" != 0 ] || fail "sbatch --vcluster='$spec' was accepted: $err"
        expect_in "sbatch: error: --vcluster: $want" "$err"
}
bad "foo=1" "foo=1: unknown key (known: image, vms, cpus, mem, disk, name, subnet, frontend, l2, cache, sudo, share, user-data)"
bad "vms=1,vms=2" "vms given twice"
bad "mem=3X" "mem=3X: not a size (examples: 512M, 4G)"
bad "image=nosuch" "image=nosuch: no such image (known: deb12, alpine)"
bad "vms=5" "vms=5: above this site's limit MaxVmsPerNode=4"
bad "mem=16G" "mem=16G: above this site's limit MaxMem=8G"
bad "name=" "name=: must start with a-z"
bad "" "empty SPEC"
rc=0
err=$(srun -N1 --vcluster=cpus=0 true 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "srun accepted a bad spec"
expect_in "--vcluster: cpus=0: must be a whole number from 1 to" "$err"
[ -z "$(squeue -h)" ] || fail "a refused job was queued: $(squeue)"
[ ! -s "$T/hooks.log" ] || fail "hooks ran for refused jobs: $(cat "$T/hooks.log")"

say "a job with a time limit starts now and is checked at the end (~90 s)"
TL=$(sbatch --parsable -N1 -w b002 --time=1 --vcluster=name=tl -o /dev/null --wrap 'sleep 600')
wait_job_state "$TL" RUNNING

say "two 2-node jobs at once: stitched a001+c001 and shared a002+b001"
cat >"$T/j1.sh" <<EOS
#!/bin/sh
env | grep -E '^VCLUSTER_(VLAN|NODES|FRONTEND)=' | sort >$T/j1.env
srun -N2 -n2 sh -c 'echo \$SLURMD_NODENAME \$VCLUSTER_VLAN' | sort >$T/j1.steps
$(gate 1)
EOS
J1=$(sbatch --parsable -N2 -w a001,c001 --time=5 --vcluster=vms=2,name=web,frontend=yes \
        -o "$T/j1.out" "$T/j1.sh")
J2=$(sbatch --parsable -N2 -w a002,b001 --vcluster=name=db -o /dev/null --wrap "$(gate 2)")
wait_job_state "$J1" RUNNING
wait_job_state "$J2" RUNNING
"$BIN/vcluster" wait "$J1" --timeout 30 >"$T/wait.out" || fail "vcluster wait $J1: $(cat "$T/wait.out")"
[ "$(cat "$T/wait.out")" = "job $J1: ready" ] || fail "wait said: $(cat "$T/wait.out")"
"$BIN/vcluster" wait "$J2" --timeout 30 >/dev/null || fail "vcluster wait $J2"

say "VLANs held while the jobs run, different for the two jobs"
s1=$(va show "$J1" --json)
jq -e '.state == "held" and .mode == "stitched" and .vni == 5000 and .lease != null' <<<"$s1" >/dev/null ||
        fail "job $J1: $s1"
[ "$(jq -c '[.sites[] | [.name, .vlan, (.nodes|join(","))]]' <<<"$s1")" = '[["a",100,"a001"],["c",2000,"c001"]]' ] ||
        fail "job $J1 sites: $(jq -c .sites <<<"$s1")"
s2=$(va show "$J2" --json)
[ "$(jq -c '[.state, .mode, [.sites[] | [.name, .vlan]]]' <<<"$s2")" = '["held","shared",[["a",101],["b",101]]]' ] ||
        fail "job $J2: $s2"
end=$(date -d "$(scontrol show job "$J1" | grep -o 'EndTime=[^ ]*' | cut -d= -f2)" +%s)
# Slurm restamps the start (and so the end) when the prolog is done: allow the seconds the prolog took.
lease=$(jq .lease <<<"$s1")
[ $((end + 300 - lease)) -ge 0 ] && [ $((end + 300 - lease)) -le 5 ] ||
        fail "lease $lease is not EndTime $end + LeaseGrace 300"

say "every node recorded its own part of the plan: the right VLAN, its guests"
for n in a001 c001; do
        site=$(node_plan $n "$J1" | jq -r .site.name)
        [ "$(node_plan $n "$J1" | jq .site.vlan)" = "$(jq ".sites[] | select(.name == \"$site\") | .vlan" <<<"$s1")" ] ||
                fail "$n's VLAN is not the one vlanallocd holds: $(node_plan $n "$J1") vs $s1"
done
p=$(node_plan a001 "$J1")
[ "$(jq -c '[.site.name, .site.vlan, .is_gateway, [.guests[].name], .vni, .frontend, .cluster_nodes]' <<<"$p")" = \
        '["a",100,true,["web-1-1","web-1-2"],5000,"web-1-1","web-1-[1-2],web-3-[1-2]"]' ] || fail "a001's plan: $p"
p=$(node_plan c001 "$J1")
[ "$(jq -c '[.site.name, .site.vlan, [.guests[].name]]' <<<"$p")" = '["c",2000,["web-3-1","web-3-2"]]' ] || fail "c001's plan: $p"
for n in a002 b001; do
        [ "$(node_plan $n "$J2" | jq .site.vlan)" = 101 ] || fail "$n's plan: $(node_plan $n "$J2")"
done
[ "$(stat -c %a "$T/state/nodes/a001/$J1")" = 700 ] || fail "node state dir must be root-only"

say "the job sees VCLUSTER_*, and each job step its own node's VLAN"
for _ in $(seq 50); do [ -s "$T/j1.steps" ] && break; sleep 0.2; done
printf '%s\n' "VCLUSTER_FRONTEND=web-1-1" "VCLUSTER_NODES=web-1-[1-2],web-3-[1-2]" "VCLUSTER_VLAN=100" |
        diff - "$T/j1.env" >/dev/null || fail "job environment: $(cat "$T/j1.env" "$T/j1.out")"
printf '%s\n' "a001 100" "c001 2000" | diff - "$T/j1.steps" >/dev/null || fail "job steps saw: $(cat "$T/j1.steps")"

say "vcluster status: the owner sees the cluster, another user is refused"
st=$("$BIN/vcluster" status "$J1" --json)
jq -e '.phase == "ready" and ([.nodes[].phase] == ["ready","ready"]) and .sites[1].vlan == 2000' <<<"$st" >/dev/null ||
        fail "status: $st"
"$BIN/vcluster" status "$J1" | grep -q "^job $J1  user root  phase ready" || fail "human status: $("$BIN/vcluster" status "$J1")"
[ "$("$BIN/vcluster" status --json | jq -c '[.clusters[].job]')" = "[$TL,$J1,$J2]" ] || fail "status list"
expect_exit 1 as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" status "$J1"
expect_in "job $J1: no virtual cluster of uid 12345" "$ERR"
expect_exit 1 as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" wait "$J1" --timeout 5
[ "$(as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" status --json | jq '.clusters | length')" = 0 ] ||
        fail "another user's list shows clusters"

say "jobs complete: VLANs free, node state gone"
touch "$T/open.1" "$T/open.2"
wait_job_gone "$J1"
wait_job_gone "$J2"
wait_released "$J1"
wait_released "$J2"
va show "$J1" --json | jq -e '[.history[].detail] | index("job ended (epilog_slurmctld)") != null' >/dev/null ||
        fail "release reason: $(va show "$J1" --json | jq -c .history)"
for _ in $(seq 50); do [ -z "$(find "$T/state/nodes" -mindepth 2 -name "$J1" -o -mindepth 2 -name "$J2")" ] && break; sleep 0.2; done
[ -z "$(find "$T/state/nodes" -mindepth 2 -name "$J1" -o -mindepth 2 -name "$J2")" ] || fail "node state left: $(find "$T/state/nodes")"
[ "$("$BIN/vcluster" status "$J1" --json | jq -r .phase)" = ended ] || fail "ended job's phase"

say "scancel while running: free again"
J3=$(sbatch --parsable -N2 -w a001,a002 --vcluster=name=gone -o /dev/null --wrap "$(gate 3)")
wait_job_state "$J3" RUNNING
"$BIN/vcluster" wait "$J3" --timeout 30 >/dev/null || fail "vcluster wait $J3"
held "$J3" || fail "job $J3 holds nothing: $(va show "$J3")"
scancel "$J3"
wait_job_gone "$J3"
wait_released "$J3"
expect_in "JobState=CANCELLED" "$(scontrol show job "$J3")"

say "a job that exits non-zero: free again"
J4=$(sbatch --parsable -N1 -w a001 --vcluster=name=oops -o /dev/null --wrap 'exit 3')
wait_job_gone "$J4"
wait_released "$J4"
info=$(scontrol show job "$J4")
expect_in "JobState=FAILED" "$info"
expect_in "ExitCode=3:0" "$info"

say "a job without --vcluster pays nothing: no hook work, no state, no connection"
lines=$(wc -l <"$T/hooks.log")
J5=$(sbatch --parsable -N2 -w a001,a002 -o /dev/null --wrap true)
wait_job_gone "$J5"
expect_in "JobState=COMPLETED" "$(scontrol show job "$J5")"
[ "$(wc -l <"$T/hooks.log")" = "$lines" ] || fail "hooks logged for a plain job: $(tail -n +$((lines + 1)) "$T/hooks.log")"
expect_exit 1 va show "$J5"
! grep -q "job $J5:" "$T/daemon.log" || fail "vlanallocd heard of plain job $J5"

say "the time limit kills the first job: free again"
for _ in $(seq 150); do [ -z "$(squeue -h -j "$TL" 2>/dev/null)" ] && break; sleep 1; done
wait_job_gone "$TL"
expect_in "JobState=TIMEOUT" "$(scontrol show job "$TL")"
wait_released "$TL"
pass
