# shellcheck shell=bash
# One of the concurrent shells of scripts/bench's concurrency test:
#   bash --norc --noprofile bench/one-shell.bash FIFO OUT
# Loads awsdo's hook (BENCH_HOOK), wants profile bench-role, says it is ready (OUT.ready),
# waits at the FIFO until the driver releases every shell at once, runs the prompt hook (the
# switch: `awsdo export bash` + eval), and writes `START_US END_US` to OUT.
set -u
fifo=$1 out=$2
# shellcheck disable=SC1090
source "${BENCH_HOOK}"
export AWS_PROFILE=bench-role
: >"${out}.ready"
: <"${fifo}"
s=${EPOCHREALTIME/./}
__awsdo_hook
e=${EPOCHREALTIME/./}
if [[ -z ${AWS_SESSION_TOKEN-} ]]; then
  echo "error: a concurrent shell got no credentials" >&2
  exit 1
fi
echo "$s $e" >"${out}"
