# shellcheck shell=bash
#
# awsdo hook for bash: keeps this shell's AWS credentials in step with AWS_PROFILE.
#
# At every prompt it decides in shell code alone whether anything changed:
#   - AWS_PROFILE differs from AWSDO_PROFILE (the profile the current credentials are for), or
#   - AWSDO_REFRESH_AT (epoch seconds) is set and has passed.
# Nothing changed: no process is started. Something changed: it runs `awsdo export bash` and
# evaluates what that prints (complete statements, or nothing); messages go to stderr.
#
# It also defines the function `awsdo`, so that `awsdo use PROFILE` switches this shell now
# (and `awsdo login` refreshes it at once), and completes `awsdo use <TAB>` with profile names.
#
# Needs bash 4.2 or later. Private names start with __awsdo_. Formatted with `shfmt -i 2`.

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

# The awsdo binary, filled in by `awsdo hook bash`.
__awsdo_exe='@AWSDO_EXE@'

# ---------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------

# Runs "$@" with SIGINT ignored, so Ctrl-C cannot leave half a credential set behind; then
# puts the user's INT trap back. Returns the status of "$@".
__awsdo_held() {
  local __awsdo_rc=0 __awsdo_int
  # `trap -p` in a command substitution reports the parent shell's traps (POSIX `save=$(trap)`).
  __awsdo_int=$(\builtin trap -p INT)
  \builtin trap '' INT
  "$@" || __awsdo_rc=$?
  if [[ -n ${__awsdo_int} ]]; then
    \builtin eval "${__awsdo_int}"
  else
    \builtin trap - INT
  fi
  return "${__awsdo_rc}"
}

# Runs the binary with "$@" and evaluates its standard output (see __awsdo_held).
# Returns the binary's status, or eval's when the binary succeeded.
__awsdo_apply() {
  local __awsdo_out __awsdo_rc=0 __awsdo_eval_rc=0
  __awsdo_out=$(\command "${__awsdo_exe}" "$@") || __awsdo_rc=$?
  if [[ -n ${__awsdo_out} ]]; then
    __awsdo_held builtin eval "${__awsdo_out}" || __awsdo_eval_rc=$?
  fi
  if ((__awsdo_rc == 0)); then
    __awsdo_rc=${__awsdo_eval_rc}
  fi
  return "${__awsdo_rc}"
}

# ---------------------------------------------------------------------------
# The prompt hook
# ---------------------------------------------------------------------------

