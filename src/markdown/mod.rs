//! Markdown to safe HTML (ssr-only): pulldown-cmark renders, ammonia sanitises. Articles are
//! rendered once, when written; what `render` returns is the only HTML the UI ever places with
//! `inner_html`.
//!
//! A body is at most 64 KB, but what rendering makes of it is bounded too, by what each step
//! really produces: the Markdown renderer's HTML is cut off past `RENDERED_MAX_BYTES`; the HTML
//! parser behind the sanitiser is run first over a tree that counts as it grows (`tree`) and
//! stopped past `BODY_MAX_DEPTH` levels, `RENDERED_MAX_ELEMENTS` elements or
//! `RENDERED_MAX_BYTES`, the copies it makes of formatting elements included; and the
//! sanitised HTML is measured again. Each is a 422 on `body`. Requests render on the
//! `Renderer`'s threads, never on the async runtime's, each within `RENDER_DEADLINE`.

mod tree;

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pulldown_cmark::{Options, Parser, html};

use crate::error::{AppError, AppResult};
use crate::model::article::{BODY_MAX_DEPTH, SafeHtml};
use crate::workers::Workers;

/// The most HTML a body may render to, before and after sanitising.
pub const RENDERED_MAX_BYTES: usize = 1024 * 1024;
/// The most HTML elements a body may render to, counting the copies the HTML parser makes.
pub const RENDERED_MAX_ELEMENTS: usize = 100_000;
/// How long one render may take. A 64 KB body takes a few milliseconds and the limits above
/// bound the rest; this is the last guard, checked as the parser goes.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(2);
/// The most HTML the Markdown renderer may produce before it is parsed and measured: room for
/// bodies whose depth is what is wrong with them, so that they are told so.
const UNSAFE_MAX_BYTES: usize = 4 * RENDERED_MAX_BYTES;
/// Renders at once: one a core.
const RENDER_THREADS: usize = 2;
/// How long a request waits for a free rendering thread before it is told the server is busy.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

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

/// The threads requests render on: at most `RENDER_THREADS` bodies at once, off the async
/// runtime, so a costly body slows no other request. Clone freely.
#[derive(Clone, Debug)]
pub struct Renderer {
    workers: Workers<()>,
}

impl Renderer {
    pub fn new() -> AppResult<Self> {
        Ok(Self {
            workers: Workers::start("markdown", RENDER_THREADS, || ())?,
        })
    }

    /// `render` on one of the rendering threads.
    pub async fn render(&self, markdown: String) -> AppResult<SafeHtml> {
        self.workers
            .run(Some(QUEUE_WAIT), move |()| render(&markdown))
            .await
    }
}

/// Renders Markdown (CommonMark with tables, strikethrough and task lists; footnotes stay off,
/// they have known super-linear inputs) and removes everything unsafe: scripts, event
/// handlers, `javascript:`/`data:` URLs, iframes, forms, styles. A body that would nest deeper
/// than `BODY_MAX_DEPTH`, render to more than `RENDERED_MAX_ELEMENTS` elements or
/// `RENDERED_MAX_BYTES`, or take longer than `RENDER_DEADLINE` is a 422 on `body`.
///
/// This runs on the calling thread: requests go through `Renderer::render`.
pub fn render(markdown: &str) -> AppResult<SafeHtml> {
    let deadline = Instant::now() + RENDER_DEADLINE;
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = Capped {
        html: String::with_capacity(markdown.len() * 3 / 2),
        deadline,
        writes: 0,
        exceeded: None,
    };
    if html::write_html_fmt(&mut unsafe_html, Parser::new_ext(markdown, options)).is_err() {
        return Err(refusal(
            unsafe_html.exceeded.unwrap_or(tree::Exceeded::Bytes),
        ));
    }
    let limits = tree::Limits {
        depth: BODY_MAX_DEPTH,
        elements: RENDERED_MAX_ELEMENTS,
        bytes: RENDERED_MAX_BYTES,
        deadline,
    };
    tree::measure(&unsafe_html.html, limits).map_err(refusal)?;
    let clean = sanitizer().clean(&unsafe_html.html).to_string();
    if clean.len() > RENDERED_MAX_BYTES {
        return Err(refusal(tree::Exceeded::Bytes));
    }
    Ok(SafeHtml::from_sanitized(clean))
}

/// The 422 for a body past a limit.
fn refusal(exceeded: tree::Exceeded) -> AppError {
    let message = match exceeded {
        tree::Exceeded::Depth => format!(
            "nests too deeply (at most {BODY_MAX_DEPTH} levels of quotes, lists and HTML elements)"
        ),
        tree::Exceeded::Elements => format!(
            "is too large once rendered (more than {} HTML elements)",
            grouped(RENDERED_MAX_ELEMENTS)
        ),
        tree::Exceeded::Bytes => format!(
            "is too large once rendered (more than {} MB of HTML)",
            RENDERED_MAX_BYTES / (1024 * 1024)
        ),
        tree::Exceeded::Time => "takes too long to render".to_owned(),
    };
    AppError::validation("body", message)
}

