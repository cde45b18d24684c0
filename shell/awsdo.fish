# awsdo hook for fish: keeps this shell's AWS credentials in step with AWS_PROFILE.
#
# It decides with builtins alone whether anything changed, and starts no process when nothing did:
#   - setting AWS_PROFILE (an --on-variable handler) or a prompt where AWS_PROFILE differs from
#     AWSDO_PROFILE (the profile the current credentials are for);
#   - a prompt after the refresh time. fish has no clock builtin, so awsdo's export sets
#     AWSDO_REFRESH_FILE, a file whose mtime is the refresh time, and `path mtime --relative`
#     (fish 3.5+) gives now - mtime: negative until then, and no answer if the file is gone.
# Something changed: it runs `awsdo export fish` and sources what that prints (complete
# statements, or nothing); messages go to stderr.
#
# It also defines the function `awsdo`, so that `awsdo use PROFILE` switches this shell now
# (and `awsdo login` refreshes it at once), and completes `awsdo use <TAB>` with profile names.
#
# Private names start with __awsdo_. Formatted with fish_indent.

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

# The awsdo binary, filled in by `awsdo hook fish`.
set -g __awsdo_exe '@AWSDO_EXE@'
# The same binary's worker for `export`: awsdo-export beside it when installed (a warm
# switch without the network code), else awsdo itself.
set -g __awsdo_export_exe '@AWSDO_EXPORT_EXE@'

# ---------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------

# Runs the binary with $argv and sources its standard output with Ctrl-C held back: while any
# --on-signal INT handler exists fish does not cancel running code, so a temporary one keeps
# Ctrl-C from leaving half a credential set behind. The user's own handlers are not touched.
# Returns the binary's status, or source's when the binary succeeded.
# The output goes through a pipe into `read -z` (whole, byte for byte), not a command
# substitution: fish 3.6 sends a command substitution's stderr past the redirections of the
# calling function, so `awsdo use prod 2>/dev/null` would not silence the binary.
function __awsdo_apply --description 'awsdo: run the binary and source its output'
    set -l __awsdo_out
    command $__awsdo_export_exe $argv | read -z __awsdo_out
    set -l __awsdo_rc $pipestatus[1]
    if test -n "$__awsdo_out"
        function __awsdo_hold_int --on-signal INT
        end
        printf '%s' $__awsdo_out | source
        set -l __awsdo_eval_rc $status
        functions --erase __awsdo_hold_int
        if test $__awsdo_rc -eq 0
            set __awsdo_rc $__awsdo_eval_rc
        end
    end
    return $__awsdo_rc
end

# ---------------------------------------------------------------------------
# The hooks
# ---------------------------------------------------------------------------

# Returns 0 when the credentials must be brought up to date. Builtins only: no process.
function __awsdo_due
    if test "$AWS_PROFILE" != "$AWSDO_PROFILE"
        return 0
    end
    if test -z "$AWSDO_REFRESH_FILE"; or not builtin -q path
        return 1
    end
    # No mtime (file gone): refresh.
    set -l __awsdo_age (path mtime --relative -- $AWSDO_REFRESH_FILE); or return 0
    test "$__awsdo_age" -ge 0
end

# Both handlers hand $status back unchanged (fish restores it around events too; this also
# covers direct calls).
#
# Order among other hooks (DESIGN §6): fish runs the handlers of one event in the order they
# were defined, so awsdo's place among other fish_prompt handlers depends on the config file.
# It does not need one: the --on-variable handler applies a change of AWS_PROFILE the moment it
# is set, so when direnv's or mise's handler sets it (at fish_prompt, at fish_preexec, or on
# PWD) awsdo has run before that handler returns: before the next command, and before the
# fish_prompt function, where renderers (starship, tide) draw. The fish_prompt handler covers
# renewal, and an AWS_PROFILE set before this file was sourced.
function __awsdo_on_profile --on-variable AWS_PROFILE --description 'awsdo: AWS_PROFILE changed'
    set -l __awsdo_status $status
    # `awsdo use` sets AWS_PROFILE and then runs the export itself.
    if not set -q __awsdo_busy; and test "$AWS_PROFILE" != "$AWSDO_PROFILE"
        __awsdo_apply export fish
    end
    return $__awsdo_status
end

function __awsdo_on_prompt --on-event fish_prompt --description 'awsdo: check at each prompt'
    set -l __awsdo_status $status
    if __awsdo_due
        __awsdo_apply export fish
    end
    return $__awsdo_status
end

# ---------------------------------------------------------------------------
# awsdo use
# ---------------------------------------------------------------------------

