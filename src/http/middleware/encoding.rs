//! Content codings for answers served again from the response cache, which keeps a
//! compressed copy of each body rather than compressing it on every hit: browsers send
//! `Accept-Encoding: gzip, br` with every request, and compressing a few kilobytes costs
//! several times more than the rest of a hit.
//!
//! Everything else is compressed by `tower-http`'s layer (see [`super::Respond`]), which
//! leaves a response that already has a `Content-Encoding` alone. The coding is chosen once
//! per request, by [`preferred`], as that layer would choose it for the two codings it is
//! configured with (a test asks the layer itself); the layer is then asked for that coding
//! alone, and [`compress`] uses its default levels, so that a copy is byte for byte what
//! the layer sends.

use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};

/// The codings the server answers in, in `tower-http`'s order of preference among equal
/// q-values (the later, the more preferred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` of a body in this coding; none for identity.
    pub fn header_value(self) -> Option<HeaderValue> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }

    fn parse(name: &str) -> Option<Encoding> {
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            Some(Encoding::Gzip)
        } else if name.eq_ignore_ascii_case("br") {
            Some(Encoding::Brotli)
        } else if name.eq_ignore_ascii_case("identity") {
            Some(Encoding::Identity)
        } else {
            None
        }
    }
}

/// The coding to answer a request in, from its `Accept-Encoding` headers: the one with the
/// highest q-value above 0, the later in [`Encoding`]'s order among equals. Codings we do
/// not make (`deflate`, `zstd`, `*`) and entries with a malformed q-value are skipped, as
/// `tower-http` skips them.
pub fn preferred(headers: &HeaderMap) -> Encoding {
    // What browsers send (Chrome, then Firefox and Safari), without parsing.
    let mut values = headers.get_all(header::ACCEPT_ENCODING).iter();
    if let (Some(only), None) = (values.next(), values.next())
        && (only == "gzip, deflate, br, zstd" || only == "gzip, deflate, br")
    {
        return Encoding::Brotli;
    }
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| {
            let mut parts = entry.splitn(2, ';');
            let encoding = Encoding::parse(parts.next().unwrap_or("").trim())?;
            let q = match parts.next() {
                Some(q) => q_value(q.trim())?,
                None => 1000,
            };
            Some((q, encoding))
        })
        .filter(|&(q, _)| q > 0)
        .max()
        .map_or(Encoding::Identity, |(_, encoding)| encoding)
}

/// A q-value (RFC 9110, 12.4.2) in thousandths: `q=` then `0` or `1`, and up to three
/// decimals, at most 1.
fn q_value(text: &str) -> Option<u16> {
    let rest = text
        .strip_prefix("q=")
        .or_else(|| text.strip_prefix("Q="))?;
    let (whole, decimals) = match rest.split_once('.') {
        Some((whole, decimals)) => (whole, decimals),
        None => (rest, ""),
    };
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = decimals
        .bytes()
        .zip([100u16, 10, 1])
        .map(|(b, factor)| u16::from(b - b'0') * factor)
        .sum::<u16>();
    let q = whole + fraction;
    (q <= 1000).then_some(q)
}

/// `body` in `encoding`, at `tower-http`'s default levels (gzip 6, brotli 4).
pub fn compress(encoding: Encoding, body: &[u8]) -> Bytes {
    match encoding {
        Encoding::Identity => Bytes::copy_from_slice(body),
        Encoding::Gzip => {
            let mut out = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3),
                flate2::Compression::default(),
            );
            // Writing into a Vec cannot fail.
            let _ = out.write_all(body);
            Bytes::from(out.finish().unwrap_or_default())
        }
        Encoding::Brotli => {
            let mut out = Vec::with_capacity(body.len() / 3);
            {
                let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 4, 22);
                let _ = writer.write_all(body);
            }
            Bytes::from(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Encoding {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        preferred(&headers)
    }

    use Encoding::{Brotli, Gzip, Identity};

    /// `Accept-Encoding` values, one header each, and the coding they ask for.
    const CASES: &[(&[&str], Encoding)] = &[
        (&[], Identity),
        (&["gzip"], Gzip),
        (&["x-gzip"], Gzip),
        (&["GZip"], Gzip),
        (&["gzip, deflate, br"], Brotli),
        (&["gzip", "br"], Brotli),
        (&["br;q=0.5, gzip"], Gzip),
        (&["br;q=0.5, gzip;q=0.499"], Brotli),
        (&["br;q=0, gzip;q=0"], Identity),
        (&["gzip;q=0.000"], Identity),
        (&["identity"], Identity),
        (&["identity, gzip"], Gzip),
        (&["identity;q=1, gzip;q=0.9"], Identity),
        (&["deflate, zstd, *"], Identity),
        // A malformed q-value drops its entry only.
        (&["br;q=1.0000, gzip"], Gzip),
        (&["br;q=2, gzip;q=0.1"], Gzip),
        (&["br;q=.5"], Identity),
        (&["br; q=0.5"], Brotli),
        (&["gzip;Q=0.9"], Gzip),
        (&["  br  ;q=1"], Brotli),
        (&["br;q=1., gzip;q=0.999"], Brotli),
        (&["gzip;q=0.5x, br;q=0.2"], Brotli),
        (&[",,gzip,;q=1,br;"], Gzip),
        // Browsers' values, which skip the parsing: it would say the same.
        (&["gzip, deflate, br, zstd"], Brotli),
        (&["gzip, deflate, br", "br;q=0"], Brotli),
        (&["gzip, deflate, br, zstd", "gzip;q=1"], Brotli),
    ];

    #[test]
    fn chooses_as_tower_http_does() {
        for (values, expected) in CASES {
            assert_eq!(accept(values), *expected, "{values:?}");
        }
    }

    /// The coding `tower-http`'s layer, as the server configures it, answers a 2000-byte
    /// body in, for these `Accept-Encoding` values.
    async fn tower_http_chooses(values: &[&str]) -> Encoding {
        use axum::body::Body;
        use axum::http::{Request, Response};
        use tower::{Layer, ServiceExt};
        let layer = tower_http::compression::CompressionLayer::new()
            .gzip(true)
            .br(true);
        let service = layer.layer(tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(vec![b'x'; 2000])))
        }));
        let mut request = Request::new(Body::empty());
        for v in values {
            request
                .headers_mut()
                .append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        let r = service.oneshot(request).await.unwrap();
        match r
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes())
        {
            None => Encoding::Identity,
            Some(b"gzip") => Encoding::Gzip,
            Some(b"br") => Encoding::Brotli,
            Some(other) => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn tower_http_agrees() {
        for (values, _) in CASES {
            assert_eq!(
                accept(values),
                tower_http_chooses(values).await,
                "{values:?}"
            );
        }
    }

    #[test]
    fn compressed_bodies_decompress_to_the_body() {
        use std::io::Read;
        let body = br#"{"data":{"films":[{"title":"Leap"},{"title":"Leap"}]}}"#.repeat(40);
        let gzip = compress(Encoding::Gzip, &body);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        let br = compress(Encoding::Brotli, &body);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        assert!(gzip.len() < body.len() / 4 && br.len() < body.len() / 4);
    }
}
