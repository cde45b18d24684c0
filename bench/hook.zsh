# Hook cost per prompt when nothing changed, measured inside ONE zsh process with zsh's own
# clock (zsh/datetime's EPOCHREALTIME). Run by scripts/bench as
#   zsh -f bench/hook.zsh AWSDO_HOOK_FILE BLOCKS K K_DIRENV
# Same design as hook.bash: empty function vs __awsdo_hook vs _direnv_hook, interleaved by
# block. Prints `NAME NANOSECONDS_PER_CALL` per block.
setopt no_unset
export LC_ALL=C
zmodload zsh/datetime
hook_file=$1 blocks=$2 k=$3 kd=$4

source "$hook_file"
eval "$(direnv hook zsh)"
__bench_bare() { : }
integer -g __bench_r

export AWS_PROFILE=bench-role AWSDO_PROFILE=bench-role AWSDO_REFRESH_AT=$((EPOCHSECONDS + 3600))

__bench_time() {
  local f=$1 n=$2 i
  float s e
  s=$EPOCHREALTIME
  for ((i = 0; i < n; i++)); do $f; done
  e=$EPOCHREALTIME
  (( __bench_r = (e - s) * 1e9 / n ))
}

for ((b = 0; b < blocks; b++)); do
  __bench_time __bench_bare $k
  echo "bare $__bench_r"
  __bench_time __awsdo_hook $k
  echo "awsdo $__bench_r"
  __bench_time _direnv_hook $kd
  echo "direnv $__bench_r"
done
[[ $AWSDO_PROFILE == bench-role && -z ${AWS_ACCESS_KEY_ID-} ]] || echo "error awsdo hook ran export" >&2
