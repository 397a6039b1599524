//! The navigation layer (`navigation.js`, shared): the one script that follows Quire's links and
//! GET forms in place once the first page has hydrated (README, "Design").
//!
//! Its address carries a hash of its text (`/pkg/navigation.<16 hex>.js`, worked out when the
//! crate is compiled), so browsers keep it a year like the bundle's other files and a deploy
//! that changes it changes the address: the layer sees another build and does a full load.
//! The server sends it from memory, brotli or gzip made once (`http::assets`).

/// The script's text.
pub const SOURCE: &str = include_str!("navigation.js");

/// The header the layer sends with the pages it fetches: the server sees an in-place request,
/// and answers it the same full page as a document request (so the page cache's key holds).
pub const HEADER: &str = "x-quire-navigation";

/// FNV-1a, 64 bits, of `bytes`: a fingerprint, not a defence (the text is our own).
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const HASH: u64 = fnv1a(SOURCE.as_bytes());

/// The script's address under `/pkg`.
pub fn script_path() -> String {
    format!("/pkg/navigation.{HASH:016x}.js")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_follows_the_text() {
        let path = script_path();
        let hash = path
            .strip_prefix("/pkg/navigation.")
            .and_then(|rest| rest.strip_suffix(".js"))
            .expect("the address's shape");
        assert_eq!(hash.len(), 16);
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert_eq!(hash, format!("{:016x}", fnv1a(SOURCE.as_bytes())));
    }

    /// The pages the layer follows in place are exactly the app's pages: a page it did not
    /// know would be a full load, and an address it wrongly took for one (a file, `/api`) a
    /// fetch of something that is not a page.
    #[test]
    fn the_layer_knows_every_page_and_nothing_else() {
        let start = SOURCE.find("const PAGES = [").expect("the list") + "const PAGES = [".len();
        let end = start + SOURCE[start..].find("];").expect("its end");
        let listed: Vec<String> = SOURCE[start..end]
            .split(',')
            .map(|item| item.trim().trim_matches('\'').to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        let pages: Vec<String> = crate::routes::PAGES
            .iter()
            .map(|page| {
                page.path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "*" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .map(|path| {
                if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                }
            })
            .collect();
        assert_eq!(listed, pages);
    }
}
