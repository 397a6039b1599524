//! Markdown to safe HTML (ssr-only): pulldown-cmark renders, ammonia sanitises. Articles are
//! rendered once, when written; what `render` returns is the only HTML the UI ever places with
//! `inner_html`.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

use crate::error::{AppError, AppResult};
use crate::model::article::{BODY_MAX_DEPTH, SafeHtml};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"));
        builder
    })
}

/// Renders Markdown (CommonMark with tables, strikethrough and task lists; footnotes stay off,
/// they have known super-linear inputs) and removes everything unsafe: scripts, event
/// handlers, `javascript:`/`data:` URLs, iframes, forms, styles.
///
/// A body whose quotes, lists and HTML elements nest deeper than `BODY_MAX_DEPTH` is a 422 on
/// `body`: the sanitiser's HTML parser spends time that grows with the square of the depth
/// (65,000 `>` took 13 s), while rendering and measuring take milliseconds.
pub fn render(markdown: &str) -> AppResult<SafeHtml> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    if nesting_depth(&unsafe_html, BODY_MAX_DEPTH).is_none() {
        return Err(AppError::validation(
            "body",
            format!(
                "nests too deeply (at most {BODY_MAX_DEPTH} levels of quotes, lists and HTML elements)"
            ),
        ));
    }
    Ok(SafeHtml::from_sanitized(
        sanitizer().clean(&unsafe_html).to_string(),
    ))
}

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "frame",
];
/// Where the HTML parser's search for an open element stops (its default scope, and `button`).
const SCOPE: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "button",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
    "foreignobject",
    "desc",
    "title",
];
/// Inline elements: the only ones the end tag of an inline element closes on its way.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "nobr", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike",
    "strong", "sub", "sup", "time", "tt", "u", "var", "label",
];
/// Start tags that close an open `p`.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "hr",
    "li",
    "dd",
    "dt",
    "table",
    "xmp",
    "plaintext",
];

/// How deeply the elements of `html` nest, estimated from above, or `None` once that passes
/// `limit`. It follows the HTML parser's common implied end tags (`p`, `li`, `dd`, `dt`, table
/// cells and rows, `option`) and otherwise takes an element as open until its end tag closes
/// it the way the parser would: it may overestimate, never underestimate by much, so what it
/// lets through is cheap to parse.
fn nesting_depth(html: &str, limit: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut deepest = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'<') {
        let start = at + found + 1;
        let rest = &bytes[start..];
        if rest.starts_with(b"!--") {
            at = html[start + 3..]
                .find("-->")
                .map_or(bytes.len(), |end| start + 3 + end + 3);
            continue;
        }
        let (closing, name_from) = match rest.first() {
            Some(b'/') => (true, start + 1),
            Some(c) if c.is_ascii_alphabetic() => (false, start),
            _ => {
                at = start;
                continue;
            }
        };
        let name_len = bytes[name_from..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
            .unwrap_or(bytes.len() - name_from);
        let name =
            String::from_utf8_lossy(&bytes[name_from..name_from + name_len]).to_ascii_lowercase();
        at = tag_end(bytes, name_from + name_len);
        if name.is_empty() {
            continue;
        }
        if closing {
            close(&mut stack, &name);
            continue;
        }
        open(&mut stack, &name);
        if !VOID.contains(&name.as_str()) {
            stack.push(name);
            deepest = deepest.max(stack.len());
            if deepest > limit {
                return None;
            }
        }
    }
    Some(deepest)
}

/// Where the tag whose attributes begin at `from` ends (after its `>`), quotes respected.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, &c) in bytes.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return i + 1,
            None => {}
        }
    }
    bytes.len()
}

/// The innermost open element named one of `names`, searched for only through the elements
/// `through` allows.
fn innermost(stack: &[String], names: &[&str], through: impl Fn(&str) -> bool) -> Option<usize> {
    for (i, open) in stack.iter().enumerate().rev() {
        if names.contains(&open.as_str()) {
            return Some(i);
        }
        if !through(open) {
            return None;
        }
    }
    None
}

/// The implied end tags that a start tag `name` brings.
fn open(stack: &mut Vec<String>, name: &str) {
    let within = |allowed: &'static [&'static str]| move |e: &str| allowed.contains(&e);
    let found = match name {
        "li" => innermost(stack, &["li"], within(&["address", "div", "p"])),
        "dd" | "dt" => innermost(stack, &["dd", "dt"], within(&["address", "div", "p"])),
        "td" | "th" => innermost(stack, &["td", "th"], |e| e != "table"),
        "tr" => innermost(stack, &["tr"], |e| e != "table"),
        "option" | "optgroup" => innermost(stack, &["option"], |_| false),
        _ if CLOSES_P.contains(&name) => innermost(stack, &["p"], |e| !SCOPE.contains(&e)),
        _ => None,
    };
    // Cells and rows close only inside a table: elsewhere the parser ignores their tags.
    let table_part = matches!(name, "td" | "th" | "tr");
    if let Some(i) = found.filter(|&i| !table_part || stack[..i].iter().any(|e| e == "table")) {
        stack.truncate(i);
    }
}

