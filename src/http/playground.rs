//! The GraphiQL playground, served entirely from the binary.
//!
//! GraphiQL 4, React 18 and graphql-ws are committed under `playground/vendor/` (with their
//! licences, versions and checksums in `playground/vendor/MANIFEST`) and embedded here with
//! `include_bytes!`, so the build needs neither npm nor a network and every build of a commit
//! serves the same page. The page never needs a CDN or any host but this server: it works
//! offline, behind firewalls, and under a strict Content-Security-Policy. Asset URLs carry a
//! hash of their content, which lets browsers cache them forever and still see a new version
//! the moment the binary changes.
//!
//! The vendored files sit beside this module rather than in a top-level `vendor/`: nothing
//! else uses them, the `include_bytes!` paths stay short, and the folder that holds the page
//! holds everything the page loads. `vendor/update.sh` refreshes them by hand.
//!
//! This module owns the page, its assets and their headers; it imports only axum and the
//! standard library, and nothing of the rest of the server.

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

    /// One file compiled into the binary, named by its path below `src/http/playground/`.
    pub(super) struct Embedded {
        /// The logical name (an asset's name in the page template, a licence's package).
        pub(super) key: &'static str,
        /// The path below `src/http/playground/`, as `vendor/MANIFEST` lists vendored ones.
        pub(super) source: &'static str,
        pub(super) content_type: &'static str,
        pub(super) body: &'static [u8],
    }

    /// Embeds a file from `src/http/playground/` and keeps its path beside its bytes, so that
    /// the checksum test can match each embedded file to its row in `vendor/MANIFEST`.
    macro_rules! embed {
        ($key:literal, $content_type:expr, $source:literal) => {
            Embedded {
                key: $key,
                source: $source,
                content_type: $content_type,
                body: include_bytes!(concat!("playground/", $source)),
            }
        };
    }

    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    const TEXT: &str = "text/plain; charset=utf-8";

    /// Every file the page loads: the vendored libraries and the page's own script and style.
    pub(super) const FILES: &[Embedded] = &[
        embed!("react.js", JS, "vendor/react/react.production.min.js"),
        embed!(
            "react-dom.js",
            JS,
            "vendor/react-dom/react-dom.production.min.js"
        ),
        embed!("graphiql.js", JS, "vendor/graphiql/graphiql.min.js"),
        embed!("graphiql.css", CSS, "vendor/graphiql/graphiql.min.css"),
        embed!("graphql-ws.js", JS, "vendor/graphql-ws/graphql-ws.min.js"),
        embed!("init.js", JS, "init.js"),
        embed!("page.css", CSS, "page.css"),
    ];

    /// The licences of the vendored packages, served together as `licenses.txt`.
    pub(super) const LICENSES: &[Embedded] = &[
        embed!("graphiql", TEXT, "vendor/graphiql/LICENSE"),
        embed!("react", TEXT, "vendor/react/LICENSE"),
        embed!("react-dom", TEXT, "vendor/react-dom/LICENSE"),
        embed!("graphql-ws", TEXT, "vendor/graphql-ws/LICENSE"),
    ];

    /// What each vendored file is and where it came from: tab-separated rows of file, package,
    /// version, member of the npm tarball and SHA-256, under `#` comments.
    pub(super) const MANIFEST: &str = include_str!("playground/vendor/MANIFEST");

    /// The rows of [`MANIFEST`], split into their columns; a malformed row is left out here and
    /// caught by the checksum test.
    pub(super) fn manifest_rows() -> impl Iterator<Item = [&'static str; 5]> {
        MANIFEST
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut columns = line.split('\t');
                let row = [(); 5].map(|()| columns.next().unwrap_or_default());
                (columns.next().is_none() && row.iter().all(|c| !c.is_empty())).then_some(row)
            })
    }

    /// The name of the licences page in the page template.
    pub(super) const LICENSES_KEY: &str = "licenses.txt";

    /// The licences page: each vendored package's licence, headed by its name and version.
    static LICENSES_TEXT: LazyLock<String> = LazyLock::new(|| {
        let mut text = String::from(
            "The GraphiQL playground served by this program includes the following \
             third-party software.\n",
        );
        for license in LICENSES {
            let version = manifest_rows()
                .find(|[file, ..]| license.source.strip_prefix("vendor/") == Some(*file))
                .map_or("", |[_, _, version, ..]| version);
            text.push_str(&format!(
                "\n==== {}@{version} ====\n\n{}\n",
                license.key,
                String::from_utf8_lossy(license.body).trim_end()
            ));
        }
        text
    });

    /// Hashes every file once, on first use, rather than at every request.
    static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
        let licenses = (LICENSES_KEY, TEXT, LICENSES_TEXT.as_bytes());
        FILES
            .iter()
            .map(|file| (file.key, file.content_type, file.body))
            .chain([licenses])
            .map(|(key, content_type, body)| {
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

    /// Returns the URL path of an asset by its logical name, for filling in the page template.
    pub(super) fn url(key: &str) -> String {
        match ASSETS.iter().find(|asset| asset.key == key) {
            Some(asset) => format!("/playground/{}", asset.name),
            None => format!("/playground/{key}"),
        }
    }
}

/// The HTML page and its Content-Security-Policy.
mod html {
    use std::sync::LazyLock;

    /// Allows only this origin's scripts, styles, `/graphql` and its WebSocket (CSP Level 3's
    /// `'self'` covers `ws:`/`wss:` to the same host), plus the `data:` URLs that GraphiQL's
    /// stylesheet uses for its fonts and icons; nothing inline, nothing elsewhere.
    pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
        img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
        form-action 'none'; frame-ancestors 'none'";

    /// The page template, with `{{name}}` placeholders for the hashed asset URLs.
    const TEMPLATE: &str = include_str!("playground/page.html");

    /// Fills the template in once, since the asset names never change while the server runs.
    static PAGE: LazyLock<String> = LazyLock::new(|| {
        let keys = super::assets::FILES.iter().map(|file| file.key);
        keys.chain([super::assets::LICENSES_KEY])
            .fold(TEMPLATE.to_owned(), |page, key| {
                page.replace(&format!("{{{{{key}}}}}"), &super::assets::url(key))
            })
    });

    /// Returns the filled-in page.
    pub(super) fn page() -> &'static str {
        PAGE.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

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

    #[test]
    fn page_names_every_asset_by_hash_and_serves_it() {
        let page = html::page();
        assert!(page.contains("<title>leap-graphql playground</title>"));
        assert!(!page.contains("{{"), "unfilled placeholder in {page}");
        let keys = assets::FILES.iter().map(|file| file.key);
        for key in keys.chain([assets::LICENSES_KEY]) {
            let url = assets::url(key);
            let name = url.strip_prefix("/playground/").unwrap_or_default();
            assert!(page.contains(&url), "{url} missing from page");
            assert!(
                assets::find(name).is_some_and(|a| !a.body.is_empty()),
                "{name} not served"
            );
        }
    }

    /// The embedded vendored files are exactly the ones the manifest describes: a file edited
    /// by hand, replaced without `update.sh`, or added without a row fails here.
    #[test]
    fn vendored_files_match_their_manifest_checksums() {
        let rows: Vec<[&str; 5]> = assets::manifest_rows().collect();
        let written = assets::MANIFEST
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .count();
        assert_eq!(
            rows.len(),
            written,
            "a MANIFEST row does not have 5 tab-separated columns"
        );

        let embedded: Vec<&assets::Embedded> = assets::FILES
            .iter()
            .chain(assets::LICENSES)
            .filter(|file| file.source.starts_with("vendor/"))
            .collect();
        for file in &embedded {
            let path = file.source.trim_start_matches("vendor/");
            let Some([_, package, version, _, sha256]) =
                rows.iter().find(|[listed, ..]| *listed == path)
            else {
                panic!(
                    "{} is embedded but has no row in vendor/MANIFEST",
                    file.source
                );
            };
            let actual = format!("{:x}", Sha256::digest(file.body));
            assert_eq!(
                &actual, sha256,
                "{} ({package}@{version}) differs from vendor/MANIFEST: restore it, or refresh \
                 every file with src/http/playground/vendor/update.sh",
                file.source
            );
        }
        for [listed, ..] in &rows {
            assert!(
                embedded
                    .iter()
                    .any(|file| file.source.trim_start_matches("vendor/") == *listed),
                "vendor/MANIFEST lists {listed}, which the binary does not embed"
            );
        }

        // Every package whose code is served has its licence served beside it.
        for [_, package, ..] in &rows {
            assert!(
                assets::LICENSES
                    .iter()
                    .any(|license| license.key == *package),
                "{package} is vendored without its licence"
            );
        }
    }

    #[test]
    fn licenses_page_names_each_package_and_version() {
        let url = assets::url(assets::LICENSES_KEY);
        let name = url.strip_prefix("/playground/").unwrap_or_default();
        let text = assets::find(name).map(|asset| String::from_utf8_lossy(asset.body));
        let text = text.unwrap_or_default();
        for heading in [
            "==== graphiql@4.1.2 ====",
            "==== react@18.3.1 ====",
            "==== react-dom@18.3.1 ====",
            "==== graphql-ws@6.4.2 ====",
        ] {
            assert!(
                text.contains(heading),
                "{heading} missing from licenses.txt"
            );
        }
        assert!(text.contains("MIT License"));
    }
}
