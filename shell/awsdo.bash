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
# The same binary's worker for `export`: awsdo-export beside it when installed (a warm
# switch without the network code), else awsdo itself.
__awsdo_export_exe='@AWSDO_EXPORT_EXE@'

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
  __awsdo_out=$(\command "${__awsdo_export_exe}" "$@") || __awsdo_rc=$?
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
  # Keep our place among the other prompt hooks (see Registration below), when they changed.
  if [[ "${PROMPT_COMMAND[*]-}|${__bp_imported-}|${precmd_functions[*]-}" != "${__awsdo_order-}" ]]; then
    __awsdo_place
  fi
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
  __awsdo_out=$(AWS_PROFILE="${1}" \command "${__awsdo_export_exe}" export bash --atomic "${2}") || return
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
# Registration (once, however often this file is sourced) and order among other hooks
# ---------------------------------------------------------------------------
#
# awsdo must run after the hooks that may change AWS_PROFILE, so that the first command after
# `cd` into a project whose .envrc sets AWS_PROFILE gets that profile's credentials, and before
# the prompt renderers, so that the prompt drawn after a switch shows it. The others register
# themselves in whatever order the rc file loads them: direnv (asdf-direnv too: it installs
# direnv's hook), mise and powerline-go put themselves in front of PROMPT_COMMAND, starship
# appends to bash-preexec's precmd_functions, and bash-preexec moves what PROMPT_COMMAND held
# behind its own precmd_functions runner at the first prompt.
#
# So awsdo does not rely on the rc file's order. It keeps only its own place in those lists,
# at every prompt and not just here (__awsdo_place): right after the last call of a known
# changer (__awsdo_changers), and also first when anything else runs before that changer (a
# renderer that put itself in front) or when there is no changer. Run twice, the hook costs
# a few microseconds the second time: its check is builtins only, so an unchanged prompt
# still starts no process. Whichever was sourced first, the order is right at the first prompt after the rc
# file in the usual cases (a changer loaded later puts itself in front, a renderer appends)
# and from the second prompt on in all others. Two alternatives were rejected: calling the
# changers' hooks ourselves would run them twice per prompt (direnv starts a process each
# time), and moving their entries would change lists that belong to them. What no order of
# awsdo's can fix: a renderer that runs before a changer draws what the changer has not set
# yet, with or without awsdo.

# Hooks that may change AWS_PROFILE: direnv's (also installed by asdf-direnv) and mise's.
__awsdo_changers=(_direnv_hook _mise_hook)

