
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'awsdo' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'awsdo'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'awsdo' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'With no command: the format of the printed credentials (default: from $SHELL)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'Open (or print, with no display) an AWS console sign-in URL for the credentials')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'With a command: serve refreshing credentials from a local endpoint instead of putting keys in its environment, so it outlives its first session (also AWSDO_SERVER=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Print the shell hook for the rc file: credentials then follow AWS_PROFILE')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'The hook''s worker: print what brings this shell up to date, or nothing')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Every profile with its kind and the remaining life of its cached session')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print Version 1 JSON for `credential_process = awsdo credential-process -p NAME`')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open (or print) an AWS console sign-in URL for the profile''s credentials')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script (profile names are completed from your config)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), generated from this help: awsdo''s, or a subcommand''s')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Switch this shell''s profile now (a shell function installed by the hook)')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Get fresh credentials now (asking for MFA if needed, signing in to IAM Identity Center for an SSO profile) and cache them')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Delete cached sessions (and sign out of IAM Identity Center for an SSO profile)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'How credentials for a profile are obtained; no network, no prompt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsdo;hook' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'awsdo;export' {
            [CompletionResult]::new('--atomic', '--atomic', [CompletionResultType]::ParameterName, 'Set by the hook''s `awsdo use` / `awsdo login`: a switch that cannot complete prints nothing and exits 1, so the shell stays as it was; `use` reports success in a line')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Refresh even when the shell is up to date (used by `awsdo use`)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'awsdo;status' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--names', '--names', [CompletionResultType]::ParameterName, 'Print only the profile names, one per line (for shell completion)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;credential-process' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;console' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;completions' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'awsdo;man' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;use' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove AWS_PROFILE and the credentials awsdo exported')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;login' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'SSO: sign in with a device code (a URL and a code to open anywhere) instead of this machine''s browser; the default over SSH and without a display')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;logout' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every cached session of every profile')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;explain' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Assume this role (overrides the profile''s role_arn)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session length: 1h, 90m, 1h30m, 3600 or 3600s')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('--serial-number', '--serial-number', [CompletionResultType]::ParameterName, 'MFA device ARN (overrides mfa_serial and discovery)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('--token-code', '--token-code', [CompletionResultType]::ParameterName, 'MFA code, for scripts and pipes where no terminal can be asked')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials are used to assume the role (overrides source_profile)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object (profile, region, steps, cache) instead of text')
            [CompletionResult]::new('--disable-cache', '--disable-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'awsdo;help' {
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Print the shell hook for the rc file: credentials then follow AWS_PROFILE')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'The hook''s worker: print what brings this shell up to date, or nothing')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Every profile with its kind and the remaining life of its cached session')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print Version 1 JSON for `credential_process = awsdo credential-process -p NAME`')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open (or print) an AWS console sign-in URL for the profile''s credentials')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script (profile names are completed from your config)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), generated from this help: awsdo''s, or a subcommand''s')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Switch this shell''s profile now (a shell function installed by the hook)')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Get fresh credentials now (asking for MFA if needed, signing in to IAM Identity Center for an SSO profile) and cache them')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Delete cached sessions (and sign out of IAM Identity Center for an SSO profile)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'How credentials for a profile are obtained; no network, no prompt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsdo;help;hook' {
            break
        }
        'awsdo;help;export' {
            break
        }
        'awsdo;help;status' {
            break
        }
        'awsdo;help;credential-process' {
            break
        }
        'awsdo;help;console' {
            break
        }
        'awsdo;help;completions' {
            break
        }
        'awsdo;help;man' {
            break
        }
        'awsdo;help;use' {
            break
        }
        'awsdo;help;login' {
            break
        }
        'awsdo;help;logout' {
            break
        }
        'awsdo;help;explain' {
            break
        }
        'awsdo;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
