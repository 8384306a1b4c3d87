#!/bin/sh
#
# run.sh: what `make fuzz` runs.  Each fuzz target given as an argument
# (build/fuzz/fuzz_NAME) runs for FUZZ_SECONDS (default 60) seconds,
# seeded from tests/fuzz/corpus/NAME/; new inputs go to a scratch
# directory, so the committed corpus changes only by hand.  A crash leaves
# its input in build/fuzz/ and makes the run fail.

secs=${FUZZ_SECONDS:-60}
status=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	work=build/fuzz/corpus-$name
	mkdir -p "$work"
	echo "==> fuzz $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/"$name"- "$work" \
	    "tests/fuzz/corpus/$name" >build/fuzz/"$name".log 2>&1; then
		tail -n 40 build/fuzz/"$name".log
		echo "fuzz $name: FAILED (see build/fuzz/$name.log)"
		status=1
	else
		grep -E 'stat::number_of_executed_units' build/fuzz/"$name".log
		echo "fuzz $name: no crash"
	fi
done
exit $status
