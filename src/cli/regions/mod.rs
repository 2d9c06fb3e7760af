//! `sovereign regions`: the region catalog printed, so people can see what a jurisdiction
//! means before they apply it — every region, the regions of a country, what one name means
//! on each cloud, a preset's members, or exactly what each policy allows.

use std::path::PathBuf;

use super::ReportFormat;
use crate::catalog::{PresetName, Provider, iso};
use crate::files::FileError;

mod meaning;
mod rows;
mod scopes;

use self::meaning::{name_meaning, preset_text};
use self::rows::listing;
use self::scopes::policies;

/// `sovereign regions` arguments.
#[derive(Debug, clap::Args)]
pub struct RegionsArgs {
    /// A region, zone or multi-region name: what it means on each cloud, and whether it is
    /// ambiguous without `providers`.
    #[arg(value_name = "NAME", conflicts_with_all = ["country", "preset", "policies"])]
    pub name: Option<String>,
    /// Only the regions and zones located in these countries (ISO 3166-1 alpha-2; repeat or
    /// separate with commas).
    #[arg(long, value_name = "ID", value_delimiter = ',', value_parser = parse_country)]
    pub country: Vec<String>,
    /// Only these clouds' catalogs, e.g. `aws,gcp` (as a policy's spec.providers).
    #[arg(long, value_name = "KEYS", value_delimiter = ',', value_parser = parse_provider)]
    pub provider: Vec<Provider>,
    /// The member countries of a jurisdiction preset (EU, EEA, EU-ADEQUACY, ASEAN).
    #[arg(long, value_name = "NAME", value_parser = parse_preset, conflicts_with_all = ["country", "policies"])]
    pub preset: Option<PresetName>,
    /// SovereigntyPolicy files or directories: for each policy, jurisdiction and data class,
    /// the regions and zones it allows and the names it could not resolve.
    #[arg(short = 'p', long = "policies", value_name = "PATH", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

fn parse_country(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if iso::is_country(&code) {
        Ok(code)
    } else {
        let hint = iso::hint(&code).map(|h| format!(" ({h})")).unwrap_or_default();
        Err(format!("{text:?} is not an ISO 3166-1 alpha-2 country code such as ID or DE{hint}"))
    }
}

fn parse_provider(text: &str) -> Result<Provider, String> {
    Provider::parse(text).ok_or_else(|| {
        let keys: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown provider {text:?}; the catalog knows {}", keys.join(", "))
    })
}

fn parse_preset(text: &str) -> Result<PresetName, String> {
    PresetName::parse(text).ok_or_else(|| {
        let names: Vec<&str> = PresetName::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown preset {text:?}; the presets are {}", names.join(", "))
    })
}

/// Input `regions` cannot work with; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum RegionsError {
    #[error(transparent)]
    File(#[from] FileError),
}

/// What `regions` prints, and whether it found what was asked (exit 0) or not (exit 1:
/// an unknown name, or a policy that is invalid).
#[derive(Debug)]
pub struct RegionsOutput {
    pub text: String,
    pub found: bool,
}

pub fn run_regions(args: &RegionsArgs) -> Result<RegionsOutput, RegionsError> {
    if !args.policies.is_empty() {
        return policies(args);
    }
    if let Some(preset) = args.preset {
        return Ok(RegionsOutput { text: preset_text(preset, args.output), found: true });
    }
    if let Some(name) = &args.name {
        return Ok(name_meaning(name, &args.provider, args.output));
    }
    Ok(RegionsOutput { text: listing(&args.country, &args.provider, args.output), found: true })
}
