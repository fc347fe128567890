#!/bin/bash
# The volume backends through volumectl: "lvm" against real lvm2 on a loop
# device (metadata only: no device-mapper here), checked with lvs itself;
# "file" in a private directory. Both: two volumes with the sizes asked
# (lvm: rounded up to whole 4 MiB extents), create again is success, another
# size is refused, remove twice is success, a full volume group or a missing
# directory is a clear error that leaves nothing behind, and concurrent
# creates of different names all land. Thin volumes: lvcreate cannot make
# them without device-mapper, so a thin pool and volume are written into the
# VG's metadata to prove the idempotent path and the refusals; a real thin
# create is shown to get past lvcreate's argument parsing to the kernel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lvm.sh"
vc_setup
start_lvm 64 # 15 extents of 4 MiB

vol() { "$TOOLS/volumectl" "$@"; }
MiB=$((1 << 20))

say "lvm: two volumes; lvs shows them with the sizes asked (5000000 bytes: rounded up to 2 extents)"
for spec in "vc-1-vm0 8M" "vc-1-vm1 5000000"; do
        set -- $spec
        out=$(vol -t create lvm "$VC_VG" "$1" "$2" 2>"$T/took") || fail "create $1: $(cat "$T/took")"
        [ "$out" = "/dev/$VC_VG/$1" ] || fail "create $1 printed '$out'"
        say "  lvcreate $1: $(cat "$T/took")"
