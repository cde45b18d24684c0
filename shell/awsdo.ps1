# awsdo hook for PowerShell (pwsh 7, Windows PowerShell 5.1): keeps this session's AWS
# credentials in step with AWS_PROFILE.
#
# Before every prompt it decides in PowerShell alone whether anything changed:
#   - $Env:AWS_PROFILE differs from $Env:AWSDO_PROFILE (the profile the current credentials
#     are for), or
#   - $Env:AWSDO_REFRESH_AT (epoch seconds) is set and has passed.
# Nothing changed: no process is started. Something changed: it runs `awsdo export pwsh` and
# evaluates what that prints (complete statements, or nothing); messages go to stderr.
#
# It also defines the function `awsdo`, so that `awsdo use PROFILE` switches this session now
# (and `awsdo login` refreshes it at once).
#
# Private names start with __awsdo_. Safe under Set-StrictMode -Version Latest.

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

# The awsdo binary, filled in by `awsdo hook pwsh`.
$global:__awsdo_exe = '@AWSDO_EXE@'
# The same binary's worker for `export`: awsdo-export beside it when installed (a warm
# switch without the network code), else awsdo itself.
$global:__awsdo_export_exe = '@AWSDO_EXPORT_EXE@'

# ---------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------

# Runs the binary with the given arguments and evaluates its standard output with Ctrl-C
# read as input instead of breaking in, so it cannot leave half a credential set behind; the
# previous Ctrl-C setting comes back afterwards. Sets $global:LASTEXITCODE to the binary's.
function global:__awsdo_apply {
    $out = & $global:__awsdo_export_exe @args
    $rc = $LASTEXITCODE
    __awsdo_invoke -Code ($out | Out-String)
    $global:LASTEXITCODE = $rc
}

# Runs $First (if given), then evaluates $Code, with Ctrl-C held back as in __awsdo_apply.
function global:__awsdo_invoke {
    param([string]$Code, [scriptblock]$First)
    if ($null -eq $First -and $Code.Trim().Length -eq 0) {
        return
    }
    $held = $null
    try {
        # Throws without a console (redirected input): then there is no Ctrl-C to hold.
        $held = [Console]::TreatControlCAsInput
        [Console]::TreatControlCAsInput = $true
    } catch {
        $held = $null
    }
    try {
        if ($null -ne $First) {
            & $First
        }
        if ($Code.Trim().Length -gt 0) {
            Invoke-Expression -Command $Code
        }
    } finally {
        if ($null -ne $held) {
            [Console]::TreatControlCAsInput = $held
        }
    }
}

# Switches this session to profile $Name ('': no profile) as one step; $Why is use or login.
# The binary works out the whole change while AWS_PROFILE holds the target (PowerShell has
# no per-command environment, so the old value is put back at once, whatever happens); the
# session changes AWS_PROFILE and the credentials together, and only when that succeeded.
# A failure leaves AWS_PROFILE, the credentials, the region and AWSDO_* exactly as they were.
# Sets $global:LASTEXITCODE to the binary's status.
function global:__awsdo_switch {
    param([string]$Name, [string]$Why)
    $had = Test-Path -LiteralPath Env:AWS_PROFILE
    $old = $Env:AWS_PROFILE
    $rc = 1
    $out = $null
    try {
        if ($Name) {
            $Env:AWS_PROFILE = $Name
        } else {
            Remove-Item -LiteralPath Env:AWS_PROFILE -ErrorAction SilentlyContinue
        }
        $out = & $global:__awsdo_export_exe export pwsh --atomic $Why
        $rc = $LASTEXITCODE
    } finally {
        if ($had) {
            $Env:AWS_PROFILE = $old
        } else {
            Remove-Item -LiteralPath Env:AWS_PROFILE -ErrorAction SilentlyContinue
        }
    }
    if ($rc -eq 0) {
        $first = if ($Name) {
            { $Env:AWS_PROFILE = $Name }.GetNewClosure()
        } else {
            { Remove-Item -LiteralPath Env:AWS_PROFILE -ErrorAction SilentlyContinue }
        }
        __awsdo_invoke -Code ($out | Out-String) -First $first
    }
    $global:LASTEXITCODE = $rc
}

