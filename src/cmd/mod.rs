//! One file per subcommand; each is a thin layer over the modules that do the work.
//!
//! `Ctx` holds what every command needs: a snapshot of the environment (read once, never
//! modified: children get theirs explicitly), the profile files, and the resolver settings.

pub mod completions;
mod explain;
mod export;
mod hook;
mod run;
mod session;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cache::Cache;
use crate::cli::{Cli, Command, CredsArgs};
use crate::config::{Locations, Platform, ProfileSet};
use crate::creds::parse_duration;
use crate::deadline::Deadline;
use crate::mfa::CodeSource;
use crate::plan::{Overrides, Plan};
use crate::resolve::{DEFAULT_MIN_TTL, Resolver};
use crate::sts::{CaBundle, Endpoints, Net, Transport};

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
        None if !cli.command.is_empty() => run::exec(&ctx, &cli.command),
        None if cli.login => session::console(&ctx, None),
        None => run::print(&ctx, cli.format),
        Some(Command::Hook { shell }) => hook::print(shell),
        Some(Command::Export { shell, force }) => export::run(&ctx, shell, force),
        Some(Command::Use { .. }) => anyhow::bail!(
            "could not switch profile: `awsdo use` is a shell function; add the hook to your shell's rc file, e.g. eval \"$(awsdo hook bash)\""
        ),
        Some(Command::Explain { profile, json }) => explain::explain(&ctx, profile, json),
        Some(Command::Status { names }) => explain::status(&ctx, names),
        Some(Command::Login { profile }) => session::login(&ctx, profile),
        Some(Command::Logout { profile, all }) => session::logout(&ctx, profile, all),
        Some(Command::CredentialProcess) => session::credential_process(&ctx),
        Some(Command::Console) => session::console(&ctx, None),
        Some(Command::Completions { shell }) => completions::print(shell),
        Some(Command::Man { subcommand }) => completions::man(subcommand.as_deref()),
    }
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
    env: HashMap<String, String>,
    pub args: CredsArgs,
}

impl Ctx {
    /// The context of this process. Variables that are not UTF-8 are left out: none that awsdo
    /// reads can meaningfully be.
    pub fn from_process(args: CredsArgs) -> Ctx {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Ctx { env, args }
    }

    /// An environment variable, `None` when unset.
    pub fn var(&self, key: &str) -> Option<String> {
        self.env.get(key).cloned()
    }

    /// An environment variable, `None` when unset or empty.
    pub fn var_nonempty(&self, key: &str) -> Option<String> {
        self.env.get(key).filter(|v| !v.is_empty()).cloned()
    }

    /// The environment as a lookup function.
    pub fn getter(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |k| self.var(k)
    }

    /// The profile asked for: the positional argument, else `-p`, else `$AWS_PROFILE`, else
    /// `$AWS_DEFAULT_PROFILE`, else `default`.
    pub fn profile_name(&self, positional: Option<String>) -> String {
        positional
            .or_else(|| self.args.profile.clone())
            .unwrap_or_else(|| crate::config::profile_from_env(self.getter()))
    }

    /// Where the config and credentials files are.
    pub fn locations(&self) -> anyhow::Result<Locations> {
        Locations::from_env(self.getter(), Platform::current())
    }

    /// The parsed and merged profile files.
    pub fn profiles(&self) -> anyhow::Result<ProfileSet> {
        let locations = self.locations()?;
        crate::creds::warn_if_shared(&locations.credentials, self.cache().ok().flatten().as_ref());
        ProfileSet::load(&locations)
    }

    /// The command-line overrides for the plan.
    pub fn overrides(&self) -> anyhow::Result<Overrides> {
        Ok(Overrides {
            role_arn: self.args.role_arn.clone(),
            source_profile: self.args.source_profile.clone(),
            duration: self
                .args
                .duration
                .as_deref()
                .map(parse_duration)
                .transpose()?,
            serial_number: self.args.serial_number.clone(),
        })
    }

    /// The plan for `name` with this run's overrides.
    pub fn plan(&self, profiles: &ProfileSet, name: &str) -> anyhow::Result<Plan> {
        crate::plan::plan(profiles, name, &self.overrides()?)
    }

    /// The cache, unless `--disable-cache`.
    pub fn cache(&self) -> anyhow::Result<Option<Cache>> {
        if self.args.disable_cache {
            return Ok(None);
        }
        Cache::from_env(&self.getter()).map(Some)
    }

    /// Reuse window: `AWSDO_MIN_TTL` (`10m`, `900`…), default 15 minutes.
    pub fn min_ttl(&self) -> anyhow::Result<Duration> {
        match self.var_nonempty("AWSDO_MIN_TTL") {
            Some(v) => parse_duration(&v).context("could not read AWSDO_MIN_TTL"),
            None => Ok(DEFAULT_MIN_TTL),
        }
    }

    /// A resolver for this run. `may_prompt`: whether the terminal may be asked for codes;
    /// `budget`: an overall bound on network time, and the deadline of every other wait.
    pub fn resolver<'a>(
        &'a self,
        profiles: &'a ProfileSet,
        may_prompt: bool,
        budget: Option<Duration>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Resolver<'a>> {
        if let Some(code) = &self.args.token_code {
            crate::mfa::check_code(code)?;
        }
        // The trust settings come from the selected profile, as the AWS CLI reads them.
        let selected = self.profile_name(None);
        let ca_bundle = profiles
            .profile(&selected)
            .and_then(|p| p.get("ca_bundle"))
            .filter(|v| !v.trim().is_empty())
            .map(|v| CaBundle {
                path: v.trim().into(),
                origin: match self.locations() {
                    Ok(l) => format!(
                        "ca_bundle of profile {selected:?} in {}",
                        l.config.display()
                    ),
                    Err(_) => format!("ca_bundle of profile {selected:?}"),
                },
            });
        Ok(Resolver {
            profiles,
            cache: self.cache()?,
            net: Net::new(Endpoints::from_env(env), budget)
                .with_transport(Transport::from_env(env, ca_bundle))
                .for_profile(&selected),
            codes: CodeSource {
                flag: self.args.token_code.clone(),
                may_prompt,
            },
            min_ttl: self.min_ttl()?,
            env,
            force: false,
            deadline: Deadline::after(budget),
        })
    }
}
