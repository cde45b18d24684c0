//! One file per subcommand, and `Ctx`, what every command needs: a snapshot of the environment
//! (read once, never modified: children get theirs explicitly, see `env.rs`), the flags, and
//! the one road from a profile name to credentials. [`Ctx::prepare`] loads the files, runs the
//! config checks, plans, and sets up a resolver for the command's [`Mode`];
//! [`Ctx::credentials`] then resolves. `run`, `export`, `login`, `logout`, `credential-process`,
//! the console and `explain` all take it; `status` plans every profile itself (without the
//! checks, each row its own error) and reads the cache through [`Ctx::resolver`].
//!
//! The commands are not all thin: `export` holds the prompt hook's decisions, `session` the
//! logout rules and the console sign-in, `explain` the text and JSON of plans and the status
//! table.

pub mod completions;
mod explain;
mod export;
mod hook;
mod run;
mod session;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cache::Cache;
use crate::cli::{Cli, Command, CredsArgs};
use crate::config::{Locations, Platform, ProfileSet};
use crate::creds::{Credentials, parse_duration};
use crate::deadline::Deadline;
use crate::env::Env;
use crate::helper::Helpers;
use crate::mfa::CodeSource;
use crate::net::{CaBundle, Endpoints, Net, Transport};
use crate::plan::{Overrides, Plan};
use crate::resolve::{DEFAULT_MIN_TTL, Resolver};

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut ctx = Ctx::from_process(cli.creds.clone());
    // `awsdo login PROFILE` selects PROFILE as `-p PROFILE` would (its ca_bundle applies).
    if let Some(Command::Login {
        profile: Some(p), ..
    }) = &cli.subcommand
    {
        ctx.args.profile = Some(p.clone());
    }
    match cli.subcommand {
        None if !cli.command.is_empty() => {
            let server = cli.server || ctx.var("AWSDO_SERVER").as_deref() == Some("1");
            run::exec(&ctx, &cli.command, server)
        }
        None if cli.login => session::console(&ctx, None),
        None => run::print(&ctx, cli.format),
        Some(Command::Hook { shell }) => hook::print(shell),
        Some(Command::Export {
            shell,
            force,
            atomic,
        }) => export::run(&ctx, shell, force, atomic.as_deref()),
        Some(Command::Use { .. }) => anyhow::bail!(
            "could not switch: awsdo use PROFILE|--unset works through the hook; see: awsdo hook --help"
        ),
        Some(Command::Explain { profile, json }) => explain::explain(&ctx, profile, json),
        Some(Command::Status { names }) => explain::status(&ctx, names),
        Some(Command::Login {
            profile,
            device_code,
        }) => session::login(&ctx, profile, device_code),
        Some(Command::Logout { profile, all }) => session::logout(&ctx, profile, all),
        Some(Command::CredentialProcess) => session::credential_process(&ctx),
        Some(Command::Console) => session::console(&ctx, None),
        Some(Command::Completions { shell }) => completions::print(shell),
        Some(Command::Man { subcommand }) => completions::man(subcommand.as_deref()),
    }
}

/// The prompt hook's small binary (`src/bin/awsdo-export.rs`): `awsdo export SHELL [--atomic
/// use|login]` served from a fresh cache entry with no network code linked in. `None` for
/// anything else (another command line, or an export that needs more than the cache): nothing
/// was printed, and the caller hands the same command line to the full `awsdo`.
pub fn hook_export(argv: &[std::ffi::OsString]) -> Option<anyhow::Result<ExitCode>> {
    let cli = Cli::hook_command_line(argv)?;
    let Some(Command::Export {
        shell,
        force,
        atomic,
    }) = cli.subcommand
    else {
        return None;
    };
    let ctx = Ctx::from_process(cli.creds);
    export::run_cached(&ctx, shell, force, atomic.as_deref())
}

/// Write `text` to stdout in one go and flush it: output is complete or absent, never half
/// (the hook evaluates it). A closed pipe surfaces as an error `main` treats as success.
pub fn print_stdout(text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref())
        .and_then(|()| out.flush())
        .context("could not write to stdout")
}

/// What every command reads: the environment, the flags, and (lazily) the files.
pub struct Ctx {
    /// The environment as awsdo found it, the hook's state included.
    env: Env,
    /// The user's own environment (`Env::user`): what resolution reads and children start from.
    user: Env,
    pub args: CredsArgs,
}

impl Ctx {
    /// The context of this process.
    pub fn from_process(args: CredsArgs) -> Ctx {
        Ctx::with_env(Env::from_process(), args)
    }

