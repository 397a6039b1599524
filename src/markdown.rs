//! Markdown to safe HTML (ssr-only): pulldown-cmark renders, ammonia sanitises. Articles are
//! rendered once, when written; what `render` returns is the only HTML the UI ever places with
//! `inner_html`.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

use crate::model::article::SafeHtml;

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
pub fn render(markdown: &str) -> SafeHtml {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    SafeHtml::from_sanitized(sanitizer().clean(&unsafe_html).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(md).as_str().to_owned()
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
}
