#!/bin/bash
# The storage agent under denial of service (issue 15, item 2): uid 65534
# holds an idle and a trickling connection in front of vcluster-storaged
# while root on the controller asks it to create and remove a volume; each
# request is answered within a second, and the trickler is cut at the
# whole-request deadline instead of holding the agent for ever.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
AGENT_PORT=$(free_port)
AGENT_PID=""
mkdir -p "$T/vols"
write_conf "StorageName=stb Host=127.0.0.2 AgentPort=$AGENT_PORT Backend=file Directory=$T/vols Export=tgt Portal=127.0.0.1:3260 TgtControl=9999"

DOS=$TOOLS/rpcdos
POKE=$TOOLS/rpcpoke
[ -x "$DOS" ] && [ -x "$POKE" ] || fail "rpcdos/rpcpoke not built (make all)"
"$BIN/vcluster-storaged" -f -s stb -c "$CONF" >>"$T/agent.log" 2>&1 &
AGENT_PID=$!
stop_agent() {
        [ -n "$AGENT_PID" ] || return 0
        kill "$AGENT_PID" 2>/dev/null || true
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=""
}
CLEANUP_HOOKS+=(stop_agent)
for _ in $(seq 100); do ss -Htln "sport = :$AGENT_PORT" | grep -q . && break; sleep 0.05; done
ss -Htln "sport = :$AGENT_PORT" | grep -q . || fail "the storage agent did not listen: $(cat "$T/agent.log")"

# agent_op WHAT REQ: root (on the controller, 127.0.0.1) sends REQ; ok within 1 s.
agent_op() {
        local start ms out
        start=$(date +%s%N)
        out=$("$POKE" -s "tcp:127.0.0.2:$AGENT_PORT" -m "$MUNGE_SOCKET" -t 60 send "$2") || fail "$1: rpcpoke failed"
        ms=$((($(date +%s%N) - start) / 1000000))
        [ "$(jq -r .ok <<<"$out")" = true ] || fail "$1: $out"
        [ "$ms" -lt 1000 ] || fail "$1 took $ms ms"
        say "  $1: $ms ms"
}
ATTACKS=()
stop_attacks() {
        for p in "${ATTACKS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
        ATTACKS=()
}
CLEANUP_HOOKS+=(stop_attacks)
PLACE="{\"backend\":\"file\",\"dir\":\"$T/vols\"}"

say "an idle and a trickling connection of uid 65534 do not hold up root's storage operations"
setpriv --reuid=65534 --regid=65534 --clear-groups "$DOS" -s "tcp:127.0.0.2:$AGENT_PORT" idle 1 13 >"$T/idle.out" 2>&1 &
ATTACKS+=($!)
setpriv --reuid=65534 --regid=65534 --clear-groups "$DOS" -s "tcp:127.0.0.2:$AGENT_PORT" trickle 1 13 >"$T/trickle.out" 2>&1 &
ATTACKS+=($!)
for _ in $(seq 100); do grep -q '^open' "$T/idle.out" && grep -q '^open' "$T/trickle.out" && break; sleep 0.05; done
sleep 0.5
agent_op ping '{"op":"ping"}'
agent_op "volumes.create" "{\"op\":\"storage\",\"do\":\"volumes.create\",\"args\":{\"place\":$PLACE,\"volumes\":[{\"name\":\"vdos\",\"bytes\":1048576}]}}"
[ -e "$T/vols/vdos.img" ] || [ -n "$(ls "$T/vols")" ] || fail "no volume was created"
agent_op "volumes.remove" "{\"op\":\"storage\",\"do\":\"volumes.remove\",\"args\":{\"place\":$PLACE,\"volumes\":[{\"name\":\"vdos\",\"bytes\":1048576}]}}"
[ -z "$(ls "$T/vols")" ] || fail "the volume was not removed: $(ls "$T/vols")"

say "the trickler is cut at the whole-request deadline (10 s), not held for ever"
for p in "${ATTACKS[@]}"; do wait "$p" || fail "rpcdos failed"; done
ATTACKS=()
for f in idle trickle; do
        summary=$(tail -1 "$T/$f.out")
        say "  $f: $summary"
        longest=$(sed -n 's/.* longest \([0-9]*\) ms/\1/p' <<<"$summary")
        [ -n "$longest" ] && [ "$longest" -lt 12000 ] || fail "the $f connection was held $longest ms: $summary"
done
kill -0 "$AGENT_PID" || fail "the agent died: $(tail "$T/agent.log")"
say "a reload signal sent to the site's daemons does not stop the agent"
kill -HUP "$AGENT_PID"
for _ in $(seq 50); do grep -q "SIGHUP: nothing to reload" "$T/agent.log" && break; sleep 0.1; done
grep -q "SIGHUP: nothing to reload" "$T/agent.log" || fail "the agent did not say what SIGHUP does: $(tail -3 "$T/agent.log")"
kill -0 "$AGENT_PID" || fail "SIGHUP stopped the agent: $(tail -3 "$T/agent.log")"
stop_agent
grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/agent.log" && fail "sanitizer report in the agent log"
pass
