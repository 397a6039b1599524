//! Search snippets (ssr-only): the passage of a found article that shows why it matched, with
//! the matched words marked, found in Rust in linear time.
//!
//! FTS5's `snippet()` scores a window at every hit against every other hit of the row, so its
//! cost is quadratic in the hits: an article of 32,000 times one word took 6.3 s of CPU per
//! search (issue 32, F10). Here the text is read once, word by word, the same way the index
//! splits it (letters and digits, case and Latin diacritics folded), only the first `MAX_HITS`
//! hits are kept, and the best window of `WINDOW_WORDS` words among them is chosen: at most
//! `MAX_HITS²` steps whatever the text.

use crate::model::search::SnippetPart;

/// Words a snippet shows (as FTS5's `snippet(…, 24)` did).
pub const WINDOW_WORDS: usize = 24;
/// Hits of a text that are looked at to place its window; later ones are not read.
pub const MAX_HITS: usize = 64;
/// Marks a snippet that starts or ends inside its text.
const ELLIPSIS: &str = "…";

/// The words a query matches: each whole, the last also as a prefix when `prefix`.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Folded (`fold`), in query order.
    words: Vec<String>,
    prefix: bool,
}

impl Terms {
    /// `words` as typed (`service::search::query_words`); the last matches as a prefix when
    /// `prefix`.
    pub fn new(words: &[String], prefix: bool) -> Self {
        let words = words
            .iter()
            .map(|w| {
                let mut folded = String::new();
                fold(w, &mut folded);
                folded
            })
            .collect();
        Self { words, prefix }
    }

    /// Which word of the query a folded word of the text matches, if any.
    fn matches(&self, word: &str) -> Option<usize> {
        let last = self.words.len().checked_sub(1)?;
        self.words.iter().enumerate().find_map(|(i, w)| {
            let hit = if i == last && self.prefix {
                word.starts_with(w.as_str())
            } else {
                word == w
            };
            hit.then_some(i)
        })
    }
}

/// Appends `word` lower-cased and with the diacritics of Latin letters taken off (`é` is `e`,
/// `Ü` is `u`), as the index's tokenizer (`unicode61 remove_diacritics 2`) reads it.
fn fold(word: &str, out: &mut String) {
    for c in word.chars().flat_map(char::to_lowercase) {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        // Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional.
        let latin = matches!(c, '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}');
        match deunicode::deunicode_char(c) {
            Some(base) if latin && base.len() == 1 && base.as_bytes()[0].is_ascii_alphabetic() => {
                out.push(base.as_bytes()[0].to_ascii_lowercase() as char);
            }
            _ => out.push(c),
        }
    }
}

/// A word of a text: its byte range.
type Span = (usize, usize);

/// The words of `text` (runs of letters and digits), as byte ranges.
fn words(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                spans.push((from, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        spans.push((from, text.len()));
    }
    spans
}

/// Where a text matched: its words, and its first hits as (word index, query word).
struct Found<'a> {
    text: &'a str,
    spans: Vec<Span>,
    hits: Vec<(usize, usize)>,
}

impl<'a> Found<'a> {
    fn scan(text: &'a str, terms: &Terms) -> Self {
        let spans = words(text);
        let mut hits = Vec::new();
        let mut folded = String::new();
        for (i, &(from, to)) in spans.iter().enumerate() {
            folded.clear();
            fold(&text[from..to], &mut folded);
            if let Some(term) = terms.matches(&folded) {
                hits.push((i, term));
                if hits.len() == MAX_HITS {
                    break;
                }
            }
        }
        Self { text, spans, hits }
    }

    /// The best window's first word and its score: the most different query words, then the
    /// most hits, the earliest on a tie. `None` without hits.
    fn best(&self) -> Option<(usize, (usize, usize))> {
        let mut best: Option<(usize, (usize, usize))> = None;
        for (i, &(first, _)) in self.hits.iter().enumerate() {
            let mut seen = [false; 64];
            let (mut distinct, mut count, mut last) = (0, 0, first);
            for &(at, term) in self.hits[i..]
                .iter()
                .take_while(|(at, _)| *at < first + WINDOW_WORDS)
            {
                count += 1;
                last = at;
                if let Some(s) = seen.get_mut(term)
                    && !*s
                {
                    *s = true;
                    distinct += 1;
                }
            }
            let score = (distinct, count);
            if best.is_none_or(|(_, b)| score > b) {
                // The hits in the middle of the window.
                let lead = (WINDOW_WORDS - (last - first + 1)) / 2;
                best = Some((first.saturating_sub(lead), score));
            }
        }
        best
    }

