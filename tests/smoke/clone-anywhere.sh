#!/bin/bash
# The repository stands on its own: its files (what git tracks, plus new
# files it would track; never build output) copied into a fresh directory
# elsewhere and made a git repository there, as a clone would be, build there, and the tests that read data files from the tree
# pass there: the address vectors (tests/core/test_convert,
# tests/smoke/addr.sh) and the reference check (tests/smoke/references.sh,
# which there also proves that nothing names the original location).
. "$(dirname "$0")/../lib.sh"

DEST=$T_TMP/elsewhere/autowg-copy
CLONE_TESTS="tests/core/test_convert tests/smoke/addr.sh tests/smoke/references.sh"
mkdir -p "$DEST" || exit 1

n=$(tree_files | tr -cd '\0' | wc -c)
if [ "$n" -lt 50 ]; then
	not_ok "the repository's files are listed (git ls-files in $TOP)" "got $n files"
	done_testing
	exit 1
fi
if (cd "$TOP" && tree_files | tar --null -T - -cf -) | tar -C "$DEST" -xf -; then
	ok "the repository's $n files copied to $DEST"
else
	not_ok "the repository's $n files copied to $DEST"
fi
check "no build output came along" test ! -e "$DEST/${B#"$TOP"/}"
# A git repository of its own, as a clone is (the reference check lists
# the files with git).
git_init() { git init -q && git add -A && [ "$(git ls-files | wc -l)" -eq "$n" ]; }
if (cd "$DEST" && git_init) >"$T_TMP/git.log" 2>&1; then
	ok "the copy is a git repository of its own, holding those $n files"
else
	not_ok "the copy is a git repository of its own, holding those $n files" "$(cat "$T_TMP/git.log")"
fi

# Nothing of the outer run may leak in (make passes its command line on in
# MAKEFLAGS, e.g. B=build-asan): the copy finds its own top and builds into
# its own build/.
run_there() { (cd "$DEST" && env -u TOP -u TESTS -u MAKEFLAGS -u MFLAGS -u MAKELEVEL B=build "$@"); }
if run_there make -j2 tests >"$T_TMP/make.log" 2>&1; then
	ok "make tests builds in the copy"
else
	not_ok "make tests builds in the copy" "$(tail -n 20 "$T_TMP/make.log")"
fi

run_there env TESTS="$CLONE_TESTS" tests/run >"$T_TMP/run.log" 2>&1
last=$(tail -n 1 "$T_TMP/run.log")
expect_match "tests that read the tree's files pass in the copy: $CLONE_TESTS" \
	'^[1-9][0-9]* passed, 0 failed$' "$last"
[[ $last == *", 0 failed" ]] || sed 's/^/#   /' "$T_TMP/run.log"
for t in $CLONE_TESTS; do
	expect_match "$t ran in the copy" "^$t +[1-9][0-9]* passed, 0 failed" "$(grep "^$t " "$T_TMP/run.log")"
done
done_testing
