#!/bin/bash
# test_impostor — issue 15, item 3: with vlanallocd down, an unprivileged
# user listening on its TCP port answers the root node prolog's `show`. The
# prolog must refuse what it cannot trust and configure nothing: no node
# state, no plan.json for a VLAN the site never declared.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
mkdir -p "$T/state"

# run_prolog JOB: the node prolog of JOB on a001 as slurmd runs it; rc in PROLOG_RC.
run_prolog() {
        PROLOG_RC=0
        env -i PATH="$PATH" VCLUSTER_CONF="$CONF" VCLUSTER_HOOK_LOG="$T/hook.log" \
                SLURM_SCRIPT_CONTEXT=prolog_slurmd SLURM_JOB_ID="$1" SLURM_JOB_UID=0 SLURM_JOB_USER=root \
                SLURMD_NODENAME=a001 SLURM_NODELIST=a001 SPANK_VCLUSTER=vms=1 \
                timeout 60 "$BIN/vcluster-prolog" || PROLOG_RC=$?
}

# impostor JOB VLAN [NODES]: uid 65534 answers the next two connections (show,
# and the prolog's phase report) with a held plan of JOB, VLAN VLAN at site a
# on NODES (a JSON list; default ["a001"]).
impostor() {
        local nodes=${3:-'["a001"]'}
        cat >"$T/reply.$1.json" <<EOJ
{"ok": true, "job": {"job": $1, "state": "held", "uid": 0, "mode": "shared", "spec": "vms=1", "vni": null,
 "lease": null, "sites": [{"name": "a", "id": 1, "vlan": $2, "gateway": "a001", "nodes": $nodes}]}}
EOJ
        chmod 0644 "$T/reply.$1.json"
        : >"$T/impostor.out"
        as_uid 65534 65534 "$TOOLS/impostor" 127.0.0.1 "$VC_PORT" "$T/reply.$1.json" 2 \
                >"$T/impostor.out" 2>>"$T/impostor.log" &
        IMPOSTOR_PID=$!
        for _ in $(seq 100); do
                grep -q listening "$T/impostor.out" && return 0
                sleep 0.05
        done
        fail "the impostor did not start: $(cat "$T/impostor.log")"
}
stop_impostor() {
        kill "$IMPOSTOR_PID" 2>/dev/null || true
        wait "$IMPOSTOR_PID" 2>/dev/null || true
}

say "an impostor's plan for VLAN 4000 (outside every range of site a) is refused"
impostor 42 4000
run_prolog 42
stop_impostor
grep -q "answered op show" "$T/impostor.log" || fail "the prolog never asked the impostor (the probe proves nothing)"
[ "$PROLOG_RC" != 0 ] || fail "the root prolog accepted the impostor's plan (exit 0)"
grep -q "refusing the plan vlanallocd gave: plan gives site a VLAN 4000, outside its VlanIds=100-199,300-349" \
        "$T/hook.log" || fail "the prolog's refusal does not say why: $(cat "$T/hook.log")"
left=$(find "$T/state" -name plan.json)
[ -z "$left" ] || fail "the prolog wrote a plan from the impostor: $left"

say "the same impostor's plan for VLAN 150 of site a is taken (control: the probe reaches the prolog)"
impostor 44 150
run_prolog 44
stop_impostor
[ "$PROLOG_RC" = 0 ] || fail "the prolog refused a plan that fits vcluster.conf: $(tail -3 "$T/hook.log")"
[ -f "$T/state/nodes/a001/44/plan.json" ] || fail "no plan.json for a plan that fits"
rm -rf "$T/state/nodes/a001/44"

say "an impostor's plan naming a node of another site is refused"
impostor 43 150 '["a001", "b001"]'
run_prolog 43
stop_impostor
[ "$PROLOG_RC" != 0 ] || fail "the root prolog accepted a plan putting b001 in site a"
grep -q "plan puts node b001 in site a, which does not list it" "$T/hook.log" ||
        fail "no refusal for b001: $(tail -3 "$T/hook.log")"
left=$(find "$T/state" -name plan.json)
[ -z "$left" ] || fail "the prolog wrote a plan from the impostor: $left"
pass
