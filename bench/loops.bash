# shellcheck shell=bash
# Process-level timings for scripts/bench, taken inside ONE bash process with bash's own clock
# (EPOCHREALTIME, microseconds) so that every contender pays the same fork+exec from the same
# shell, and interleaved iteration by iteration so load changes hit all contenders alike.
#
#   bash --norc --noprofile bench/loops.bash MODE N
#
# The environment comes from scripts/bench: AWSDO_BIN, BENCH_RUST_HELLO (bench/hello.rs,
# built), BENCH_EXPORT_BIN (the hook's `export`
# worker: awsdo-export beside awsdo, else awsdo), BENCH_HOOK (awsdo's bash hook, saved
# from `awsdo hook bash`), BENCH_PY (the real python3, not a pyenv shim), BENCH_AWSUME (the
# awsume shell script, the one its `awsume` alias sources), BENCH_DIR (bench/), BENCH_LOG
# (the proxy's call log), AWSDO_CACHE_DIR, HOME.
#
# Modes (each prints `NAME MICROSECONDS [STS_CALLS UPSTREAM_MICROSECONDS TLS_CALLS]` per
# sample):
#   switch  profile switch, warm caches: awsdo's hook (`awsdo export bash` + eval), the bare
#           `eval "$(awsdo export bash)"` and the process floor `eval "$(/bin/true)"` (issue
#           15.2's goal is the former within 1.25x of the latter),
#           awsume, botocore with the AWS CLI's JSON cache, and bare python3 start for scale
#   wrap    `awsdo -- true` vs plain `true` (the binary, not the builtin), warm cache
#   cold    time to credentials with an empty cache: AssumeRole (over HTTP, and over HTTPS
#           to BENCH_HTTPS_URL trusting BENCH_CA_BUNDLE) and a two-role chain, for awsdo
#           and for botocore; STS calls and upstream time read from the proxy's log
#   sso     an SSO token refresh: `awsdo -p bench-sso -- true` with a cached token 10 minutes
#           from expiry (fresh file each run, bench/sso_token.py) and no cached role
#           credentials, against botocore (bench/botocore_sso.py); both call the fake
#           bench/sso.py (BENCH_SSO_LOG); prints NAME US CREATETOKEN GETROLECREDENTIALS
#           REFUSED STS_CALLS (refused: calls the fake answered with an error)
#   many    a 1,000-profile config (BENCH_MANY_CONFIG) against the bench's 4-profile one:
#           `awsdo status`, bash completion of `awsdo -p org-05<TAB>` (awsdo's completion
#           function, BENCH_COMPLETION, with `awsdo` on PATH) and `awsdo -p NAME explain`
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