/// An end tag closes the innermost element of its name, when the parser would reach it.
fn close(stack: &mut Vec<String>, name: &str) {
    let found = match name {
        _ if INLINE.contains(&name) => innermost(stack, &[name], |e| INLINE.contains(&e)),
        // Table parts close what is open in them, up to their table (the table scope).
        "table" => innermost(stack, &[name], |e| e != "template"),
        "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption" => {
            innermost(stack, &[name], |e| e != "table" && e != "template")
        }
        _ => innermost(stack, &[name], |e| !SCOPE.contains(&e)),
    };
    if let Some(i) = found {
        stack.truncate(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(md).unwrap().as_str().to_owned()
    }

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            html("# Title\n\nSome *emphasis*."),
            "<h1>Title</h1>\n<p>Some <em>emphasis</em>.</p>\n"
        );
        assert!(html("| a |\n|---|\n| b |").contains("<table>"));
        assert!(html("~~gone~~").contains("<del>gone</del>"));
        assert_eq!(
            html("```rust\nfn main() {}\n```"),
            "<pre><code>fn main() {}\n</code></pre>\n"
        );
    }

    #[test]
    fn links_are_kept_with_a_safe_rel() {
        let out = html("[quire](https://example.test/x)");
        assert!(out.contains("href=\"https://example.test/x\""), "{out}");
        assert!(
            out.contains("rel=\"noopener noreferrer nofollow\""),
            "{out}"
        );
    }

    /// The payloads of security.md §1.7: none may survive as live markup.
    #[test]
    fn hostile_markup_never_survives() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[a](javascript:alert(1))",
            "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
            "<iframe src=//x></iframe>",
            "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
            "<math><annotation-xml encoding=\"text/html\"><style><img src=x onerror=alert(1)>",
            "<form action=//x><button>go</button></form>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "![x](javascript:alert(1))",
            "<object data=x></object><embed src=x>",
        ];
        for payload in payloads {
            let out = html(payload).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onbegin",
                "javascript:",
                "data:",
                "<iframe",
                "<form",
                "<svg",
                "<math",
                "<style",
                "style=",
                "<object",
                "<embed",
            ] {
                assert!(!out.contains(bad), "{bad} survived {payload:?}: {out}");
            }
        }
    }

    #[test]
    fn pathological_inputs_finish() {
        for md in [
            "[a](<b".repeat(20_000),
            "!-- <".repeat(5_000),
            ">".repeat(10_000),
            "[^a]\n".repeat(5_000),
        ] {
            let _ = render(&md);
        }
    }

    /// Inputs whose sanitising took seconds (at 64 KB) are refused in milliseconds.
    #[test]
    fn deep_nesting_is_refused_quickly() {
        for unit in [
            ">",
            "> - ",
            "1. ",
            "- > ",
            " >",
            "<ul>",
            "<dl>",
            "<div>",
            "<b><div></b>",
        ] {
            let md: String = unit.repeat(65_536 / unit.len());
            let started = std::time::Instant::now();
            let err = render(&md).unwrap_err();
            assert!(
                err.messages()[0].starts_with("body nests too deeply (at most 100 levels"),
                "{unit:?}: {err:?}"
            );
            assert!(
                started.elapsed().as_millis() < 500,
                "{unit:?} took {:?}",
                started.elapsed()
            );
        }
    }

    #[test]
    fn ordinary_nesting_and_flat_repeats_are_fine() {
        let quotes = "> ".repeat(BODY_MAX_DEPTH - 1) + "deep";
        assert!(html(&quotes).contains("deep"));
        for md in [
            "- a\n".repeat(10_000),
            "<p>a".repeat(10_000),
            "<li>a".repeat(10_000),
            "<table><tr><td>a<td>b<tr><td>c</table>\n\n".repeat(500),
            "<b>x</b> <i>y</i>\n\n".repeat(2_000),
            "<!-- <div><div><div> -->".repeat(2_000),
        ] {
            assert!(render(&md).is_ok(), "{}", &md[..40]);
        }
        assert_eq!(
            nesting_depth("<a href=\"<div>\"><br><img src=x>", 10),
            Some(1)
        );
        assert_eq!(
            nesting_depth("<div><p>a<ul><li>b<li>c</ul></div>", 10),
            Some(3)
        );
        // A cell outside a table closes nothing (the parser ignores it).
        assert_eq!(nesting_depth(&"<div><td>".repeat(200), 100), None);
    }
}
