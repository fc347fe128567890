#!/bin/bash
# The daemon's front door against what the real client never sends: garbage,
# oversize and truncated messages, a credential moved onto another request,
# a replayed credential and one forged under a foreign munge key. Each is
# refused with a reason, changes nothing, and the daemon keeps serving.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
start_daemon

SOCK=$T/state/vlanallocd.sock
POKE=$TOOLS/rpcpoke
[ -x "$POKE" ] || fail "$POKE not built (make all)"
poke() { "$POKE" -s "$SOCK" -m "$MUNGE_SOCKET" -t 8 "$@"; }

# alive: the daemon process still runs and still answers a real request.
alive() {
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "daemon died after: $1"
        va ranges >/dev/null 2>&1 || fail "daemon does not answer after: $1"
}

# refused_bad CASE FILE WANT: FILE's bytes, framed, get bad-request naming WANT.
refused_bad() {
        local out
        out=$(poke raw "$2") || fail "$1: rpcpoke failed"
        [ "$(jq -r .ok <<<"$out")" = false ] || fail "$1: not refused: $out"
        [ "$(jq -r .code <<<"$out")" = bad-request ] || fail "$1: code: $out"
        expect_in "$3" "$(jq -r .error <<<"$out")"
        alive "$1"
}

say "garbage bytes get a bad-request reply naming what is wrong"
head -c 4096 /dev/urandom >"$T/random"
refused_bad "random 4 KiB" "$T/random" "malformed message"
printf '[1,2,3]' >"$T/array"
refused_bad "a JSON array" "$T/array" "malformed envelope"
printf '{"v":1}' >"$T/v-only"
refused_bad '{"v":1}' "$T/v-only" "malformed envelope"
printf '{"v":2,"cred":"MUNGE:x","req":"{\\"op\\":\\"list\\"}"}' >"$T/v2"
refused_bad "protocol version 2" "$T/v2" "unsupported protocol version 2"
printf '{"v":1,"cred":"\xff\xfe","req":"{}"}' >"$T/nonutf8"
refused_bad "non-UTF-8" "$T/nonutf8" "malformed message"
printf '{"v":1,"cred":"x","req":"{}","extra":1}' >"$T/extra"
refused_bad "an unknown envelope key" "$T/extra" "malformed envelope"
printf '{"v":1,"cred":"x","req":"{}","v":1}' >"$T/dup"
refused_bad "a duplicated envelope key" "$T/dup" "malformed message"
: >"$T/empty"
refused_bad "an empty message" "$T/empty" "malformed message"

say "a credential that is not munge's is refused as such"
printf '{"v":1,"cred":"MUNGE:notacredential:","req":"{\\"op\\":\\"list\\"}"}' >"$T/badcred"
out=$(poke raw "$T/badcred") || fail "bad cred: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = auth ] || fail "bad cred: code: $out"
expect_in "credential refused" "$(jq -r .error <<<"$out")"

say "a sealed request that is not a JSON object"
out=$(poke send '[1]') || fail "non-object request: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = bad-request ] || fail "non-object request: $out"
expect_in "not a JSON object" "$(jq -r .error <<<"$out")"
out=$(poke send '{"op":"frobnicate"}') || fail "unknown op: rpcpoke failed"
expect_in "unknown op 'frobnicate'" "$(jq -r .error <<<"$out")"
out=$(poke send '{"op":"acquire","job":"41","nodes":"a001"}') || fail "string job: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = bad-request ] || fail "string job id accepted: $out"
out=$(poke send '{"op":"acquire","job":41,"nodes":7}') || fail "numeric nodes: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = bad-request ] || fail "numeric nodes accepted: $out"
alive "malformed requests"

say "100 MB announced: refused from the header alone, at once"
start=$(date +%s%N)
out=$(poke len 100000000) || fail "len: rpcpoke failed (the daemon did not answer the header)"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(jq -r .code <<<"$out")" = bad-request ] || fail "oversize: $out"
expect_in "exceeds the limit" "$(jq -r .error <<<"$out")"
expect_in "100000000" "$(jq -r .error <<<"$out")"
[ "$ms" -lt 3000 ] || fail "oversize refusal took $ms ms"
alive "100 MB announced"

say "100 MB streamed: refused and closed before the body is read"
out=$(poke big 100000000 2>"$T/big.err") || fail "big: rpcpoke failed: $(cat "$T/big.err")"
expect_in "exceeds the limit" "$(jq -r .error <<<"$out")"
sent=$(sed -n 's/^rpcpoke: sent \([0-9]*\) of.*/\1/p' "$T/big.err")
[ -n "$sent" ] && [ "$sent" -lt 100000000 ] || fail "the daemon read the whole 100 MB body: $(cat "$T/big.err")"
alive "100 MB streamed"

say "a truncated message is logged and dropped"
req='{"v":1,"cred":"MUNGE:whatever:","req":"{\"op\":\"list\"}"}'
out=$(poke truncate "$req") || fail "truncate: rpcpoke failed"
[ "$out" = closed ] || fail "truncate: expected the daemon to close without reply, got: $out"
wait_log "connection closed in the middle of a message"
alive "truncated message"

say "a credential moved onto another request is refused"
out=$(poke wrongpayload '{"op":"acquire","job":51,"nodes":"a001"}' '{"op":"list"}') || fail "wrongpayload: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = auth ] || fail "wrong payload: $out"
expect_in "payload does not match" "$(jq -r .error <<<"$out")"
alive "wrong payload"

