#!/bin/bash
# Cluster storage through vlanallocd, against a real tgtd, real lvm2 (on a
# loop device, metadata only) and the file backend behind a real storage
# agent: a job with disk= gets one volume per guest, one target with a LUN
# each, a CHAP account and an ACL of its nodes' initiators; iSCSI logins from
# user space (libiscsi) see exactly the job's LUNs with its credentials and
# nothing otherwise; release removes all of it; every failure rolls back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/lvm.sh"
vc_setup
start_munged
start_tgtd
start_lvm 256
AGENT_PORT=$(free_port)
AGENT_PID=""
mkdir -p "$T/vols" "$T/vols-a"
SITE_A_EXTRA="Storage=sta" SITE_B_EXTRA="Storage=stb" SITE_C_EXTRA="Storage=stc" write_conf \
        "ImageName=tiny Kernel=/nonexistent/vmlinuz" \
        "StorageName=sta Host=127.0.0.1 Backend=file Directory=$T/vols-a Export=tgt Portal=$TGT_PORTAL TgtControl=$TGT_CONTROL" \
        "StorageName=stb Host=127.0.0.2 AgentPort=$AGENT_PORT Backend=file Directory=$T/vols Export=tgt Portal=$TGT_PORTAL TgtControl=$TGT_CONTROL IqnBase=iqn.2026-11.org.vcluster.b" \
        "StorageName=stc Host=127.0.0.1 Backend=lvm VolumeGroup=$VC_VG Export=tgt Portal=$TGT_PORTAL TgtControl=$TGT_CONTROL IqnBase=iqn.2026-11.org.vcluster.c"
start_daemon

# start_agent [FAILPOINTS]: the storage agent of stb on 127.0.0.2.
start_agent() {
        VCLUSTER_FAILPOINTS=${1:-} "$BIN/vcluster-storaged" -f -s stb -c "$CONF" >>"$T/agent.log" 2>&1 &
        AGENT_PID=$!
        for _ in $(seq 100); do
                ss -Htln "sport = :$AGENT_PORT" | grep -q . && return 0
                kill -0 "$AGENT_PID" 2>/dev/null || fail "the storage agent died at start: $(tail -5 "$T/agent.log")"
                sleep 0.05
        done
        fail "the storage agent did not listen"
}
stop_agent() {
        [ -n "$AGENT_PID" ] || return 0
        kill -TERM "$AGENT_PID" 2>/dev/null || true
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=""
}
CLEANUP_HOOKS+=(stop_agent)
start_agent

IQN=iqn.2026-11.org.vcluster
# nothing_left WHAT: no LV in the VG, no volume file; a listing that fails fails the test
nothing_left() {
        local l f
        l=$(lvm_lvs) || fail "$1: lvs failed: $(lvs "$VC_VG" 2>&1 | tail -1)"
        f=$(find "$T/vols" "$T/vols-a" -type f -printf '%f ') || fail "$1: cannot list the volume files"
        [ -z "$l" ] && [ -z "$f" ] || fail "$1: LVs '$(echo $l)', files '$f' are left"
}
# targets, accounts: how many tgtd has; a tgtadm that fails fails the test (never "0")
targets() {
        local out
        out=$(tgtadm -C "$TGT_CONTROL" --lld iscsi --op show --mode target) || fail "tgtadm show target failed"
        grep -c '^Target ' <<<"$out" || true
}
accounts() {
        local out
        out=$(tgtadm -C "$TGT_CONTROL" --lld iscsi --op show --mode account) || fail "tgtadm show account failed"
        grep -c vcluster- <<<"$out" || true
}
secret_of() { cat "$T/state/secrets/$1.chap"; }
# iscsi_ls INITIATOR USER SECRET: a user-space discovery and login to every
# target shown (the secret via env, never argv); output in LS_OUT, exit in LS_RC
iscsi_ls() {
        local url=iscsi://127.0.0.1:${TGT_PORTAL##*:}
        [ -n "$2" ] && url=iscsi://$2@127.0.0.1:${TGT_PORTAL##*:}
        LS_RC=0
        LS_OUT=$(LIBISCSI_CHAP_PASSWORD=$3 iscsi-ls -s -i "$1" "$url" 2>&1) || LS_RC=$?
}
# luns INITIATOR USER SECRET: how many disks the login sees; iscsi-ls must
# have worked (exit 0): an error (portal down, login refused) is never "0 LUNs"
luns() {
        iscsi_ls "$@"
        [ "$LS_RC" = 0 ] || fail "iscsi-ls as $1 (user '${2:-none}') exited $LS_RC: $LS_OUT"
        grep -c 'Type:DIRECT_ACCESS' <<<"$LS_OUT" || true
}
# refused INITIATOR USER SECRET TARGET: the initiator is shown TARGET and its
# login is refused for authentication (exit 10, "Authentication failure"):
# not a portal that does not answer, nor an initiator shown nothing
refused() {
        iscsi_ls "$1" "$2" "$3"
        [ "$LS_RC" = 10 ] && grep -q "^Target:$4 " <<<"$LS_OUT" &&
                grep -q "Failed to log in to target. Status: Authentication failure" <<<"$LS_OUT" ||
                fail "$1 as user '${2:-none}': expected $4 shown and the login refused (exit 10), got exit $LS_RC: $LS_OUT"
        ! grep -q DIRECT_ACCESS <<<"$LS_OUT" || fail "$1 as user '${2:-none}' sees LUNs: $LS_OUT"
}
# shown INITIATOR: SHOWN is what a discovery shows the initiator (no login),
# the targets' IQNs, one a line; the discovery itself must work (exit 0).
# (Not in $(…): a failure there would read as "nothing shown".)
shown() {
        local rc=0 out
        out=$(iscsi-ls -i "$1" "iscsi://127.0.0.1:${TGT_PORTAL##*:}" 2>&1) || rc=$?
        [ "$rc" = 0 ] || fail "discovery as $1 exited $rc: $out"
        SHOWN=$(sed -n 's/^Target:\([^ ]*\) .*/\1/p' <<<"$out")
}

