#!/bin/bash
# autowg-helper against real kernel WireGuard: Debian's kernel with its
# wireguard.ko under qemu (tests/qemu/vm.sh) runs tests/wg/helper-kernel-guest.
. "$(dirname "$0")/../lib.sh"

for f in "$B/autowg-helper" "$B/tests/tools/awg-call"; do
	[ -x "$f" ] || { echo "not ok - $f is built"; exit 1; }
done
"$TOP/tests/qemu/vm.sh" --mem 1024 --timeout 600 \
	--file "$B/autowg-helper:/opt/autowg-helper" --file "$B/tests/tools/awg-call:/opt/awg-call" \
	-- "$TOP/tests/wg/helper-kernel-guest" /opt/autowg-helper /opt/awg-call "${HELPER_KERNEL_FILL:-20000}"
rc=$?
[ "$rc" -eq 0 ] || echo "not ok - the helper test in the VM failed (vm.sh status $rc)"
exit "$rc"
