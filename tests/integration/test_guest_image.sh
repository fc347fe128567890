#!/bin/bash
# The test guest (scripts/guest-image: Debian's kernel + busybox initramfs,
# guest/init) and the libvirt harness (libvirt.sh) proven together, with
# hand-written domain XML: TCG guests on a userspace Open vSwitch bridge boot,
# print their console markers, run vc.run, answer on the agent channel
# (tests/tools/guestexec), reach each other on one VLAN and not across two,
# survive a libvirtd restart, and leave nothing behind. The node code's tests
# rely on everything checked here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"

G=$ROOT/$VC_BUILD/guest
GX=$TOOLS/guestexec
BR=br-g
[ -f "$G/vmlinuz" ] && [ -f "$G/initrd.img" ] || fail "no guest image in $G (make BUILD=$VC_BUILD guest)"
[ -x "$GX" ] && [ -x "$TOOLS/subreaper" ] || fail "no $GX or subreaper (make BUILD=$VC_BUILD all)"

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# define_guest NAME IP VLAN [EXTRA_CMDLINE]: a persistent TCG domain on $BR.
define_guest() {
        local name=$1 ip=$2 vlan=$3 extra=${4:-}
        cat >"$T/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$G/vmlinuz</kernel>
    <initrd>$G/initrd.img</initrd>
    <cmdline>console=ttyS0 vc.name=$name vc.ip=$ip/24 $extra</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'>
      <source path='$T/$name.console'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <source mode='bind' path='$T/$name.sock'/>
      <target type='virtio' name='org.vcluster.agent'/>
    </channel>
    <interface type='bridge'>
      <source bridge='$BR'/>
      <virtualport type='openvswitch'/>
      <vlan><tag id='$vlan'/></vlan>
      <model type='virtio'/>
    </interface>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
        vvirsh -q define "$T/$name.xml" >/dev/null || fail "virsh define $name"
}

# gx NAME CMD…: run CMD in guest NAME; output in OUT, status in RC.
gx() {
        local name=$1
        shift
        RC=0
        OUT=$("$GX" -t 20 "$T/$name.sock" "$@" 2>&1) || RC=$?
}
# gping FROM IP: FROM reaches IP (a few tries: ARP and the first flow setup).
gping() {
        for _ in 1 2 3; do
                gx "$1" ping -c 1 -W 2 "$2"
                [ "$RC" = 0 ] && return 0
        done
        return 1
}
# wait_console NAME TEXT: the console log of NAME shows TEXT within 20 s.
wait_console() {
        for _ in $(seq 200); do
                grep -qF -- "$2" "$T/$1.console" 2>/dev/null && return 0
                sleep 0.1
        done
        fail "console of $1 never showed '$2': $(tail -5 "$T/$1.console" 2>/dev/null)"
}

vc_setup
say "guest image: initrd.img $(($(stat -c %s "$G/initrd.img") / 1024)) KiB, vmlinuz $(($(stat -c %s "$G/vmlinuz") / 1024)) KiB"
start_ovs
ovs_bridge $BR
start_libvirtd "$OVS_NS"
say "libvirtd answered $LIBVIRT_READY_MS ms after it was started (first connection)"
[ -z "$(vvirsh list --all --name | grep .)" ] || fail "a fresh libvirtd has domains"

say "guestexec: bad usage is 2, a missing socket is 1 with a message"
expect_exit 2 "$GX"
expect_exit 2 "$GX" "$T/none.sock"
expect_exit 2 "$GX" -w "$T/none.sock" echo
expect_exit 2 "$GX" -t 0 "$T/none.sock" echo
expect_exit 1 "$GX" "$T/none.sock" echo hi
expect_in "$T/none.sock" "$ERR"

define_guest g1 10.9.0.1 101 "vc.run=hostname"
define_guest g2 10.9.0.2 101 "vc.run=false"
define_guest g3 10.9.0.3 102

say "one guest alone: virsh start, then boot to its agent's 'up' under TCG"
t0=$(date +%s%N)
vvirsh -q start g1 >/dev/null || fail "virsh start g1: $(tail -5 "$LIBVIRT_DIR/log/libvirtd.log")"
say "  virsh start: $(ms_since "$t0") ms"
name=$("$GX" -w -t 60 "$T/g1.sock") || fail "g1 never said up: $(tail -5 "$T/g1.console")"
[ "$name" = g1 ] || fail "guestexec -w printed '$name'"
say "  boot to 'up': $(ms_since "$t0") ms"
grep -q 'vcluster-guest g1 up' "$T/g1.console" || fail "console of g1 lacks the up marker"

say "two more at once (2 cores, 3 TCG guests)"
t0=$(date +%s%N)
vvirsh -q start g2 >/dev/null || fail "virsh start g2"
vvirsh -q start g3 >/dev/null || fail "virsh start g3"
for g in g2 g3; do
        name=$("$GX" -w -t 90 "$T/$g.sock") || fail "$g never said up: $(tail -5 "$T/$g.console")"
        [ "$name" = $g ] || fail "guestexec -w on $g printed '$name'"
        say "  $g up $(ms_since "$t0") ms after both were started"
done

say "console: markers, vc.run output and status"
for g in g1 g2 g3; do wait_console $g "vcluster-guest $g up"; done
wait_console g1 "vc-run-rc 0"
grep -qx 'g1' <(tr -d '\r' <"$T/g1.console") || fail "vc.run output (hostname) not on g1's console"
wait_console g2 "vc-run-rc 1"
grep -q 'vc-run-rc' "$T/g3.console" && fail "g3 ran a vc.run it was never given"

