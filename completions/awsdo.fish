# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_awsdo_global_optspecs
    string join \n r/role-arn= d/duration= n/serial-number= c/token-code= disable-cache format= login server p/profile= s/source-profile= h/help V/version
end

function __fish_awsdo_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_awsdo_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_awsdo_using_subcommand
    set -l cmd (__fish_awsdo_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c awsdo -n "__fish_awsdo_needs_command" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_needs_command" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_needs_command" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_needs_command" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_needs_command" -l format -d 'With no command: the format of the printed credentials (default: from $SHELL)' -r -f -a "bash\t'export statements for bash (POSIX quoting)'
zsh\t'export statements for zsh (POSIX quoting)'
fish\t'set -gx statements for fish (fish quoting)'
pwsh\t'$env: assignments for PowerShell'
nu\t'nushell: one JSON record {"set": {...}, "hide": []}, for `load-env $in.set`'
env\t'KEY=value lines'
json\t'one JSON object'"
complete -c awsdo -n "__fish_awsdo_needs_command" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_needs_command" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_needs_command" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_needs_command" -l login -d 'Open (or print, with no display) an AWS console sign-in URL for the credentials'
complete -c awsdo -n "__fish_awsdo_needs_command" -l server -d 'With a command: serve refreshing credentials from a local endpoint instead of putting keys in its environment, so it outlives its first session (also AWSDO_SERVER=1)'
complete -c awsdo -n "__fish_awsdo_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsdo -n "__fish_awsdo_needs_command" -s V -l version -d 'Print version'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "hook" -d 'Print the shell hook for the rc file: credentials then follow AWS_PROFILE'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "export" -d 'The hook\'s worker: print what brings this shell up to date, or nothing'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "status" -d 'Every profile with its kind and the remaining life of its cached session'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "credential-process" -d 'Print Version 1 JSON for `credential_process = awsdo credential-process -p NAME`'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "console" -d 'Open (or print) an AWS console sign-in URL for the profile\'s credentials'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "completions" -d 'Print a completion script (profile names are completed from your config)'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "man" -d 'Print a man page (roff), generated from this help: awsdo\'s, or a subcommand\'s'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "use" -d 'Switch this shell\'s profile now (a shell function installed by the hook)'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "login" -d 'Get fresh credentials now (asking for MFA if needed, signing in to IAM Identity Center for an SSO profile) and cache them'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "logout" -d 'Delete cached sessions (and sign out of IAM Identity Center for an SSO profile)'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "explain" -d 'How credentials for a profile are obtained; no network, no prompt'
complete -c awsdo -n "__fish_awsdo_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -l atomic -d 'Set by the hook\'s `awsdo use` / `awsdo login`: a switch that cannot complete prints nothing and exits 1, so the shell stays as it was; `use` reports success in a line' -r -f -a "use\t''
login\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -l force -d 'Refresh even when the shell is up to date (used by `awsdo use`)'
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -l names -d 'Print only the profile names, one per line (for shell completion)'
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand status" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand credential-process" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand console" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand man" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -l unset -d 'Remove AWS_PROFILE and the credentials awsdo exported'
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand use" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -l device-code -d 'SSO: sign in with a device code (a URL and a code to open anywhere) instead of this machine\'s browser; the default over SSH and without a display'
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand login" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -l all -d 'Delete every cached session of every profile'
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand logout" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s r -l role-arn -d 'Assume this role (overrides the profile\'s role_arn)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s d -l duration -d 'Session length: 1h, 90m, 1h30m, 3600 or 3600s' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s n -l serial-number -d 'MFA device ARN (overrides mfa_serial and discovery)' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s c -l token-code -d 'MFA code, for scripts and pipes where no terminal can be asked' -r
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s p -l profile -d 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s s -l source-profile -d 'Profile whose credentials are used to assume the role (overrides source_profile)' -r -f -a "(command awsdo status --names 2>/dev/null)\t''"
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -l json -d 'Print one JSON object (profile, region, steps, cache) instead of text'
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -l disable-cache -d 'Neither read nor write the cache'
complete -c awsdo -n "__fish_awsdo_using_subcommand explain" -s h -l help -d 'Print help'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "hook" -d 'Print the shell hook for the rc file: credentials then follow AWS_PROFILE'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "export" -d 'The hook\'s worker: print what brings this shell up to date, or nothing'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "status" -d 'Every profile with its kind and the remaining life of its cached session'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "credential-process" -d 'Print Version 1 JSON for `credential_process = awsdo credential-process -p NAME`'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "console" -d 'Open (or print) an AWS console sign-in URL for the profile\'s credentials'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "completions" -d 'Print a completion script (profile names are completed from your config)'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "man" -d 'Print a man page (roff), generated from this help: awsdo\'s, or a subcommand\'s'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "use" -d 'Switch this shell\'s profile now (a shell function installed by the hook)'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "login" -d 'Get fresh credentials now (asking for MFA if needed, signing in to IAM Identity Center for an SSO profile) and cache them'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "logout" -d 'Delete cached sessions (and sign out of IAM Identity Center for an SSO profile)'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "explain" -d 'How credentials for a profile are obtained; no network, no prompt'
complete -c awsdo -n "__fish_awsdo_using_subcommand help; and not __fish_seen_subcommand_from hook export status credential-process console completions man use login logout explain help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsdo -n "__fish_awsdo_using_subcommand use login logout explain" -f -a "(command awsdo status --names 2>/dev/null)" -d 'profile'
complete -c awsdo -s p -l profile -r -f -a "(command awsdo status --names 2>/dev/null)" -d 'profile'
complete -c awsdo -s s -l source-profile -r -f -a "(command awsdo status --names 2>/dev/null)" -d 'profile'