done
got=$(lvm_lvs)
[ "$got" = "vc-1-vm0 $((8 * MiB))
vc-1-vm1 $((8 * MiB))" ] || fail "lvs after create: $got"
got=$(vol list lvm "$VC_VG" vc-1-)
[ "$got" = "vc-1-vm0 $((8 * MiB))
vc-1-vm1 $((8 * MiB))" ] || fail "list: $got"
[ -z "$(vol list lvm "$VC_VG" vc-2-)" ] || fail "list vc-2- is not empty"

say "lvm: create again (a replayed step) is success, also with any size that rounds the same"
[ "$(vol create lvm "$VC_VG" vc-1-vm0 8M)" = "/dev/$VC_VG/vc-1-vm0" ] || fail "create vc-1-vm0 again"
[ "$(vol create lvm "$VC_VG" vc-1-vm1 5000000)" = "/dev/$VC_VG/vc-1-vm1" ] || fail "create vc-1-vm1 again"
[ "$(vol create lvm "$VC_VG" vc-1-vm1 8M)" = "/dev/$VC_VG/vc-1-vm1" ] || fail "create vc-1-vm1 8M"

say "lvm: another size is refused and changes nothing"
expect_exit 1 vol create lvm "$VC_VG" vc-1-vm0 12M
[ "$ERR" = "volumectl: lvcreate vc-1-vm0 (12.0 MiB) in $VC_VG: logical volume vc-1-vm0 already exists with 8.0 MiB (8388608 bytes), not 12582912 bytes" ] ||
        fail "wrong size: $ERR"
expect_exit 1 vol create lvm "$VC_VG" vc-1-vm0 4M
expect_in "already exists with 8.0 MiB (8388608 bytes), not 4194304 bytes" "$ERR"
[ "$(lvm_lvs | grep -c .)" = 2 ] || fail "lvs after refusals: $(lvm_lvs)"

say "lvm: a full volume group: lvm's own words, no LV left behind"
free=$(vgs --reportformat json -o vg_free_count "$VC_VG" 2>/dev/null | jq -r '.report[0].vg[0].vg_free_count')
[ "$free" = 11 ] || fail "free extents: $free"
expect_exit 1 vol create lvm "$VC_VG" vc-1-big 1G
[ "$ERR" = "volumectl: lvcreate vc-1-big (1.0 GiB) in $VC_VG: Volume group \"$VC_VG\" has insufficient free space (11 extents): 256 required." ] ||
        fail "VG full: $ERR"
lvm_lvs | grep -q vc-1-big && fail "vc-1-big left behind"
expect_exit 1 vol create lvm "$VC_VG" vc-1-big $((48 * MiB)) # one extent too many
expect_in "insufficient free space (11 extents): 12 required." "$ERR"
[ "$(lvm_lvs | grep -c .)" = 2 ] || fail "lvs after VG full: $(lvm_lvs)"

say "lvm: a volume group that is not there; names that could pass for options"
expect_exit 1 vol create lvm "novg$$" vc-1-vm0 8M
[ "$ERR" = "volumectl: lvcreate vc-1-vm0 (8.0 MiB) in novg$$: Volume group \"novg$$\" not found" ] || fail "no VG: $ERR"
expect_exit 1 vol list lvm "novg$$"
[ "$ERR" = "volumectl: lvs in novg$$: Volume group \"novg$$\" not found" ] || fail "list no VG: $ERR"
expect_exit 1 vol remove lvm "novg$$" vc-1-vm0
expect_in "lvremove vc-1-vm0 in novg$$: Volume group \"novg$$\" not found" "$ERR"
expect_exit 1 vol create lvm "$VC_VG" --version 8M
expect_in "invalid lvm volume name '--version'" "$ERR"
expect_exit 1 vol create lvm -an vc-1-vm2 8M
expect_in "invalid volume group name '-an'" "$ERR"

say "lvm: remove twice; the second finds it gone, which is success"
vol remove lvm "$VC_VG" vc-1-vm0 || fail "remove vc-1-vm0"
vol remove lvm "$VC_VG" vc-1-vm0 || fail "remove vc-1-vm0 again"
vol remove lvm "$VC_VG" vc-1-never || fail "remove a volume that never was"
[ "$(lvm_lvs)" = "vc-1-vm1 $((8 * MiB))" ] || fail "lvs after remove: $(lvm_lvs)"

say "lvm: four creates at once (lvm's VG lock serializes them), then four removes at once"
pids=()
for i in 0 1 2 3; do vol create lvm "$VC_VG" vc-2-vm$i 4M >/dev/null 2>"$T/par$i" & pids+=($!); done
for i in 0 1 2 3; do wait "${pids[$i]}" || fail "parallel create vc-2-vm$i: $(cat "$T/par$i")"; done
[ "$(vol list lvm "$VC_VG" vc-2- | wc -l)" = 4 ] || fail "parallel: $(vol list lvm "$VC_VG")"
pids=()
for i in 0 1 2 3; do vol remove lvm "$VC_VG" vc-2-vm$i 2>"$T/par$i" & pids+=($!); done
for i in 0 1 2 3; do wait "${pids[$i]}" || fail "parallel remove vc-2-vm$i: $(cat "$T/par$i")"; done
vol remove lvm "$VC_VG" vc-1-vm1 || fail "remove vc-1-vm1"
[ -z "$(lvm_lvs)" ] || fail "LVs left: $(lvm_lvs)"
lvm_leak_check

say "lvm thin (pool written into the metadata): the same volume again is success"
lvm_fake_thin pool vc-3-vm0 $((100 * MiB))
[ "$(lvm_lvs)" = "pool $((8 * MiB))
vc-3-vm0 $((100 * MiB)) pool" ] || fail "fake thin: $(lvm_lvs)"
[ "$(vol create lvm "$VC_VG" pool vc-3-vm0 100M)" = "/dev/$VC_VG/vc-3-vm0" ] || fail "thin create again"
expect_exit 1 vol create lvm "$VC_VG" pool vc-3-vm0 200M
expect_in "lvcreate vc-3-vm0 (200.0 MiB) in $VC_VG/pool: logical volume vc-3-vm0 already exists with 100.0 MiB (104857600 bytes), not 209715200 bytes" "$ERR"
expect_exit 1 vol create lvm "$VC_VG" vc-3-vm0 100M
[ "$ERR" = "volumectl: lvcreate vc-3-vm0 (100.0 MiB) in $VC_VG: logical volume vc-3-vm0 already exists in thin pool pool" ] ||
        fail "thick over thin: $ERR"
expect_exit 1 vol create lvm "$VC_VG" pool2 vc-3-vm0 100M
expect_in "already exists in thin pool pool" "$ERR"
say "lvm thin: a new one gets through lvcreate's argument checks to the kernel (no device-mapper here)"
expect_exit 1 vol create lvm "$VC_VG" pool vc-3-vm1 100M
[ "$ERR" = "volumectl: lvcreate vc-3-vm1 (100.0 MiB) in $VC_VG/pool: Can't create thin without using device-mapper kernel driver." ] ||
        fail "thin create: $ERR"
expect_exit 1 vol create lvm "$VC_VG" nopool vc-3-vm1 100M
[ "$ERR" = "volumectl: lvcreate vc-3-vm1 (100.0 MiB) in $VC_VG/nopool: Pool nopool not found in Volume group $VC_VG." ] ||
        fail "no pool: $ERR"
lvm_lvs | grep -q vc-3-vm1 && fail "vc-3-vm1 left behind"
lvm_fake_thin_undo
[ -z "$(lvm_lvs)" ] || fail "LVs left after the thin part: $(lvm_lvs)"

say "lvm: lvcreate and lvremove times (metadata only)"
for i in 1 2 3 4 5; do vol -t create lvm "$VC_VG" vc-4-vm$i 4M 2>>"$T/create.ms" >/dev/null || fail "create vc-4-vm$i"; done
for i in 1 2 3 4 5; do vol -t remove lvm "$VC_VG" vc-4-vm$i 2>>"$T/remove.ms" || fail "remove vc-4-vm$i"; done
say "  create: $(awk '{print $2}' "$T/create.ms" | tr '\n' ' ')ms; remove: $(awk '{print $2}' "$T/remove.ms" | tr '\n' ' ')ms"

say "file: two sparse volumes of 1 GiB in a private directory"
D=$T/images
mkdir -m 0700 "$D"
for n in vc-1-vm0 vc-1-vm1; do
        [ "$(vol create file "$D" $n 1G)" = "$D/$n.img" ] || fail "file create $n"
        [ "$(stat -c '%s %a %F' "$D/$n.img")" = "$((1 << 30)) 600 regular file" ] ||
                fail "$n: $(stat -c '%s %a %F' "$D/$n.img")"
done
used=$(du -sk "$D" | awk '{print $1}')
[ "$used" -le 16 ] || fail "not sparse: $used KiB used"
got=$(vol list file "$D" vc-1-)
[ "$got" = "vc-1-vm0 $((1 << 30))
vc-1-vm1 $((1 << 30))" ] || fail "file list: $got"
[ "$(vol create file "$D" vc-1-vm0 1G)" = "$D/vc-1-vm0.img" ] || fail "file create again"
expect_exit 1 vol create file "$D" vc-1-vm0 2G
[ "$ERR" = "volumectl: create vc-1-vm0 (2.0 GiB) in $D: vc-1-vm0.img already exists with 1.0 GiB (1073741824 bytes), not 2147483648 bytes" ] ||
        fail "file wrong size: $ERR"
[ "$(stat -c %s "$D/vc-1-vm0.img")" = $((1 << 30)) ] || fail "refusal changed the file"

say "file: a missing directory is an error naming it, and is not created"
expect_exit 1 vol create file "$T/nope" vc-1-vm0 1G
[ "$ERR" = "volumectl: create vc-1-vm0 (1.0 GiB) in $T/nope: directory $T/nope does not exist" ] || fail "no dir: $ERR"
expect_exit 1 vol list file "$T/nope"
[ "$ERR" = "volumectl: list volumes in $T/nope: directory $T/nope does not exist" ] || fail "list no dir: $ERR"
expect_exit 1 vol remove file "$T/nope" vc-1-vm0
expect_in "directory $T/nope does not exist" "$ERR"
[ ! -e "$T/nope" ] || fail "the missing directory was created"

say "file: remove twice"
for n in vc-1-vm0 vc-1-vm1; do
        vol remove file "$D" $n || fail "file remove $n"
        vol remove file "$D" $n || fail "file remove $n again"
done
[ -z "$(ls -A "$D")" ] || fail "files left: $(ls -A "$D")"
rmdir "$D"

pass
