#!/bin/bash
# Control characters from a guest's console (a node's phase detail) reach
# `vcluster status` (human and --json) and vlanallocd's log only escaped
# (issue 15 item 11): an ESC sequence, a BEL, a newline forging a line.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
start_daemon
SOCK=$T/state/vlanallocd.sock
poke() { "$TOOLS/rpcpoke" -s "$SOCK" -m "$MUNGE_SOCKET" send "$1"; }
vc() { "$BIN/vcluster" -c "$CONF" "$@"; }
ESC=$(printf '\033')

va acquire 31 --nodes a001 --user 12345 >/dev/null
# What a guest's console ended with, as the prolog reports it.
poke '{"op":"node_phase","job":31,"node":"a001","phase":"failed","detail":"panic \u001b[2J\u001b]0;owned\u0007\nvlanallocd: job 31 is ready"}' |
        jq -e .ok >/dev/null || fail "node_phase refused"
out=$(vc status 31)
case "$out" in *"$ESC"* | *$'\a'*) fail "status printed a control character: $(printf '%q' "$out")" ;; esac
expect_in 'panic \x1b[2J\x1b]0;owned\x07\x0avlanallocd: job 31 is ready' "$out"
json=$(vc status 31 --json | jq -r '.nodes[0].detail')
case "$json" in *"$ESC"* | *$'\n'*) fail "status --json | jq -r gave control characters: $(printf '%q' "$json")" ;; esac
grep -q "$ESC" "$T/daemon.log" && fail "vlanallocd logged an ESC raw"
grep -qx 'vlanallocd: job 31 is ready' "$T/daemon.log" && fail "a forged line reached vlanallocd's log"
grep -qF 'panic \x1b[2J' "$T/daemon.log" || fail "vlanallocd did not log the detail escaped"
va release 31 >/dev/null
pass
