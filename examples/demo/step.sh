#!/bin/sh
# step.sh NAME LABEL COMMAND...: runs a long build step quietly for `make
# demo`: prints LABEL, then how long it has been running every 15 seconds,
# then "done"; the command's own output goes to build/logs/NAME.log, and its
# end is printed if it fails.
name=$1
label=$2
shift 2
mkdir -p build/logs
log=build/logs/$name.log
start=$(date +%s)
printf '%s ...' "$label"
"$@" >"$log" 2>&1 &
pid=$!
shown=0
while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    elapsed=$(( $(date +%s) - start ))
    if [ $(( elapsed / 15 )) -gt "$shown" ]; then
        shown=$(( elapsed / 15 ))
        printf ' %ss' "$(( shown * 15 ))"
    fi
done
wait "$pid"
status=$?
elapsed=$(( $(date +%s) - start ))
if [ "$status" -ne 0 ]; then
    printf ' failed (%s s); the end of %s:\n' "$elapsed" "$log"
    tail -n 40 "$log"
    exit "$status"
fi
printf ' done (%s s)\n' "$elapsed"
