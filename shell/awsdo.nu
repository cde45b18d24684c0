# awsdo hook for nushell: keeps this shell's AWS credentials in step with AWS_PROFILE.
#
# At every prompt (a pre_prompt hook) it decides in nu code alone whether anything changed:
#   - $env.AWS_PROFILE differs from $env.AWSDO_PROFILE (the profile the credentials are for), or
#   - $env.AWSDO_REFRESH_AT (epoch seconds) is set and has passed (`date now`, a builtin).
# Nothing changed: no process is started. Something changed: it runs `awsdo export nu`, which
# prints one JSON record {"set": {NAME: value}, "hide": [NAME]}, and applies it with `load-env`
# and `hide-env`. Nothing awsdo prints is ever evaluated as code. Messages go to stderr.
#
# It also defines the command `awsdo`, so that `awsdo use PROFILE` switches this shell now
# (and `awsdo login` refreshes it at once), and completes `awsdo use <TAB>` with profile names.
#
# Tested with nu 0.108 (the npm release the tests use). Private names start with __awsdo_.
#
# Install (see the README):
#   awsdo hook nu | save -f ($nu.default-config-dir | path join awsdo.nu)
# and in config.nu:
#   source ($nu.default-config-dir | path join awsdo.nu)

# The awsdo binary, filled in by `awsdo hook nu`.
const __awsdo_exe = '@AWSDO_EXE@'
# The same binary's worker for `export`: awsdo-export beside it when installed (a warm
# switch without the network code), else awsdo itself.
const __awsdo_export_exe = '@AWSDO_EXPORT_EXE@'

# Applies a record printed by `awsdo export nu`; `extra` is merged into its "set" first and
# `drop` added to its "hide". The record is parsed whole before anything changes, so a
# truncated or garbled one changes nothing.
def --env __awsdo_load [out: string, extra: record = {}, drop: list<string> = []] {
  let rec = ($out | from json)
  let set = ($rec.set | merge $extra)
  let hide = ($rec.hide | append $drop)
  load-env $set
  if ($hide | is-not-empty) {
    hide-env --ignore-errors ...$hide
  }
}

# True when the credentials must be brought up to date. Builtins only: no process.
def __awsdo_due []: nothing -> bool {
  let want = ($env.AWS_PROFILE? | default '' | into string)
  let held = ($env.AWSDO_PROFILE? | default '' | into string)
  if $want != $held {
    return true
  }
  let at = ($env.AWSDO_REFRESH_AT? | default '' | into string)
  if ($at | is-empty) {
    return false
  }
  # Not a plain number (or too long for an int): let awsdo rewrite it.
  if not ($at =~ '^[0-9]{1,18}$') {
    return true
  }
  ((date now | into int) // 1_000_000_000) >= ($at | into int)
}

# Runs at every prompt. `complete` keeps the binary's status out of $env.LAST_EXIT_CODE, so
# the prompt still shows the user's.
def --env __awsdo_hook [] {
  if not (__awsdo_due) {
    return
  }
  let r = (run-external $__awsdo_export_exe 'export' 'nu' | complete)
  if ($r.stderr | is-not-empty) {
    print --stderr --no-newline $r.stderr
  }
  if ($r.stdout | is-not-empty) {
    try {
      __awsdo_load $r.stdout
    } catch {
      print --stderr 'awsdo: could not apply the output of `awsdo export nu`: not a record'
    }
  }
}

# Switches this shell to `profile` ('': no profile) as one step; `why` is use or login.
# The binary works out the whole change with the target in its own environment only; the
# shell changes AWS_PROFILE and the credentials together, and only when that succeeded.
# A failure leaves AWS_PROFILE, the credentials, the region and AWSDO_* exactly as they were,
# and is an error whose message is the binary's one line.
def --env __awsdo_switch [profile: string, why: string] {
  let r = (with-env {AWS_PROFILE: $profile} {
    run-external $__awsdo_export_exe 'export' 'nu' '--atomic' $why | complete
  })
  if $r.exit_code != 0 or ($r.stdout | is-empty) {
    let msg = ($r.stderr | str trim)
    error make --unspanned {
      msg: (if ($msg | is-empty) { $"awsdo: could not switch profile: awsdo exited with ($r.exit_code)" } else { $msg })
    }
  }
  # __awsdo_load parses the whole record before it changes anything.
  if ($profile | is-empty) {
    __awsdo_load $r.stdout {} [AWS_PROFILE]
  } else {
    __awsdo_load $r.stdout {AWS_PROFILE: $profile}
  }
  if ($r.stderr | is-not-empty) {
    print --stderr --no-newline $r.stderr
  }
}

# Completes `awsdo use <TAB>` with profile names (`awsdo status --names`: no network).
def __awsdo_complete [context: string] {
  let words = ($context | str trim --left | split row --regex '\s+')
  if ($words | length) == 3 and ($words | get 1) == 'use' {
    try {
      run-external $__awsdo_exe 'status' '--names' | complete | get stdout | lines
    } catch {
      []
    }
  } else {
    []
  }
}

# `awsdo use PROFILE` / `awsdo use --unset` change this shell, so awsdo is a nu command.
def --env --wrapped awsdo [...args: string@__awsdo_complete] {
  let n = ($args | length)
  let first = ($args.0? | default '')
  let second = ($args.1? | default '')
  if $first == 'use' and $n == 1 {
    run-external $__awsdo_exe 'status'
  } else if $first == 'use' and $n == 2 and $second == '--unset' {
    __awsdo_switch '' use
  } else if $first == 'use' and $n == 2 and ($second | is-not-empty) and not ($second | str starts-with '-') {
    __awsdo_switch $second use
  } else if $first == 'login' {
    # The cache now holds fresh credentials: bring this shell up to date at once instead of
    # keeping the old ones until the next renewal. A failed login stops here (nu's error).
    run-external $__awsdo_exe ...$args
    let profile = ($env.AWS_PROFILE? | default '' | into string)
    if ($profile | is-not-empty) {
      __awsdo_switch $profile login
    }
  } else {
    run-external $__awsdo_exe ...$args
  }
}

# Registration: once, however often this file is sourced (an earlier awsdo hook is replaced).
$env.config.hooks.pre_prompt = (
  $env.config.hooks.pre_prompt? | default []
  | where {|h| ($h | describe) != 'closure' or not (view source $h | str contains '__awsdo_hook') }
  | prepend {|| __awsdo_hook }
)