# Sets AWS_PROFILE to $argv[1] (no argument: erases it) in the scope where the user's value
# lives. --no-scope-shadowing (here and in its callers) lets it see a calling function's
# locals: a local is changed or erased in place (`set -x` without a scope changes the innermost
# one), a global is changed, and a universal one (shared by every fish session and kept on
# disk) is never rewritten silently: `use` hides it behind a global for this shell, and
# `use --unset` erases it (fish passes an exported universal to commands even behind an
# unexported global, so erasing is the only way none is visible), saying so on stderr.
function __awsdo_set_profile --no-scope-shadowing
    set -g __awsdo_busy 1
    if set -q argv[1]
        if set -q -l AWS_PROFILE
            set -x AWS_PROFILE $argv[1]
        else
            if not set -q -g AWS_PROFILE; and set -q -U AWS_PROFILE
                printf 'awsdo: this shell now uses AWS_PROFILE=%s; the universal AWS_PROFILE (%s) is unchanged for other fish sessions\n' $argv[1] "$AWS_PROFILE" >&2
            end
            set -gx AWS_PROFILE $argv[1]
        end
    else
        set -e -l AWS_PROFILE
        set -e -g AWS_PROFILE
        if set -q -U AWS_PROFILE
            printf 'awsdo: erased the universal AWS_PROFILE (%s): every fish session loses it\n' "$AWS_PROFILE" >&2
            set -e -U AWS_PROFILE
        end
    end
    set -e -g __awsdo_busy
end

# Switches this shell to profile $argv[1] ('': no profile) as one step; $argv[2] is use or
# login. The binary works out the whole change with the target in its own environment only;
# the shell changes AWS_PROFILE and the credentials together, with Ctrl-C held back (see
# __awsdo_apply), and only when that succeeded. A failure leaves AWS_PROFILE, the
# credentials, the region and AWSDO_* exactly as they were, and returns 1 after one line.
function __awsdo_switch --no-scope-shadowing
    set -l __awsdo_out
    # `NAME=value command` sets a block-local AWS_PROFILE, which fires the --on-variable
    # handler: __awsdo_busy keeps it from switching the shell behind this function's back.
    set -g __awsdo_busy 1
    AWS_PROFILE=$argv[1] command $__awsdo_export_exe export fish --atomic $argv[2] | read -z __awsdo_out
    set -l __awsdo_rc $pipestatus[1]
    set -e -g __awsdo_busy
    if test $__awsdo_rc -ne 0
        return $__awsdo_rc
    end
    function __awsdo_hold_int --on-signal INT
    end
    if test -n "$argv[1]"
        __awsdo_set_profile $argv[1]
    else
        __awsdo_set_profile
    end
    printf '%s' $__awsdo_out | source
    set __awsdo_rc $status
    functions --erase __awsdo_hold_int
    return $__awsdo_rc
end

# `awsdo use PROFILE` / `awsdo use --unset` change this shell, so they must be a function.
# --no-scope-shadowing: called from a function, it sees that function's local AWS_PROFILE.
function awsdo --no-scope-shadowing --description 'awsdo; `awsdo use PROFILE` switches this shell'
    if test "$argv[1]" = use; and test (count $argv) -eq 1
        command $__awsdo_exe status
    else if test "$argv[1]" = use; and test (count $argv) -eq 2; and test "$argv[2]" = --unset
        __awsdo_switch '' use
    else if test "$argv[1]" = use; and test (count $argv) -eq 2; and test -n "$argv[2]"; and not string match -q -- '-*' $argv[2]
        __awsdo_switch $argv[2] use
    else if test "$argv[1]" = login
        # The cache now holds fresh credentials: bring this shell up to date at once instead
        # of keeping the old ones until the next renewal.
        command $__awsdo_exe $argv
        set -l __awsdo_rc $status
        if test $__awsdo_rc -ne 0
            return $__awsdo_rc
        end
        if test -n "$AWS_PROFILE"
            __awsdo_switch "$AWS_PROFILE" login
        end
    else
        command $__awsdo_exe $argv
    end
end

# Completes `awsdo use <TAB>` with profile names (fish merges these with clap's completions).
function __awsdo_completing_use
    set -l __awsdo_words (commandline -opc)
    test (count $__awsdo_words) -eq 2; and test "$__awsdo_words[2]" = use
end
# fish keeps every `complete` rule, so add ours only on the first source.
if not set -q __awsdo_completion
    set -g __awsdo_completion 1
    complete -c awsdo -n __awsdo_completing_use -f -a '(command $__awsdo_exe status --names 2>/dev/null)'
end

# Install: add to ~/.config/fish/config.fish
#   awsdo hook fish | source
