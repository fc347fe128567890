#!/bin/bash
# The tgt export backend against a real tgtd, driven through exportctl and
# checked from the initiator side with libiscsi's iscsi-ls: two jobs' targets
# (A: two LUNs, B: one), each behind its own CHAP account and initiator ACL.
# A's credentials from A's initiator see exactly A's LUNs; B's credentials,
# or none, see no LUN of A; B's initiator is not even shown A's target. No
# secret is ever in a process's argv (nor in tgtd's log). add is idempotent
# and takes a new secret; remove works twice, also while an initiator does
# I/O, and cleans up a target whose add failed half-way; errors name tgtd
# and its socket when tgtd is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
vc_setup
start_tgtd
say "tgtd control $TGT_CONTROL, portal $TGT_PORTAL"

X=$TOOLS/exportctl
D=$T/disks
mkdir -p "$D"
truncate -s 64M "$D/a1.img" "$D/a2.img"
truncate -s 32M "$D/b1.img"
PFX=iqn.2026-11.org.vcluster:test$$.
IQN_A=${PFX}job.a IQN_B=${PFX}job.b IQN_C=${PFX}job.c
INIT_A=iqn.2026-11.org.vcluster:test$$.a001 INIT_B=iqn.2026-11.org.vcluster:test$$.b001
USER_A=vc-test$$-a USER_B=vc-test$$-b USER_C=vc-test$$-c
secret() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }
SECRET_A=$(secret) SECRET_A2=$(secret) SECRET_B=$(secret) SECRET_C=$(secret)
(umask 077; printf '%s\n' "$SECRET_A" "$SECRET_A2" "$SECRET_B" "$SECRET_C" >"$T/secrets")

