#!/bin/bash
# Requests whose error text is not valid UTF-8 still get an error reply
# (issue 15, item 8): before, the reply itself failed to encode and the
# connection was closed without one, which clients report as "unreachable".
#   - pre-auth, from uid 65534: an envelope whose unknown key jansson's
#     160-byte error text cuts in the middle of a character;
#   - a root request whose node names hold a non-ASCII character;
# each to vlanallocd and, the first, to the storage agent.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
AGENT_PORT=$(free_port)
AGENT_PID=""
mkdir -p "$T/vols"
write_conf "StorageName=stb Host=127.0.0.2 AgentPort=$AGENT_PORT Backend=file Directory=$T/vols Export=tgt Portal=127.0.0.1:3260 TgtControl=9999"
start_daemon
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

SOCK=$T/state/vlanallocd.sock
POKE=$TOOLS/rpcpoke
[ -x "$POKE" ] || fail "$POKE not built (make all)"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# bad_request WHAT OUT: OUT is a bad-request error reply (not "closed").
bad_request() {
        [ "$(jq -r .ok <<<"$2" 2>/dev/null)" = false ] && [ "$(jq -r .code <<<"$2")" = bad-request ] ||
                fail "$1: no error reply: $2"
        say "  $1: $(jq -r .error <<<"$2" | cut -c1-90)"
}

say "pre-auth (uid 65534): an envelope key cut mid-character in the error text"
# "a" then 100 × "é": the text "… left unpacked: aéé…" is cut at 159 bytes, inside an "é"
{ printf '{"v":1,"cred":"x","req":"{}","a'; for _ in $(seq 100); do printf '\xc3\xa9'; done; printf '":1}'; } >"$T/env"
out=$("${NOBODY[@]}" "$POKE" -s "$SOCK" -t 8 raw "$T/env") || fail "rpcpoke failed"
bad_request "vlanallocd, Unix socket" "$out"
out=$("${NOBODY[@]}" "$POKE" -s "tcp:127.0.0.1:$VC_PORT" -t 8 raw "$T/env") || fail "rpcpoke failed"
bad_request "vlanallocd, TCP" "$out"
out=$("${NOBODY[@]}" "$POKE" -s "tcp:127.0.0.2:$AGENT_PORT" -t 8 raw "$T/env") || fail "rpcpoke failed"
bad_request "storage agent" "$out"

say "root: node names with a non-ASCII character"
out=$("$POKE" -s "$SOCK" -m "$MUNGE_SOCKET" -t 8 send "{\"op\":\"acquire\",\"job\":81,\"nodes\":\"a$(printf '\xc3\xa9')001\"}") ||
        fail "rpcpoke failed"
bad_request "acquire nodes 'aé001'" "$out"
expect_exit 1 va acquire 82 --nodes "$(printf 'a00\xc3\xa9')"
expect_in "not allowed" "$ERR"
say "  vlanalloc: $ERR"

say "afterwards: nothing held, the daemons still serve"
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "something is held: $(va list)"
kill -0 "$AGENT_PID" || fail "the agent died"
stop_agent
pass
