# snmp.sh — a real snmpd and the Q-BRIDGE switch fixture for tests, sourced
# after lib.sh (and after ovs.sh when the switch drives OVS ports).
#
#   start_snmpd              snmpd -f as our child: private config and
#                            persistent dirs, udp:127.0.0.1:$SNMP_PORT, AgentX
#                            master on unix:$SNMP_AGENTX, a random v2c
#                            rwcommunity and a v3 authPriv user (SHA/AES);
#                            exports SNMP_PORT SNMP_COMMUNITY SNMP_V3_USER
#                            SNMP_AUTH_PASS SNMP_PRIV_PASS and writes the
#                            root-only files $T/snmp/v2c.secret, v3.secret
#   start_qbridge BR K=PORT… the fixture (build/fixtures/qbridge_agent) with
#                            switch port K cabled to OVS port PORT of bridge
#                            BR ("-": no OVS); QB_PORTS (default 8) ports;
#                            faults file $QB_FAULTS; returns once its table
#                            answers through snmpd
#   stop_qbridge             SIGTERM the fixture; its exit status is checked
#                            by snmp_leak_check
#   snmp_v2c TOOL ARGS…      a net-snmp CLI tool (snmpget, snmpset, snmpwalk,
#   snmp_v3 TOOL ARGS…       snmpbulkwalk…) against this agent, numeric OIDs,
#                            5 s timeout and no retry (a retried SET is a
#                            second SET)
#   stop_snmp                stop exactly what this module started
# pass (vc_leak_check) stops both and fails the test when the fixture did not
# exit 0 on SIGTERM, a sanitizer reported anything, or a process survived.
SNMPD_PID=""
QB_PID=""
QB_STATUS=()      # "rc" of every fixture this test stopped
SNMP_DIR=""
FIXTURES=$ROOT/$VC_BUILD/fixtures

# rand_word N: N random hex characters (no shell-special characters).
rand_word() { od -An -N"$(($1 / 2))" -tx1 /dev/urandom | tr -d ' \n'; }

# free_udp_port: free_port checks TCP only; snmpd needs the UDP port free too.
free_udp_port() {
        local p
        for _ in $(seq 20); do
                p=$(free_port)
                ss -Huln "sport = :$p" | grep -q . || { echo "$p"; return; }
        done
        fail "no free UDP port"
}

start_snmpd() {
        CLEANUP_HOOKS+=(stop_snmp)
        LEAK_HOOKS+=(snmp_leak_check)
        SNMP_DIR=$T/snmp
        mkdir -p "$SNMP_DIR/conf" "$SNMP_DIR/persist"
        chmod 0700 "$SNMP_DIR" "$SNMP_DIR/conf" "$SNMP_DIR/persist"
        # Clients and snmpd alike: only our files, no MIB files (numeric OIDs).
        export SNMPCONFPATH=$SNMP_DIR/conf SNMP_PERSISTENT_DIR=$SNMP_DIR/persist MIBS=
        SNMP_PORT=$(free_udp_port)
        SNMP_COMMUNITY=c$(rand_word 16)
        SNMP_V3_USER=u$(rand_word 8)
        SNMP_AUTH_PASS=a$(rand_word 20)
        SNMP_PRIV_PASS=p$(rand_word 20)
        SNMP_AGENTX=$SNMP_DIR/agentx
        export SNMP_PORT SNMP_COMMUNITY SNMP_V3_USER SNMP_AUTH_PASS SNMP_PRIV_PASS SNMP_AGENTX
        (
                umask 077
                cat >"$SNMP_DIR/conf/snmpd.conf" <<EOC
# written by $TEST_NAME
agentAddress udp:127.0.0.1:$SNMP_PORT
master agentx
agentXSocket unix:$SNMP_AGENTX
# The fixture answers a SET only after ovs-vsctl returned; never let a slow
# (sanitized) run look like a dead subagent.
agentXTimeout 10
agentXRetries 0
rwcommunity $SNMP_COMMUNITY 127.0.0.1
createUser $SNMP_V3_USER SHA "$SNMP_AUTH_PASS" AES "$SNMP_PRIV_PASS"
rwuser $SNMP_V3_USER priv
EOC
                printf 'Community=%s\n' "$SNMP_COMMUNITY" >"$SNMP_DIR/v2c.secret"
                printf 'User=%s\nAuthProto=SHA\nAuthPass=%s\nPrivProto=AES\nPrivPass=%s\n' \
                        "$SNMP_V3_USER" "$SNMP_AUTH_PASS" "$SNMP_PRIV_PASS" >"$SNMP_DIR/v3.secret"
        )
        chmod 0600 "$SNMP_DIR/v2c.secret" "$SNMP_DIR/v3.secret" "$SNMP_DIR/conf/snmpd.conf"
        # -f: stay our child so its pid is the one we stop; -Lf: its own log.
        # -I -smux: no SMUX listener (it would bind TCP 199 on every address).
        snmpd -f -Lf "$SNMP_DIR/snmpd.log" -I -smux >"$SNMP_DIR/snmpd.stdout" 2>&1 &
        SNMPD_PID=$!
        for _ in $(seq 100); do
                if [ -S "$SNMP_AGENTX" ] &&
                        snmp_v2c snmpget -t 1 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; then
                        return 0
                fi
                kill -0 "$SNMPD_PID" 2>/dev/null || break
                sleep 0.05
        done
        fail "snmpd did not start: $(tail -5 "$SNMP_DIR/snmpd.log" "$SNMP_DIR/snmpd.stdout" 2>&1)"
}

