# switch_proof.sh — what every switch driver must prove, sourced after lib.sh
# and ovs.sh (and snmp.sh for the snmp driver). The "switch" is an OVS
# bridge `sw` in its own namespace with four hosts (namespaces h1..h4,
# 10.77.0.1-4) cabled to ports p1..p4; site a's nodes a001..a004 are those
# hosts. Ports are access ports (NodePortMode=access): this kernel has no
# 802.1Q, so a host cannot tag its own frames.
#
# A test sets SW_DRIVER, SW_OPTS (swctl's KEY=VAL,… form), SW_SECRET (or ""),
# SW_PORTS (the port names a001..a004 are cabled to, e.g. "p[1-4]" or
# "[1-4]") and SW_PORT_NAMES (the same, expanded: "p1 p2 p3 p4"), then calls
# switch_hosts, and prove_switch or its own steps.

switch_hosts() {
        start_ovs
        ovs_bridge sw
        local i
        for i in 1 2 3 4; do ovs_host "h$i" "10.77.0.$i" sw "p$i"; done
}

# switch_line NAME NODES PORTS [EXTRA…]: a SwitchName= line for this driver.
switch_line() {
        local name=$1 nodes=$2 ports=$3 opts
        shift 3
        opts=$(echo "$SW_OPTS" | tr ',' ' ')
        echo "SwitchName=$name Site=a Driver=$SW_DRIVER $opts NodePorts=$nodes:$ports NodePortMode=access" \
                "${SW_SECRET:+SecretFile=$SW_SECRET}" "$@"
}

# sw_read ID: the VLAN as the switch itself has it (JSON), through the driver.
sw_read() {
        "$TOOLS/swctl" --name swa ${SW_SECRET:+--secret "$SW_SECRET"} "$SW_DRIVER" "$SW_OPTS" read "$1"
}

# port NAME K: the switch's name for host K's port
port() { echo "$SW_PORT_NAMES" | cut -d' ' -f"$1"; }

vlan_of() { va show "$1" --json | jq -r '.sites[0].vlan'; }

expect_ping() { host_ping "$1" "$2" || fail "$1 cannot reach $2 ($3)"; }
# A negative ping must not race the datapath: commit returns once vswitchd
# applied the configuration, but cached flows are revalidated a few ms later.
expect_no_ping() {
        ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.ctl" revalidator/wait >/dev/null 2>&1 || true
        ! host_ping "$1" "$2" || fail "$1 reaches $2 ($3)"
}

# expect_members ID UNTAGGED_JSON: the switch holds VLAN ID with exactly those untagged ports.
expect_members() {
        local got
        got=$(sw_read "$1" | jq -c '[.exists, (.untagged // [] | sort)]')
        [ "$got" = "[true,$2]" ] || fail "switch has VLAN $1 as $got, expected [true,$2]"
}

expect_gone() {
        local got
        got=$(sw_read "$1" | jq -c .exists)
        [ "$got" = false ] || fail "VLAN $1 is still on the switch: $(sw_read "$1")"
}

prove_switch() {
        SWITCH_A=$(switch_line swa 'a[001-004]' "$SW_PORTS")
        VLANS_A=100-109
        write_conf
        start_daemon
        expect_no_ping h1 10.77.0.2 "before any job: node ports carry nothing of ours"
        va acquire 1001 --nodes 'a[001-002]' >/dev/null || fail "acquire 1001: $(tail -3 "$T/daemon.log")"
        va acquire 1002 --nodes 'a[003-004]' >/dev/null || fail "acquire 1002: $(tail -3 "$T/daemon.log")"
        local v1 v2
        v1=$(vlan_of 1001)
        v2=$(vlan_of 1002)
        [ "$v1" != "$v2" ] || fail "both jobs got VLAN $v1"
        say "job 1001 has VLAN $v1, job 1002 has VLAN $v2"
        expect_ping h1 10.77.0.2 "same job 1001"
        expect_ping h4 10.77.0.3 "same job 1002"
        expect_no_ping h1 10.77.0.3 "job 1001 → job 1002"
        expect_no_ping h2 10.77.0.4 "job 1001 → job 1002"
        expect_no_ping h3 10.77.0.1 "job 1002 → job 1001"
        say "by ping: each job's two hosts talk, never across jobs"
        expect_members "$v1" "[\"$(port 1)\",\"$(port 2)\"]"
        expect_members "$v2" "[\"$(port 3)\",\"$(port 4)\"]"
        va check >/dev/null || fail "check while held: $(va check)"
        say "read back from the switch: each VLAN has exactly its job's ports; check is clean"
        va release 1001 >/dev/null
        expect_gone "$v1"
        expect_no_ping h1 10.77.0.2 "after release of 1001"
        expect_ping h3 10.77.0.4 "job 1002 untouched by the release of 1001"
        va release 1002 >/dev/null
        expect_gone "$v2"
        expect_no_ping h3 10.77.0.4 "after release of 1002"
        [ "$("$TOOLS/swctl" ${SW_SECRET:+--secret "$SW_SECRET"} "$SW_DRIVER" "$SW_OPTS" list | jq -c "map(select(. >= 100 and . <= 109))")" = "[]" ] ||
                fail "the switch still lists a VLAN of the range"
        say "after release: nothing of either job on the switch, hosts cut off"
}
