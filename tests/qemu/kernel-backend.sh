#!/bin/bash
# The kernel netlink backend against real kernel WireGuard: boot Debian's
# kernel with wireguard.ko and run $B/tests/wg/test_backend there with
# WG_BACKEND=kernel. The guest side (interface, key, port, static peer, the
# run and the checks with wg(8)) is tests/wg/kernel-guest, which the wg/ tests
# own; its TAP lines are this test's result.
. "$(dirname "$0")/../lib.sh"

bin=$B/tests/wg/test_backend
guest=$TOP/tests/wg/kernel-guest
verify=$TOP/tests/wg/wg-verify
for f in "$bin" "$guest" "$verify"; do
	if [ ! -f "$f" ]; then
		case $f in "$bin") echo "not ok - test_backend not built ($bin)" ;; *) echo "not ok - $f is missing" ;; esac
		exit 1
	fi
done

# 20,000 peers take about 35 MB of kernel memory and some seconds under TCG.
"$TOP/tests/qemu/vm.sh" --mem 1024 --timeout 300 \
	--file "$bin:/opt/test_backend" --file "$verify:/opt/wg-verify" \
	-- "$guest" /opt/test_backend /opt/wg-verify
rc=$?
[ "$rc" -eq 0 ] || echo "not ok - the kernel backend test in the VM failed (vm.sh status $rc)"
exit "$rc"