# Returns 0 when the code $1 holds something other than calls of changers.
__awsdo_other() {
  local __awsdo_s=$1 __awsdo_c
  for __awsdo_c in "${__awsdo_changers[@]}"; do
    __awsdo_s=${__awsdo_s//"${__awsdo_c}"/}
  done
  [[ -n ${__awsdo_s//[$' \t\n;']/} ]]
}

# For the code $1 (PROMPT_COMMAND, or one element of it) sets __awsdo_stripped to $1 without
# __awsdo_hook, and, when it calls a changer as a command of its own (alone between line
# ends or `;`), __awsdo_placed to that with __awsdo_hook on a line of its own right after the
# last such call, and __awsdo_before to the code before that call. Returns 1 when there is no
# such call (then __awsdo_placed is __awsdo_stripped and __awsdo_before is empty).
__awsdo_place_in() {
  local __awsdo_s=$1 __awsdo_c __awsdo_rest __awsdo_pre __awsdo_t __awsdo_at=-1 __awsdo_i
  # Our own entries, as this file writes them (a newline before, after a changer; a newline
  # after, in front) or as others left them (direnv's `;` after, or the end).
  __awsdo_s=${__awsdo_s//$'\n'__awsdo_hook/}
  __awsdo_s=${__awsdo_s//__awsdo_hook$'\n'/}
  __awsdo_s=${__awsdo_s//__awsdo_hook;/}
  __awsdo_s=${__awsdo_s%__awsdo_hook}
  __awsdo_stripped=${__awsdo_s}
  __awsdo_placed=${__awsdo_s}
  __awsdo_before=
  for __awsdo_c in "${__awsdo_changers[@]}"; do
    if [[ ${__awsdo_s} != *"${__awsdo_c}"* ]]; then
      continue
    fi
    __awsdo_rest=${__awsdo_s##*"${__awsdo_c}"}
    __awsdo_i=$((${#__awsdo_s} - ${#__awsdo_rest}))
    __awsdo_pre=${__awsdo_s:0:__awsdo_i-${#__awsdo_c}}
    # Before it: the start, a newline or `;`, then blanks only.
    __awsdo_t=${__awsdo_pre%"${__awsdo_pre##*[![:blank:]]}"}
    if [[ -n ${__awsdo_rest} && ${__awsdo_rest} != [$'\n;']* ]] ||
      [[ -n ${__awsdo_t} && ${__awsdo_t} != *[$'\n;'] ]]; then
      continue
    fi
    if ((__awsdo_i > __awsdo_at)); then
      __awsdo_at=${__awsdo_i}
      __awsdo_before=${__awsdo_pre}
    fi
  done
  if ((__awsdo_at < 0)); then
    return 1
  fi
  __awsdo_placed="${__awsdo_s:0:__awsdo_at}"$'\n'"__awsdo_hook${__awsdo_s:__awsdo_at}"
}

# Puts __awsdo_hook in its places (see above); assigns only what changes. Records the lists as
# it left them in __awsdo_order: the hook calls this only when they differ from that, which
# at nearly every prompt they do not.
__awsdo_place() {
  local __awsdo_placed __awsdo_stripped __awsdo_before __awsdo_name __awsdo_i
  local __awsdo_last=-1 __awsdo_bp='' __awsdo_front=''
  local -a __awsdo_list=()
  if [[ -n ${__bp_imported-} ]]; then
    # bash-preexec: precmd_functions run first (from its runner in PROMPT_COMMAND), then the
    # rest of PROMPT_COMMAND (where direnv and mise are). So awsdo is first in (or after a
    # changer in) precmd_functions, and also after a changer left in PROMPT_COMMAND.
    __awsdo_bp=1
    for __awsdo_name in ${precmd_functions[@]+"${precmd_functions[@]}"}; do
      if [[ ${__awsdo_name} != __awsdo_hook ]]; then
        __awsdo_list+=("${__awsdo_name}")
        if ! __awsdo_other "${__awsdo_name}"; then
          __awsdo_last=${#__awsdo_list[@]}
        fi
      fi
    done
    if ((__awsdo_last < 0)); then
      __awsdo_last=0
    fi
    __awsdo_list=(${__awsdo_list[@]+"${__awsdo_list[@]:0:__awsdo_last}"} __awsdo_hook
      ${__awsdo_list[@]+"${__awsdo_list[@]:__awsdo_last}"})
    if [[ "${precmd_functions[*]-}" != "${__awsdo_list[*]}" ]]; then
      precmd_functions=("${__awsdo_list[@]}")
    fi
    __awsdo_list=()
    __awsdo_last=-1
  fi
  if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
    [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
    # An array, and bash 5.1+ runs every element: ours goes in the element of the last
    # changer's call, and is an element of its own in front when needed.
    for __awsdo_i in "${!PROMPT_COMMAND[@]}"; do
      if __awsdo_place_in "${PROMPT_COMMAND[__awsdo_i]}"; then
        __awsdo_last=${#__awsdo_list[@]}
        __awsdo_front=${__awsdo_before}
      fi
      if [[ -n ${__awsdo_stripped} ]]; then
        __awsdo_list+=("${__awsdo_stripped}")
      fi
    done
    for ((__awsdo_i = 0; __awsdo_i < __awsdo_last; __awsdo_i++)); do
      __awsdo_front+=$'\n'${__awsdo_list[__awsdo_i]}
    done
    if ((__awsdo_last >= 0)); then
      __awsdo_place_in "${__awsdo_list[__awsdo_last]}" || :
      __awsdo_list[__awsdo_last]=${__awsdo_placed}
    fi
    if [[ -z ${__awsdo_bp} ]] && { ((__awsdo_last < 0)) || __awsdo_other "${__awsdo_front}"; }; then
      __awsdo_list=(__awsdo_hook ${__awsdo_list[@]+"${__awsdo_list[@]}"})
    fi
    if [[ ${#PROMPT_COMMAND[@]} -ne ${#__awsdo_list[@]} ||
      "${PROMPT_COMMAND[*]}" != "${__awsdo_list[*]-}" ]]; then
      PROMPT_COMMAND=(${__awsdo_list[@]+"${__awsdo_list[@]}"})
    fi
  else
    # A string (or an array in bash < 5.1, which runs element 0 only: that element).
    # shellcheck disable=SC2128 # on purpose: a string, or element 0 of an array
    if ! __awsdo_place_in "${PROMPT_COMMAND-}" || __awsdo_other "${__awsdo_before}"; then
      if [[ -z ${__awsdo_bp} ]]; then
        __awsdo_placed="__awsdo_hook${__awsdo_placed:+$'\n'${__awsdo_placed}}"
      fi
    fi
    # shellcheck disable=SC2128,SC2178 # on purpose: a string, or element 0 of an array
    if [[ ${__awsdo_placed} != "${PROMPT_COMMAND-}" ]]; then
      PROMPT_COMMAND=${__awsdo_placed}
    fi
  fi
  __awsdo_order="${PROMPT_COMMAND[*]-}|${__bp_imported-}|${precmd_functions[*]-}"
}
__awsdo_place
\builtin complete -F __awsdo_complete awsdo

# Install: add to ~/.bashrc
#   eval "$(awsdo hook bash)"
