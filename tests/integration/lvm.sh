# lvm.sh — a real lvm2 on a loop device for tests, sourced after lib.sh.
# Everything is private: a sparse file under $T on a loop device of its own,
# an LVM_SYSTEM_DIR under $T whose device filter sees that loop device and
# nothing else (the host's disks and volume groups are invisible to every
# lvm command of the test), no devices file, no hints in /run/lvm, locks,
# backups and archives under $T, no udev, no monitoring. lvm works metadata
# only (activation = 0): this test bed has no device-mapper, so lvcreate,
# lvremove, lvs… change and read the VG on the loop device, and no
# /dev/VG/NAME ever appears.
#
#   start_lvm SIZE_MB         the VG: exports LVM_SYSTEM_DIR, VC_VG (per run),
#                             LVM_LOOP (/dev/loopN), VC_VG_EXTENT (bytes)
#   lvm_lvs                   the VG's LVs as `lvs --reportformat json` says,
#                             one "NAME BYTES [POOL]" line each (our code not involved)
#   lvm_fake_thin POOL [NAME BYTES]
#                             a thin pool (and a thin LV in it) written straight
#                             into the VG's metadata: lvcreate cannot make thin
#                             pools or thin volumes without device-mapper
#   lvm_fake_thin_undo        the VG's metadata as it was before lvm_fake_thin
#   stop_lvm                  remove the VG and PV, detach the loop device
#                             (always, even when lvm fails), delete the files
#   lvm_leak_check            (a LEAK_HOOK, before stop_lvm) no LV is left in
#                             the VG, nothing written under /run; stop_lvm
#                             records a loop device it could not detach
LVM_LOOP=""
LVM_IMG=""
LVM_LEFT=""
LVM_RUN_BEFORE=""

start_lvm() {
        local mb=$1
        CLEANUP_HOOKS+=(stop_lvm)
        LEAK_HOOKS+=(lvm_leak_check)
        # Whatever lvm leaves in /run must not be ours: note what was there.
        LVM_RUN_BEFORE=$(ls -d /run/lvm /run/lock/lvm 2>/dev/null || true)
        losetup -f >/dev/null 2>&1 || fail "no free loop device here (losetup -f: $(losetup -f 2>&1))"
        mkdir -p "$T/lvm/lock" "$T/lvm/backup" "$T/lvm/archive"
        LVM_IMG=$T/lvm/pv.img
        truncate -s "${mb}M" "$LVM_IMG"
        LVM_LOOP=$(losetup -f --show "$LVM_IMG") || fail "losetup -f --show $LVM_IMG failed"
        cat >"$T/lvm/lvm.conf" <<EOC
# written by $TEST_NAME: only $LVM_LOOP exists for lvm
devices {
        filter = [ "a|^$LVM_LOOP\$|", "r|.*|" ]
        global_filter = [ "a|^$LVM_LOOP\$|", "r|.*|" ]
        use_devicesfile = 0
        obtain_device_list_from_udev = 0
        external_device_info_source = "none"
        hints = "none"
}
global {
        activation = 0
        locking_dir = "$T/lvm/lock"
        use_lvmlockd = 0
        use_lvmpolld = 0
        event_activation = 0
}
activation {
        udev_sync = 0
        udev_rules = 0
        monitoring = 0
}
backup {
        backup = 1
        backup_dir = "$T/lvm/backup"
        archive = 1
        archive_dir = "$T/lvm/archive"
}
EOC
        export LVM_SYSTEM_DIR=$T/lvm
        # bash may hand lvm stray fds; lvm would warn about each on stderr.
        export LVM_SUPPRESS_FD_WARNINGS=1
        export VC_VG=vctest$$
        VC_VG_EXTENT=$((4 << 20))
        lvmconfig --validate >/dev/null 2>&1 || fail "private lvm.conf invalid: $(lvmconfig --validate 2>&1)"
        pvcreate -q "$LVM_LOOP" >/dev/null 2>&1 || fail "pvcreate $LVM_LOOP: $(pvcreate "$LVM_LOOP" 2>&1)"
        vgcreate -q -s 4m "$VC_VG" "$LVM_LOOP" >/dev/null 2>&1 || fail "vgcreate $VC_VG: $(vgcreate "$VC_VG" "$LVM_LOOP" 2>&1)"
}

# (fails when lvs does: a listing that fails is never "no LV")
lvm_lvs() {
        local out
        out=$(lvs --reportformat json --units b --nosuffix -o lv_name,lv_size,pool_lv "$VC_VG" 2>/dev/null) || return 1
        jq -r '.report[0].lv[] | "\(.lv_name) \(.lv_size)" + (if .pool_lv != "" then " \(.pool_lv)" else "" end)' <<<"$out"
}

