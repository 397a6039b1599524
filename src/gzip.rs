//! A kept page in gzip whose CSP nonce still changes with every answer (ssr-only).
//!
//! Gzipping a page for each reader would cost more than serving it from memory does, so the
//! page cache compresses a page once, when it keeps it. Its nonce differs in every answer, so
//! the page is compressed in pieces cut at the nonce: each piece a deflate stream of its own,
//! flushed to a byte boundary, and each answer writes its own nonce between them as a stored
//! (uncompressed) block. No piece refers back into another, so the joined stream decodes to the
//! page with the new nonce; the CRC-32 of the whole is combined from the pieces' (crc32fast's
//! `combine`). The nonce is never compressed, so an answer's size tells nothing of it.
//!
//! flate2 (with its default, pure-Rust miniz_oxide backend) does the deflating; the format is
//! RFC 1951 (stored blocks, sync flush) and RFC 1952 (the gzip header and trailer).

use axum::body::Bytes;
use flate2::{Compress, Compression, FlushCompress, Status};

/// The deflate level pages are kept at: zlib's default, about 4× on our pages, a fraction of
/// a render's time.
const LEVEL: u32 = 6;

/// Answers shorter than this are sent as they are: the gain would be a few hundred bytes, and
/// no packet fewer.
pub const MIN_BYTES: u16 = 1024;

/// The gzip header: deflate, no name or time, unknown system (RFC 1952, 2.3).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// One piece of a page between nonces, deflated.
#[derive(Debug)]
struct Piece {
    deflated: Vec<u8>,
    /// The CRC-32 of the piece's text.
    crc: crc32fast::Hasher,
    /// The text's length.
    len: usize,
}

/// A page deflated in pieces around its nonce, ready to be joined with any other nonce.
#[derive(Debug)]
pub struct Spliced {
    pieces: Vec<Piece>,
    /// What the pieces hold, for the cache's budget.
    bytes: usize,
}

impl Spliced {
    /// `body` deflated in pieces cut at each `nonce="<nonce>"` value (the whole body is one
    /// piece without a nonce). None if deflating failed (it does not, with miniz_oxide) or a
    /// nonce is too long for a stored block.
    pub fn new(body: &[u8], nonce: Option<&str>) -> Option<Self> {
        let texts = match nonce {
            Some(nonce) if nonce.len() <= usize::from(u16::MAX) => cut(body, nonce),
            Some(_) => return None,
            None => vec![body],
        };
        let last = texts.len() - 1;
        let mut pieces = Vec::with_capacity(texts.len());
        for (i, text) in texts.into_iter().enumerate() {
            let mut crc = crc32fast::Hasher::new();
            crc.update(text);
            pieces.push(Piece {
                deflated: deflate(text, i == last)?,
                crc,
                len: text.len(),
            });
        }
        let bytes = pieces.iter().map(|p| p.deflated.len()).sum();
        Some(Self { pieces, bytes })
    }

    /// The bytes held.
    pub fn len(&self) -> usize {
        self.bytes
    }

    /// Whether nothing is held (never: a page has at least its last block).
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The gzip stream of the page with `nonce` where the kept page had its own.
    pub fn answer(&self, nonce: &str) -> Bytes {
        let joins = self.pieces.len() - 1;
        let mut out = Vec::with_capacity(HEADER.len() + self.bytes + joins * (5 + nonce.len()) + 8);
        out.extend_from_slice(&HEADER);
        let mut crc = crc32fast::Hasher::new();
        let mut between = crc32fast::Hasher::new();
        between.update(nonce.as_bytes());
        let mut total = 0;
        for (i, piece) in self.pieces.iter().enumerate() {
            out.extend_from_slice(&piece.deflated);
            crc.combine(&piece.crc);
            total += piece.len;
            if i < joins {
                stored_block(&mut out, nonce.as_bytes());
                crc.combine(&between);
                total += nonce.len();
            }
        }
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        // ISIZE: the length modulo 2^32.
        out.extend_from_slice(&(total as u32).to_le_bytes());
        Bytes::from(out)
    }
}

/// `body` cut around each value of `nonce="<nonce>"`: the texts before, between and after.
fn cut<'a>(body: &'a [u8], nonce: &str) -> Vec<&'a [u8]> {
    let attribute = format!("nonce=\"{nonce}\"");
    let finder = memchr::memmem::Finder::new(attribute.as_bytes());
    let mut texts = Vec::new();
    let mut at = 0;
    while let Some(found) = finder.find(&body[at..]) {
        let value = at + found + "nonce=\"".len();
        texts.push(&body[at..value]);
        at = value + nonce.len();
    }
    texts.push(&body[at..]);
    texts
}

