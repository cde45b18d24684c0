# awsdo hook for zsh: keeps this shell's AWS credentials in step with AWS_PROFILE.
#
# At every prompt (precmd) it decides in shell code alone whether anything changed:
#   - AWS_PROFILE differs from AWSDO_PROFILE (the profile the current credentials are for), or
#   - AWSDO_REFRESH_AT (epoch seconds) is set and has passed.
# Nothing changed: no process is started. Something changed: it runs `awsdo export zsh` and
# evaluates what that prints (complete statements, or nothing); messages go to stderr.
#
# It also defines the function `awsdo`, so that `awsdo use PROFILE` switches this shell now
# (and `awsdo login` refreshes it at once), and completes `awsdo use <TAB>` with profile names
# (when compinit has run).
#
# Private names start with __awsdo_. Functions use `emulate -L zsh`, so the user's options
# (KSH_ARRAYS, SH_WORD_SPLIT, ...) cannot change their meaning.

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

# The awsdo binary, filled in by `awsdo hook zsh`.
typeset -g __awsdo_exe='@AWSDO_EXE@'
# The same binary's worker for `export`: awsdo-export beside it when installed (a warm
# switch without the network code), else awsdo itself.
typeset -g __awsdo_export_exe='@AWSDO_EXPORT_EXE@'

# $EPOCHSECONDS: the clock without a fork.
zmodload zsh/datetime

# ---------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------

# Runs the binary with "$@" and evaluates its standard output with SIGINT ignored, so Ctrl-C
# cannot leave half a credential set behind. `emulate -L` sets LOCAL_TRAPS, so the user's INT
# trap (or TRAPINT) comes back by itself when the function returns.
# Returns the binary's status, or eval's when the binary succeeded.
__awsdo_apply() {
  emulate -L zsh
  local __awsdo_out
  integer __awsdo_rc=0 __awsdo_eval_rc=0
  __awsdo_out=$(command "$__awsdo_export_exe" "$@") || __awsdo_rc=$?
  if [[ -n $__awsdo_out ]]; then
    trap '' INT
    eval "$__awsdo_out" || __awsdo_eval_rc=$?
  fi
  (( __awsdo_rc != 0 )) || __awsdo_rc=$__awsdo_eval_rc
  return $__awsdo_rc
}

# ---------------------------------------------------------------------------
# The prompt hook
# ---------------------------------------------------------------------------

