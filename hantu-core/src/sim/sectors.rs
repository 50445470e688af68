//! The sectors of the simulated market: KRX industry names (2023 classification) with the
//! traits that shape their stocks' prices and fundamentals.

/// One sector and how its stocks behave.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sector {
    /// KRX industry name.
    pub name: &'static str,
    /// Relative number of KOSPI listings.
    pub kospi_weight: u32,
    /// Relative number of KOSDAQ (and KONEX) listings.
    pub kosdaq_weight: u32,
    /// Typical annualised idiosyncratic volatility.
    pub vol: f64,
    /// Typical market beta.
    pub beta: f64,
    /// Median price-to-book ratio.
    pub pbr: f64,
    /// Mean return on equity, percent.
    pub roe: f64,
    /// Median debt ratio, percent.
    pub debt: f64,
    /// Words that end company names in this sector.
    pub suffixes: &'static [&'static str],
}

#[allow(clippy::too_many_arguments, reason = "a positional row keeps the table below readable")]
const fn s(
    name: &'static str,
    kospi_weight: u32,
    kosdaq_weight: u32,
    vol: f64,
    beta: f64,
    pbr: f64,
    roe: f64,
    debt: f64,
    suffixes: &'static [&'static str],
) -> Sector {
    Sector { name, kospi_weight, kosdaq_weight, vol, beta, pbr, roe, debt, suffixes }
}

/// Weights follow the rough listing counts per market; biotech, IT and entertainment are
/// KOSDAQ-heavy, finance and utilities KOSPI-heavy.
pub(super) const SECTORS: [Sector; 22] = [
    s("음식료·담배", 4, 3, 0.28, 0.6, 0.9, 6.0, 90.0, &["식품", "푸드", "제과", "F&B"]),
    s("섬유·의류", 2, 2, 0.35, 0.8, 0.7, 4.0, 80.0, &["섬유", "패션", "어패럴", "방직"]),
    s("종이·목재", 1, 1, 0.30, 0.7, 0.6, 4.0, 110.0, &["제지", "페이퍼", "판지"]),
    s("화학", 8, 6, 0.38, 1.1, 1.0, 6.0, 90.0, &["화학", "케미칼", "소재", "켐텍"]),
    s("제약", 6, 12, 0.55, 0.9, 2.8, 2.0, 60.0, &["제약", "바이오", "파마", "사이언스", "헬스케어"]),
    s("비금속", 2, 1, 0.32, 0.9, 0.7, 5.0, 80.0, &["세라믹", "시멘트", "글라스"]),
    s("금속", 4, 3, 0.36, 1.2, 0.6, 6.0, 90.0, &["철강", "금속", "스틸", "메탈"]),
    s("기계·장비", 7, 10, 0.42, 1.1, 1.3, 5.0, 100.0, &["기계", "엔지니어링", "중공업", "로보틱스", "기공"]),
    s("전기·전자", 12, 20, 0.45, 1.3, 1.6, 7.0, 70.0, &["전자", "반도체", "디스플레이", "일렉트릭", "테크"]),
    s("의료·정밀기기", 2, 6, 0.48, 1.0, 2.2, 5.0, 50.0, &["메디칼", "메디텍", "광학", "정밀"]),
    s("운송장비·부품", 6, 5, 0.40, 1.2, 0.8, 6.0, 110.0, &["자동차", "오토텍", "정공", "모터스", "에어로"]),
    s("유통", 5, 4, 0.32, 0.8, 0.8, 5.0, 120.0, &["유통", "리테일", "상사", "쇼핑"]),
    s("전기·가스", 2, 1, 0.25, 0.5, 0.5, 4.0, 150.0, &["에너지", "가스", "전력", "파워"]),
    s("건설", 4, 3, 0.38, 1.1, 0.6, 5.0, 160.0, &["건설", "개발", "이앤씨", "토건"]),
    s("운송·창고", 3, 2, 0.36, 0.9, 0.9, 5.0, 140.0, &["해운", "물류", "로지스", "항공"]),
    s("통신", 1, 2, 0.25, 0.6, 0.8, 6.0, 110.0, &["텔레콤", "통신", "링크"]),
    s("금융", 5, 3, 0.28, 1.0, 0.4, 8.0, 800.0, &["금융지주", "캐피탈", "홀딩스", "파이낸셜"]),
    s("증권", 2, 1, 0.38, 1.3, 0.5, 7.0, 500.0, &["증권", "투자증권"]),
    s("보험", 2, 0, 0.30, 0.8, 0.4, 8.0, 900.0, &["생명", "화재", "손해보험"]),
    s("일반서비스", 4, 6, 0.40, 0.9, 1.5, 6.0, 80.0, &["서비스", "솔루션", "컨설팅", "에듀"]),
    s("IT 서비스", 3, 9, 0.50, 1.2, 2.4, 4.0, 50.0, &["소프트", "시스템", "데이타", "플랫폼", "네트웍스"]),
    s("오락·문화", 2, 5, 0.52, 1.0, 2.0, 3.0, 70.0, &["엔터테인먼트", "미디어", "게임즈", "스튜디오", "콘텐츠"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sane() {
        let mut names: Vec<_> = SECTORS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTORS.len());
        for s in &SECTORS {
            assert!(s.kospi_weight + s.kosdaq_weight > 0 && !s.suffixes.is_empty(), "{}", s.name);
            assert!(s.vol > 0.0 && s.beta > 0.0 && s.pbr > 0.0 && s.debt > 0.0, "{}", s.name);
        }
    }
}
