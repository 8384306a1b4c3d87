#!/bin/sh
#
# check.sh: what `make check` runs, from the top of the tree.  Builds the
# normal tree and runs its unit tests, lints the man pages, runs the
# integration tests against the normal build, then builds an ASan+UBSan
# tree (build/asan) and runs its unit and integration tests again, and
# runs each fuzz target briefly from its corpus.  Runs
# as whoever runs make (root: privilege separation is exercised; anyone
# else: development mode, privilege tests skip themselves).  Trusts the
# tools the deps target installed.  Every stage runs even when an earlier
# one failed; the last line is the sum over all stages:
#   N passed, N failed[, N skipped]
# and the exit status is non-zero when anything failed.

PYTHON=${PYTHON:-/usr/bin/python3}
SAN_ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0
SAN_UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Builds use every CPU; the tests themselves run one at a time.
JOBS=-j$(nproc 2>/dev/null || echo 2)

root=$(pwd)
passed=0
failed=0
skipped=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

stage() {
	echo "==> $*"
}

fail_one() {
	echo "check.sh: FAILED: $*"
	failed=$((failed + 1))
}

# num WORD FILE: the count before WORD on pytest's summary line, or 0.
num() {
	n=$(grep -o "[0-9][0-9]* $1" "$2" | head -n 1 | cut -d' ' -f1)
	echo "${n:-0}"
}

# unit_tree [MAKE ARGS]: build the unit tests and run them (run_unit.sh
# appends "unit PASSED FAILED" to $POSTERN_COUNTS).
unit_tree() {
	: >"$tmp/counts"
	POSTERN_COUNTS="$tmp/counts" make -s $JOBS "$@" unit
	rc=$?
	if [ -s "$tmp/counts" ]; then
		read -r _ p f <"$tmp/counts"
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] &&
		    fail_one "make $* unit: exit status $rc"
	else
		fail_one "make $* unit: the unit tests did not build"
	fi
}

# pytest_run BUILD ARGS...: one pytest run on tests/integration against
# the build root BUILD (which holds authd/authd and authd/authctl); adds
# its counts to the totals.
pytest_run() {
	build=$1
	shift
	(
		cd "$root" || exit 1
		POSTERN_BUILD="$build" "$PYTHON" -m pytest -q \
		    -p no:cacheprovider "$@" tests/integration
		echo $? >"$tmp/rc"
	) 2>&1 | tee "$tmp/pytest.out"
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 1)
	# 5: nothing was selected.
	[ "$rc" -eq 5 ] && return
	grep -E ' in [0-9.]+s' "$tmp/pytest.out" | tail -n 1 >"$tmp/summary"
	p=$(num passed "$tmp/summary")
	f=$(num failed "$tmp/summary")
	e=$(num error "$tmp/summary")
	s=$(num skipped "$tmp/summary")
	passed=$((passed + p))
	failed=$((failed + f + e))
	skipped=$((skipped + s))
	[ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ] &&
	    fail_one "pytest ($build $*): exit status $rc"
}

# integration BUILD: the integration tests.  Those marked serial (floods
# from many addresses, kill -9 storms, timing) run alone; the others run
# on every CPU at once (pytest-xdist, each worker with its own ports)
# when xdist is there, one at a time when not.
integration() {
	if "$PYTHON" -c "import xdist" 2>/dev/null; then
		pytest_run "$1" -m serial
		pytest_run "$1" -m "not serial" -n "$(nproc 2>/dev/null || echo 2)"
	else
		pytest_run "$1"
	fi
}

stage "build"
built=1
if ! make -s $JOBS all; then
	fail_one "make all"
	built=0
fi

stage "unit tests"
unit_tree

stage "man pages"
if ls man/*.[1-8] >/dev/null 2>&1; then
	mandoc -Tlint -Wwarning man/*.[1-8] >"$tmp/lint" 2>&1
	if [ -s "$tmp/lint" ]; then
		cat "$tmp/lint"
		fail_one "mandoc -Tlint"
	else
		passed=$((passed + 1))
	fi
fi

stage "integration tests"
if [ "$built" -eq 1 ]; then
	integration "$root/build"
else
	fail_one "integration tests: not run, the build failed"
fi

stage "build (ASan+UBSan, build/asan)"
built=1
if ! make -s $JOBS O=build/asan SAN=1 all; then
	fail_one "make O=build/asan SAN=1 all"
	built=0
fi

stage "unit tests (ASan+UBSan)"
ASAN_OPTIONS=$SAN_ASAN_OPTIONS
UBSAN_OPTIONS=$SAN_UBSAN_OPTIONS
export ASAN_OPTIONS UBSAN_OPTIONS
unit_tree O=build/asan SAN=1

stage "integration tests (ASan+UBSan)"
if [ "$built" -eq 1 ]; then
	integration "$root/build/asan"
else
	fail_one "integration tests (ASan+UBSan): not run, the build failed"
fi

stage "fuzz targets (${CHECK_FUZZ_SECONDS:-4}s each)"
if make -s $JOBS fuzzers >"$tmp/fuzzbuild" 2>&1; then
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		if FUZZ_SECONDS=${CHECK_FUZZ_SECONDS:-4} sh tests/fuzz/run.sh "$f"
		then
			passed=$((passed + 1))
		else
			fail_one "fuzz $f"
		fi
	done
else
	cat "$tmp/fuzzbuild"
	fail_one "make fuzzers"
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