    /// The window of `WINDOW_WORDS` words from word `start`, its hits marked.
    fn window(&self, start: usize) -> Vec<SnippetPart> {
        let Some(&(first, _)) = self.spans.get(start) else {
            return Vec::new();
        };
        let end = (start + WINDOW_WORDS).min(self.spans.len());
        // The text's own start and end (a closing full stop, say) when the window reaches them.
        let from = if start == 0 { 0 } else { first };
        let to = if end == self.spans.len() {
            self.text.trim_end().len()
        } else {
            self.spans[end - 1].1
        };
        let mut parts = Vec::new();
        let mut plain = String::new();
        if start > 0 {
            plain.push_str(ELLIPSIS);
        }
        let mut at = from + (self.text[from..].len() - self.text[from..].trim_start().len());
        for &(word, _) in self.hits.iter().filter(|(w, _)| (start..end).contains(w)) {
            let (w_from, w_to) = self.spans[word];
            push_collapsed(&mut plain, &self.text[at..w_from]);
            if !plain.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut plain),
                    hit: false,
                });
            }
            parts.push(SnippetPart {
                text: self.text[w_from..w_to].to_owned(),
                hit: true,
            });
            at = w_to;
        }
        push_collapsed(&mut plain, &self.text[at..to]);
        if end < self.spans.len() {
            plain.push_str(ELLIPSIS);
        }
        if !plain.is_empty() {
            parts.push(SnippetPart {
                text: plain,
                hit: false,
            });
        }
        parts
    }
}

/// Appends `text` with each run of white space (a Markdown body's line breaks) as one space.
fn push_collapsed(out: &mut String, text: &str) {
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    if space {
        out.push(' ');
    }
}

/// The snippet of an article for `terms`: the best window of its body or description (the
/// body on a tie), else of its title, else the start of its body unmarked.
pub fn snippet(terms: &Terms, title: &str, description: &str, body: &str) -> Vec<SnippetPart> {
    let body = Found::scan(body, terms);
    let description = Found::scan(description, terms);
    let best = [&body, &description]
        .into_iter()
        .filter_map(|found| found.best().map(|(start, score)| (found, start, score)))
        .reduce(|a, b| if b.2 > a.2 { b } else { a });
    if let Some((found, start, _)) = best {
        return found.window(start);
    }
    let title = Found::scan(title, terms);
    if let Some((start, _)) = title.best() {
        return title.window(start);
    }
    body.window(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str], prefix: bool) -> Terms {
        let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        Terms::new(&words, prefix)
    }

    fn shown(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn the_window_holds_the_matched_words_in_its_middle() {
        let body = format!(
            "{} The borrow checker keeps references honest. {}",
            "Filler words here. ".repeat(30),
            "More filler. ".repeat(30)
        );
        let parts = snippet(&terms(&["borrow", "checker"], true), "Notes", "", &body);
        let text = shown(&parts);
        assert!(
            text.contains("The [borrow] [checker] keeps references honest."),
            "{text}"
        );
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert_eq!(words(&text).len(), WINDOW_WORDS, "{text}");
    }

    #[test]
    fn case_diacritics_and_the_last_words_prefix_match() {
        let parts = snippet(
            &terms(&["Unicode", "rus"], true),
            "",
            "",
            "ÜNÏCÖDÉ text in Rust, and rusty rus.",
        );
        assert_eq!(
            shown(&parts),
            "[ÜNÏCÖDÉ] text in [Rust], and [rusty] [rus]."
        );
        // Only the last word is a prefix, and only when asked.
        let parts = snippet(&terms(&["rus"], false), "", "", "Rust rus");
        assert_eq!(shown(&parts), "Rust [rus]");
    }

    #[test]
    fn the_body_then_the_description_then_the_title_then_the_start() {
        let t = terms(&["lifetimes"], true);
        assert_eq!(
            shown(&snippet(&t, "x", "About lifetimes", "Nothing")),
            "About [lifetimes]"
        );
        assert_eq!(
            shown(&snippet(&t, "Lifetimes", "", "Nothing here")),
            "[Lifetimes]"
        );
        assert_eq!(
            shown(&snippet(&t, "x", "y", "Nothing   here\n\nat all")),
            "Nothing here at all"
        );
        assert!(snippet(&t, "", "", "").is_empty());
        // More of the query's words wins over more hits of one.
        let t = terms(&["borrow", "checker"], false);
        assert_eq!(
            shown(&snippet(&t, "", "borrow checker", "borrow borrow borrow")),
            "[borrow] [checker]"
        );
    }

    #[test]
    fn markup_is_text() {
        let parts = snippet(
            &terms(&["exhaustive"], true),
            "",
            "",
            "Exhaustive <b>match</b> arms.",
        );
        assert_eq!(shown(&parts), "[Exhaustive] <b>match</b> arms.");
    }

    /// Issue 32 F10: one word 32,000 times (a 64 KB body) cost FTS5's `snippet()` 6.3 s.
    #[test]
    fn a_body_of_one_word_repeated_reads_only_its_first_hits() {
        let body = "a ".repeat(32_000);
        let found = Found::scan(&body, &terms(&["a"], true));
        assert_eq!(found.hits.len(), MAX_HITS);
        let parts = snippet(&terms(&["a"], true), "", "", &body);
        assert_eq!(parts.iter().filter(|p| p.hit).count(), WINDOW_WORDS);
    }
}
