//! The small value types of the catalogue, each parsed from the text the seed files use and
//! refusing values that cannot exist (a 30th of February, a track of `99:99`).

use std::cmp::Ordering;
use std::fmt;

/// A calendar date at the precision the source gives: a year, a month or a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (ISO 8601, years 0001 to 9999).
    pub fn parse(text: &str) -> Result<PartialDate, String> {
        let bad = || format!("\"{text}\" is not a date: write YYYY, YYYY-MM or YYYY-MM-DD");
        let mut parts = text.split('-');
        let year = parts
            .next()
            .and_then(|y| fixed_digits(y, 4))
            .ok_or_else(bad)?;
        let month = parts
            .next()
            .map(|m| fixed_digits(m, 2).ok_or_else(bad))
            .transpose()?;
        let day = parts
            .next()
            .map(|d| fixed_digits(d, 2).ok_or_else(bad))
            .transpose()?;
        if parts.next().is_some() {
            return Err(bad());
        }
        if year == 0 {
            return Err(format!("\"{text}\" is not a date: there is no year 0000"));
        }
        if let Some(m) = month
            && !(1..=12).contains(&m)
        {
            return Err(format!("\"{text}\" is not a date: there is no month {m}"));
        }
        if let (Some(m), Some(d)) = (month, day) {
            let last = days_in_month(year, m);
            if d == 0 || d > last {
                return Err(format!(
                    "\"{text}\" is not a date: month {m} of {year} has {last} days"
                ));
            }
        }
        Ok(PartialDate {
            year: year as u16,
            month: month.map(|m| m as u8),
            day: day.map(|d| d as u8),
        })
    }

    /// The key dates sort by: their start, and the coarser date first when two start together.
    pub fn sort_key(&self) -> u32 {
        u32::from(self.year) * 10_000
            + u32::from(self.month.unwrap_or(0)) * 100
            + u32::from(self.day.unwrap_or(0))
    }

    /// Whether `other` falls within the span this date names (2020 contains 2020-09-25).
    pub fn contains(&self, other: &PartialDate) -> bool {
        self.year == other.year
            && self.month.is_none_or(|m| other.month == Some(m))
            && self.day.is_none_or(|d| other.day == Some(d))
    }
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Exactly `len` ASCII digits, as a number.
fn fixed_digits(text: &str, len: usize) -> Option<u32> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A running time as printed on a sleeve (`03:46`), with its length in seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duration {
    pub text: Box<str>,
    pub seconds: u32,
}

impl Duration {
    /// Parses `mm:ss`: two or three digits of minutes, then two of seconds below 60.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a duration: write mm:ss, minutes and seconds in two digits each, seconds below 60"
            )
        };
        let (m, s) = text.split_once(':').ok_or_else(bad)?;
        let minutes = (2..=3)
            .find_map(|len| fixed_digits(m, len))
            .ok_or_else(bad)?;
        let seconds = fixed_digits(s, 2).filter(|s| *s < 60).ok_or_else(bad)?;
        Ok(Duration {
            text: text.into(),
            seconds: minutes * 60 + seconds,
        })
    }
}

/// An amount of money: a decimal string, never a float, and an ISO 4217 currency code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    pub amount: Box<str>,
    pub currency: Box<str>,
}

impl Money {
    pub fn parse_amount(text: &str) -> Result<(), String> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if digits(whole, 15) && (frac.is_empty() && !text.ends_with('.') || digits(frac, 6)) {
            Ok(())
        } else {
            Err(format!(
                "\"{text}\" is not an amount: write a decimal number such as \"16.98\""
            ))
        }
    }

    pub fn parse_currency(text: &str) -> Result<(), String> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(())
        } else {
            Err(format!(
                "\"{text}\" is not a currency: write its ISO 4217 code, such as \"USD\""
            ))
        }
    }
}

/// Checks an ISBN-13 (or ISBN-10) by its check digit, so that a mistyped number is caught.
pub fn check_isbn(text: &str) -> Result<(), String> {
    let digits: Vec<u32> = text
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| match c {
            'X' | 'x' => Some(10),
            c => c.to_digit(10),
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("\"{text}\" is not an ISBN: only digits and hyphens"))?;
    let valid = match digits.len() {
        13 if !digits.contains(&10) => {
            let sum: u32 = digits
                .iter()
                .enumerate()
                .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
                .sum();
            sum.is_multiple_of(10)
        }
        10 if !digits[..9].contains(&10) => {
            let sum: u32 = digits
                .iter()
                .enumerate()
                .map(|(i, d)| d * (10 - i as u32))
                .sum();
            sum.is_multiple_of(11)
        }
        _ => {
            return Err(format!(
                "\"{text}\" is not an ISBN: it needs 13 digits (or 10)"
            ));
        }
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "\"{text}\" is not an ISBN: its check digit is wrong"
        ))
    }
}

/// A slug: lowercase letters, digits and single hyphens, safe in a URL.
pub fn check_slug(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 120
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{text}\" is not a slug: use lowercase letters, digits and single hyphens (at most 120 characters)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let ok = |t: &str| PartialDate::parse(t).map(|d| d.to_string());
        assert_eq!(ok("2020"), Ok("2020".into()));
        assert_eq!(ok("2020-01"), Ok("2020-01".into()));
        assert_eq!(ok("2020-02-29"), Ok("2020-02-29".into()));
        for bad in [
            "2021-02-29",
            "1900-02-29",
            "2020-13",
            "2020-00",
            "2020-04-31",
            "0000",
            "20",
            "2020-1",
            "2020-01-01-01",
            "",
            "２０２０",
            "2020-09-25T00:00",
        ] {
            assert!(PartialDate::parse(bad).is_err(), "{bad} should be refused");
        }
        let d = |t| PartialDate::parse(t).unwrap();
        assert!(d("2020") < d("2020-01"));
        assert!(d("2020-01") < d("2020-01-01"));
        assert!(d("2020-12") < d("2021"));
        assert!(d("2020").contains(&d("2020-09-25")));
        assert!(!d("2020-08").contains(&d("2020-09-25")));
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("03:46").map(|d| d.seconds), Ok(226));
        assert_eq!(Duration::parse("00:50").map(|d| d.seconds), Ok(50));
        assert_eq!(Duration::parse("120:00").map(|d| d.seconds), Ok(7200));
        for bad in [
            "3:7",
            "-01:00",
            "99:99",
            "03:60",
            "0346",
            "03:4",
            ":",
            "03:46:00",
            "+1:00",
            "٠٣:٤٦",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn money_isbn_slug() {
        assert!(Money::parse_amount("16.98").is_ok());
        assert!(Money::parse_amount("16").is_ok());
        for bad in ["16.", ".98", "-1", "1e3", "16,98", ""] {
            assert!(Money::parse_amount(bad).is_err(), "{bad}");
        }
        assert!(Money::parse_currency("USD").is_ok());
        assert!(Money::parse_currency("usd").is_err());
        assert!(check_isbn("9787798425567").is_ok());
        assert!(check_isbn("9787798425568").is_err());
        assert!(check_isbn("0-306-40615-2").is_ok());
        assert!(check_isbn("97877984255").is_err());
        assert!(check_slug("leap-soundtrack-01").is_ok());
        for bad in ["Leap", "leap--x", "-leap", "leap-", "", "léap", "leap_x"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }
}