# Returns 0 when the credentials must be brought up to date. Builtins only: no process.
__awsdo_due() {
  emulate -L zsh
  [[ ${AWS_PROFILE-} != "${AWSDO_PROFILE-}" ]] && return 0
  [[ -z ${AWSDO_REFRESH_AT-} ]] && return 1
  # Not a plain number: let awsdo rewrite it (also keeps arithmetic from evaluating it as code).
  [[ $AWSDO_REFRESH_AT != <-> ]] && return 0
  (( EPOCHSECONDS >= 10#$AWSDO_REFRESH_AT ))
}

# Runs at every prompt; keeps $? for whatever runs after it.
__awsdo_hook() {
  local __awsdo_status=$?
  # Keep our place among the other prompt hooks (see Registration below), when they changed.
  [[ "${(pj:\n:)precmd_functions[@]-}|${(pj:\n:)chpwd_functions[@]-}" == "${__awsdo_order-}" ]] ||
    __awsdo_place
  if __awsdo_due; then
    __awsdo_apply export zsh || :
  fi
  return $__awsdo_status
}

# ---------------------------------------------------------------------------
# awsdo use
# ---------------------------------------------------------------------------

# Switches this shell to profile $1 (empty: no profile) as one step; $2 is use or login.
# The binary works out the whole change with the target in its own environment only; the
# shell changes AWS_PROFILE and the credentials together, with SIGINT ignored, and only when
# that succeeded. A failure leaves AWS_PROFILE, the credentials, the region and AWSDO_*
# exactly as they were, and returns 1 after one line on stderr.
#
# AWS_PROFILE changes where the user's value lives: `export` (typeset -gx) changes the nearest
# AWS_PROFILE in scope, a caller's `local -x` included (`typeset -x` in a function is global
# under the default GLOBAL_EXPORT option), and `unset` of a caller's local hides it without
# bringing an outer value back; the loop only matters if that ever changes.
__awsdo_switch() {
  emulate -L zsh
  local __awsdo_out
  if [[ ${(t)AWS_PROFILE} == *readonly* ]]; then
    print -ru2 -- 'awsdo: could not switch profile: AWS_PROFILE is read-only in this shell'
    return 1
  fi
  __awsdo_out=$(AWS_PROFILE=$1 command "$__awsdo_export_exe" export zsh --atomic "$2") || return
  trap '' INT
  if [[ -n $1 ]]; then
    export AWS_PROFILE="$1" || return
  else
    while (( ${+AWS_PROFILE} )); do
      unset -v AWS_PROFILE 2>/dev/null || return
    done
  fi
  eval "$__awsdo_out"
}

# `awsdo use PROFILE` / `awsdo use --unset` change this shell, so they must be a function.
function awsdo {
  emulate -L zsh
  if [[ ${1-} == use && $# -eq 1 ]]; then
    command "$__awsdo_exe" status
  elif [[ ${1-} == use && $# -eq 2 && $2 == --unset ]]; then
    __awsdo_switch '' use
  elif [[ ${1-} == use && $# -eq 2 && -n $2 && $2 != -* ]]; then
    __awsdo_switch "$2" use
  elif [[ ${1-} == login ]]; then
    # The cache now holds fresh credentials: bring this shell up to date at once instead of
    # keeping the old ones until the next renewal.
    command "$__awsdo_exe" "$@" || return
    if [[ -n ${AWS_PROFILE-} ]]; then
      __awsdo_switch "$AWS_PROFILE" login
    fi
  else
    command "$__awsdo_exe" "$@"
  fi
}

# Completes `awsdo use <TAB>` with profile names; anything else goes to clap's `_awsdo`
# (from `awsdo completions zsh`) when that is loaded.
__awsdo_complete() {
  emulate -L zsh
  if (( CURRENT == 3 )) && [[ ${words[2]-} == use ]]; then
    local -a __awsdo_names
    __awsdo_names=(${(f)"$(command "$__awsdo_exe" status --names 2>/dev/null)"})
    compadd -a __awsdo_names
  elif (( $+functions[_awsdo] )); then
    _awsdo "$@"
  fi
}

# ---------------------------------------------------------------------------
# Registration (once, however often this file is sourced) and order among other hooks
# ---------------------------------------------------------------------------
#
# awsdo must run after the hooks that may change AWS_PROFILE, so that the first command after
# `cd` into a project whose .envrc sets AWS_PROFILE gets that profile's credentials, and before
# the prompt renderers, so that the prompt drawn after a switch shows it. direnv (asdf-direnv
# too: it installs direnv's hook) and mise put themselves in front of precmd_functions and
# chpwd_functions; starship and other renderers append to precmd_functions; all in whatever
# order the rc file loads them.
#
# So awsdo does not rely on the rc file's order. It keeps only its own place in those lists,
# at every run of its hook and not just here (__awsdo_place): in precmd_functions right after
# the last known changer (__awsdo_changers), and also first when anything else runs before
# that changer or there is no changer; in chpwd_functions right after the last changer there
# (then `cd project && cmd` gets the project's credentials too), or nowhere. Run twice, the
# hook costs a few microseconds the second time: its check is builtins only, so an unchanged
# prompt still starts no process. Whichever was sourced first, the order is right at the first prompt after
# the rc file in the usual cases (a changer loaded later puts itself in front, a renderer
# appends) and from the second prompt on in all others. Rejected: calling the changers' hooks
# ourselves (they would run twice, direnv starting a process each time), and moving their
# entries (the lists are theirs). A renderer that runs before a changer draws what the changer
# has not set yet, with or without awsdo. zsh runs a copy of each list, so changing it from
# inside the hook is safe.

# Hooks that may change AWS_PROFILE: direnv's (also installed by asdf-direnv) and mise's.
typeset -ga __awsdo_changers
__awsdo_changers=(_direnv_hook _mise_hook)

# Puts __awsdo_hook in its places (see above); assigns only what changes. Records the lists as
# it left them in __awsdo_order: the hook calls this only when they differ from that, which
# at nearly every prompt they do not.
__awsdo_place() {
  emulate -L zsh
  local __awsdo_name __awsdo_c
  local -a __awsdo_fns
  integer __awsdo_at __awsdo_i
  for __awsdo_name in precmd_functions chpwd_functions; do
    __awsdo_fns=("${(@P)__awsdo_name}")
    __awsdo_fns=("${(@)__awsdo_fns:#__awsdo_hook}")
    __awsdo_at=0
    for __awsdo_c in $__awsdo_changers; do
      __awsdo_i=${__awsdo_fns[(Ie)$__awsdo_c]}
      (( __awsdo_i <= __awsdo_at )) || __awsdo_at=__awsdo_i
    done
    if (( __awsdo_at > 0 )); then
      __awsdo_fns[__awsdo_at+1,__awsdo_at]=(__awsdo_hook)
    fi
    # First too, when something other than a changer runs before the last changer.
    if [[ $__awsdo_name == precmd_functions ]] &&
      (( __awsdo_at == 0 || ${#${__awsdo_fns[1,__awsdo_at-1]:|__awsdo_changers}} > 0 )); then
      __awsdo_fns=(__awsdo_hook $__awsdo_fns)
    fi
    if [[ ${(pj:\n:)__awsdo_fns} != ${(@pj:\n:)${(@P)__awsdo_name}} ]]; then
      typeset -ga $__awsdo_name
      set -A $__awsdo_name "${__awsdo_fns[@]}"
    fi
  done
  typeset -g __awsdo_order="${(pj:\n:)precmd_functions[@]-}|${(pj:\n:)chpwd_functions[@]-}"
}

# An anonymous function, so that `emulate -L zsh` shields this from the user's options too.
() {
  emulate -L zsh
  __awsdo_place
  if (( $+functions[compdef] )); then
    compdef __awsdo_complete awsdo
  fi
}

# Install: add to ~/.zshrc (after compinit, for the completion)
#   eval "$(awsdo hook zsh)"