# Returns 0 when the credentials must be brought up to date. Builtins only: no process.
__awsdo_due() {
  local __awsdo_now
  # `test`, not `[[`: the user's `shopt -s nocasematch` must not make Dev equal dev.
  if \builtin test "${AWS_PROFILE-}" != "${AWSDO_PROFILE-}"; then
    return 0
  fi
  if [[ -z ${AWSDO_REFRESH_AT-} ]]; then
    return 1
  fi
  # Not a plain number: let awsdo rewrite it (also keeps arithmetic from evaluating it as code).
  if [[ ${AWSDO_REFRESH_AT} == *[!0-9]* ]]; then
    return 0
  fi
  # EPOCHSECONDS is bash 5; `printf %(...)T` (bash 4.2) reads the clock without a fork too.
  __awsdo_now=${EPOCHSECONDS-}
  if [[ -z ${__awsdo_now} ]]; then
    \builtin printf -v __awsdo_now '%(%s)T' -1
  fi
  ((__awsdo_now >= 10#${AWSDO_REFRESH_AT}))
}

# Runs at every prompt; keeps $? for whatever runs after it.
__awsdo_hook() {
  local __awsdo_status=$?
  if __awsdo_due; then
    __awsdo_apply export bash || :
  fi
  return "${__awsdo_status}"
}

# ---------------------------------------------------------------------------
# awsdo use
# ---------------------------------------------------------------------------

# Sets AWS_PROFILE to $1 (empty: unsets it) where the user's value lives: `export` inside a
# function changes the nearest AWS_PROFILE in scope, a caller's `local -x`/`declare -x` included.
# Unsetting a caller's local makes bash's outer value visible again (and bash 5's
# localvar_unset hides it from expansions but still passes it to commands), so every layer
# goes: no AWS_PROFILE stays visible to commands.
__awsdo_set_profile() {
  if [[ -n ${1} ]]; then
    \builtin export AWS_PROFILE="${1}"
  else
    while [[ -n ${AWS_PROFILE+set} ]]; do
      \builtin unset -v AWS_PROFILE 2>/dev/null || return
    done
  fi
}

# Switches this shell to profile $1 (empty: no profile) as one step; $2 is use or login.
# The binary works out the whole change with the target in its own environment only; the
# shell changes AWS_PROFILE and the credentials together, and only when that succeeded.
# A failure leaves AWS_PROFILE, the credentials, the region and AWSDO_* exactly as they were,
# and returns 1 after one line on stderr.
__awsdo_switch() {
  local __awsdo_out __awsdo_decl
  # `declare -rx AWS_PROFILE=...`: the attributes, without ${var@a} (bash 4.4).
  __awsdo_decl=$(\builtin declare -p AWS_PROFILE 2>/dev/null) || :
  __awsdo_decl=${__awsdo_decl#declare -}
  if [[ ${__awsdo_decl%% *} == *r* ]]; then
    \builtin printf 'awsdo: could not switch profile: AWS_PROFILE is read-only in this shell\n' >&2
    return 1
  fi
  __awsdo_out=$(AWS_PROFILE="${1}" \command "${__awsdo_exe}" export bash --atomic "${2}") || return
  __awsdo_held __awsdo_commit "${1}" "${__awsdo_out}"
}

# The second half of __awsdo_switch: $1 the profile, $2 the statements.
__awsdo_commit() {
  __awsdo_set_profile "${1}" || return
  \builtin eval "${2}"
}

# `awsdo use PROFILE` / `awsdo use --unset` change this shell, so they must be a function.
# `function` keyword: an alias named awsdo cannot break the definition.
function awsdo {
  if [[ ${1-} == use && $# -eq 1 ]]; then
    \command "${__awsdo_exe}" status
  elif [[ ${1-} == use && $# -eq 2 && ${2} == --unset ]]; then
    __awsdo_switch '' use
  elif [[ ${1-} == use && $# -eq 2 && -n ${2} && ${2} != -* ]]; then
    __awsdo_switch "${2}" use
  elif [[ ${1-} == login ]]; then
    # The cache now holds fresh credentials: bring this shell up to date at once instead of
    # keeping the old ones until the next renewal.
    \command "${__awsdo_exe}" "$@" || return
    if [[ -n ${AWS_PROFILE-} ]]; then
      __awsdo_switch "${AWS_PROFILE}" login
    fi
  else
    \command "${__awsdo_exe}" "$@"
  fi
}

# Completes `awsdo use <TAB>` with profile names; anything else goes to clap's `_awsdo`
# (from `awsdo completions bash`) when that is loaded.
__awsdo_complete() {
  local __awsdo_name __awsdo_cur=${COMP_WORDS[COMP_CWORD]-}
  if ((COMP_CWORD == 2)) && [[ ${COMP_WORDS[1]-} == use ]]; then
    COMPREPLY=()
    while IFS= read -r __awsdo_name; do
      if [[ ${__awsdo_name} == "${__awsdo_cur}"* ]]; then
        COMPREPLY+=("${__awsdo_name}")
      fi
    done <<<"$(\command "${__awsdo_exe}" status --names 2>/dev/null || :)"
  elif \builtin declare -F _awsdo >/dev/null; then
    _awsdo "$@"
  fi
}

# ---------------------------------------------------------------------------
# Registration (once, however often this file is sourced)
# ---------------------------------------------------------------------------

__awsdo_register() {
  local __awsdo_cmd
  # With bash-preexec loaded, hooks belong in precmd_functions (it owns PROMPT_COMMAND).
  if [[ -n ${__bp_imported-} ]]; then
    for __awsdo_cmd in ${precmd_functions[@]+"${precmd_functions[@]}"}; do
      if [[ ${__awsdo_cmd} == __awsdo_hook ]]; then
        return 0
      fi
    done
    precmd_functions+=(__awsdo_hook)
    return 0
  fi
  for __awsdo_cmd in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
    if [[ ${__awsdo_cmd} == *__awsdo_hook* ]]; then
      return 0
    fi
  done
  # bash 5.1+ runs every element of an array PROMPT_COMMAND: add ours as the first element.
  # Otherwise prepend to the string (element 0 of an array in older bash). First, so that it
  # sees the user's $? and hands it on unchanged.
  if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
    [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
    PROMPT_COMMAND=(__awsdo_hook "${PROMPT_COMMAND[@]}")
  else
    # shellcheck disable=SC2128,SC2178 # on purpose: a string, or element 0 of an array
    PROMPT_COMMAND="__awsdo_hook${PROMPT_COMMAND:+$'\n'${PROMPT_COMMAND}}"
  fi
}
__awsdo_register
\builtin complete -F __awsdo_complete awsdo

# Install: add to ~/.bashrc
#   eval "$(awsdo hook bash)"
