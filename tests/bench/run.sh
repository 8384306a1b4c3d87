#!/bin/sh
#
# run.sh: what `make bench` runs, from the top of the tree, after the
# build.  Runs each benchmark in tests/bench/ (every executable file here
# but this one) with /usr/bin/python3 or as itself, prints its output, and
# ends with one line per benchmark: its name and exit status.  The exit
# status is non-zero when any benchmark failed.

PYTHON=${PYTHON:-/usr/bin/python3}
dir=tests/bench
status=0
summary=""

for b in "$dir"/*; do
	name=${b##*/}
	[ "$name" = run.sh ] && continue
	[ -f "$b" ] && [ -x "$b" ] || continue
	echo "==> bench $name"
	if head -n 1 "$b" | grep -q python; then
		"$PYTHON" "$b"
	else
		"$b"
	fi
	rc=$?
	if [ $rc -ne 0 ]; then
		status=1
		summary="$summary
bench $name: FAILED (exit $rc)"
	else
		summary="$summary
bench $name: ok"
	fi
done
if [ -z "$summary" ]; then
	echo "no benchmarks in $dir"
	exit 1
fi
echo "$summary" | sed '1d'
exit $status
