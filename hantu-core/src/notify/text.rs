//! Text for chat transports: escaping for Telegram's parse modes and splitting a long message into
//! pieces under a length limit. Pure functions; the transports call them.

use serde::{Deserialize, Serialize};

use super::template::Rendered;

/// Telegram's `sendMessage` limit, in characters after entity parsing.
pub const TELEGRAM_LIMIT: usize = 4096;

/// How Telegram should parse the text we send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParseMode {
    /// `HTML`: only `&`, `<`, `>` need escaping, so it survives any text. The default.
    #[default]
    Html,
    /// `MarkdownV2`: eighteen characters need a backslash.
    MarkdownV2,
    /// No markup at all.
    Plain,
}

impl ParseMode {
    /// The value of Telegram's `parse_mode` field (`None` for plain text).
    #[must_use]
    pub const fn telegram_name(self) -> Option<&'static str> {
        match self {
            ParseMode::Html => Some("HTML"),
            ParseMode::MarkdownV2 => Some("MarkdownV2"),
            ParseMode::Plain => None,
        }
    }

    /// Parses `html`, `markdown_v2` (or `markdownv2`) or `plain`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "html" => Some(ParseMode::Html),
            "markdown_v2" | "markdownv2" => Some(ParseMode::MarkdownV2),
            "plain" | "none" => Some(ParseMode::Plain),
            _ => None,
        }
    }

    /// Escapes `s` so Telegram shows it literally.
    #[must_use]
    pub fn escape(self, s: &str) -> String {
        match self {
            ParseMode::Html => escape_html(s),
            ParseMode::MarkdownV2 => escape_markdown_v2(s),
            ParseMode::Plain => s.to_owned(),
        }
    }

    /// `s` (already escaped) in bold.
    #[must_use]
    pub fn bold(self, escaped: &str) -> String {
        match self {
            ParseMode::Html => format!("<b>{escaped}</b>"),
            ParseMode::MarkdownV2 => format!("*{escaped}*"),
            ParseMode::Plain => escaped.to_owned(),
        }
    }
}

/// Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`).
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Telegram's MarkdownV2 parse mode: every character the mode reserves gets a
/// backslash, the backslash included.
#[must_use]
pub fn escape_markdown_v2(s: &str) -> String {
    const RESERVED: &str = "_*[]()~`>#+-=|{}.!\\";
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        if RESERVED.contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Splits `text` into pieces of at most `limit` characters, preferring to cut after a newline,
/// then after a space (either in the second half of the piece), and only then inside a word. Concatenating the pieces gives `text` back.
/// An empty text is one empty piece; a `limit` of 0 is treated as 1.
#[must_use]
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.chars().count() > limit {
        // Byte offset just past the `limit`-th character.
        let hard = rest.char_indices().nth(limit).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..hard];
        // A natural break only counts in the second half of the window, so a piece is never tiny.
        let half = hard / 2;
        let cut = window
            .rfind('\n')
            .map(|i| i + 1)
            .filter(|&i| i > half)
            .or_else(|| window.rfind(' ').map(|i| i + 1).filter(|&i| i > half))
            .unwrap_or(hard);
        pieces.push(rest[..cut].to_owned());
        rest = &rest[cut..];
    }
    pieces.push(rest.to_owned());
    pieces
}

/// A rendered message as Telegram messages in `mode`: split under `limit` characters (counted on
/// the text a person sees, which is what Telegram limits), each piece escaped, the title in bold.
#[must_use]
pub fn telegram_messages(r: &Rendered, mode: ParseMode, limit: usize) -> Vec<String> {
    let plain = r.plain();
    split(&plain, limit)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| match piece.strip_prefix(r.title.as_str()) {
            Some(rest) if i == 0 && !r.title.is_empty() => {
                format!("{}{}", mode.bold(&mode.escape(&r.title)), mode.escape(rest))
            }
            _ => mode.escape(&piece),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_exactly_the_three_reserved_characters() {
        assert_eq!(escape_html("a<b> & \"c\" 'd'"), "a&lt;b&gt; &amp; \"c\" 'd'");
        assert_eq!(escape_html("삼성전자 +1.5%"), "삼성전자 +1.5%");
    }

    #[test]
    fn markdown_v2_escapes_every_reserved_character() {
        assert_eq!(escape_markdown_v2("+1.23% (x)"), "\\+1\\.23% \\(x\\)");
        assert_eq!(
            escape_markdown_v2("a_b*c[d]e~f`g>h#i-j=k|l{m}n!o\\"),
            "a\\_b\\*c\\[d\\]e\\~f\\`g\\>h\\#i\\-j\\=k\\|l\\{m\\}n\\!o\\\\"
        );
    }

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("hello", 10), vec!["hello"]);
        assert_eq!(split("", 10), vec![""]);
    }

    #[test]
    fn long_text_splits_on_newlines_then_spaces_then_anywhere() {
        let text = "line one\nline two\nline three";
        let parts = split(text, 12);
        assert_eq!(parts, vec!["line one\n", "line two\n", "line three"]);
        assert_eq!(split("aaaa bbbb cccc", 10), vec!["aaaa bbbb ", "cccc"]);
        assert_eq!(split("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn splitting_counts_characters_not_bytes_and_loses_nothing() {
        let text = "가나다라마바사아자차카타파하".repeat(700); // 9,800 characters, 29,400 bytes
        let parts = split(&text, TELEGRAM_LIMIT);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= TELEGRAM_LIMIT));
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn telegram_messages_bold_the_title_and_escape_every_piece() {
        let r = Rendered { title: "A<B".into(), body: "x & y".into() };
        assert_eq!(telegram_messages(&r, ParseMode::Html, TELEGRAM_LIMIT), vec!["<b>A&lt;B</b>\nx &amp; y"]);
        assert_eq!(telegram_messages(&r, ParseMode::MarkdownV2, TELEGRAM_LIMIT), vec!["*A<B*\nx & y"]);
        let long = Rendered { title: "T".into(), body: "<>".repeat(3000) };
        let parts = telegram_messages(&long, ParseMode::Html, TELEGRAM_LIMIT);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].starts_with("<b>T</b>\n&lt;&gt;"));
        assert!(parts[1].starts_with("&lt;") || parts[1].starts_with("&gt;"));
    }
}
