use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;
use sovereign::cli::{
    Cli, Command, Format, ReportFormat, crds_yaml, fix, output, report, run_check_at, run_regions, run_serve,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds => {
            print!("{}", crds_yaml());
            ExitCode::SUCCESS
        }
        Command::Serve(args) => match run_serve(*args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Report(args) => match report::run_report_at(
            &args.policies,
            &args.manifests,
            &args.inventory,
            args.now.unwrap_or_else(SystemTime::now),
        ) {
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
            Ok(rows) => {
                let text = match args.output {
                    ReportFormat::Text => report::text(&rows),
                    ReportFormat::Csv => report::csv(&rows),
                    ReportFormat::Json => serde_json::to_string_pretty(&rows).expect("rows serialize") + "\n",
                };
                let _ = std::io::stdout().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
        },
        Command::Regions(args) => match run_regions(&args) {
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
            Ok(out) => {
                let _ = std::io::stdout().write_all(out.text.as_bytes());
                if out.found { ExitCode::SUCCESS } else { ExitCode::from(1) }
            }
        },
        Command::Fix(args) => {
            let inputs = &args.inputs;
            match fix::run_fix(&inputs.policies, &inputs.manifests, &inputs.inventory, args.write) {
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
                Ok(report) => {
                    if !args.write {
                        let _ = std::io::stdout().write_all(fix::printed(&report).as_bytes());
                    }
                    eprint!("{}", fix::summary(&report, args.write));
                    ExitCode::SUCCESS
                }
            }
        }
        Command::Check(args) => {
            let now = args.inputs.now.unwrap_or_else(SystemTime::now);
            match run_check_at(&args.inputs.policies, &args.inputs.manifests, &args.inputs.inventory, now) {
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
                Ok(report) => {
                    let text = match args.output {
                        Format::Json => output::json(&report) + "\n",
                        Format::Text => output::text(&report, std::io::stdout().is_terminal()),
                    };
                    let _ = std::io::stdout().write_all(text.as_bytes());
                    if report.denied() { ExitCode::from(1) } else { ExitCode::SUCCESS }
                }
            }
        }
    }
}