/// `text` as raw deflate: finished when `last`, else flushed to a byte boundary and open.
fn deflate(text: &[u8], last: bool) -> Option<Vec<u8>> {
    let mut compress = Compress::new(Compression::new(LEVEL), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(text.len() / 3 + 64);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        let read = usize::try_from(compress.total_in()).ok()?;
        let status = compress.compress_vec(&text[read..], &mut out, flush).ok()?;
        let all_read = usize::try_from(compress.total_in()).ok()? == text.len();
        // Done when everything was read and the flush had room to finish.
        let done = if last {
            status == Status::StreamEnd
        } else {
            all_read && out.len() < out.capacity()
        };
        if done {
            return Some(out);
        }
    }
}

/// A stored block holding `data`, not the last (RFC 1951, 3.2.4): after a sync flush the
/// stream is at a byte boundary, so the block's three header bits and their padding are one
/// zero byte.
fn stored_block(out: &mut Vec<u8>, data: &[u8]) {
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&data[..usize::from(len)]);
}

/// The codings an `Accept-Encoding` value names, each with its weight (RFC 9110, 12.5.3: `q`,
/// 1 when absent).
pub fn codings(accept_encoding: &str) -> impl Iterator<Item = (&str, f32)> {
    accept_encoding.split(',').map(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        (coding, weight)
    })
}

/// Whether an `Accept-Encoding` value accepts gzip (RFC 9110, 12.5.3): `gzip` or `x-gzip` with
/// a non-zero weight, or else `*` with one.
pub fn accepted(accept_encoding: &str) -> bool {
    let mut star = false;
    for (coding, weight) in codings(accept_encoding) {
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return weight > 0.0;
        }
        if coding == "*" {
            star = weight > 0.0;
        }
    }
    star
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    /// A page with text repeated on both sides of the nonces, so pieces would refer across
    /// them if they could.
    fn page(nonce: &str) -> String {
        let text = "<p>Quire: a fast, secure blog. nonce aa</p>".repeat(200);
        format!(
            "<head><link rel=\"modulepreload\" nonce=\"{nonce}\"><script nonce=\"{nonce}\">go()</script></head>\
             <body>{text}<script nonce=\"{nonce}\">x</script>{text}</body>"
        )
    }

    #[test]
    fn a_spliced_page_decodes_to_the_page_with_each_answers_nonce() {
        let old = "0123456789abcdef0123456789abcdef";
        let kept = Spliced::new(page(old).as_bytes(), Some(old)).expect("deflated");
        assert_eq!(kept.pieces.len(), 4);
        assert!(kept.len() * 4 < page(old).len(), "{} bytes", kept.len());
        for new in ["fedcba9876543210fedcba9876543210", old] {
            let answer = kept.answer(new);
            assert_eq!(String::from_utf8(gunzip(&answer)).unwrap(), page(new));
            // The nonce is written as it is, never compressed.
            assert!(answer.windows(new.len()).any(|w| w == new.as_bytes()));
        }
        let answer = kept.answer("fedcba9876543210fedcba9876543210");
        assert!(!answer.windows(old.len()).any(|w| w == old.as_bytes()));
    }

    #[test]
    fn a_page_without_a_nonce_is_one_stream() {
        let body = "{\"articles\":[],\"articlesCount\":0}".repeat(50);
        for nonce in [None, Some("absent0000000000absent0000000000")] {
            let kept = Spliced::new(body.as_bytes(), nonce).expect("deflated");
            assert_eq!(kept.pieces.len(), 1);
            assert_eq!(gunzip(&kept.answer("unused")), body.as_bytes());
        }
        let empty = Spliced::new(b"", None).expect("deflated");
        assert_eq!(gunzip(&empty.answer("x")), b"");
    }

    #[test]
    fn gzip_is_accepted_as_clients_say() {
        for yes in [
            "gzip",
            "gzip, deflate, br",
            "br;q=1.0, gzip;q=0.8",
            "*",
            "x-gzip",
            "GZIP",
        ] {
            assert!(accepted(yes), "{yes}");
        }
        for no in [
            "",
            "br",
            "identity",
            "gzip;q=0",
            "br, *;q=0",
            "gzip; q=0.0, *",
        ] {
            assert!(!accepted(no), "{no}");
        }
    }
}
