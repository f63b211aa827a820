//! Typed time phrases as tokens. One pass over the text, a bounded look at each position (the
//! vocabulary is a fixed table), so long input costs linear time and an unknown word stops it.

/// A word of the vocabulary, Japanese and English alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Today,
    Tomorrow,
    DayAfter,
    Tonight,
    /// 今週 / this
    ThisWeek,
    This,
    /// 来週
    NextWeek,
    /// 再来週
    WeekAfterNext,
    /// 次の / next / 今度の
    Next,
    /// Monday = 0 … Sunday = 6.
    Weekday(u8),
    /// January = 1.
    Month(u8),
    /// 年 月 日 時 分 半
    Nen,
    Gatsu,
    Nichi,
    Ji,
    Fun,
    Han,
    /// 時間, 週間: units of a length of time.
    Hours,
    Weeks,
    /// 後: "after" in 2時間後.
    Later,
    Am,
    Pm,
    Morning,
    Daytime,
    Evening,
    Night,
    Noon,
    Midnight,
    /// English units (`in 2 hours`, `1h30m`).
    UnitMinutes,
    UnitHours,
    UnitDays,
    UnitWeeks,
    In,
    /// `st nd rd th` after a day number.
    Ordinal,
    /// 〜 から to until till: the end of a range follows.
    RangeTo,
    /// Words that say nothing here: の に at on the of まで 頃 ごろ and, `t` of ISO 8601.
    Filler,
    /// `day` of "the day after tomorrow".
    Day,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A run of digits: its value (saturated) and how many digits it had.
    Num(u32, usize),
    Colon,
    Slash,
    Dash,
    Dot,
    Comma,
    Word(Word),
}

/// Japanese words, longest first where one is a prefix of another.
const JA: &[(&str, Word)] = &[
    ("明後日", Word::DayAfter),
    ("あさって", Word::DayAfter),
    ("今日", Word::Today),
    ("本日", Word::Today),
    ("きょう", Word::Today),
    ("明日", Word::Tomorrow),
    ("あした", Word::Tomorrow),
    ("あす", Word::Tomorrow),
    ("今夜", Word::Tonight),
    ("今晩", Word::Tonight),
    ("今週", Word::ThisWeek),
    ("再来週", Word::WeekAfterNext),
    ("来週", Word::NextWeek),
    ("次の", Word::Next),
    ("今度の", Word::Next),
    ("月曜日", Word::Weekday(0)),
    ("火曜日", Word::Weekday(1)),
    ("水曜日", Word::Weekday(2)),
    ("木曜日", Word::Weekday(3)),
    ("金曜日", Word::Weekday(4)),
    ("土曜日", Word::Weekday(5)),
    ("日曜日", Word::Weekday(6)),
    ("月曜", Word::Weekday(0)),
    ("火曜", Word::Weekday(1)),
    ("水曜", Word::Weekday(2)),
    ("木曜", Word::Weekday(3)),
    ("金曜", Word::Weekday(4)),
    ("土曜", Word::Weekday(5)),
    ("日曜", Word::Weekday(6)),
    // As our own output writes the weekday: 2026年12月18日(金).
    ("(月)", Word::Weekday(0)),
    ("(火)", Word::Weekday(1)),
    ("(水)", Word::Weekday(2)),
    ("(木)", Word::Weekday(3)),
    ("(金)", Word::Weekday(4)),
    ("(土)", Word::Weekday(5)),
    ("(日)", Word::Weekday(6)),
    ("火", Word::Weekday(1)),
    ("水", Word::Weekday(2)),
    ("木", Word::Weekday(3)),
    ("金", Word::Weekday(4)),
    ("土", Word::Weekday(5)),
    ("時間", Word::Hours),
    ("週間", Word::Weeks),
    ("分間", Word::Fun),
    ("年", Word::Nen),
    ("月", Word::Gatsu),
    ("日", Word::Nichi),
    ("時", Word::Ji),
    ("分", Word::Fun),
    ("半", Word::Han),
    ("後", Word::Later),
    ("午前", Word::Am),
    ("午後", Word::Pm),
    ("正午", Word::Noon),
    ("夕方", Word::Evening),
    ("深夜", Word::Night),
    ("朝", Word::Morning),
    ("昼", Word::Daytime),
    ("夜", Word::Night),
    ("晩", Word::Night),
    ("から", Word::RangeTo),
    ("まで", Word::Filler),
    ("ごろ", Word::Filler),
    ("頃", Word::Filler),
    ("の", Word::Filler),
    ("に", Word::Filler),
    ("~", Word::RangeTo),
];