# ---------------------------------------------------------------------------
# The prompt hook
# ---------------------------------------------------------------------------

# Returns $true when the credentials must be brought up to date. No process is started.
function global:__awsdo_due {
    if ("$Env:AWS_PROFILE" -cne "$Env:AWSDO_PROFILE") {
        return $true
    }
    if (-not "$Env:AWSDO_REFRESH_AT") {
        return $false
    }
    $at = [long]0
    if (-not [long]::TryParse("$Env:AWSDO_REFRESH_AT", [ref]$at)) {
        # Not a number: let awsdo rewrite it.
        return $true
    }
    return [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() -ge $at
}

function global:__awsdo_hook {
    if (__awsdo_due) {
        __awsdo_apply export pwsh
    }
}

# ---------------------------------------------------------------------------
# awsdo use
# ---------------------------------------------------------------------------

# `awsdo use PROFILE` / `awsdo use --unset` change this session, so they must be a function.
# A failed export is reported as an error so that `awsdo use prod && terraform plan` stops.
function global:awsdo {
    $isUse = $args.Count -ge 1 -and "$($args[0])" -ceq 'use'
    if ($isUse -and $args.Count -eq 1) {
        & $global:__awsdo_exe status
        return
    }
    if ($isUse -and $args.Count -eq 2 -and "$($args[1])" -ceq '--unset') {
        __awsdo_switch -Name '' -Why use
    } elseif ($isUse -and $args.Count -eq 2 -and "$($args[1])" -and -not "$($args[1])".StartsWith('-')) {
        __awsdo_switch -Name "$($args[1])" -Why use
    } elseif ($args.Count -ge 1 -and "$($args[0])" -ceq 'login') {
        # The cache now holds fresh credentials: bring this session up to date at once.
        & $global:__awsdo_exe @args
        if ($global:LASTEXITCODE -ne 0 -or -not $Env:AWS_PROFILE) {
            return
        }
        __awsdo_switch -Name "$Env:AWS_PROFILE" -Why login
    } else {
        & $global:__awsdo_exe @args
        return
    }
    if ($global:LASTEXITCODE -ne 0) {
        Write-Error -Message "awsdo $($args[0]): exit status $global:LASTEXITCODE"
    }
}

# ---------------------------------------------------------------------------
# Registration (once, however often this file is evaluated)
# ---------------------------------------------------------------------------

# Wraps the current prompt function (starship's, oh-my-posh's, the default), so awsdo must be
# initialised after those: they replace the prompt function, and with it this wrapper. The flag
# keeps a second evaluation from wrapping the wrapper.
#
# Order among other hooks (DESIGN §6): the check runs before the wrapped prompt, so a renderer
# inside it draws a switch made at the command line, and again after it, so that a hook that
# may change AWS_PROFILE and wrapped the prompt before awsdo did (mise's) has run first: the
# next command gets the new profile's credentials whatever order $PROFILE loads them in. (A
# hook that wraps the prompt after awsdo runs before awsdo's wrapper anyway.) The second check
# costs nothing when nothing changed: no process is started.
if (-not (Get-Variable -Name __awsdo_hooked -Scope Global -ValueOnly -ErrorAction SilentlyContinue)) {
    $global:__awsdo_hooked = $true
    $global:__awsdo_prompt = $function:prompt
    function global:prompt {
        # The wrapped prompt must still see the user's $? and $LASTEXITCODE.
        $ok = $?
        $lastExit = Get-Variable -Name LASTEXITCODE -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        __awsdo_hook
        $global:LASTEXITCODE = $lastExit
        if (-not $ok) {
            # The one way to make $? false again: a non-terminating error, not recorded.
            Write-Error -Message 'awsdo: restore $?' -ErrorAction Ignore
        }
        if ($null -ne $global:__awsdo_prompt) {
            $text = & $global:__awsdo_prompt
        } else {
            $text = "PS $($ExecutionContext.SessionState.Path.CurrentLocation)$('>' * ($NestedPromptLevel + 1)) "
        }
        __awsdo_hook
        $global:LASTEXITCODE = $lastExit
        $text
    }
}

# Install: add to $PROFILE (after starship / oh-my-posh)
#   Invoke-Expression (& awsdo hook pwsh | Out-String)
