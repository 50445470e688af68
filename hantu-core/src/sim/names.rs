//! Plausible, unique Korean company names: a two-syllable brand plus a sector word
//! (`한진전자`, `세림바이오`), with `홀딩스`/a number appended on the rare collision.

use std::collections::BTreeSet;

use super::rng::SimRng;
use super::sectors::Sector;

const FIRST: [&str; 30] = [
    "한", "대", "동", "삼", "신", "세", "태", "우", "미", "경", "광", "금", "남", "서", "성", "영", "유", "일", "중",
    "진", "천", "청", "하", "현", "효", "새", "누", "다", "보", "아",
];
const SECOND: [&str; 25] = [
    "진", "성", "원", "양", "화", "일", "영", "신", "광", "우", "림", "산", "도", "명", "보", "아", "경", "한", "창",
    "해", "덕", "흥", "인", "지", "온",
];

/// Hands out names, never the same one twice. Call in a fixed order for reproducible names.
#[derive(Debug, Default)]
pub(super) struct NameBook {
    taken: BTreeSet<String>,
}

impl NameBook {
    /// A new name for a company in `sector`.
    pub(super) fn draw(&mut self, rng: &mut SimRng, sector: &Sector) -> String {
        for _ in 0..8 {
            let name = format!(
                "{}{}{}",
                FIRST[rng.below(FIRST.len() as u64) as usize],
                SECOND[rng.below(SECOND.len() as u64) as usize],
                sector.suffixes[rng.below(sector.suffixes.len() as u64) as usize]
            );
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
        let base = format!(
            "{}{}{}",
            FIRST[rng.below(FIRST.len() as u64) as usize],
            SECOND[rng.below(SECOND.len() as u64) as usize],
            sector.suffixes[0]
        );
        let mut n = 2;
        loop {
            let name = if n == 2 { format!("{base}홀딩스") } else { format!("{base}{n}") };
            if self.taken.insert(name.clone()) {
                return name;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Purpose;
    use super::super::sectors::SECTORS;
    use super::*;

    #[test]
    fn names_are_unique_even_when_crowded() {
        let mut book = NameBook::default();
        let mut rng = SimRng::stream(1, Purpose::Profile, &[]);
        let names: Vec<String> = (0..5_000).map(|_| book.draw(&mut rng, &SECTORS[2])).collect();
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.iter().all(|n| n.chars().count() >= 3));
    }
}