    /// The context of a process started with `env`.
    pub fn with_env(env: Env, args: CredsArgs) -> Ctx {
        let user = env.user();
        Ctx { env, user, args }
    }

    /// An environment variable as awsdo found it (the hook's state included), `None` when
    /// unset or not UTF-8.
    pub fn var(&self, key: &str) -> Option<String> {
        self.env.var(key)
    }

    /// The environment as awsdo found it, the hook's state included (what `export` reads the
    /// hook's state from).
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// As [`Ctx::var`], `None` when empty too.
    pub fn var_nonempty(&self, key: &str) -> Option<String> {
        self.var(key).filter(|v| !v.is_empty())
    }

    /// The user's own environment (without what awsdo exported into the shell, see `env.rs`):
    /// the one children start from.
    pub fn user_env(&self) -> &Env {
        &self.user
    }

    /// The profile asked for: the positional argument, else `-p`, else `$AWS_PROFILE`, else
    /// `$AWS_DEFAULT_PROFILE`, else `default`.
    pub fn profile_name(&self, positional: Option<String>) -> String {
        positional
            .or_else(|| self.args.profile.clone())
            .unwrap_or_else(|| crate::config::profile_from_env(&self.user))
    }

    /// Where the config and credentials files are.
    pub fn locations(&self) -> anyhow::Result<Locations> {
        Locations::from_env(&self.user, Platform::current())
    }

    /// The parsed and merged profile files.
    pub fn profiles(&self) -> anyhow::Result<ProfileSet> {
        let locations = self.locations()?;
        crate::creds::warn_if_shared(&locations.credentials, self.cache().ok().flatten().as_ref());
        ProfileSet::load(&locations)
    }

    /// The command-line overrides for the plan.
    ///
    /// Errors (one line, before any network call) for values STS would refuse, as the config
    /// checks refuse them in a profile: botocore validates the same parameters before sending
    /// (`DurationSeconds` 900 to 129,600 — GetSessionToken's longest, 36 h; `RoleArn` at least
    /// 20 characters; `SerialNumber` at least 9).
    pub fn overrides(&self) -> anyhow::Result<Overrides> {
        let duration = self
            .args
            .duration
            .as_deref()
            .map(parse_duration)
            .transpose()?;
        if let Some(d) = duration
            && !(900..=129_600).contains(&d.as_secs())
        {
            anyhow::bail!(
                "could not use -d/--duration {}s: STS sessions last from 15 minutes (900 s) to 36 hours; pass e.g. -d 1h",
                d.as_secs()
            );
        }
        if let Some(arn) = &self.args.role_arn
            && (arn.len() < 20 || !arn.starts_with("arn:"))
        {
            anyhow::bail!(
                "could not use -r/--role-arn {}: not a role ARN; pass e.g. -r arn:aws:iam::123456789012:role/NAME",
                crate::escape::escape_short(arn, 64)
            );
        }
        if let Some(serial) = &self.args.serial_number
            && serial.len() < 9
        {
            anyhow::bail!(
                "could not use -n/--serial-number {}: not an MFA device (an ARN such as arn:aws:iam::123456789012:mfa/NAME, or a hardware serial)",
                crate::escape::escape_short(serial, 64)
            );
        }
        Ok(Overrides {
            role_arn: self.args.role_arn.clone(),
            source_profile: self.args.source_profile.clone(),
            duration,
            serial_number: self.args.serial_number.clone(),
        })
    }

    /// The plan for `name` with this run's overrides, after refusing a configuration the AWS
    /// CLI refuses (`config::validate`): every command plans through here.
    pub fn plan(&self, profiles: &ProfileSet, name: &str) -> anyhow::Result<Plan> {
        crate::config::validate(profiles, name, self.args.source_profile.as_deref())?;
        // The same environment the resolver reads, so a `credential_source = Environment`
        // key is digested from the keys it will use (the user's, never those awsdo exported).
        crate::plan::plan_with_env(profiles, name, &self.overrides()?, &self.user)
    }

    /// The cache, unless `--disable-cache`.
    pub fn cache(&self) -> anyhow::Result<Option<Cache>> {
        if self.args.disable_cache {
            return Ok(None);
        }
        Cache::from_env(&self.user).map(Some)
    }

    /// Reuse window: `AWSDO_MIN_TTL` (`10m`, `900`…), default 15 minutes.
    pub fn min_ttl(&self) -> anyhow::Result<Duration> {
        match self.var_nonempty("AWSDO_MIN_TTL") {
            Some(v) => parse_duration(&v).context("could not read AWSDO_MIN_TTL"),
            None => Ok(DEFAULT_MIN_TTL),
        }
    }