# STS calls, their upstream microseconds and how many came over TLS, between log lines $1
# and $2.
calls() {
  awk -F'\t' -v a="$1" -v b="$2" 'NR > a && NR <= b { n++; s += $2; t += ($3 == "https") }
    END { printf "%d %d %d\n", n, s * 1e6, t }' "${BENCH_LOG}"
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

    # Issue 15.2's pair: `eval "$(awsdo export bash)"` as the hook runs it (through its worker,
    # awsdo-export, when installed), and the floor,
    # the same command substitution and eval around a process that does nothing.
    reset
    export AWS_PROFILE=bench-role
    now
    s=$__t
    eval "$("${BENCH_EXPORT_BIN}" export bash)"
    now
    echo "export $((__t - s))"
    check export

    now
    s=$__t
    eval "$("${true_bin}")"
    now
    echo "floor $((__t - s))"

    # The Rust floor: the smallest Rust program printing one statement.
    now
    s=$__t
    eval "$("${BENCH_RUST_HELLO}")"
    now
    echo "rust $((__t - s))"

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
    for p in role chain role-https; do
      # role-https: the same AssumeRole through the proxy's TLS port; the private CA is
      # trusted as a corporate CA is (system bundle + CA, BENCH_CA_BUNDLE): SSL_CERT_FILE
      # for awsdo (rustls-native-certs reads it), AWS_CA_BUNDLE for botocore.
      # Exported around each run, not through env(1), so every row pays the same exec.
      prof=bench-${p%-https} http_url=${AWS_ENDPOINT_URL}
      [[ $p == *-https ]] && export AWS_ENDPOINT_URL=${BENCH_HTTPS_URL} SSL_CERT_FILE=${BENCH_CA_BUNDLE}
      rm -rf "${AWSDO_CACHE_DIR}"
      b=$(lines)
      now
      s=$__t
      "${AWSDO_BIN}" -p "${prof}" >/dev/null
      now
      echo "awsdo-$p $((__t - s)) $(calls "$b" "$(lines)")"
      unset SSL_CERT_FILE

      [[ $p == *-https ]] && export AWS_CA_BUNDLE=${BENCH_CA_BUNDLE}
      rm -rf "${HOME}/.aws/cli/cache"
      b=$(lines)
      now
      s=$__t
      "${BENCH_PY}" "${BENCH_DIR}/botocore_creds.py" "${prof}" >/dev/null
      now
      echo "botocore-$p $((__t - s)) $(calls "$b" "$(lines)")"
      unset AWS_CA_BUNDLE
      export AWS_ENDPOINT_URL=${http_url}
    done
  done
  ;;
sso)
  reset
  # Calls of each operation between log lines $1 and $2 of the fake's log.
  sso_calls() {
    awk -F'\t' -v a="$1" -v b="$2" 'NR > a && NR <= b { n[$1]++ }
      END { printf "%d %d %d\n", n["CreateToken"], n["GetRoleCredentials"], n["-"] }' "${BENCH_SSO_LOG}"
  }
  sso_lines() {
    local c
    c=$(wc -l <"${BENCH_SSO_LOG}")
    echo "${c// /}"
  }
  for ((i = 0; i < n; i++)); do
    for tool in awsdo botocore; do
      "${BENCH_PY}" "${BENCH_DIR}/sso_token.py" "${HOME}/.aws/sso/cache" bench \
        https://bench.awsapps.com/start "${tool}-${i}"
      rm -rf "${AWSDO_CACHE_DIR}" "${HOME}/.aws/cli/cache"
      b=$(sso_lines)
      p=$(lines)
      now
      s=$__t
      if [[ ${tool} == awsdo ]]; then
        "${AWSDO_BIN}" -p bench-sso -- "${true_bin}"
      else
        "${BENCH_PY}" "${BENCH_DIR}/botocore_sso.py" bench-sso >/dev/null
      fi
      now
      echo "${tool} $((__t - s)) $(sso_calls "$b" "$(sso_lines)") $(($(lines) - p))"
    done
  done
  ;;
many)
  reset
  # shellcheck disable=SC1090
  source "${BENCH_COMPLETION}"
  small=${AWS_CONFIG_FILE}
  for ((i = 0; i < n; i++)); do
    for size in 1000 4; do
      if [[ ${size} == 1000 ]]; then
        export AWS_CONFIG_FILE=${BENCH_MANY_CONFIG}
        prof=org-0517 word=org-05 want=100
      else
        export AWS_CONFIG_FILE=${small}
        prof=bench-chain word=bench- want=4
      fi
      now
      s=$__t
      "${AWSDO_BIN}" status >/dev/null 2>&1
      now
      echo "status-${size} $((__t - s))"

      COMP_WORDS=(awsdo -p "${word}")
      COMP_CWORD=2
      now
      s=$__t
      _awsdo awsdo "${word}" -p
      now
      echo "complete-${size} $((__t - s))"
      if [[ ${#COMPREPLY[@]} != "${want}" ]]; then
        echo "error: completion of ${word} offered ${#COMPREPLY[@]} names, not ${want}" >&2
        exit 1
      fi

      now
      s=$__t
      "${AWSDO_BIN}" -p "${prof}" explain >/dev/null 2>&1
      now
      echo "explain-${size} $((__t - s))"
    done
  done
  export AWS_CONFIG_FILE=${small}
  ;;
*)
  echo "unknown mode ${mode}" >&2
  exit 2
  ;;
esac
