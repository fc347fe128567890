#!/bin/bash
# test_impostor — issue 15, item 3: root hooks act on vlanallocd's replies.
#  1. With vlanallocd down, an unprivileged user listening on its TCP port
#     answers the root node prolog's `show` — unsealed, or sealed with the
#     only munge identity it has (its own): both are refused, the prolog
#     configures nothing (no node state, no plan.json for VLAN 4000).
#  2. A genuine reply that does not fit the node's own vcluster.conf (a
#     controller whose file drifted: VLAN 4000 outside the node's VlanIds=)
#     is refused by the node's plan check, with the reason; the same plan
#     under the controller's file is taken (control).
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
mkdir -p "$T/state"

# run_prolog JOB CONF: the node prolog of JOB on a001 as slurmd runs it; rc in PROLOG_RC.
run_prolog() {
        PROLOG_RC=0
        env -i PATH="$PATH" VCLUSTER_CONF="$2" VCLUSTER_HOOK_LOG="$T/hook.log" \
                SLURM_SCRIPT_CONTEXT=prolog_slurmd SLURM_JOB_ID="$1" SLURM_JOB_UID=0 SLURM_JOB_USER=root \
                SLURMD_NODENAME=a001 SLURM_NODELIST=a001 SPANK_VCLUSTER=vms=1 \
                timeout 90 "$BIN/vcluster-prolog" || PROLOG_RC=$?
}
no_plan() {
        local left
        left=$(find "$T/state" -name plan.json)
        [ -z "$left" ] || fail "the prolog wrote a plan it should have refused: $left"
}

say "a controller whose vcluster.conf drifted: VLAN 4000 is refused by the node's plan check"
VLANS_A=4000-4010 write_conf
cp "$CONF" "$T/controller.conf"
write_conf # the node's own file: site a has 100-199,300-349
NODE_CONF=$CONF
CONF=$T/controller.conf
export VCLUSTER_CONF=$CONF
start_daemon
va acquire 42 --nodes a001 >/dev/null || fail "acquire failed"
run_prolog 42 "$NODE_CONF"
[ "$PROLOG_RC" != 0 ] || fail "the root prolog took a plan outside its own VlanIds= (exit 0)"
grep -q "refusing the plan vlanallocd gave: plan gives site a VLAN 4000, outside its VlanIds=100-199,300-349" \
        "$T/hook.log" || fail "the prolog's refusal does not say why: $(tail -3 "$T/hook.log")"
no_plan
say "control: the same genuine plan under the controller's own file is taken"
run_prolog 42 "$CONF"
[ "$PROLOG_RC" = 0 ] || fail "the prolog refused a genuine plan that fits: $(tail -3 "$T/hook.log")"
[ -f "$T/state/nodes/a001/42/plan.json" ] || fail "no plan.json for a plan that fits"
rm -rf "$T/state/nodes/a001/42"
va release 42 >/dev/null || fail "release failed"
stop_daemon

# impostor SEAL: uid 65534 answers every connection on the controller's port
# with a held plan of job 43 at VLAN 4000 (outside every range of site a),
# sealed with its own munge identity when SEAL is "sealed".
REPLY=$T/reply.json
cat >"$REPLY" <<EOJ
{"ok": true, "job": {"job": 43, "state": "held", "uid": 0, "mode": "shared", "spec": "vms=1", "vni": null,
 "lease": null, "sites": [{"name": "a", "id": 1, "vlan": 4000, "gateway": "a001", "nodes": ["a001"]}]}}
EOJ
chmod 0644 "$REPLY"
impostor() {
        : >"$T/impostor.out"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$TOOLS/impostor" 127.0.0.1 "$VC_PORT" "$REPLY" 1000 \
                ${1:+"$MUNGE_SOCKET"} >"$T/impostor.out" 2>>"$T/impostor.log" &
        IMPOSTOR_PID=$!
        for _ in $(seq 100); do
                grep -q listening "$T/impostor.out" && return 0
                sleep 0.05
        done
        fail "the impostor did not start: $(cat "$T/impostor.log" "$T/impostor.out"; ps -p $IMPOSTOR_PID -o pid,stat,args)"
}
stop_impostor() {
        kill "$IMPOSTOR_PID" 2>/dev/null || true
        wait "$IMPOSTOR_PID" 2>/dev/null || true
}

say "an unsealed reply from an impostor is refused (vlanalloc, at once)"
impostor ""
expect_exit 2 va show 43
expect_in "refused the reply from vlanallocd: an unsealed reply" "$ERR"
stop_impostor

say "a reply sealed by uid 65534 for the very request is refused by the root node prolog (after its patience)"
impostor sealed
run_prolog 43 "$NODE_CONF"
stop_impostor
grep -q "answered op show" "$T/impostor.log" || fail "the prolog never asked the impostor (the probe proves nothing)"
[ "$PROLOG_RC" != 0 ] || fail "the root prolog accepted the impostor's plan (exit 0)"
grep -q "refused the reply from vlanallocd: sealed by uid 65534, not root" "$T/hook.log" ||
        fail "the prolog's refusal does not say why: $(tail -3 "$T/hook.log")"
no_plan
pass
