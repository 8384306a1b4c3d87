#!/bin/sh
#
# run_unit.sh: run each unit test binary named on the command line, show
# its output, and count the TAP lines it prints ("ok ..." passes, "not ok
# ..." fails).  Runs on the build machine as whoever runs make; trusts the
# binaries only to print TAP.  A binary that is missing, exits non-zero or
# dies by a signal without printing a "not ok" line counts as one more
# failure, so a crash is never silent.  Prints "unit: N passed, N failed";
# appends "unit PASSED FAILED" to $POSTERN_COUNTS when that is set.  Exits
# non-zero when anything failed.

passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/run_unit.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT TERM

for t in "$@"; do
	echo "# $t"
	if [ ! -x "$t" ]; then
		echo "not ok - $t: not found or not executable"
		failed=$((failed + 1))
		continue
	fi
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok\( \|$\)' "$out")
	f=$(grep -c '^not ok\( \|$\)' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -gt 128 ]; then
			echo "not ok - $t: killed by signal $((rc - 128))"
		else
			echo "not ok - $t: exit status $rc"
		fi
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "unit: $passed passed, $failed failed"
if [ -n "${POSTERN_COUNTS:-}" ]; then
	echo "unit $passed $failed" >>"$POSTERN_COUNTS"
fi
[ "$failed" -eq 0 ]
