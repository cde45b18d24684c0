# shellcheck shell=bash
# Process-level timings for scripts/bench, taken inside ONE bash process with bash's own clock
# (EPOCHREALTIME, microseconds) so that every contender pays the same fork+exec from the same
# shell, and interleaved iteration by iteration so load changes hit all contenders alike.
#
#   bash --norc --noprofile bench/loops.bash MODE N
#
# The environment comes from scripts/bench: AWSDO_BIN, BENCH_HOOK (awsdo's bash hook, saved
# from `awsdo hook bash`), BENCH_PY (the real python3, not a pyenv shim), BENCH_AWSUME (the
# awsume shell script, the one its `awsume` alias sources), BENCH_DIR (bench/), BENCH_LOG
# (the proxy's call log), AWSDO_CACHE_DIR, HOME.
#
# Modes (each prints `NAME MICROSECONDS [STS_CALLS UPSTREAM_MICROSECONDS]` per sample):
#   switch  profile switch, warm caches: awsdo's hook (`awsdo export bash` + eval), awsume,
#           botocore with the AWS CLI's JSON cache, and bare python3 start for scale
#   wrap    `awsdo -- true` vs plain `true` (the binary, not the builtin), warm cache
#   cold    time to credentials with an empty cache: AssumeRole and a two-role chain, for
#           awsdo and for botocore; STS calls and upstream time read from the proxy's log
set -u
LC_ALL=C
mode=$1 n=$2
# shellcheck disable=SC1090
source "${BENCH_HOOK}"
true_bin=$(type -P true)

now() { __t=${EPOCHREALTIME/./}; }

# Forget any credentials and markers: each switch starts from a shell with none.
reset() {
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION \
    AWSDO_PROFILE AWSDO_REFRESH_AT AWSDO_STATE AWSUME_PROFILE AWSUME_EXPIRATION AWSUME_COMMAND
}

# Fails loudly when a contender did not leave credentials in the shell.
check() {
  if [[ -z ${AWS_ACCESS_KEY_ID-} || -z ${AWS_SESSION_TOKEN-} ]]; then
    echo "error: $1 left no credentials in the shell" >&2
    exit 1
  fi
}

lines() {
  local c
  c=$(wc -l <"${BENCH_LOG}")
  echo "${c// /}"
}

# STS calls and their upstream microseconds between log lines $1 and $2.
calls() {
  awk -F'\t' -v a="$1" -v b="$2" 'NR > a && NR <= b { n++; s += $2 }
    END { printf "%d %d\n", n, s * 1e6 }' "${BENCH_LOG}"
}

case ${mode} in
switch)
  for ((i = 0; i < n; i++)); do
    reset
    export AWS_PROFILE=bench-role
    now
    s=$__t
    __awsdo_hook
    now
    echo "awsdo $((__t - s))"
    check awsdo

    reset
    b=$(lines)
    now
    s=$__t
    # shellcheck disable=SC1090
    . "${BENCH_AWSUME}" bench-role >/dev/null 2>&1
    now
    echo "awsume $((__t - s)) $(calls "$b" "$(lines)")"
    check awsume

    reset
    now
    s=$__t
    eval "$("${BENCH_PY}" "${BENCH_DIR}/botocore_creds.py" bench-role)"
    now
    echo "botocore $((__t - s))"
    check botocore

    now
    s=$__t
    "${BENCH_PY}" -c pass
    now
    echo "python $((__t - s))"
  done
  ;;
wrap)
  reset
  for ((i = 0; i < n; i++)); do
    now
    s=$__t
    "${true_bin}"
    now
    echo "true $((__t - s))"
    now
    s=$__t
    "${AWSDO_BIN}" -p bench-role -- true
    now
    echo "awsdo $((__t - s))"
  done
  ;;
cold)
  reset
  for ((i = 0; i < n; i++)); do
    for p in role chain; do
      rm -rf "${AWSDO_CACHE_DIR}"
      b=$(lines)
      now
      s=$__t
      "${AWSDO_BIN}" -p "bench-$p" >/dev/null
      now
      echo "awsdo-$p $((__t - s)) $(calls "$b" "$(lines)")"

      rm -rf "${HOME}/.aws/cli/cache"
      b=$(lines)
      now
      s=$__t
      "${BENCH_PY}" "${BENCH_DIR}/botocore_creds.py" "bench-$p" >/dev/null
      now
      echo "botocore-$p $((__t - s)) $(calls "$b" "$(lines)")"
    done
  done
  ;;
*)
  echo "unknown mode ${mode}" >&2
  exit 2
  ;;
esac