say "a 2-guest job on site a: 2 volumes, 1 target with 2 LUNs, 1 CHAP account"
va acquire 1 --nodes 'a[001-002]' --spec image=tiny,vms=1,disk=64M --json >/dev/null || fail "acquire 1: $(va show 1)"
[ "$(ls "$T/vols-a" | sort | tr '\n' ' ')" = "vc-1-vc-1-1.img vc-1-vc-1-2.img " ] || fail "volumes: $(ls "$T/vols-a")"
[ "$(stat -c %s "$T/vols-a/vc-1-vc-1-1.img")" = 67108864 ] || fail "volume size $(stat -c %s "$T/vols-a/vc-1-vc-1-1.img")"
[ "$(targets)" = 1 ] && [ "$(accounts)" = 1 ] || fail "targets $(targets), accounts $(accounts)"
tgta --op show --mode target | grep -q "Backing store path: $T/vols-a/vc-1-vc-1-2.img" || fail "LUN 2 is not volume 2"
[ "$(stat -c %a:%u "$T/state/secrets/1.chap")" = 600:0 ] || fail "secret file mode $(stat -c %a:%u "$T/state/secrets/1.chap")"
[ "$(stat -c %a "$T/state/secrets")" = 700 ] || fail "secrets dir mode"
S1=$(secret_of 1)
[ ${#S1} = 24 ] || fail "secret length ${#S1}"
[ "$(luns $IQN:1.a001 vcluster-1 "$S1")" = 2 ] || fail "job 1's initiator with its CHAP sees $(luns $IQN:1.a001 vcluster-1 "$S1") LUNs"
[ "$(luns $IQN:1.a002 vcluster-1 "$S1")" = 2 ] || fail "node a002 of job 1 does not see its LUNs"
refused $IQN:1.a001 "" "" $IQN:target.1 # no credentials
shown $IQN:1.a001
[ "$SHOWN" = "$IQN:target.1" ] || fail "job 1's initiator is shown: '$SHOWN'"
shown $IQN:1.a003
[ -z "$SHOWN" ] || fail "an initiator outside the job is shown: $SHOWN"
[ "$(luns $IQN:1.a003 vcluster-1 "$S1")" = 0 ] || fail "an initiator outside the job sees LUNs"

say "a 2-guest job on site b, through the storage agent on 127.0.0.2: 2 sparse files"
va acquire 2 --nodes 'b001' --spec image=tiny,vms=2,disk=32M --json >/dev/null || fail "acquire 2: $(va show 2)"
[ "$(ls "$T/vols" | sort | tr '\n' ' ')" = "vc-2-vc-2-1.img vc-2-vc-2-2.img " ] || fail "files: $(ls "$T/vols")"
[ "$(stat -c %s "$T/vols/vc-2-vc-2-1.img")" = 33554432 ] || fail "file size"
[ "$(du -k "$T/vols/vc-2-vc-2-1.img" | cut -f1)" -lt 64 ] || fail "volume file is not sparse"
grep -q "export.add: done" "$T/agent.log" || fail "the agent did not do the export: $(cat "$T/agent.log")"
S2=$(secret_of 2)
[ "$S1" != "$S2" ] || fail "two jobs got the same secret"
[ "$(luns $IQN.b:2.b001 vcluster-2 "$S2")" = 2 ] || fail "job 2 sees $(luns $IQN.b:2.b001 vcluster-2 "$S2") LUNs"
refused $IQN:1.a001 vcluster-2 "$S2" $IQN:target.1    # job 1's initiator with job 2's CHAP
refused $IQN.b:2.b001 vcluster-1 "$S1" $IQN.b:target.2 # job 2's initiator with job 1's CHAP
# job 2's initiator is shown its own target (the control) and not job 1's
shown $IQN.b:2.b001
[ "$SHOWN" = "$IQN.b:target.2" ] || fail "job 2's initiator is shown '$SHOWN', not exactly its own target $IQN.b:target.2"

say "secrets: in no argv, no log, no plan; the chap op is root's and seals the secret"
for s in "$S1" "$S2"; do
        for c in /proc/[0-9]*/cmdline; do
                tr '\0' ' ' <"$c" 2>/dev/null | grep -qF -- "$s" && fail "a secret is in the argv of $c"
        done
        grep -rqF -- "$s" "$T/daemon.log" "$T/agent.log" && fail "a secret is in a log"
        va show 1 --json | grep -qF -- "$s" && fail "a secret is in the plan"
done
reply=$("$TOOLS/rpcpoke" -s "$T/state/vlanallocd.sock" -m "$MUNGE_SOCKET" send '{"op":"chap","job":1}')
cred=$(echo "$reply" | jq -r .cred)
[ "$(echo "$reply" | jq -r .ok)" = true ] && [ "${cred#MUNGE:}" != "$cred" ] || fail "chap: $reply"
case "$reply" in *"$S1"*) fail "the chap reply carries the secret in clear" ;; esac
[ "$(echo "$cred" | unmunge -S "$MUNGE_SOCKET" 2>/dev/null | tail -1)" = "$S1" ] || fail "the sealed secret is not job 1's"
reply=$(as_uid 1000 1000 "$TOOLS/rpcpoke" -s "$T/state/vlanallocd.sock" -m "$MUNGE_SOCKET" send '{"op":"chap","job":1}')
expect_in '"denied"' "$reply"
reply=$("$TOOLS/rpcpoke" -s "$T/state/vlanallocd.sock" -m "$MUNGE_SOCKET" send '{"op":"chap","job":777}')
expect_in "job 777 holds no storage now" "$reply"

say "the agent answers only root on the controller"
req='{"op":"storage","do":"volumes.remove","args":{"place":{"backend":"file","dir":"'$T/vols'"},"volumes":[{"name":"vc-2-vc-2-1"}]}}'
reply=$(as_uid 1000 1000 "$TOOLS/rpcpoke" -s "tcp:127.0.0.2:$AGENT_PORT" -m "$MUNGE_SOCKET" send "$req")
expect_in "only root on the controller (127.0.0.1) may ask a storage agent; this credential is uid 1000" "$reply"
mkdir -p "$T/m2/run" "$T/m2/log" "$T/m2/lib"
chmod 0711 "$T/m2" "$T/m2/run"
munged -F --key-file="$T/munge/munge.key" --origin=127.0.0.9 --socket="$T/m2/run/sock" \
        --pid-file="$T/m2/run/pid" --log-file="$T/m2/log/log" --seed-file="$T/m2/lib/seed" >/dev/null 2>&1 &
M2=$!
for _ in $(seq 100); do [ -S "$T/m2/run/sock" ] && break; sleep 0.05; done
reply=$("$TOOLS/rpcpoke" -s "tcp:127.0.0.2:$AGENT_PORT" -m "$T/m2/run/sock" send "$req")
kill "$M2"; wait "$M2" 2>/dev/null || true
expect_in "this credential is uid 0 from 127.0.0.9" "$reply"
[ -f "$T/vols/vc-2-vc-2-1.img" ] || fail "a refused request removed a volume"
say "a malformed request to the agent changes nothing, even when its first volume is fine"
bad='{"op":"storage","do":"volumes.create","args":{"place":{"backend":"file","dir":"'$T/vols'"},"volumes":[{"name":"vc-9-ok","bytes":1048576},{"name":"-rf","bytes":1048576}]}}'
reply=$("$TOOLS/rpcpoke" -s "tcp:127.0.0.2:$AGENT_PORT" -m "$MUNGE_SOCKET" send "$bad")
expect_in "invalid volume name '-rf'" "$reply"
bad='{"op":"storage","do":"volumes.create","args":{"place":{"backend":"file","dir":"'$T/vols'"},"volumes":[{"name":"vc-9-ok","bytes":1048576},{"name":"vc-9-x"}]}}'
reply=$("$TOOLS/rpcpoke" -s "tcp:127.0.0.2:$AGENT_PORT" -m "$MUNGE_SOCKET" send "$bad")
expect_in "malformed storage request: volume 2 needs a name and bytes" "$reply"
[ ! -e "$T/vols/vc-9-ok.img" ] || fail "a refused request made a volume"

say "release: no volume, target, account or secret is left"
va release 1 >/dev/null && va release 2 >/dev/null || fail "release"
nothing_left "release"
[ "$(targets)" = 0 ] && [ "$(accounts)" = 0 ] || fail "left: $(targets) targets, $(accounts) accounts"
[ -z "$(ls "$T/state/secrets")" ] || fail "secret files left: $(ls "$T/state/secrets")"
# (from the initiator's side there is nothing to ask now: with no target at
# all, iscsi-ls's discovery itself fails; tgtd's own lists, read above, are
# the proof, and a failing tgtadm fails there)

# refused_cleanly JOB TEXT: the acquire failed saying TEXT; nothing of it is left
refused_cleanly() {
        [ "$(va show "$1" --json | jq -r .state)" = failed ] || fail "job $1 is $(va show "$1" --json | jq -r .state)"
        nothing_left "job $1"
        [ "$(targets)" = 0 ] && [ "$(accounts)" = 0 ] || fail "job $1 left $(targets) targets, $(accounts) accounts"
        [ ! -e "$T/state/secrets/$1.chap" ] || fail "job $1 left its secret"
}

say "lvm2 (metadata only here): real logical volumes, which this kernel cannot activate for tgtd"
expect_exit 4 va acquire 3 --nodes 'c[001-002]' --spec image=tiny,vms=1,disk=64M
expect_in "storage 'stc' on 127.0.0.1: volume vc-3-vc-3-1: /dev/$VC_VG/vc-3-vc-3-1 does not exist: the logical volume is not active (activation needs device-mapper in the kernel: dm_mod)" "$ERR"
expect_in "rolled back" "$ERR"
refused_cleanly 3

say "failure: the volume group is full — the first volume fits, the second does not"
expect_exit 4 va acquire 30 --nodes 'c[001-002]' --spec image=tiny,vms=1,disk=200M
expect_in "storage 'stc' on 127.0.0.1: lvcreate vc-30-vc-3-2" "$ERR"
expect_in "insufficient free space" "$ERR"
expect_in "rolled back" "$ERR"
refused_cleanly 30

say "failure: tgtd is down — the volumes were made, the export fails, the volumes go"
stop_tgtd
expect_exit 4 va acquire 4 --nodes 'a001' --spec image=tiny,disk=16M
expect_in "storage 'sta' on 127.0.0.1: tgtd (control $TGT_CONTROL): cannot connect to /var/run/tgtd/socket.$TGT_CONTROL" "$ERR"
expect_in "rolled back" "$ERR"
start_tgtd_again
refused_cleanly 4

say "failure: the export fails on the agent after its volumes were created"
stop_agent
start_agent storage.export.before=error
expect_exit 4 va acquire 5 --nodes 'b001' --spec image=tiny,vms=2,disk=16M
expect_in "storage 'stb' on 127.0.0.2: injected failure (storage.export.before)" "$ERR"
refused_cleanly 5

say "failure: the agent dies in the middle of a step; the rollback waits for it, then finishes"
stop_agent
start_agent storage.volume.created=crash
expect_exit 4 va acquire 6 --nodes 'b001' --spec image=tiny,vms=2,disk=16M
expect_in "storage 'stb' on 127.0.0.2: no reply from its agent" "$ERR"
expect_in "rollback incomplete" "$ERR"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=""
[ "$(ls "$T/vols")" = "vc-6-vc-2-1.img" ] || fail "the crashed agent left: $(ls "$T/vols")"
[ "$(va show 6 --json | jq -r .state)" = releasing ] || fail "job 6 is $(va show 6 --json | jq -r .state)"
start_agent
va release 6 >/dev/null || fail "release 6 after the agent came back: $(va show 6)"
nothing_left "the rollback of job 6"

say "failure: the agent is not running — refused before anything is done"
stop_agent
expect_exit 4 va acquire 7 --nodes 'b001' --spec image=tiny,disk=16M
expect_in "storage 'stb' on 127.0.0.2: cannot reach its agent at 127.0.0.2:$AGENT_PORT" "$ERR"
refused_cleanly 7
start_agent

say "bad input changes nothing: too many volumes, disk= without image="
expect_exit 1 va acquire 8 --nodes 'a[001-016],b[001-016]' --spec image=tiny,vms=16,disk=1M,subnet=10.0.0.0/16
expect_in "spec: the job needs 512 volumes (one per guest), above this site's limit MaxVolumes=256" "$ERR"
expect_exit 1 va acquire 8 --nodes 'a001' --spec disk=16M
expect_in "needs image=" "$ERR"
nothing_left "a refused request"
expect_exit 1 va show 8
expect_in "job 8 is not known to vlanallocd" "$ERR"

stop_agent
grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/agent.log" && fail "sanitizer report in the agent log: $(grep -A20 Sanitizer "$T/agent.log")"
pass