    /// The one road from a profile name to a plan and its resolver, for every command: the
    /// files, the profile (`positional`, else as [`Ctx::profile_name`] says), the config checks
    /// and the plan, then a resolver set up for `mode`. Nothing is fetched yet.
    pub fn prepare(&self, positional: Option<String>, mode: Mode) -> anyhow::Result<Prepared<'_>> {
        let profiles = self.profiles()?;
        let name = self.profile_name(positional);
        let plan = self.plan(&profiles, &name)?;
        let resolver = self.resolver(Some((&profiles, &plan)), mode)?;
        Ok(Prepared {
            profiles,
            plan,
            resolver,
        })
    }

    /// The road to its end: the profile's credentials (from the cache when fresh, else
    /// fetched, asking for MFA as `mode` allows) and the plan they are for.
    pub fn credentials(
        &self,
        positional: Option<String>,
        mode: Mode,
    ) -> anyhow::Result<(Credentials, Plan)> {
        let Prepared { plan, resolver, .. } = self.prepare(positional, mode)?;
        let got = resolver.resolve(&plan)?;
        Ok((got.credentials, plan))
    }

    /// A resolver for this run, set up for `mode`. `selected`: the files and the plan whose
    /// trust settings (`ca_bundle`) and profile name the network side takes; without one (a
    /// resolver that only reads the cache), none.
    pub fn resolver(
        &self,
        selected: Option<(&ProfileSet, &Plan)>,
        mode: Mode,
    ) -> anyhow::Result<Resolver<'_>> {
        if let Some(code) = &self.args.token_code {
            crate::mfa::check_code(code)?;
        }
        let helper_timeout = self
            .var_nonempty(crate::helper::TIMEOUT_VAR)
            .map(|v| parse_duration(&v))
            .transpose()
            .with_context(|| format!("could not read {}", crate::helper::TIMEOUT_VAR))?;
        // One deadline for the run: the resolver's waits and its helpers share it.
        let deadline = Deadline::after(mode.budget);
        // The trust settings come from the selected profile, as the AWS CLI reads them: the
        // plan carries its `ca_bundle`, the files say where it was set.
        let ca_bundle = selected.and_then(|(profiles, plan)| {
            let path = plan.ca_bundle.as_deref()?.trim();
            let name = &plan.profile;
            Some(CaBundle {
                path: path.into(),
                origin: match profiles.key_file(name, "ca_bundle") {
                    Some(file) => format!("ca_bundle of profile {name:?} in {}", file.display()),
                    None => format!("ca_bundle of profile {name:?}"),
                },
            })
        });
        let mut net = Net::new(Endpoints::from_env(&self.user), mode.budget)
            .with_transport(Transport::from_env(&self.user, ca_bundle));
        if let Some((_, plan)) = selected {
            net = net.for_profile(&plan.profile);
        }
        Ok(Resolver {
            cache: self.cache()?,
            net,
            codes: CodeSource {
                flag: self.args.token_code.clone(),
                may_prompt: mode.may_prompt,
                helpers: Helpers {
                    env: self.user.clone(),
                    deadline,
                    timeout: helper_timeout,
                },
            },
            min_ttl: self.min_ttl()?,
            env: &self.user,
            force: mode.force,
            deadline,
        })
    }
}

/// How a command travels the road ([`Ctx::prepare`], [`Ctx::credentials`]).
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Whether the terminal may be asked for MFA codes.
    pub may_prompt: bool,
    /// An overall bound on network time, and the deadline of every other wait (the prompt
    /// hook's `AWSDO_HOOK_TIMEOUT`); `None`: unbounded.
    pub budget: Option<Duration>,
    /// Fetch anew even when the cached entry is fresh.
    pub force: bool,
}

impl Mode {
    /// A command the user typed (`awsdo -- cmd`, `credential-process`, `console`): the
    /// terminal may be asked, no bound.
    pub const COMMAND: Mode = Mode {
        may_prompt: true,
        budget: None,
        force: false,
    };
    /// `awsdo login`: as a command, fetching anew.
    pub const LOGIN: Mode = Mode {
        force: true,
        ..Mode::COMMAND
    };
    /// Looking only (`explain`, `status`, `logout`): the files and the cache, never a prompt.
    pub const LOOK: Mode = Mode {
        may_prompt: false,
        budget: None,
        force: false,
    };
}

/// A profile on the road: the files it was planned from, its plan, and a resolver for it.
pub struct Prepared<'c> {
    pub profiles: ProfileSet,
    pub plan: Plan,
    pub resolver: Resolver<'c>,
}