# lvm_fake_thin POOL [NAME BYTES]: two placeholder LVs let lvm pick the
# extents; the backup is then edited so they become POOL's hidden metadata
# and data LVs, POOL (8 MiB) appears, and NAME (BYTES, a multiple of 4 MiB)
# is a thin volume in it. Restored with vgcfgrestore --force (lvm warns that
# it cannot check for active volumes: there are none, activation is off).
lvm_fake_thin() {
        local pool=$1 name=${2:-} bytes=${3:-0} thin=""
        vgcfgbackup -f "$T/lvm/before-thin.vg" "$VC_VG" >/dev/null 2>&1 || fail "vgcfgbackup"
        lvcreate -q -n vcfakemeta -L 4m "$VC_VG" >/dev/null 2>&1 || fail "lvcreate vcfakemeta"
        lvcreate -q -n vcfakedata -L 8m "$VC_VG" >/dev/null 2>&1 || fail "lvcreate vcfakedata"
        vgcfgbackup -f "$T/lvm/thin.vg" "$VC_VG" >/dev/null 2>&1 || fail "vgcfgbackup"
        local t=$'\t\t'
        local pool_lv="${t}$pool {
${t}	id = \"vcfake-pool-0000-0000-0000-0000-000001\"
${t}	status = [\"READ\", \"WRITE\", \"VISIBLE\"]
${t}	flags = []
${t}	segment_count = 1
${t}	segment1 {
${t}		start_extent = 0
${t}		extent_count = 2
${t}		type = \"thin-pool\"
${t}		metadata = \"${pool}_tmeta\"
${t}		pool = \"${pool}_tdata\"
${t}		transaction_id = $([ -n "$name" ] && echo 1 || echo 0)
${t}		chunk_size = 128
${t}		discards = \"passdown\"
${t}		zero_new_blocks = 1
${t}	}
${t}}"
        if [ -n "$name" ]; then
                thin="${t}$name {
${t}	id = \"vcfake-thin-0000-0000-0000-0000-000002\"
${t}	status = [\"READ\", \"WRITE\", \"VISIBLE\"]
${t}	flags = []
${t}	segment_count = 1
${t}	segment1 {
${t}		start_extent = 0
${t}		extent_count = $((bytes / VC_VG_EXTENT))
${t}		type = \"thin\"
${t}		thin_pool = \"$pool\"
${t}		transaction_id = 0
${t}		device_id = 1
${t}	}
${t}}"
        fi
        POOL_LV=$pool_lv THIN_LV=$thin POOL=$pool awk '
                /^\tseqno = / { $0 = "\tseqno = " ($3 + 1) }
                /^\t\tvcfake(meta|data) \{$/ { inblk = 1; sub(/vcfakemeta/, ENVIRON["POOL"] "_tmeta"); sub(/vcfakedata/, ENVIRON["POOL"] "_tdata") }
                inblk && /status = / { sub(/, "VISIBLE"/, "") }
                inblk && /^\t\t\}$/ { inblk = 0 }
                { print }
                /^\tlogical_volumes \{$/ { print ENVIRON["POOL_LV"]; if (ENVIRON["THIN_LV"] != "") print ENVIRON["THIN_LV"] }
        ' "$T/lvm/thin.vg" >"$T/lvm/thin-new.vg"
        vgcfgrestore --force -f "$T/lvm/thin-new.vg" "$VC_VG" >"$T/lvm/restore.log" 2>&1 ||
                fail "vgcfgrestore of the fake thin pool: $(grep -v WARNING "$T/lvm/restore.log")"
}

lvm_fake_thin_undo() {
        vgcfgrestore --force -f "$T/lvm/before-thin.vg" "$VC_VG" >"$T/lvm/restore.log" 2>&1 ||
                fail "vgcfgrestore: $(grep -v WARNING "$T/lvm/restore.log")"
}

stop_lvm() {
        [ -n "$LVM_IMG" ] || return 0
        local dev
        if [ -n "$LVM_LOOP" ]; then
                LVM_LEFT=$(lvm_lvs | awk '{print $1}' | tr '\n' ' ' || true)
                vgremove -f "$VC_VG" >/dev/null 2>&1 || true
                pvremove -ff -y "$LVM_LOOP" >/dev/null 2>&1 || true
        fi
        # Every loop device on our file (also one attached by a losetup whose
        # answer we never saw), and only those.
        for dev in $(losetup -j "$LVM_IMG" -O NAME -n 2>/dev/null); do losetup -d "$dev" || true; done
        local loops
        loops=$(losetup -j "$LVM_IMG" 2>/dev/null || true)
        [ -z "$loops" ] || leak "loop device still attached: $loops"
        LVM_LOOP=""
        rm -f "$LVM_IMG"
        LVM_IMG=""
        local now
        now=$(ls -d /run/lvm /run/lock/lvm 2>/dev/null || true)
        [ "$now" = "$LVM_RUN_BEFORE" ] || leak "lvm wrote outside the private dirs: $now"
}

# lvm_leak_check: while the VG is up (in pass, before stop_lvm; a test may
# call it mid-way too), no LV in it (a listing that fails counts); after
# stop_lvm, none was there when it stopped.
lvm_leak_check() {
        local lvs
        if [ -n "$LVM_LOOP" ]; then
                lvs=$(lvm_lvs) || lvs="(lvs failed: $(lvs "$VC_VG" 2>&1 | tail -1))"
                [ -z "$lvs" ] || leak "logical volumes left in $VC_VG: $(tr '\n' ';' <<<"$lvs")"
        else
                [ -z "$LVM_LEFT" ] || leak "logical volumes left in $VC_VG: $LVM_LEFT"
        fi
        local now
        now=$(ls -d /run/lvm /run/lock/lvm 2>/dev/null || true)
        [ "$now" = "$LVM_RUN_BEFORE" ] || leak "lvm wrote outside the private dirs: $now"
        return 0
}
