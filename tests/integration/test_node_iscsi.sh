#!/bin/bash
# A node attaches its guests' volumes (node/iscsi.c, node/secret.c,
# node/domxml.c), driven through the node's own steps and journal
# (tests/tools/nodeup) against real daemons:
#  (a) IscsiAttach=qemu — a real tgtd (storage.sh) exports LUN 1 with CHAP
#      and an initiator ACL (tests/tools/exportctl: the secret on stdin); a TCG guest of a private libvirtd gets it as a network
#      disk with the CHAP secret as an ephemeral, private libvirt secret; the
#      guest writes a marker with dd, the host reads it back over iSCSI
#      (qemu-img, the secret from a file); the secret is on no process's
#      command line, in no file of libvirtd or of the node's state; teardown
#      leaves no domain, no secret, no session. A wrong secret fails at
#      start and is rolled back; an undo after libvirtd forgot the secret
#      succeeds.
#  (b) IscsiAttach=host — open-iscsi in a private mount and network
#      namespace (own /etc/iscsi, /run/lock, /var/lib/iscsi when the machine
#      has one): here (no iscsi_tcp, no iscsid) the step fails quoting
#      iscsiadm and naming what is missing, and its undo leaves no iface and
#      no record; the password goes into a node record as a file (0600),
#      which iscsiadm reads back, and never onto an argv.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/storage.sh"

G=$ROOT/$VC_BUILD/guest
NU=$TOOLS/nodeup
GX=$TOOLS/guestexec
[ -f "$G/vmlinuz" ] && [ -f "$G/initrd.img" ] || fail "no guest image in $G (make BUILD=$VC_BUILD guest)"
XC=$TOOLS/exportctl
[ -x "$NU" ] && [ -x "$GX" ] && [ -x "$XC" ] || fail "no $NU, $GX or $XC (make BUILD=$VC_BUILD all)"

JOB=$((4000 + RANDOM % 5000))
BASE=iqn.2026-11.org.vcluster
IQN=$BASE:target.$JOB
INI=$BASE:$JOB.n1
READER=$BASE:reader.$JOB
CHAP_USER=vcluster-$JOB
GUEST=vc-1-1
DOMAIN=vcluster-$JOB-$GUEST
USAGE=vcluster-$JOB-n1