/// English words (matched as whole runs of letters).
const EN: &[(&str, Word)] = &[
    ("today", Word::Today),
    ("tomorrow", Word::Tomorrow),
    ("tmrw", Word::Tomorrow),
    ("tonight", Word::Tonight),
    ("this", Word::This),
    ("next", Word::Next),
    ("day", Word::Day),
    ("after", Word::After),
    ("monday", Word::Weekday(0)),
    ("mon", Word::Weekday(0)),
    ("tuesday", Word::Weekday(1)),
    ("tue", Word::Weekday(1)),
    ("tues", Word::Weekday(1)),
    ("wednesday", Word::Weekday(2)),
    ("wed", Word::Weekday(2)),
    ("thursday", Word::Weekday(3)),
    ("thu", Word::Weekday(3)),
    ("thur", Word::Weekday(3)),
    ("thurs", Word::Weekday(3)),
    ("friday", Word::Weekday(4)),
    ("fri", Word::Weekday(4)),
    ("saturday", Word::Weekday(5)),
    ("sat", Word::Weekday(5)),
    ("sunday", Word::Weekday(6)),
    ("sun", Word::Weekday(6)),
    ("january", Word::Month(1)),
    ("jan", Word::Month(1)),
    ("february", Word::Month(2)),
    ("feb", Word::Month(2)),
    ("march", Word::Month(3)),
    ("mar", Word::Month(3)),
    ("april", Word::Month(4)),
    ("apr", Word::Month(4)),
    ("may", Word::Month(5)),
    ("june", Word::Month(6)),
    ("jun", Word::Month(6)),
    ("july", Word::Month(7)),
    ("jul", Word::Month(7)),
    ("august", Word::Month(8)),
    ("aug", Word::Month(8)),
    ("september", Word::Month(9)),
    ("sep", Word::Month(9)),
    ("sept", Word::Month(9)),
    ("october", Word::Month(10)),
    ("oct", Word::Month(10)),
    ("november", Word::Month(11)),
    ("nov", Word::Month(11)),
    ("december", Word::Month(12)),
    ("dec", Word::Month(12)),
    ("am", Word::Am),
    ("pm", Word::Pm),
    ("noon", Word::Noon),
    ("midday", Word::Noon),
    ("midnight", Word::Midnight),
    ("in", Word::In),
    ("minutes", Word::UnitMinutes),
    ("minute", Word::UnitMinutes),
    ("mins", Word::UnitMinutes),
    ("min", Word::UnitMinutes),
    ("m", Word::UnitMinutes),
    ("hours", Word::UnitHours),
    ("hour", Word::UnitHours),
    ("hrs", Word::UnitHours),
    ("hr", Word::UnitHours),
    ("h", Word::UnitHours),
    ("days", Word::UnitDays),
    ("d", Word::UnitDays),
    ("weeks", Word::UnitWeeks),
    ("week", Word::UnitWeeks),
    ("w", Word::UnitWeeks),
    ("st", Word::Ordinal),
    ("nd", Word::Ordinal),
    ("rd", Word::Ordinal),
    ("th", Word::Ordinal),
    ("to", Word::RangeTo),
    ("until", Word::RangeTo),
    ("till", Word::RangeTo),
    ("at", Word::Filler),
    ("on", Word::Filler),
    ("the", Word::Filler),
    ("of", Word::Filler),
    ("and", Word::Filler),
    ("t", Word::Filler),
];

/// Whether `word` (lower case) is one of ours: such a word is never taken for a zone name.
pub fn is_vocabulary(word: &str) -> bool {
    EN.iter().any(|(w, _)| *w == word)
}

/// Full-width ASCII and the ideographic space folded to ASCII, letters lower-cased, the wave
/// dashes (〜 ～ ~) to `~`, other dashes to `-`, `a.m.` / `p.m.` to `am` / `pm`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '〜' | '\u{2053}' => '~',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | 'ー' => '-',
            '、' => ',',
            c => c,
        };
        out.push(c.to_ascii_lowercase());
    }
    out.replace("a.m.", "am").replace("p.m.", "pm")
}

/// The tokens of normalized text, or `None` at the first thing that is not ours.
pub fn tokens(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c.is_ascii_digit() {
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let value = rest[..len].bytes().fold(0u32, |n, b| {
                n.saturating_mul(10).saturating_add(u32::from(b - b'0'))
            });
            out.push(Tok::Num(value, len));
            rest = &rest[len..];
            continue;
        }
        if c.is_ascii_alphabetic() {
            let len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let word = &rest[..len];
            let (_, w) = EN.iter().find(|(w, _)| *w == word)?;
            out.push(Tok::Word(*w));
            rest = &rest[len..];
            continue;
        }
        let punct = match c {
            ':' => Some(Tok::Colon),
            '/' => Some(Tok::Slash),
            '-' => Some(Tok::Dash),
            '.' => Some(Tok::Dot),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = punct {
            out.push(t);
            rest = &rest[1..];
            continue;
        }
        if let Some((w, word)) = JA.iter().find(|(w, _)| rest.starts_with(w)) {
            out.push(Tok::Word(*word));
            rest = &rest[w.len()..];
            continue;
        }
        // Brackets around anything but a weekday are only decoration.
        if matches!(c, '(' | ')' | '「' | '」') {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_words_and_full_width() {
        let t = tokens(&normalize("来週金曜 夜７時半")).unwrap();
        assert_eq!(
            t,
            vec![
                Tok::Word(Word::NextWeek),
                Tok::Word(Word::Weekday(4)),
                Tok::Word(Word::Night),
                Tok::Num(7, 1),
                Tok::Word(Word::Ji),
                Tok::Word(Word::Han),
            ]
        );
        assert_eq!(
            tokens(&normalize("Dec 18th 7:30P.M.")).unwrap(),
            vec![
                Tok::Word(Word::Month(12)),
                Tok::Num(18, 2),
                Tok::Word(Word::Ordinal),
                Tok::Num(7, 1),
                Tok::Colon,
                Tok::Num(30, 2),
                Tok::Word(Word::Pm),
            ]
        );
        assert_eq!(tokens("99999999999"), Some(vec![Tok::Num(u32::MAX, 11)]));
        assert_eq!(tokens("tomorrowish"), None);
        assert_eq!(tokens("明日 🎉"), None);
    }
}
