#!/bin/bash
# Guests on the VLAN, end to end: real Slurm, vlanallocd, Open vSwitch and
# libvirt + QEMU. Two 2-node clusters on the same two nodes boot their
# guests; guests of one cluster ping each other and cannot reach the
# other's, by ping or by ARP, run from inside the guests. The user sees every
# guest's phase; a guest with a disk image gets its own overlay; at the end
# nothing of either job is left: no domain, port, overlay or node state.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
vc_setup
mkdir -p "$T/img"
truncate -s 64M "$T/img/root.raw"
guest_conf_lines() {
        echo "ImageName=tinydisk Kernel=$GUEST_IMG/vmlinuz Initrd=$GUEST_IMG/initrd.img Disk=$T/img/root.raw Cmdline=console=ttyS0"
}
start_guest_cluster a001 a002

say "two clusters on the same two nodes: red (10.0.0.0/24) and blue (10.0.0.128/25, disk image)"
J1=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tiny,name=red,mem=128M -o /dev/null --wrap 'sleep 600')
J2=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tinydisk,name=blue,mem=128M,subnet=10.0.0.128/25 \
        -o /dev/null --wrap 'sleep 600')
"$BIN/vcluster" wait "$J1" --timeout 240 >"$T/w1" || fail "vcluster wait $J1: $(cat "$T/w1"); $(tail -5 "$HOOK_LOG")"
"$BIN/vcluster" wait "$J2" --timeout 240 >"$T/w2" || fail "vcluster wait $J2: $(cat "$T/w2"); $(tail -5 "$HOOK_LOG")"
wait_job_state "$J1" RUNNING
wait_job_state "$J2" RUNNING

say "every guest is up, as its user sees it"
st=$("$BIN/vcluster" status "$J1" --json)
[ "$(jq -c '[.guests[] | [.name, .node, .ip, .phase]]' <<<"$st")" = \
        '[["red-1-1","a001","10.0.0.1","up"],["red-1-2","a002","10.0.0.2","up"]]' ] || fail "status $J1: $st"
st2=$("$BIN/vcluster" status "$J2" --json)
[ "$(jq -c '[.guests[] | [.name, .ip, .phase]]' <<<"$st2")" = \
        '[["blue-1-1","10.0.0.129","up"],["blue-1-2","10.0.0.130","up"]]' ] || fail "status $J2: $st2"
"$BIN/vcluster" status "$J1" | grep -q "^red-1-2 .* a002 .* 10.0.0.2/24 .* up" ||
        fail "vcluster status shows no guest table: $("$BIN/vcluster" status "$J1")"

say "libvirt runs exactly the four domains; OVS has their ports, tagged and marked with the job"
[ "$(domains | sort | tr '\n' ' ')" = "vcluster-$J1-red-1-1 vcluster-$J1-red-1-2 vcluster-$J2-blue-1-1 vcluster-$J2-blue-1-2 " ] ||
        fail "domains: $(domains)"
v1=$(va show "$J1" --json | jq '.sites[0].vlan')
v2=$(va show "$J2" --json | jq '.sites[0].vlan')
[ "$v1" != "$v2" ] || fail "both jobs on VLAN $v1"
t1=$(printf 'vc%x.1' "$J1")
[ "$(vsctl get Port "$t1" tag)" = "$v1" ] || fail "port $t1: tag $(vsctl get Port "$t1" tag), not $v1"
[ "$(vsctl get Port "$t1" external_ids:vcluster-job)" = "\"$J1\"" ] || fail "port $t1 not marked: $(vsctl list Port "$t1")"

say "the disk guest runs on its own copy-on-write overlay"
ov=$T/state/nodes/a001/$J2/blue-1-1.qcow2
[ -f "$ov" ] || fail "no overlay $ov"
qemu-img info -U "$ov" | grep -q "backing file: $T/img/root.raw" || fail "overlay: $(qemu-img info -U "$ov")"
gexec a001 "$J2" blue-1-1 'test -b /dev/vda' || fail "blue-1-1 has no /dev/vda"

say "inside a cluster: ping and ARP work"
gexec a001 "$J1" red-1-1 ping -c1 -W3 10.0.0.2 >/dev/null || fail "red-1-1 cannot ping red-1-2"
gexec a002 "$J2" blue-1-2 ping -c1 -W3 10.0.0.129 >/dev/null || fail "blue-1-2 cannot ping blue-1-1"
gexec a001 "$J1" red-1-1 arping -c1 -w3 -I eth0 10.0.0.2 >/dev/null || fail "red-1-1: no ARP reply from red-1-2"

say "across clusters: neither ping nor ARP gets through"
# each next to the same probe of the same guest that does get through
# (above for red-1-1, below for blue-1-1)
gexec_unreached a001 "$J1" red-1-1 ping -c2 -W2 10.0.0.129           # blue-1-1
gexec_unreached a001 "$J1" red-1-1 arping -c2 -w3 -I eth0 10.0.0.130 # blue-1-2
gexec_unreached a001 "$J2" blue-1-1 arping -c2 -w3 -I eth0 10.0.0.2  # red-1-2
# the control: the same probe works where it should
gexec a001 "$J2" blue-1-1 arping -c1 -w3 -I eth0 10.0.0.130 >/dev/null || fail "blue-1-1: no ARP reply from blue-1-2"

say "the jobs end: domains, ports, overlays and node state go"
scancel "$J1" "$J2"
wait_job_gone "$J1"
wait_job_gone "$J2"
wait_released "$J1"
wait_released "$J2"
wait_domains_gone
guest_leak_check
[ ! -e "$ov" ] || fail "overlay $ov left"
grep -q "job $J1 on a001: .* node step(s) undone" "$HOOK_LOG" || fail "no epilog record: $(grep "$J1" "$HOOK_LOG" | tail -3)"
pass
