# shellcheck shell=bash
# Hook cost per prompt when nothing changed, measured inside ONE bash process with bash's own
# clock (EPOCHREALTIME, microseconds). Sourced by scripts/bench via
#   bash --norc --noprofile bench/hook.bash AWSDO_HOOK_FILE BLOCKS K K_DIRENV
# Each block times K calls of an empty function (the bare prompt), K calls of awsdo's
# __awsdo_hook and K_DIRENV calls of direnv's _direnv_hook, interleaved block by block so
# load changes hit all three alike. Prints `NAME NANOSECONDS_PER_CALL` per block.
set -u
LC_ALL=C
hook_file=$1 blocks=$2 k=$3 kd=$4

# shellcheck disable=SC1090
source "$hook_file"
eval "$(direnv hook bash)"
__bench_bare() { :; }

# Nothing changed: the shell holds the profile it wants, renewal an hour away.
export AWS_PROFILE=bench-role AWSDO_PROFILE=bench-role AWSDO_REFRESH_AT=$((EPOCHSECONDS + 3600))

# One block of n calls of "$1"; sets __bench_r to ns per call (no subshell: that would fork).
__bench_time() {
  local f=$1 n=$2 i s e
  s=${EPOCHREALTIME/./}
  for ((i = 0; i < n; i++)); do "$f"; done
  e=${EPOCHREALTIME/./}
  __bench_r=$(((e - s) * 1000 / n))
}

for ((b = 0; b < blocks; b++)); do
  __bench_time __bench_bare "$k"
  echo "bare $__bench_r"
  __bench_time __awsdo_hook "$k"
  echo "awsdo $__bench_r"
  __bench_time _direnv_hook "$kd"
  echo "direnv $__bench_r"
done
# The hook must not have switched anything.
[[ ${AWSDO_PROFILE} == bench-role && -z ${AWS_ACCESS_KEY_ID-} ]] || echo "error awsdo hook ran export" >&2
