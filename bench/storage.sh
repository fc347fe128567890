#!/bin/bash
# bench/storage.sh BUILD — a private tgtd and lvm2 on a loop device (the
# test harness's own functions), then a job's storage for N volumes: create
# + export and unexport + remove, ours vs one tgtadm process per operation.
VC_BUILD=${1:-build}
export VC_BUILD
TEST_NAME=bench-storage
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/storage.sh"
. "$ROOT/tests/integration/lvm.sh"
vc_setup
start_tgtd
mkdir -p "$T/vols"
B=$ROOT/$VC_BUILD/bench/storage
echo "== a job's storage on one host: N volumes of 16 MiB, one target, CHAP, ACL (median of 3)"
"$B" "$TGT_CONTROL" file "$T/vols" 1 8 32
start_lvm 1024
echo "== lvm2 volumes alone (metadata only on this kernel: no export; one lvcreate/lvremove each)"
"$B" "$TGT_CONTROL" lvm "$VC_VG" 1 8 32
vc_leak_check