# add SECRET IQN USER INITIATORS PATH…: exportctl add, the secret on stdin (printf is a builtin).
add() { local s=$1; shift; printf '%s\n' "$s" | "$X" add "$TGT_CONTROL" "$@"; }
# iscsi_ls INITIATOR [USER SECRET]: what that initiator sees; the secret goes in the environment.
iscsi_ls() {
        if [ $# -eq 3 ]; then
                LIBISCSI_CHAP_PASSWORD=$3 iscsi-ls -s -i "$1" "iscsi://$2@$TGT_PORTAL" 2>&1 || true
        else
                iscsi-ls -s -i "$1" "iscsi://$TGT_PORTAL" 2>&1 || true
        fi
}
disks() { grep -c 'Type:DIRECT_ACCESS' <<<"$1" || true; }
lists() { grep -q "^Target:$1 " <<<"$2"; }
# argv_hits: the /proc/PID/cmdline files holding any of the secrets (grep reads them from a file).
argv_hits() { grep -laF -f "$T/secrets" /proc/[0-9]*/cmdline 2>/dev/null || true; }
read_is() { # IQN WANT
        local got
        got=$("$X" read "$TGT_CONTROL" "$1" | tr '\n' ';')
        [ "$got" = "$2" ] || fail "read $1: '$got', expected '$2'"
}

say "no secret in any argv while adding (scanned throughout)"
# The scan itself finds a secret that is in an argv: a lone bash waiting on a fifo it holds open.
mkfifo "$T/decoy"
bash -c 'exec 3<>"$1"; read -r -u 3 _' decoy "$T/decoy" "$SECRET_C" &
DECOY=$!
for _ in $(seq 50); do [ -n "$(argv_hits)" ] && break; sleep 0.02; done
[ "$(argv_hits)" = "/proc/$DECOY/cmdline" ] || fail "the argv scan misses a secret: '$(argv_hits)'"
kill "$DECOY"
wait "$DECOY" 2>/dev/null || true
: >"$T/scan.hits"
(while [ ! -e "$T/scan.stop" ]; do argv_hits >>"$T/scan.hits"; done) &
SCAN_PID=$!
# exportctl blocked on its stdin, then given the secret: it is alive when scanned.
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
"$X" add "$TGT_CONTROL" "$IQN_A" "$USER_A" "$INIT_A" "$D/a1.img" "$D/a2.img" <"$T/fifo" 7>&- &
ADD_PID=$!
for _ in $(seq 100); do tr '\0' ' ' <"/proc/$ADD_PID/cmdline" 2>/dev/null | grep -q exportctl && break; sleep 0.02; done
[ -z "$(argv_hits)" ] || fail "a secret is in an argv: $(argv_hits)"
printf '%s\n' "$SECRET_A" >&7
exec 7>&-
wait "$ADD_PID" || fail "add A"
add "$SECRET_B" "$IQN_B" "$USER_B" "$INIT_B" "$D/b1.img" || fail "add B"
touch "$T/scan.stop"
wait "$SCAN_PID"
[ ! -s "$T/scan.hits" ] || fail "a secret was in an argv: $(sort -u "$T/scan.hits" | tr '\n' ' ')"
! grep -qF -f "$T/secrets" "$T/tgt/tgtd.log" || fail "a secret is in tgtd's log"

say "A's credentials from A's initiator: exactly A's two LUNs"
out=$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_A")
lists "$IQN_A" "$out" || fail "A not listed for A: $out"
! lists "$IQN_B" "$out" || fail "B listed for A's initiator: $out"
[ "$(disks "$out")" = 2 ] || fail "A sees $(disks "$out") disks, expected 2: $out"
expect_in "Lun:1    Type:DIRECT_ACCESS" "$out"
expect_in "Lun:2    Type:DIRECT_ACCESS" "$out"

say "B's credentials, or none, from A's initiator: no LUN"
out=$(iscsi_ls "$INIT_A" "$USER_B" "$SECRET_B")
[ "$(disks "$out")" = 0 ] || fail "B's credentials see A's LUNs: $out"
expect_in "Authentication failure" "$out"
out=$(iscsi_ls "$INIT_A")
[ "$(disks "$out")" = 0 ] || fail "no credentials see A's LUNs: $out"
out=$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_B")
[ "$(disks "$out")" = 0 ] || fail "A's user with B's secret sees A's LUNs: $out"

say "B's initiator: A's target is not even listed; B sees its one LUN"
out=$(iscsi_ls "$INIT_B" "$USER_B" "$SECRET_B")
! lists "$IQN_A" "$out" || fail "A listed for B's initiator: $out"
lists "$IQN_B" "$out" || fail "B not listed for B: $out"
[ "$(disks "$out")" = 1 ] || fail "B sees $(disks "$out") disks, expected 1: $out"
out=$(iscsi_ls "$INIT_B" "$USER_A" "$SECRET_A")
! lists "$IQN_A" "$out" || fail "A listed for B's initiator with A's credentials: $out"
[ "$(disks "$out")" = 0 ] || fail "A's credentials from B's initiator see a LUN: $out"

say "read back, list"
read_is "$IQN_A" "exists yes;luns 2;accounts $USER_A;initiators $INIT_A;"
read_is "$IQN_B" "exists yes;luns 1;accounts $USER_B;initiators $INIT_B;"
read_is "${PFX}nosuch" "exists no;luns 0;accounts;initiators;"
[ "$("$X" list "$TGT_CONTROL" "$PFX" | sort | tr '\n' ' ')" = "$IQN_A $IQN_B " ] || fail "list: $("$X" list "$TGT_CONTROL" "$PFX")"
[ -z "$("$X" list "$TGT_CONTROL" "${PFX}x")" ] || fail "list of another prefix"

say "add again: the same target, one account; a new secret replaces the old"
tid_before=$(tgt_targets | awk -v q="$IQN_A" '$2 == q {print $1}')
add "$SECRET_A" "$IQN_A" "$USER_A" "$INIT_A" "$D/a1.img" "$D/a2.img" || fail "add A again"
read_is "$IQN_A" "exists yes;luns 2;accounts $USER_A;initiators $INIT_A;"
[ "$(tgt_accounts | grep -cx -- "$USER_A")" = 1 ] || fail "accounts: $(tgt_accounts | tr '\n' ' ')"
[ "$(tgt_targets | grep -c " $IQN_A\$")" = 1 ] || fail "targets: $(tgt_targets | tr '\n' ';')"
[ "$(tgt_targets | awk -v q="$IQN_A" '$2 == q {print $1}')" = "$tid_before" ] || fail "A changed tid (lowest free is its own)"
[ "$(disks "$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_A")")" = 2 ] || fail "A after re-add"
add "$SECRET_A2" "$IQN_A" "$USER_A" "$INIT_A" "$D/a1.img" "$D/a2.img" || fail "add A with a new secret"
[ "$(disks "$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_A")")" = 0 ] || fail "the old secret still logs in"
[ "$(disks "$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_A2")")" = 2 ] || fail "the new secret does not log in"
[ "$(disks "$(iscsi_ls "$INIT_B" "$USER_B" "$SECRET_B")")" = 1 ] || fail "B changed by A's re-add"
SECRET_A=$SECRET_A2

say "refusals that tgtd could not take apart: nothing made"
expect_exit 1 add "$SECRET_C" "$IQN_C" "vc,bad" "$INIT_A" "$D/a1.img"
expect_in "CHAP user 'vc,bad'" "$ERR"
expect_exit 1 add "$SECRET_C" "$IQN_C" "$USER_C" "$INIT_A" "relative.img"
expect_in "is not an absolute path" "$ERR"
read_is "$IQN_C" "exists no;luns 0;accounts;initiators;"

say "an add that fails half-way names the step; remove clears what it made"
expect_exit 1 add "$SECRET_C" "$IQN_C" "$USER_C" "$INIT_A" "$D/a1.img" "$D/missing.img"
expect_in "tgtd: new logicalunit 2 of target $IQN_C: invalid request" "$ERR"
expect_in "$D/missing.img" "$ERR"
read_is "$IQN_C" "exists yes;luns 1;accounts;initiators;"
"$X" remove "$TGT_CONTROL" "$IQN_C" "$USER_C" || fail "remove C"
read_is "$IQN_C" "exists no;luns 0;accounts;initiators;"
! tgt_accounts | grep -qx -- "$USER_C" || fail "C's account left"

say "remove while an initiator does I/O on A"
LIBISCSI_CHAP_PASSWORD=$SECRET_A timeout 30 iscsi-perf -x 0 -i "$INIT_A" \
        "iscsi://$USER_A@$TGT_PORTAL/$IQN_A/1" >"$T/perf.out" 2>&1 &
PERF_PID=$!
for _ in $(seq 100); do tgta --op show --mode target | grep -qF "Initiator: $INIT_A" && break; sleep 0.05; done
tgta --op show --mode target | grep -qF "Initiator: $INIT_A" || fail "iscsi-perf never logged in: $(cat "$T/perf.out")"
"$X" remove "$TGT_CONTROL" "$IQN_A" "$USER_A" || fail "remove A during I/O"
wait "$PERF_PID" || true
read_is "$IQN_A" "exists no;luns 0;accounts;initiators;"

say "remove twice is fine; then nothing is left"
"$X" remove "$TGT_CONTROL" "$IQN_A" "$USER_A" || fail "remove A again"
"$X" remove "$TGT_CONTROL" "$IQN_B" "$USER_B" || fail "remove B"
"$X" remove "$TGT_CONTROL" "$IQN_B" "$USER_B" || fail "remove B again"
out=$(iscsi_ls "$INIT_A" "$USER_A" "$SECRET_A")
! grep -q "^Target:" <<<"$out" || fail "A's initiator still sees a target: $out"
out=$(iscsi_ls "$INIT_B" "$USER_B" "$SECRET_B")
! grep -q "^Target:" <<<"$out" || fail "B's initiator still sees a target: $out"
[ -z "$("$X" list "$TGT_CONTROL" "$PFX")" ] || fail "list after removal: $("$X" list "$TGT_CONTROL" "$PFX")"
tgt_leak_check

say "tgtd stopped: errors name tgtd and its socket"
N=$TGT_CONTROL
stop_tgtd
expect_exit 1 add "$SECRET_A" "$IQN_A" "$USER_A" "$INIT_A" "$D/a1.img"
expect_in "tgtd (control $N): cannot connect to /var/run/tgtd/socket.$N: " "$ERR"
expect_in "(is tgtd running?)" "$ERR"
! grep -qF -f "$T/secrets" <<<"$ERR" || fail "a secret is in an error"
expect_exit 1 "$X" remove "$N" "$IQN_A" "$USER_A"
expect_in "cannot connect to /var/run/tgtd/socket.$N" "$ERR"
expect_exit 1 "$X" read "$N" "$IQN_A"
expect_in "cannot connect to /var/run/tgtd/socket.$N" "$ERR"
expect_exit 2 "$X" read "$N"
expect_exit 1 "$X" read 99999 "$IQN_A"
expect_in "control port '99999' is not a number in 0-32767" "$ERR"

pass
