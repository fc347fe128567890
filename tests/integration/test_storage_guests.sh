#!/bin/bash
# Cluster storage end to end: real Slurm, vlanallocd, tgtd, libvirt + QEMU.
# A 2-node job with disk= gets a volume per guest exported by tgtd; QEMU
# logs in itself (IscsiAttach=qemu) with the job's initiator name and CHAP
# secret, held in an ephemeral libvirt secret. A guest writes a marker on
# its disk; the test reads it back through iSCSI from the host (libiscsi,
# the secret from its file, never on a command line). The secret is in no
# argv, log or status. After scancel no volume, target, account, secret
# file, libvirt secret or domain is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
. "$(dirname "$0")/storage.sh"
vc_setup
mkdir -p "$T/vols"
guest_setup() { TGT_NETNS=$OVS_NS start_tgtd; }
guest_conf_lines() {
        echo "StorageName=st Host=127.0.0.1 Backend=file Directory=$T/vols Export=tgt Portal=$TGT_PORTAL TgtControl=$TGT_CONTROL"
}
SITE_A_EXTRA="Storage=st"
start_guest_cluster a001 a002

say "a 2-node job with disk=64M: every guest up with its own iSCSI disk"
J=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tiny,name=st,mem=128M,disk=64M -o /dev/null --wrap 'sleep 600')
"$BIN/vcluster" wait "$J" --timeout 240 >"$T/w" || fail "vcluster wait $J: $(cat "$T/w"); $(tail -5 "$HOOK_LOG")"
wait_job_state "$J" RUNNING
[ "$(ls "$T/vols" | sort | tr '\n' ' ')" = "vc-$J-st-1-1.img vc-$J-st-1-2.img " ] || fail "volumes: $(ls "$T/vols")"
[ "$(tgt_targets | wc -l)" = 1 ] || fail "targets: $(tgt_targets)"
S=$(cat "$T/state/secrets/$J.chap")
[ "$(stat -c %a:%u "$T/state/secrets/$J.chap")" = 600:0 ] || fail "secret file mode"
xml=$(vvirsh dumpxml "vcluster-$J-st-1-1")
expect_in "protocol='iscsi' name='iqn.2026-11.org.vcluster:target.$J/1'" "$xml"
expect_in "<iqn name='iqn.2026-11.org.vcluster:$J.a001'/>" "$xml"
case "$xml" in *"$S"*) fail "the CHAP secret is in the domain XML" ;; esac
[ "$(vvirsh secret-list | grep -c "vcluster-$J")" = 2 ] || fail "libvirt secrets: $(vvirsh secret-list)"

say "a guest writes a marker on its disk; the host reads it back through iSCSI"
gexec a002 "$J" st-1-2 "echo vcluster-marker-$J | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null" ||
        fail "st-1-2 could not write its disk"
# the secret goes to qemu-img in a file object (0600, the controller's own), never in argv
read_lun() {
        ip netns exec "$OVS_NS" qemu-img convert -U --object "secret,id=s0,file=$T/state/secrets/$J.chap" --image-opts \
                "driver=iscsi,transport=tcp,portal=$TGT_PORTAL,target=iqn.2026-11.org.vcluster:target.$J,lun=$1,user=vcluster-$J,password-secret=s0,initiator-name=iqn.2026-11.org.vcluster:$J.a002" \
                -O raw "$T/lun$1.raw" 2>"$T/qemu-img.err" || fail "qemu-img over iSCSI, LUN $1: $(cat "$T/qemu-img.err")"
        head -c 64 "$T/lun$1.raw" | tr -cd '[:print:]'
}
mark="vcluster-marker-$J"
[ "$(read_lun 2 | cut -c1-${#mark})" = "$mark" ] || fail "read back over iSCSI: '$(read_lun 2)'"
case "$(read_lun 1)" in *vcluster-marker*) fail "the marker is on st-1-1's volume too" ;; esac
rm -f "$T"/lun*.raw
head -c 64 "$T/vols/vc-$J-st-1-2.img" | grep -q "vcluster-marker-$J" || fail "the marker is not in st-1-2's volume file"

say "the secret is in no process's argv, no log, not in what the user sees"
for c in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' <"$c" 2>/dev/null | grep -qF -- "$S" && fail "the secret is in the argv of $c: $(tr '\0' ' ' <"$c")"
done
grep -rlF -- "$S" "$T" --exclude="$J.chap" --exclude-dir=vols 2>/dev/null | grep -v "/secrets/" && fail "the secret is in a file under $T"
"$BIN/vcluster" status "$J" --json | grep -qF -- "$S" && fail "the secret is in vcluster status"

say "scancel: no volume, target, account, secret file, libvirt secret or domain is left"
scancel "$J"
wait_job_gone "$J"
wait_released "$J"
wait_domains_gone
guest_leak_check
[ -z "$(ls "$T/vols")" ] || fail "volumes left: $(ls "$T/vols")"
inv=$(tgt_inventory) || fail "tgtd (control $TGT_CONTROL) did not list its targets and accounts"
[ -z "$inv" ] || fail "tgtd still has: $(echo $inv)"
[ ! -e "$T/state/secrets/$J.chap" ] || fail "the secret file is left"
sl=$(vvirsh secret-list) || fail "cannot list libvirt's secrets"
! grep -q vcluster <<<"$sl" || fail "libvirt secrets left: $sl"
pass