/// `n` with its thousands grouped: 100,000.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The Markdown renderer's output, refused past `UNSAFE_MAX_BYTES` or the deadline (a GFM
/// table pads every short row to the header's width: 5 KB of pipes can become megabytes).
struct Capped {
    html: String,
    deadline: Instant,
    writes: u32,
    exceeded: Option<tree::Exceeded>,
}

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.html.len() + s.len() > UNSAFE_MAX_BYTES {
            self.exceeded = Some(tree::Exceeded::Bytes);
            return Err(fmt::Error);
        }
        self.writes = self.writes.wrapping_add(1);
        if self.writes.is_multiple_of(1024) && Instant::now() > self.deadline {
            self.exceeded = Some(tree::Exceeded::Time);
            return Err(fmt::Error);
        }
        self.html.push_str(s);
        Ok(())
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
        // A cell outside a table closes nothing (the parser ignores it).
        let cells = render(&"<div><td>".repeat(200)).unwrap_err();
        assert!(cells.messages()[0].starts_with("body nests too deeply"));
    }

    /// The outside test's payload (security.md §0b): `<p><b title=N></p>` repeated to 64 KB
    /// measured 2 levels deep by the old estimate and rendered to 107 MB in 27 s. It and the
    /// two shapes that stay shallow (copies made flat, long attributes copied) are refused,
    /// quickly; `tests/it/validation.rs` sends more variants through every door.
    #[test]
    fn formatting_elements_the_parser_copies_are_counted() {
        let open: String = (0..60).map(|j| format!("<b title={j}>")).collect();
        let long: String = (0..3)
            .map(|i| format!("<p><b title={i}{}></p>", "a".repeat(4000)))
            .collect();
        let filled = |start: String, unit: &str| {
            let mut md = start;
            while md.len() < 65_000 {
                md.push_str(unit);
            }
            md
        };
        let mut outside = String::new();
        for i in 0.. {
            if outside.len() >= 65_000 {
                break;
            }
            outside.push_str(&format!("<p><b title={i}></p>"));
        }
        for (name, md, expected) in [
            ("outside", outside, "body nests too deeply"),
            (
                "copied flat",
                filled(format!("<p>{open}</p>"), "<p>x</p>"),
                "body is too large once rendered",
            ),
            (
                "long attributes",
                filled(long, "<p>x</p>"),
                "body is too large once rendered (more than 1 MB of HTML)",
            ),
        ] {
            let started = std::time::Instant::now();
            let err = render(&md).unwrap_err();
            assert!(err.messages()[0].starts_with(expected), "{name}: {err:?}");
            assert!(
                started.elapsed().as_millis() < 500,
                "{name} took {:?}",
                started.elapsed()
            );
        }
    }

    /// The parser never copies a link into another (a new `<a>` closes the one before): 1,800
    /// of them are 1,800 links, and a body like that is fine.
    #[test]
    fn links_alone_are_not_copied() {
        let md: String = (0..1_800)
            .map(|i| format!("<p><a href=\"https://x.test/{i}\"></p>"))
            .collect();
        let out = html(&md);
        assert_eq!(out.matches("<a ").count(), 1_800);
    }

    #[test]
    fn a_table_padded_to_megabytes_is_refused() {
        // 600 columns, then 2,000 one-cell rows: each is padded to 600 cells (pulldown-cmark
        // stops padding at 262,144 cells a table).
        let md = format!(
            "{}|\n{}|\n{}",
            "| a ".repeat(600),
            "|---".repeat(600),
            "| x\n".repeat(2_000)
        );
        assert!(md.len() < 65_536);
        let err = render(&md).unwrap_err();
        assert_eq!(
            err.messages(),
            ["body is too large once rendered (more than 100,000 HTML elements)"]
        );
        // Eight such tables would be 8 MB before sanitising: cut off as it is written.
        let err = render(&md.repeat(8)[..65_000]).unwrap_err();
        assert_eq!(
            err.messages(),
            ["body is too large once rendered (more than 1 MB of HTML)"]
        );
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn the_renderer_renders_on_its_own_threads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let renderer = Renderer::new().expect("threads");
        let out = runtime
            .block_on(renderer.render("*hi*".to_owned()))
            .expect("rendered");
        assert_eq!(out.as_str(), "<p><em>hi</em></p>\n");
        let refused = runtime.block_on(renderer.render("<div>".repeat(200)));
        assert!(refused.is_err());
    }
}
