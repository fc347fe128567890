#!/bin/bash
# The requests behind `vcluster` and the node prologs' reports, at
# vlanallocd's front door (no Slurm needed): who may report a node's phase,
# what a report must name, how the phases add up to the cluster's, that a
# user sees only their own clusters, and that a requeued job starts with a
# clean slate. The exit codes of `vcluster`.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
start_daemon
SOCK=$T/state/vlanallocd.sock
poke() { "$TOOLS/rpcpoke" -s "$SOCK" -m "$MUNGE_SOCKET" send "$1"; }
vc() { "$BIN/vcluster" -c "$CONF" "$@"; }

va acquire 11 --nodes 'a[001-002]' --user 12345 >/dev/null
va acquire 12 --nodes b001 --user 12346 >/dev/null

say "a fresh cluster is starting: no node has reported"
st=$(as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" status 11 --json)
jq -e '.phase == "starting" and ([.nodes[].phase] == ["pending","pending"]) and .uid == 12345' <<<"$st" >/dev/null ||
        fail "status: $st"
expect_exit 4 as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" wait 11 --timeout 1
expect_in "job 11: still starting after 1 s" "$ERR"

say "only root and SlurmUser may report a node's phase"
r=$(as_uid 12345 12345 "$TOOLS/rpcpoke" -s "$SOCK" -m "$MUNGE_SOCKET" send '{"op":"node_phase","job":11,"node":"a001","phase":"ready"}')
[ "$(jq -r .code <<<"$r")" = denied ] || fail "a user reported a phase: $r"
[ "$(jq -r .code <<<"$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"up"}')")" = bad-request ] ||
        fail "unknown phase accepted"
expect_in "phase 'up' is not known (known: starting, ready, failed)" "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"up"}')"
expect_in "guest x-1-1: phase is not one of defined, started, up, failed" \
        "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"starting","guests":{"x-1-1":"booting"}}')"
expect_in "optional \\\"detail\\\" (string), \\\"guests\\\" ({name: phase})" \
        "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"starting","guests":["x-1-1"]}')"
# a node's pinned CPUs are shown to users: a CPU list and nothing else
expect_in '"cpus\" must be a CPU list of at most 1024 characters of 0-9 , - (e.g. 0-3,8)' \
        "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"starting","cpus":"0\u001b[2J"}')"
expect_in '\"cpus\" (CPU ids)' "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"starting","cpus":3}')"
expect_in "node b001 is not a node of job 11" "$(poke '{"op":"node_phase","job":11,"node":"b001","phase":"ready"}')"
expect_in "job 99 holds no VLANs" "$(poke '{"op":"node_phase","job":99,"node":"a001","phase":"ready"}')"
expect_in "needs \\\"job\\\"" "$(poke '{"op":"node_phase","job":"11","node":"a001","phase":"ready"}')"

say "the cluster is ready when every node is; failed when one fails"
[ "$(poke '{"op":"node_phase","job":11,"node":"a001","phase":"ready"}' | jq -r .ok)" = true ] || fail "report refused"
[ "$(vc status 11 --json | jq -r .phase)" = starting ] || fail "ready with one node of two"
poke '{"op":"node_phase","job":11,"node":"a002","phase":"ready"}' >/dev/null
[ "$(vc status 11 --json | jq -r .phase)" = ready ] || fail "not ready: $(vc status 11)"
[ "$(as_uid 12345 12345 "$BIN/vcluster" -c "$CONF" wait 11)" = "job 11: ready" ] || fail "wait"
poke '{"op":"node_phase","job":12,"node":"b001","phase":"failed","detail":"disk full"}' >/dev/null
expect_exit 3 vc wait 12
vc status 12 | grep -q 'b001  b     failed  disk full' || fail "node detail: $(vc status 12)"

say "a user sees only their own clusters; another's reads as no such job"
expect_exit 1 as_uid 12346 12346 "$BIN/vcluster" -c "$CONF" status 11
expect_in "job 11: no virtual cluster of uid 12346" "$ERR"
expect_exit 1 as_uid 12346 12346 "$BIN/vcluster" -c "$CONF" status 999
expect_in "job 999: no virtual cluster of uid 12346" "$ERR"
[ "$(as_uid 12346 12346 "$BIN/vcluster" -c "$CONF" status --json | jq -c '[.clusters[].job]')" = "[12]" ] || fail "user list"
[ "$(vc status --json | jq -c '[.clusters[].job]')" = "[11,12]" ] || fail "root sees every cluster"
as_uid 12346 12346 "$BIN/vcluster" -c "$CONF" status | grep -q '^12 ' || fail "human list"

say "released: ended; requeued (acquired again): the last run's reports are gone"
va release 11 >/dev/null
[ "$(vc status 11 --json | jq -r .phase)" = ended ] || fail "released cluster"
[ "$(vc status --json | jq -c '[.clusters[].job]')" = "[12]" ] || fail "released cluster still listed"
va acquire 11 --nodes 'a[001-002]' --user 12345 >/dev/null
[ "$(vc status 11 --json | jq -c '[.phase, [.nodes[].phase]]')" = '["starting",["pending","pending"]]' ] ||
        fail "old reports leaked into the new run: $(vc status 11)"

say "usage errors"
expect_exit 1 vc wait;                   expect_in "wait: expected JOBID" "$ERR"
expect_exit 1 vc status 0;               expect_in "JOBID '0'" "$ERR"
expect_exit 1 vc status --timeout 3;     expect_in "not valid here" "$ERR"
expect_exit 1 vc wait 11 --timeout x;    expect_in "--timeout x: not a duration" "$ERR"
expect_exit 1 vc frob;                   expect_in "unknown command 'frob'" "$ERR"
sed "s|ControllerAddr=127.0.0.1:$VC_PORT|ControllerAddr=127.0.0.1:$(free_port)|; s|StateDir=$T/state|StateDir=$T/nowhere|" "$CONF" >"$T/off.conf"
expect_exit 2 "$BIN/vcluster" -c "$T/off.conf" status 11
expect_in "cannot reach vlanallocd" "$ERR"

va release 11 >/dev/null
va release 12 >/dev/null
pass