say "agent: output, exit status, a last line without newline, quoting"
gx g1 'echo out; echo err >&2; exit 7'
[ "$RC" = 7 ] || fail "exit status 7 came back as $RC ($OUT)"
[ "$OUT" = "$(printf 'out\nerr')" ] || fail "output: '$OUT'"
gx g1 printf abc
[ "$RC" = 0 ] && [ "$OUT" = abc ] || fail "printf abc: rc $RC, '$OUT'"
gx g3 cat /proc/sys/kernel/hostname
[ "$RC" = 0 ] && [ "$OUT" = g3 ] || fail "hostname of g3: rc $RC, '$OUT'"
gx g2 "ip -4 addr show dev eth0 | grep -o 'inet [0-9./]*'"
[ "$OUT" = "inet 10.9.0.2/24" ] || fail "g2's eth0: '$OUT'"
t0=$(date +%s%N)
for _ in 1 2 3 4 5; do gx g1 true; [ "$RC" = 0 ] || fail "true: $RC $OUT"; done
say "  5 round trips of 'true': $(ms_since "$t0") ms"

say "guestexec times out with 124 when the guest does not answer (its channel is busy)"
"$GX" -t 10 "$T/g3.sock" sleep 3 >/dev/null 2>&1 &
busy=$!
sleep 0.5
expect_exit 124 "$GX" -t 1 "$T/g3.sock" echo hi
expect_in "$T/g3.sock" "$ERR"
wait $busy || fail "the command holding g3's channel failed"
gx g3 echo again
[ "$RC" = 0 ] && [ "$OUT" = again ] || fail "g3 after the timeout: rc $RC, '$OUT'"

say "VLAN 101: g1 and g2 reach each other; VLAN 102 (g3) is out of reach"
gping g1 10.9.0.2 || fail "g1 cannot ping g2 on VLAN 101: $OUT"
gping g2 10.9.0.1 || fail "g2 cannot ping g1 on VLAN 101: $OUT"
gx g1 arping -c 1 -w 2 -I eth0 10.9.0.2
[ "$RC" = 0 ] || fail "g1 cannot arping g2 (rc $RC): $OUT"
gx g1 ping -c 1 -W 2 10.9.0.3
[ "$RC" = 1 ] || fail "g1 (101) pinging g3 (102): rc $RC, expected 1: $OUT"
expect_in "0 packets received" "$OUT"
gx g1 arping -c 1 -w 2 -I eth0 10.9.0.3
[ "$RC" = 1 ] || fail "g1 (101) arping g3 (102): rc $RC, expected 1: $OUT"
gx g3 ping -c 1 -W 2 10.9.0.2
[ "$RC" = 1 ] || fail "g3 (102) pinging g2 (101): rc $RC, expected 1: $OUT"
for g in g1 g2 g3; do
        tag=$(vsctl get port "$(vsctl --bare --columns=name find interface "external_ids:vm-id=$(vvirsh domuuid $g | head -n 1)")" tag)
        want=101
        [ $g = g3 ] && want=102
        [ "$tag" = $want ] || fail "OVS port of $g has tag '$tag', expected $want"
done

say "libvirtd restart: the guests keep running, the new libvirtd knows them"
qpids=$(_libvirt_ns_pids | sort)
[ "$(echo "$qpids" | wc -l)" = 3 ] || fail "expected 3 QEMU processes, found: $qpids"
# libvirt daemonizes QEMU: the subreaper, not init, must be its parent.
for q in $qpids; do
        [ "$(ps -o ppid= -p "$q" | tr -d ' ')" = "${LIBVIRT_SUBREAPERS[0]}" ] ||
                fail "QEMU $q is not a child of the subreaper ${LIBVIRT_SUBREAPERS[0]}: $(ps -o ppid=,args= -p "$q")"
done
restart_libvirtd
say "  libvirtd answered again after $LIBVIRT_READY_MS ms"
[ "$(_libvirt_ns_pids | sort)" = "$qpids" ] || fail "QEMU processes changed across the restart"
for q in $qpids; do
        [ "$(ps -o ppid= -p "$q" | tr -d ' ')" = "${LIBVIRT_SUBREAPERS[0]}" ] ||
                fail "QEMU $q changed parent across the restart"
done
name=$("$GX" -w -t 10 "$T/g2.sock") && [ "$name" = g2 ] || fail "g2 did not greet a new connection after the restart"
running=$(vvirsh list --name | grep . | sort | tr '\n' ' ')
[ "$running" = "g1 g2 g3 " ] || fail "after the restart libvirtd lists: '$running'"
gping g1 10.9.0.2 || fail "g1 lost g2 across the libvirtd restart: $OUT"

say "destroy and undefine (through the restarted libvirtd)"
for g in g1 g2 g3; do
        t0=$(date +%s%N)
        vvirsh -q destroy $g >/dev/null || fail "virsh destroy $g"
        say "  destroy $g: $(ms_since "$t0") ms"
        vvirsh -q undefine $g >/dev/null || fail "virsh undefine $g"
done
[ -z "$(_libvirt_ns_pids)" ] || fail "QEMU processes left after destroy: $(_libvirt_ns_pids)"
[ -z "$(vvirsh list --all --name | grep .)" ] || fail "domains left: $(vvirsh list --all --name)"
ports=$(vsctl list-ports $BR)
[ -z "$ports" ] || fail "OVS ports left on $BR after destroy: $ports"

pass