# secret_file PATH: a fresh 24-character secret, as the controller makes them, 0600, no newline.
secret_file() {
        (umask 077 && head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$1")
        [ "$(wc -c <"$1")" = 24 ] || fail "could not make a secret"
}
# secret_in_cmdlines FILE: pids whose command line holds the secret in FILE
# (grep -f: the pattern never is on grep's own command line).
secret_in_cmdlines() {
        local p
        for p in /proc/[0-9]*; do
                [ "$p" = "/proc/$$" ] && continue
                { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -f "$1" && echo "${p#/proc/}"
        done
        return 0
}

# sessions: the initiator names with a session to the job's target.
sessions() {
        local tid
        tid=$(tgt_targets | awk -v q="$IQN" '$2 == q {print $1}')
        [ -n "$tid" ] || fail "no target $IQN on tgtd"
        tgta --mode conn --op show --tid "$tid" | sed -n 's/^ *Initiator: \([^ ]*\).*/\1/p' | sort -u
}

# job_json PORTAL: the job as vlanallocd's "show" gives it, one site, node n1, disk=.
job_json() {
        jq -n --argjson job "$JOB" --arg portal "$1" --arg base "$BASE" '{job: $job,
                spec: "image=tiny,vms=1,mem=128M,disk=16M",
                sites: [{name: "a", id: 1, vlan: 101, nodes: ["n1"], gateway: "n1",
                         storage: {name: "st", host: "127.0.0.1", portal: $portal, iqn_base: $base}}]}' >"$T/job.json"
}
# conf EXTRA: a node config for n1 (image tiny, OVS, this libvirtd).
conf() {
        cat >"$T/vcluster.conf" <<EOF
# written by $TEST_NAME
ControllerAddr=127.0.0.1:$VC_PORT StateDir=$T/state SlurmUser=root AdminGroup=adm
SiteName=a SiteId=1 VlanIds=100-199 Nodes=n1
SwitchName=swa Site=a Driver=none
ImageName=tiny Kernel=$G/vmlinuz Initrd=$G/initrd.img Cmdline="console=ttyS0 quiet"
NodeName=n1 OvsBridge=br-vc OvsDb=${OVS_DB:-unix:/nonexistent} Libvirt=${LIBVIRT_URI:-qemu:///system} DomainType=qemu $1
EOF
}

vc_setup
DIR=$T/state/nodes/n1/$JOB

########## (b) IscsiAttach=host, first: it needs no daemon of ours.
say "IscsiAttach=host: open-iscsi in a private mount + network namespace"
job_json "127.0.0.1:3260"
conf "IscsiAttach=host"
secret_file "$T/secret"
mkdir -p "$T/iscsi/etc" "$T/iscsi/lock" "$T/iscsi/var" "$T/shim"
cp /etc/iscsi/initiatorname.iscsi "$T/iscsi/etc/" 2>/dev/null ||
        echo "InitiatorName=$BASE:test" >"$T/iscsi/etc/initiatorname.iscsi"
# iscsid.startup is what iscsiadm runs when no iscsid answers (Debian:
# systemctl start iscsid.socket): nothing of the machine's may start here.
printf 'iscsid.startup = /bin/true\nnode.startup = manual\n' >"$T/iscsi/etc/iscsid.conf"
# Every iscsiadm run, logged with its argv (the secret must never be on one).
real=$(command -v iscsiadm) || fail "iscsiadm is not installed"
cat >"$T/shim/iscsiadm" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/iscsiadm.argv"
exec $real "\$@"
EOF
chmod +x "$T/shim/iscsiadm"

# host_inner: runs in the namespace; leaves results in $T/host.* for the checks below.
host_inner() {
        set -u
        umask 077 # copies of records hold the secret
        mount --bind "$T/iscsi/etc" /etc/iscsi
        mount --bind "$T/iscsi/lock" /run/lock
        [ ! -d /var/lib/iscsi ] || mount --bind "$T/iscsi/var" /var/lib/iscsi
        export PATH=$T/shim:$PATH
        rc=0
        "$NU" up -s "$T/vcluster.conf" "$T/job.json" n1 "$DIR" "$T/secret" 2>"$T/host.up.err" || rc=$?
        echo "$rc" >"$T/host.up.rc"
        ls -A /etc/iscsi/ifaces >"$T/host.after-up" 2>/dev/null
        find /etc/iscsi/nodes -type f >>"$T/host.after-up" 2>/dev/null
        rc=0
        "$NU" down "$DIR" 2>"$T/host.down.err" || rc=$?
        echo "$rc" >"$T/host.down.rc"
        { ls -A /etc/iscsi/ifaces; find /etc/iscsi/nodes /etc/iscsi/send_targets -mindepth 1; ls -A /var/lib/iscsi; } \
                >"$T/host.after-down" 2>/dev/null
        # The record password, on a record made by hand (a login cannot happen here).
        local n="-T $IQN -p 127.0.0.1:3260,1 -I vc-$JOB-n1"
        iscsiadm -m iface -I "vc-$JOB-n1" -o new >/dev/null 2>&1
        iscsiadm -m node -o new $n >/dev/null 2>&1
        rc=0
        "$NU" record "$IQN" 127.0.0.1:3260 "vc-$JOB-n1" "$T/secret" 2>"$T/host.record.err" || rc=$?
        echo "$rc" >"$T/host.record.rc"
        f=/etc/iscsi/nodes/$IQN/127.0.0.1,3260,1/vc-$JOB-n1
        stat -c %a "$f" >"$T/host.record.mode" 2>&1
        cp "$f" "$T/host.record.file"
        iscsiadm -m node $n -o show >"$T/host.record.show" 2>&1
        iscsiadm -m node $n -o show -S >"$T/host.record.shows" 2>&1
        # a later update by iscsiadm keeps it
        iscsiadm -m node $n -o update -n node.session.auth.username -v "$CHAP_USER" >/dev/null 2>&1
        cp "$f" "$T/host.record.file2"
        rc=0
        "$NU" record "$IQN" 127.0.0.1:3260 vc-other "$T/secret" 2>"$T/host.record-other.err" || rc=$?
        echo "$rc" >"$T/host.record-other.rc"
        iscsiadm -m iface -I "vc-$JOB-n1" -o delete >/dev/null 2>&1
        { ls -A /etc/iscsi/ifaces; find /etc/iscsi/nodes -mindepth 1; } >"$T/host.after-record" 2>/dev/null
        return 0
}
export T NU DIR IQN JOB CHAP_USER
unshare -mn --propagation private -- bash -c "$(declare -f host_inner); host_inner" ||
        fail "the namespace run failed"

[ "$(cat "$T/host.up.rc")" = 1 ] || fail "host-mode attach exited $(cat "$T/host.up.rc"), expected 1: $(cat "$T/host.up.err")"
msg=$(cat "$T/host.up.err")
say "  error: $msg"
expect_in "iSCSI target $IQN at 127.0.0.1:3260 (iface vc-$JOB-n1): iscsiadm " "$msg"
expect_in ": iscsiadm: " "$msg"
expect_in "IscsiAttach=host needs iscsid running and the iscsi_tcp kernel module loaded; here iscsid is not running" "$msg"
if [ ! -e /sys/module/iscsi_tcp ]; then
        # open-iscsi's own words for the missing module (iface update loads the transport)
        expect_in "iscsiadm: Could not insert module tcp" "$msg"
        expect_in "and the iscsi_tcp kernel module is not loaded" "$msg"
else
        expect_in "iscsiadm: can not connect to iSCSI daemon (111)!" "$msg"
fi
grep -qx "vc-$JOB-n1" "$T/host.after-up" || fail "the failed attach made no iface (were the real calls made?): $(cat "$T/host.after-up")"
grep -q -- "-m iface -I vc-$JOB-n1 -o new" "$T/iscsiadm.argv" || fail "no 'iface new' run: $(cat "$T/iscsiadm.argv")"
grep -q -- "-n iface.initiatorname -v $BASE:$JOB.n1" "$T/iscsiadm.argv" || fail "the initiator name was not set"
[ "$(cat "$T/host.down.rc")" = 0 ] || fail "host-mode undo failed: $(cat "$T/host.down.err")"
[ ! -s "$T/host.after-down" ] || fail "leak: open-iscsi database after the undo: $(cat "$T/host.after-down")"
[ ! -e "$DIR" ] || fail "leak: node job dir $DIR after the undo"
say "  undo: no iface, no record left ($(grep -c . "$T/iscsiadm.argv") iscsiadm runs for attach + undo)"

say "IscsiAttach=host: the CHAP password goes into the node record file, not onto an argv"
[ "$(cat "$T/host.record.rc")" = 0 ] || fail "nodeup record: $(cat "$T/host.record.err")"
[ "$(cat "$T/host.record.mode")" = 600 ] || fail "record mode $(cat "$T/host.record.mode"), expected 600"
[ "$(grep -c '^node.session.auth.password = ' "$T/host.record.file")" = 1 ] || fail "not one password line in the record"
grep -qF -f "$T/secret" "$T/host.record.file" || fail "the record lacks the secret"
grep -q '^node.session.auth.password = \*\*\*\*\*\*\*\*$' "$T/host.record.show" ||
        fail "iscsiadm does not see a (masked) password: $(grep auth "$T/host.record.show")"
grep -F -f "$T/secret" "$T/host.record.shows" | grep -q '^node.session.auth.password = ' ||
        fail "iscsiadm -S does not read the secret back"
grep -qF -f "$T/secret" "$T/host.record.file2" || fail "a later iscsiadm update dropped the password"
[ "$(cat "$T/host.record-other.rc")" = 1 ] || fail "nodeup record on a missing record succeeded"
expect_in "iSCSI node record of $IQN at 127.0.0.1:3260,1 (iface vc-other): not found under /etc/iscsi/nodes" \
        "$(cat "$T/host.record-other.err")"
[ ! -s "$T/host.after-record" ] || fail "leak: $(cat "$T/host.after-record")"
! grep -qF -f "$T/secret" "$T/iscsiadm.argv" || fail "the secret was on an iscsiadm command line"
! grep -qF -f "$T/secret" "$T/host.up.err" "$T/host.down.err" "$T/host.record-other.err" || fail "the secret in a message"

########## (a) IscsiAttach=qemu, a real guest on a real target.
say "IscsiAttach=qemu: tgtd, libvirtd, a guest with a network disk"
start_ovs
ovs_bridge br-vc
start_libvirtd "$OVS_NS"
TGT_NETNS=$OVS_NS start_tgtd
secret_file "$T/secret"
truncate -s 16M "$T/lun1.img"
"$XC" add "$TGT_CONTROL" "$IQN" "$CHAP_USER" "$INI,$READER" "$T/lun1.img" <"$T/secret" || fail "exportctl add"
job_json "$TGT_PORTAL"
conf ""

t0=$(date +%s%N)
"$NU" up "$T/vcluster.conf" "$T/job.json" n1 "$DIR" "$T/secret" 2>"$T/up.err" || fail "nodeup up: $(cat "$T/up.err")"
say "  secret, define, start: $((($(date +%s%N) - t0) / 1000000)) ms"
name=$("$GX" -w -t 120 "$DIR/$GUEST.agent") || fail "guest never said up: $(tail -5 "$DIR/$GUEST.console")"
[ "$name" = "$GUEST" ] || fail "guest said '$name'"

say "libvirt: one secret, ephemeral and private, named by usage"
sl=$(vvirsh secret-list | awk 'NR > 2 && NF {print $2, $3}')
[ "$sl" = "iscsi $USAGE" ] || fail "libvirt secrets: '$sl'"
uuid=$(vvirsh secret-list | awk -v u="$USAGE" '$3 == u {print $1}')
vvirsh secret-dumpxml "$uuid" | grep -q "<secret ephemeral='yes' private='yes'>" || fail "secret not ephemeral+private"
expect_exit 1 virsh -c "$LIBVIRT_URI" secret-get-value "$uuid"
expect_in "private" "$ERR"
x=$(vvirsh dumpxml --inactive "$DOMAIN")
expect_in "<source protocol='iscsi' name='$IQN/1'>" "$x"
expect_in "<host name='127.0.0.1' port='${TGT_PORTAL##*:}'/>" "$x"
expect_in "<iqn name='$INI'/>" "$x"
expect_in "<auth username='$CHAP_USER'>" "$x"
expect_in "<secret type='iscsi' usage='$USAGE'/>" "$x"
expect_in "<target dev='vda' bus='virtio'/>" "$x"
[ "$(sessions)" = "$INI" ] || fail "sessions to the target: '$(sessions)', expected the guest's $INI"

say "QEMU gets the secret encrypted (-object secret with keyid), never in clear"
qemu=$(_libvirt_ns_pids)
[ "$(echo "$qemu" | wc -w)" = 1 ] || fail "expected one QEMU, found: $qemu"
cmd=$(tr '\0' ' ' </proc/"$qemu"/cmdline)
expect_in '"password-secret":"libvirt-1-storage-auth-secret0"' "$cmd"
expect_in '"qom-type":"secret","id":"libvirt-1-storage-auth-secret0","data":"' "$cmd"
expect_in '"keyid":"masterKey0"' "$cmd"
expect_in "\"initiator-name\":\"$INI\"" "$cmd"
left=$(secret_in_cmdlines "$T/secret")
[ -z "$left" ] || fail "the CHAP secret is on the command line of: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)")"
! grep -rqF -f "$T/secret" "$LIBVIRT_DIR" || fail "the secret is in a libvirtd file: $(grep -rlF -f "$T/secret" "$LIBVIRT_DIR")"
! grep -rqF -f "$T/secret" "$T/state" || fail "the secret is in the node's state: $(grep -rlF -f "$T/secret" "$T/state")"

say "the guest writes /dev/vda; the host reads it back over iSCSI"
mark="vcluster-volume-$JOB-$RANDOM"
out=$("$GX" -t 30 "$DIR/$GUEST.agent" "cat /sys/block/vda/size && echo $mark | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>&1") ||
        fail "dd in the guest: $out"
[ "$(echo "$out" | head -n 1)" = $((16 * 2048)) ] || fail "guest's vda is not the 16 MiB volume: $out"
# The reader is another initiator of the ACL; its secret comes from a file (--object secret,file=).
nsenter --net="/run/netns/$OVS_NS" qemu-img convert -U --object "secret,id=chap,file=$T/secret" \
        --image-opts "driver=iscsi,transport=tcp,portal=$TGT_PORTAL,target=$IQN,lun=1,user=$CHAP_USER,password-secret=chap,initiator-name=$READER" \
        -O raw "$T/readback.raw" 2>"$T/qemu-img.err" || fail "qemu-img over iSCSI: $(cat "$T/qemu-img.err")"
[ "$(head -c ${#mark} "$T/readback.raw")" = "$mark" ] || fail "read back over iSCSI: '$(head -c 40 "$T/readback.raw" | tr -cd '[:print:]')'"
[ "$(head -c ${#mark} "$T/lun1.img")" = "$mark" ] || fail "the LUN's backing file lacks the marker"
rm -f "$T/readback.raw"

say "teardown: domain, then secret; nothing left"
"$NU" down "$DIR" 2>"$T/down.err" || fail "nodeup down: $(cat "$T/down.err")"
[ -z "$(vvirsh list --all --name | grep .)" ] || fail "leak: domains: $(vvirsh list --all --name)"
[ -z "$(vvirsh secret-list | awk 'NR > 2 && NF')" ] || fail "leak: libvirt secrets: $(vvirsh secret-list)"
[ -z "$(_libvirt_ns_pids)" ] || fail "leak: QEMU still running"
[ -z "$(sessions)" ] || fail "leak: sessions to the target: $(sessions)"
[ ! -e "$DIR" ] || fail "leak: $DIR: $(ls -A "$DIR")"

say "a wrong secret: the start fails, the rollback leaves nothing"
secret_file "$T/wrong"
rc=0
"$NU" up "$T/vcluster.conf" "$T/job.json" n1 "$DIR" "$T/wrong" 2>"$T/wrong.err" || rc=$?
[ "$rc" = 1 ] || fail "nodeup up with a wrong CHAP secret exited $rc, expected 1: $(cat "$T/wrong.err")"
say "  error: $(head -c 300 "$T/wrong.err")"
expect_in "domain $DOMAIN: start: " "$(cat "$T/wrong.err")"
! grep -qF -f "$T/wrong" "$T/wrong.err" || fail "the wrong secret is in the error"
"$NU" down "$DIR" 2>"$T/down2.err" || fail "undo after the failed start: $(cat "$T/down2.err")"
[ -z "$(vvirsh list --all --name | grep .)" ] || fail "leak: domains: $(vvirsh list --all --name)"
[ -z "$(vvirsh secret-list | awk 'NR > 2 && NF')" ] || fail "leak: libvirt secrets: $(vvirsh secret-list)"

say "undo when libvirtd has already lost the (ephemeral) secret"
"$NU" up -s "$T/vcluster.conf" "$T/job.json" n1 "$DIR" "$T/secret" 2>"$T/up3.err" || fail "nodeup up -s: $(cat "$T/up3.err")"
uuid=$(vvirsh secret-list | awk -v u="$USAGE" '$3 == u {print $1}')
[ -n "$uuid" ] || fail "storage step alone made no secret"
vvirsh -q secret-undefine "$uuid" >/dev/null || fail "virsh secret-undefine"
"$NU" down "$DIR" 2>"$T/down3.err" || fail "undo of a secret already gone: $(cat "$T/down3.err")"
[ ! -e "$DIR" ] || fail "leak: $DIR"

# Every nodeup run's stderr is in $T/*.err: no sanitizer report (sanitized builds).
san=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.err || true)
[ -z "$san" ] || fail "sanitizer report in $san: $(cat $san | head -40)"
! grep -lF -f "$T/secret" "$T"/*.err || fail "the secret is in a message (above)"
! grep -rlF -f "$T/secret" "$LIBVIRT_DIR" || fail "the secret is in a libvirtd file (above)"
"$XC" remove "$TGT_CONTROL" "$IQN" "$CHAP_USER" || fail "exportctl remove"
stop_tgtd
pass