say "a replayed credential is refused the second time"
out=$(poke replay '{"op":"acquire","job":52,"nodes":"a001"}') || fail "replay: rpcpoke failed"
[ "$(wc -l <<<"$out")" = 2 ] || fail "replay: expected two replies: $out"
first=$(sed -n 1p <<<"$out")
second=$(sed -n 2p <<<"$out")
[ "$(jq -r .ok <<<"$first")" = true ] || fail "replay: first use refused: $first"
[ "$(jq -r .code <<<"$second")" = auth ] || fail "replay: second use not refused: $second"
expect_in "replayed" "$(jq -r .error <<<"$second")"
[ "$(va list --json | jq '[.vlans[] | select(.job == 52)] | length')" = 1 ] || fail "replay: job 52 not held once: $(va list)"
va release 52 >/dev/null

say "a credential forged under a foreign munge key is refused"
# A second munged with its own key: its credentials are valid munge, just not ours.
start_foreign_munged() {
        spawn_munged "$T/munge2"
        MUNGED2_PID=$SPAWNED_PID
        MUNGE2_SOCKET=$SPAWNED_SOCKET
}
stop_foreign_munged() {
        [ -n "${MUNGED2_PID:-}" ] || return 0
        kill "$MUNGED2_PID" 2>/dev/null || true
        wait "$MUNGED2_PID" 2>/dev/null || true
        MUNGED2_PID=""
}
MUNGED2_PID=""
# vc_cleanup takes the test's exit status from $?: hand it over unchanged
# (set +e first, or the failing `(exit 1)` would end the trap right there).
trap 'rc=$?; set +e; stop_foreign_munged; (exit $rc); vc_cleanup' EXIT
start_foreign_munged
cmp -s "$T/munge/munge.key" "$T/munge2/munge.key" && fail "the two munge keys are identical"
out=$("$POKE" -s "$SOCK" -m "$MUNGE2_SOCKET" -t 8 send '{"op":"acquire","job":53,"nodes":"a001"}') ||
        fail "forged: rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = auth ] || fail "forged credential accepted: $out"
expect_in "credential refused" "$(jq -r .error <<<"$out")"
stop_foreign_munged
alive "forged credential"

say "a protocol version that only truncates to 1 is still unsupported"
# 4294967297 = 2^32 + 1: read into a 32-bit int it would pass for version 1.
for v in 4294967297 -4294967295; do
        printf '{"v":%s,"cred":"MUNGE:x:","req":"{\\"op\\":\\"list\\"}"}' "$v" >"$T/vbig"
        refused_bad "protocol version $v" "$T/vbig" "unsupported protocol version"
done

say "job ids beyond Slurm's 32 bits are refused (the CLI could never show or release them)"
for j in 4294967296 4294967297; do
        out=$(poke send "{\"op\":\"acquire\",\"job\":$j,\"nodes\":\"a001\"}") || fail "job $j: rpcpoke failed"
        if [ "$(jq -r .ok <<<"$out")" = true ]; then
                poke send "{\"op\":\"release\",\"job\":$j}" >/dev/null # leave nothing held behind
                fail "job id $j (above 2^32-1) was accepted: $out"
        fi
        [ "$(jq -r .code <<<"$out")" = bad-request ] || fail "job $j: $out"
done

say "an end time past year 9999 is refused (end + LeaseGrace must not overflow)"
out=$(poke send '{"op":"acquire","job":61,"nodes":"a001","end":9223372036854775807}') || fail "rpcpoke failed"
[ "$(jq -r .code <<<"$out")" = bad-request ] || fail "huge end accepted: $out"

say "a flood of idle connections from one user takes only that user's share"
as_user() { as_uid 12345 12345 "$@"; }
# held long enough for every check below on a slow (sanitized) run; ended by us
# setpriv itself, not the as_user function: $! must be rpcpoke's pid (setpriv execs it)
setpriv --reuid=12345 --regid=12345 --clear-groups "$POKE" -s "$SOCK" -t 60 hold 64 30 >"$T/hold.out" &
HOLD_PID=$!
for _ in $(seq 100); do grep -q "^held 64" "$T/hold.out" && break; sleep 0.05; done
grep -q "^held 64" "$T/hold.out" || fail "could not open 64 connections"
# beyond its pre-auth share (16), each new connection of that uid ends its oldest idle one
wait_log "cut, still unauthenticated when its peer opened more than 16"
# root (slurmctld's hooks) is still served while that user floods
for _ in $(seq 5); do va ranges >/dev/null || fail "root was locked out by another user's flood"; done
# the flooding user itself is not locked out either: its newest connection
# ends its own oldest idle one, and it is refused for who it is, not for load
expect_exit 2 as_user "$BIN/vlanalloc" -c "$CONF" ranges
expect_in "may not" "$ERR"
kill "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true
alive "connection flood"

say "root has its own share (slurmctld may start hundreds of jobs at once)"
"$POKE" -s "$SOCK" -t 60 hold 200 30 >"$T/hold2.out" &
HOLD_PID=$!
for _ in $(seq 100); do grep -q "^held 200" "$T/hold2.out" && break; sleep 0.05; done
grep -q "^held 200" "$T/hold2.out" || fail "could not open 200 connections"
va ranges >/dev/null || fail "root refused while holding 200 idle connections"
kill "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true

say "afterwards: nothing held, state clean, same daemon"
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "something is held: $(va list)"
va check >/dev/null || fail "check: $(va check)"
expect_exit 1 va show 53
kill -0 "$DAEMON_PID" || fail "daemon gone"
pass