snmp_v2c() {
        local tool=$1
        shift
        "$tool" -v2c -c "$SNMP_COMMUNITY" -t 5 -r 0 -On "udp:127.0.0.1:$SNMP_PORT" "$@"
}

snmp_v3() {
        local tool=$1
        shift
        "$tool" -v3 -l authPriv -u "$SNMP_V3_USER" -a SHA -A "$SNMP_AUTH_PASS" \
                -x AES -X "$SNMP_PRIV_PASS" -t 5 -r 0 -On "udp:127.0.0.1:$SNMP_PORT" "$@"
}

start_qbridge() {
        local br=$1 spec k port
        shift
        [ -z "$QB_PID" ] || fail "start_qbridge: a fixture is already running"
        [ -n "$SNMPD_PID" ] || fail "start_qbridge: start_snmpd first"
        QB_FAULTS=${QB_FAULTS:-$SNMP_DIR/faults}
        local args=(--agentx-socket "unix:$SNMP_AGENTX" --ports "${QB_PORTS:-8}" --faults "$QB_FAULTS")
        if [ "$br" != - ]; then
                args+=(--ovs-db "$OVS_DB")
                for spec in "$@"; do
                        k=${spec%%=*} port=${spec#*=}
                        [ "$(vsctl port-to-br "$port" 2>/dev/null)" = "$br" ] ||
                                fail "start_qbridge: $port is not a port of bridge $br"
                        args+=(--port "$k=$port")
                done
        fi
        : >>"$SNMP_DIR/qbridge.log"
        QB_LOG_FROM=$(wc -l <"$SNMP_DIR/qbridge.log")
        "$FIXTURES/qbridge_agent" "${args[@]}" >>"$SNMP_DIR/qbridge.log" 2>&1 &
        QB_PID=$!
        # Registered means snmpd routes our subtree to it: dot1qPvid.1 answers.
        for _ in $(seq 200); do
                if snmp_v2c snmpget 1.3.6.1.2.1.17.7.1.4.5.1.1.1 2>/dev/null | grep -q Gauge32; then
                        return 0
                fi
                kill -0 "$QB_PID" 2>/dev/null || break
                sleep 0.05
        done
        fail "qbridge_agent did not register: $(tail -n +$((QB_LOG_FROM + 1)) "$SNMP_DIR/qbridge.log" | tail -20)"
}

stop_qbridge() {
        [ -n "$QB_PID" ] || return 0
        local rc=0
        kill -TERM "$QB_PID" 2>/dev/null || true
        wait "$QB_PID" 2>/dev/null || rc=$?
        QB_PID=""
        QB_STATUS+=("$rc")
}

stop_snmp() {
        stop_qbridge
        [ -n "$SNMPD_PID" ] || return 0
        kill -TERM "$SNMPD_PID" 2>/dev/null || true
        wait "$SNMPD_PID" 2>/dev/null || true
        SNMPD_PID=""
        # what only shows once they stopped: exit codes, their logs, stragglers
        snmp_leak_check
        local left
        left=$(pgrep -f -- "$SNMP_DIR/" || true)
        [ -z "$left" ] || leak "SNMP processes still running: $left"
}

# snmp_leak_check: every fixture stopped so far exited 0 on SIGTERM, no
# sanitizer report (a LEAK_HOOK, before stop_snmp; stop_snmp runs it again
# for the fixtures it stops, and checks no process of ours is left). (snmpd
# leaves its AgentX socket file behind; it goes with $T.)
snmp_leak_check() {
        local rc
        for rc in "${QB_STATUS[@]}"; do
                [ "$rc" = 0 ] || leak "qbridge_agent exited $rc on SIGTERM: $(tail -20 "$SNMP_DIR/qbridge.log")"
        done
        QB_STATUS=()
        if [ -f "$SNMP_DIR/qbridge.log" ] &&
                grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|Sanitizer has encountered' "$SNMP_DIR/qbridge.log"; then
                grep -A25 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|Sanitizer has encountered' "$SNMP_DIR/qbridge.log" | head -60 >&2
                leak "sanitizer report in the qbridge_agent log"
        fi
        return 0
}
