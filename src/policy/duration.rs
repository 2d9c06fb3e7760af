//! A policy's `exceptions.maxDuration`, read once for validation and once for each
//! exception measured against it.

use std::time::Duration;

/// A policy's `maxDuration`: a number and a unit, `d`, `h`, `m` or `s`.
pub fn parse_max_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("maxDuration {text:?} is not a number with a unit d, h, m or s (e.g. 90d)");
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(n.checked_mul(seconds).ok_or_else(bad)?))
}
