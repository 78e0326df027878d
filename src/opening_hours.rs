//! The school's opening hours (`[classroom] hours`, e.g. `["lun-ven 07:30-19:00",
//! "sam 08:00-12:00"]`), read in the server's local time zone: whether pupils may write
//! now, and when writing opens or closes next.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Zoned;

/// One line of `hours`: some days of the week, from `start` to `end` (same day).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    /// Monday first.
    days: [bool; 7],
    start: Time,
    end: Time,
}

/// The week's opening hours; none: always open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OpeningHours {
    slots: Vec<Slot>,
}

/// Day names as a school writes them (French, short or long, with or without accents;
/// English too), Monday first.
const DAY_NAMES: [&[&str]; 7] = [
    &["lun", "lundi", "mon", "monday"],
    &["mar", "mardi", "tue", "tuesday"],
    &["mer", "mercredi", "wed", "wednesday"],
    &["jeu", "jeudi", "thu", "thursday"],
    &["ven", "vendredi", "fri", "friday"],
    &["sam", "samedi", "sat", "saturday"],
    &["dim", "dimanche", "sun", "sunday"],
];

fn day_index(name: &str) -> Option<usize> {
    let name = name.trim().to_lowercase();
    DAY_NAMES
        .iter()
        .position(|names| names.contains(&name.as_str()))
}

fn weekday_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

fn parse_time(text: &str) -> Option<Time> {
    let (hour, minute) = text.trim().split_once([':', 'h'])?;
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = if minute.is_empty() {
        0
    } else {
        minute.parse().ok()?
    };
    Time::new(hour, minute, 0, 0).ok()
}

/// `lun-ven`, `sam`, `lun,mer,ven`, `ven-lun` (through the weekend).
fn parse_days(text: &str) -> Option<[bool; 7]> {
    let mut days = [false; 7];
    for part in text.split(',') {
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (day_index(first)?, day_index(last)?);
                let mut day = first;
                loop {
                    days[day] = true;
                    if day == last {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days[day_index(part)?] = true,
        }
    }
    Some(days)
}

impl OpeningHours {
    /// Reads `hours`; the error names the line that is wrong and how to write it.
    pub(crate) fn parse(lines: &[String]) -> Result<OpeningHours, String> {
        let slots = lines
            .iter()
            .map(|line| {
                let bad = || {
                    format!(
                        "classroom.hours: {line:?} is not DAYS HH:MM-HH:MM \
                         (e.g. \"lun-ven 07:30-19:00\", \"sam 08:00-12:00\")"
                    )
                };
                let (days, times) = line
                    .trim()
                    .split_once(char::is_whitespace)
                    .ok_or_else(bad)?;
                let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
                let slot = Slot {
                    days: parse_days(days).ok_or_else(bad)?,
                    start: parse_time(start).ok_or_else(bad)?,
                    end: parse_time(end).ok_or_else(bad)?,
                };
                if slot.end <= slot.start {
                    return Err(format!(
                        "classroom.hours: {line:?} ends before it starts (one line per day part; \
                         nights are not opening hours)"
                    ));
                }
                Ok(slot)
            })
            .collect::<Result<_, _>>()?;
        Ok(OpeningHours { slots })
    }

    /// No hours configured: pupils may always write.
    pub(crate) fn always_open(&self) -> bool {
        self.slots.is_empty()
    }

    /// The server's local time now.
    pub(crate) fn now() -> Zoned {
        Zoned::now().with_time_zone(TimeZone::system())
    }

    pub(crate) fn is_open(&self, at: &Zoned) -> bool {
        self.always_open() || {
            let day = weekday_index(at.weekday());
            let time = at.time();
            self.slots
                .iter()
                .any(|slot| slot.days[day] && slot.start <= time && time < slot.end)
        }
    }

    /// When the next opening hour after `at` begins, within the coming week.
    pub(crate) fn next_opening(&self, at: &Zoned) -> Option<Zoned> {
        self.next_edge(at, |slot| slot.start)
    }

    /// When the opening hour `at` is in ends (or the next one, if closed), within the week.
    pub(crate) fn next_closing(&self, at: &Zoned) -> Option<Zoned> {
        self.next_edge(at, |slot| slot.end)
    }

    fn next_edge(&self, at: &Zoned, edge: fn(&Slot) -> Time) -> Option<Zoned> {
        let today: Date = at.date();
        let mut moments = Vec::new();
        for offset in 0..=7 {
            let Ok(date) = today.checked_add(jiff::Span::new().days(offset)) else {
                continue;
            };
            let day = weekday_index(date.weekday());
            for slot in self.slots.iter().filter(|slot| slot.days[day]) {
                if let Ok(moment) = date
                    .to_datetime(edge(slot))
                    .to_zoned(at.time_zone().clone())
                {
                    moments.push(moment);
                }
            }
        }
        moments.into_iter().filter(|moment| moment > at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Zoned {
        format!("{text}[UTC]").parse().unwrap()
    }

    fn school() -> OpeningHours {
        OpeningHours::parse(&["lun-ven 07:30-19:00".into(), "sam 08h-12h".into()]).unwrap()
    }

    #[test]
    fn a_school_week() {
        let hours = school();
        // 2026-12-07 is a Monday.
        assert!(hours.is_open(&at("2026-12-07T07:30")));
        assert!(hours.is_open(&at("2026-12-07T18:59")));
        assert!(!hours.is_open(&at("2026-12-07T19:00")));
        assert!(!hours.is_open(&at("2026-12-07T07:29")));
        assert!(hours.is_open(&at("2026-12-12T11:00")));
        assert!(!hours.is_open(&at("2026-12-13T11:00")));
        assert_eq!(
            hours.next_opening(&at("2026-12-07T20:00")),
            Some(at("2026-12-08T07:30"))
        );
        // Saturday after noon: Monday morning.
        assert_eq!(
            hours.next_opening(&at("2026-12-12T12:30")),
            Some(at("2026-12-14T07:30"))
        );
        assert_eq!(
            hours.next_closing(&at("2026-12-07T10:00")),
            Some(at("2026-12-07T19:00"))
        );
        assert!(OpeningHours::default().is_open(&at("2026-12-13T03:00")));
        assert_eq!(
            OpeningHours::default().next_opening(&at("2026-12-13T03:00")),
            None
        );
    }

    #[test]
    fn days_in_lists_ranges_and_languages() {
        let hours = OpeningHours::parse(&["Lundi,mer,FRI 10:00-11:00".into()]).unwrap();
        assert!(hours.is_open(&at("2026-12-09T10:30")));
        assert!(!hours.is_open(&at("2026-12-08T10:30")));
        let weekend = OpeningHours::parse(&["sam-dim 10:00-11:00".into()]).unwrap();
        assert!(weekend.is_open(&at("2026-12-13T10:30")));
        assert!(!weekend.is_open(&at("2026-12-11T10:30")));
    }

    #[test]
    fn bad_lines_are_named() {
        for bad in [
            "lun-ven",
            "lux 07:00-08:00",
            "lun 19:00-07:00",
            "lun 25:00-26:00",
            "",
        ] {
            let error = OpeningHours::parse(&[bad.into()]).unwrap_err();
            assert!(error.contains("classroom.hours"), "{bad}: {error}");
        }
    }
}
