#!/usr/bin/env bash
# Stop the one-node test cluster started by start_cluster.sh.
# Only the daemons recorded in its pid files are signalled.
#   --keep-munge   stop slurmd and slurmctld but leave munged running
set -euo pipefail

RUNDIR=/run/slurm
pidfiles=("$RUNDIR/slurmd.pid" "$RUNDIR/slurmctld.pid")
if [[ "${1:-}" != "--keep-munge" ]]; then
    pidfiles+=(/run/munge/munged.pid)
fi

for pidfile in "${pidfiles[@]}"; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop_cluster: $pidfile (pid $pid) still alive after 10 s" >&2
            exit 1
        fi
    fi
    rm -f "$pidfile"
done
echo "stop_cluster: stopped (${pidfiles[*]})"
