//! The GraphiQL playground, served entirely from the binary.
//!
//! `build.rs` vendors GraphiQL 4 and React 18 from the npm registry at build time, so the page
//! never needs a CDN or any host but this server: it works offline, behind firewalls, and under
//! a strict Content-Security-Policy. Asset URLs carry a hash of their content, which lets
//! browsers cache them forever and still see a new version the moment the binary changes.
//!
//! When the build could not fetch GraphiQL (no npm, no registry, `LEAP_SKIP_PLAYGROUND=1`),
//! `cfg(playground_missing)` is set and a small page explaining how to get the playground is
//! served in its place; the GraphQL endpoint itself is unaffected.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Builds the routes for the playground page (`GET /`) and its assets (`GET /playground/{file}`).
///
/// The router needs no state of its own, so it is generic over `S` to merge into whatever
/// router the server assembles.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { page() }))
        .route("/playground/{file}", get(asset))
}

/// Returns the playground's HTML page, for `GET /` and for browsers that open `GET /graphql`.
///
/// The page is small and names its assets by content hash, so it is sent with `no-cache`: a
/// browser always revalidates it and so always picks up the assets of the running binary.
pub fn page() -> Response {
    let mut response = (StatusCode::OK, html::page()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(html::CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Serves one embedded asset by its hashed name, answering revalidations with `304`.
///
/// Names are only ever looked up in the fixed table, so request input cannot reach the file
/// system, and an unknown name is a plain `404`.
async fn asset(Path(file): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(asset) = assets::find(&file) else {
        return (StatusCode::NOT_FOUND, "no such playground file\n").into_response();
    };
    let etag = HeaderValue::from_str(&asset.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let status = if if_none_match(&request_headers, &asset.etag) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let mut response = if status == StatusCode::OK {
        (status, asset.body).into_response()
    } else {
        status.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::ETAG, etag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Tells whether an `If-None-Match` request header already names this entity tag, so that a
/// browser revalidating a cached file gets an empty `304` instead of the whole file again.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// A short, stable hash of a file's bytes (64-bit FNV-1a), used to name and tag assets.
///
/// It only has to tell versions of the same file apart, not resist attackers, so a simple hash
/// that costs about a millisecond per megabyte at first use is enough.
fn content_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The embedded files and their hashed names.
mod assets {
    use std::sync::LazyLock;

    /// One embedded file, as the browser will fetch it.
    pub(super) struct Asset {
        /// The URL file name: the logical name with the content hash inserted before the
        /// extension, e.g. `graphiql.0123456789abcdef.js`.
        pub(super) name: String,
        /// The logical name the page template refers to, e.g. `graphiql.js`.
        pub(super) key: &'static str,
        pub(super) content_type: &'static str,
        pub(super) body: &'static [u8],
        /// The quoted strong entity tag, the same content hash as in the name.
        pub(super) etag: String,
    }

    #[cfg(not(playground_missing))]
    const JS: &str = "text/javascript; charset=utf-8";
    #[cfg(not(playground_missing))]
    const CSS: &str = "text/css; charset=utf-8";
    #[cfg(not(playground_missing))]
    const TEXT: &str = "text/plain; charset=utf-8";

    /// The vendored files from `OUT_DIR` (see `build.rs`) and the page's own script and style.
    #[cfg(not(playground_missing))]
    const FILES: &[(&str, &str, &[u8])] = &[
        (
            "react.js",
            JS,
            include_bytes!(concat!(
                env!("OUT_DIR"),
                "/playground/react.production.min.js"
            )),
        ),
        (
            "react-dom.js",
            JS,
            include_bytes!(concat!(
                env!("OUT_DIR"),
                "/playground/react-dom.production.min.js"
            )),
        ),
        (
            "graphiql.js",
            JS,
            include_bytes!(concat!(env!("OUT_DIR"), "/playground/graphiql.min.js")),
        ),
        (
            "graphiql.css",
            CSS,
            include_bytes!(concat!(env!("OUT_DIR"), "/playground/graphiql.min.css")),
        ),
        (
            "licenses.txt",
            TEXT,
            include_bytes!(concat!(
                env!("OUT_DIR"),
                "/playground/THIRD_PARTY_LICENSES.txt"
            )),
        ),
        ("init.js", JS, include_bytes!("playground/init.js")),
        ("page.css", CSS, include_bytes!("playground/page.css")),
    ];

    /// Without the vendored files there is nothing to serve: every asset URL answers `404`.
    #[cfg(playground_missing)]
    const FILES: &[(&str, &str, &[u8])] = &[];

    /// Hashes every file once, on first use, rather than at every request.
    static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
        FILES
            .iter()
            .map(|&(key, content_type, body)| {
                let hash = super::content_hash(body);
                let name = match key.rsplit_once('.') {
                    Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                    None => format!("{key}.{hash}"),
                };
                Asset {
                    name,
                    key,
                    content_type,
                    body,
                    etag: format!("\"{hash}\""),
                }
            })
            .collect()
    });

    /// Looks an asset up by the file name in its URL.
    pub(super) fn find(name: &str) -> Option<&'static Asset> {
        ASSETS.iter().find(|asset| asset.name == name)
    }

    /// Returns the URL path of an asset by its logical name, for filling in the page template
    /// (which the fallback page does not have).
    #[cfg_attr(playground_missing, allow(dead_code))]
    pub(super) fn url(key: &str) -> String {
        match ASSETS.iter().find(|asset| asset.key == key) {
            Some(asset) => format!("/playground/{}", asset.name),
            None => format!("/playground/{key}"),
        }
    }
}

/// The HTML page and its Content-Security-Policy.
#[cfg(not(playground_missing))]
mod html {
    use std::sync::LazyLock;

    /// Allows only this origin's scripts, styles and `/graphql`, plus the `data:` URLs that
    /// GraphiQL's stylesheet uses for its fonts and icons; nothing inline, nothing elsewhere.
    pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
        img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
        form-action 'none'; frame-ancestors 'none'";

    /// The page template, with `{{name}}` placeholders for the hashed asset URLs.
    const TEMPLATE: &str = include_str!("playground/page.html");

    /// Fills the template in once, since the asset names never change while the server runs.
    static PAGE: LazyLock<String> = LazyLock::new(|| {
        let mut page = TEMPLATE.to_owned();
        for key in [
            "react.js",
            "react-dom.js",
            "graphiql.js",
            "graphiql.css",
            "init.js",
            "page.css",
            "licenses.txt",
        ] {
            page = page.replace(&format!("{{{{{key}}}}}"), &super::assets::url(key));
        }
        page
    });

    /// Returns the filled-in page.
    pub(super) fn page() -> &'static str {
        PAGE.as_str()
    }
}

/// The page served when the build could not vendor GraphiQL.
#[cfg(playground_missing)]
mod html {
    /// The fallback page runs no script at all and needs only its own inline style.
    pub(super) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// Returns the static fallback page.
    pub(super) fn page() -> &'static str {
        include_str!("playground/fallback.html")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_the_fnv1a_of_the_bytes() {
        assert_eq!(content_hash(b""), "cbf29ce484222325");
        assert_eq!(content_hash(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut headers = HeaderMap::new();
        assert!(!if_none_match(&headers, "\"abc\""));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(if_none_match(&headers, "\"abc\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&headers, "\"abc\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abcd\""));
        assert!(!if_none_match(&headers, "\"abc\""));
    }

    #[cfg(not(playground_missing))]
    #[test]
    fn page_names_every_asset_by_hash_and_serves_it() {
        let page = html::page();
        assert!(page.contains("<title>leap-graphql playground</title>"));
        assert!(!page.contains("{{"), "unfilled placeholder in {page}");
        for key in [
            "react.js",
            "react-dom.js",
            "graphiql.js",
            "graphiql.css",
            "init.js",
            "page.css",
        ] {
            let url = assets::url(key);
            let name = url.strip_prefix("/playground/").unwrap_or_default();
            assert!(page.contains(&url), "{url} missing from page");
            assert!(
                assets::find(name).is_some_and(|a| !a.body.is_empty()),
                "{name} not served"
            );
        }
    }
}
