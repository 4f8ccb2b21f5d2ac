#!/bin/bash
# Every C file of the repository is formatted as the tree's .clang-format
# says, by Debian's clang-format 14: a file it would change is named, with
# the first lines it would change. Fix with:
#   clang-format-14 -i FILE...
. "$(dirname "$0")/../lib.sh"

CF=clang-format-14
command -v $CF >/dev/null || { not_ok "$CF is installed (tools/deps)"; done_testing; exit 1; }
cd "$TOP" || exit 1
check "the tree's .clang-format is there" test -f .clang-format
mapfile -d '' FILES < <(tree_files | grep -zE '\.[ch]$')
if [ ${#FILES[@]} -lt 50 ]; then
	not_ok "the repository's C files are listed" "got ${#FILES[@]} from git in $TOP"
	done_testing
	exit 1
fi
bad=()
for f in "${FILES[@]}"; do
	# the first changed line: "@@ -N" of a diff against the formatted text
	d=$($CF --style=file "$f" | diff -u "$f" - | sed -n 's/^@@ -\([0-9]*\).*/\1/p' | head -n 3 |
		tr '\n' ' ')
	[ -z "$d" ] || bad+=("$f (lines near ${d% })")
done
expect_none "clang-format 14 leaves all ${#FILES[@]} C files as they are" \
	"not formatted (clang-format-14 -i FILE):" "${bad[@]}"
done_testing
