//! `sovereign serve` over real TLS, as a kube-apiserver meets it: body limits on HTTP/1.1
//! and HTTP/2, certificates rotated and refused, TLS versions, and no plain HTTP.

mod server_support;

use std::time::Duration;

use serde_json::json;
use server_support::*;
use sovereign::server::Server;
use sovereign::server::tls::CertFiles;

const VALID_UID: &str = "still-serving";

/// The server answers a valid review after whatever came before.
async fn assert_still_serving(server: &TestServer) {
    let reply = server.review(&with_uid(fixture("deployment-deny.json"), VALID_UID)).await;
    assert_eq!(reply.uid, VALID_UID);
    assert!(!reply.allowed);
}

// ---------------------------------------------------------------------------------------
// 1. Bodies over the limit

/// A valid review, padded past a 64 KiB limit with an annotation of `padding` bytes.
fn oversized_review(padding: usize) -> Vec<u8> {
    let mut review = fixture("deployment-deny.json");
    review["request"]["object"]["metadata"]["annotations"] = json!({ "padding": "x".repeat(padding) });
    serde_json::to_vec(&review).unwrap()
}

/// POSTs an oversized review over one HTTP version; the version answered, status and body.
async fn post_oversized(
    server: &TestServer,
    client: &reqwest::Client,
    padding: usize,
) -> (reqwest::Version, u16, String) {
    let response = client
        .post(server.url("/validate"))
        .header("content-type", "application/json")
        .body(oversized_review(padding))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST of {padding} bytes: {e:?}"));
    let version = response.version();
    (version, response.status().as_u16(), response.text().await.expect("response body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_over_http1() {
    let server = TestServer::start(Setup::examples().max_body_bytes(64 * 1024)).await;
    let h1 = https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap();
    for padding in [256 * 1024, 4 * 1024 * 1024] {
        let (version, status, text) = post_oversized(&server, &h1, padding).await;
        assert_eq!((version, status), (reqwest::Version::HTTP_11, 413), "{padding} bytes: {text}");
        assert!(text.contains("65536"), "the answer names the limit: {text}");
    }
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_over_http2_not_a_stream_reset() {
    let server = TestServer::start(Setup::examples().max_body_bytes(64 * 1024)).await;
    let h2 = https_client(server.addr, &[&server.ca.pem]).http2_prior_knowledge().build().unwrap();
    // Past the limit, and past HTTP/2's initial flow-control windows (64 KiB) many times over.
    for padding in [256 * 1024, 4 * 1024 * 1024] {
        let (version, status, text) = post_oversized(&server, &h2, padding).await;
        assert_eq!((version, status), (reqwest::Version::HTTP_2, 413), "{padding} bytes: {text}");
        assert!(text.contains("65536"), "the answer names the limit: {text}");
    }
    // The connection is still good for the next request.
    let reply = review_with(&h2, &server.url("/validate"), &fixture("deployment-allow.json")).await;
    assert!(reply.allowed);
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------------------
// 5. Certificates

/// A client trusting `cas`, opening a fresh connection for every request and never
/// resuming a TLS session (so each request sees the certificate served right now), and
/// reporting the peer certificate.
fn fresh_client(server: &TestServer, cas: &[&str]) -> reqwest::Client {
    let tls = tls_client_config(cas, rustls::ALL_VERSIONS, &[b"h2", b"http/1.1"]);
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .resolve("localhost", server.addr)
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .tls_info(true)
        .build()
        .unwrap()
}

/// Sends a review; the served certificate's DER, or the error.
async fn served_certificate(server: &TestServer, client: &reqwest::Client) -> Result<Vec<u8>, reqwest::Error> {
    let review = with_uid(fixture("deployment-deny.json"), "cert-probe");
    let response = client.post(server.url("/validate")).json(&review).send().await?;
    let cert = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|t| t.peer_certificate())
        .map(<[u8]>::to_vec)
        .expect("TLS info");
    assert_eq!(response.status(), 200);
    let reply = Reply::parse(&response.text().await?);
    assert_eq!(reply.uid, "cert-probe");
    assert!(!reply.allowed);
    Ok(cert)
}

fn tls_reload_errors(metrics: &str) -> f64 {
    metric(metrics, r#"sovereign_errors_total{error="tls_reload"}"#).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_served_without_restart() {
    let server = TestServer::start(Setup::examples()).await;
    let new_ca = Ca::new("rotated CA");
    let new_pair = new_ca.issue();
    let both = fresh_client(&server, &[&server.ca.pem, &new_ca.pem]);
    let old_only = fresh_client(&server, &[&server.ca.pem]);
    let new_only = fresh_client(&server, &[&new_ca.pem]);
    assert!(served_certificate(&server, &new_only).await.is_err(), "the new CA is not trusted before rotation");

    write_pair(&server.certs, &new_pair.cert_pem, &new_pair.key_pem);
    let mut answered_with_old = 0;
    eventually("the rotated certificate", async || {
        // Every request during the rotation succeeds, with the old certificate until the new one.
        let cert = served_certificate(&server, &both).await.expect("requests keep succeeding during rotation");
        if cert == new_pair.cert_der {
            return Some(());
        }
        assert_eq!(cert, server.pair.cert_der, "served a certificate that is neither the old nor the new");
        answered_with_old += 1;
        None
    })
    .await;
    eprintln!("{answered_with_old} requests answered with the old certificate before the reload");
    assert_eq!(served_certificate(&server, &new_only).await.expect("the new CA is trusted now"), new_pair.cert_der);
    assert!(served_certificate(&server, &old_only).await.is_err(), "the old certificate is no longer served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_new_pair_keeps_the_old_certificate_serving() {
    let server = TestServer::start(Setup::examples()).await;
    let old_only = fresh_client(&server, &[&server.ca.pem]);
    let new_ca = Ca::new("next CA");
    let (next, other) = (new_ca.issue(), new_ca.issue());
    let both = fresh_client(&server, &[&server.ca.pem, &new_ca.pem]);

    let bad_pairs = [
        ("garbage", "not a certificate\n".to_string(), "not a key\n".to_string()),
        ("a key that does not fit the certificate", next.cert_pem.clone(), other.key_pem.clone()),
        // Not `next`'s key: the key is written before the certificate, so for a moment the
        // files would hold `next`'s certificate (left by the pair above) with its own key,
        // a valid pair the server would rightly take.
        ("a key and no certificate", String::new(), other.key_pem.clone()),
    ];
    for (what, cert, key) in bad_pairs {
        let before = tls_reload_errors(&server.metrics().await);
        write_pair(&server.certs, &cert, &key);
        eventually(&format!("{what} to be rejected"), async || {
            (tls_reload_errors(&server.metrics().await) > before).then_some(())
        })
        .await;
        // Give the watcher a few more rounds over the final files, then check.
        tokio::time::sleep(RELOAD_EVERY * 3).await;
        let cert = served_certificate(&server, &old_only).await;
        assert_eq!(cert.expect(what), server.pair.cert_der, "after {what}");
    }

    // The watcher survived the bad pairs: a good one is still picked up.
    write_pair(&server.certs, &next.cert_pem, &next.key_pem);
    eventually("the good pair after the bad ones", async || {
        (served_certificate(&server, &both).await.expect("serving") == next.cert_der).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_will_not_start_without_a_valid_pair() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("bind CA");
    let (pair, other) = (ca.issue(), ca.issue());
    let setup = Setup::examples();
    let files = |name: &str, cert: Option<&str>, key: Option<&str>| {
        let files =
            CertFiles { cert: dir.path().join(format!("{name}.crt")), key: dir.path().join(format!("{name}.key")) };
        if let Some(cert) = cert {
            std::fs::write(&files.cert, cert).unwrap();
        }
        if let Some(key) = key {
            std::fs::write(&files.key, key).unwrap();
        }
        files
    };
    let cases = [
        ("no files", files("missing", None, None), "cannot read"),
        ("no key file", files("no-key", Some(&pair.cert_pem), None), "cannot read"),
        ("a key that does not fit", files("mismatch", Some(&pair.cert_pem), Some(&other.key_pem)), "does not fit"),
        ("garbage", files("garbage", Some("garbage"), Some("garbage")), ""),
        ("the key as the certificate", files("swapped", Some(&pair.key_pem), Some(&pair.key_pem)), "no certificate"),
    ];
    for (what, certs, says) in cases {
        match Server::bind(setup.config(certs)).await {
            Ok(server) => panic!("{what}: the server started on {}", server.addr),
            Err(e) => assert!(e.to_string().contains(says), "{what}: {e}"),
        }
    }
    // The same setup with a good pair starts.
    let good = files("good", Some(&pair.cert_pem), Some(&pair.key_pem));
    assert!(Server::bind(setup.config(good)).await.is_ok());
}

// ---------------------------------------------------------------------------------------
// 6. TLS versions, and no plain HTTP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls12_only_client_is_served() {
    let server = TestServer::start(Setup::examples()).await;
    let mut tls = tls_connect(server.addr, &server.ca.pem, &[&rustls::version::TLS12]).await.expect("TLS 1.2");
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    let body = serde_json::to_vec(&with_uid(fixture("deployment-deny.json"), "tls12")).unwrap();
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    write_all(&mut tls, head.as_bytes()).await;
    write_all(&mut tls, &body).await;
    let (status, text) = read_http1_response(&mut tls).await;
    assert_eq!(status, 200, "{text}");
    let reply = Reply::parse(&text);
    assert_eq!(reply.uid, "tls12");
    assert!(!reply.allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls13_client_is_served() {
    let server = TestServer::start(Setup::examples()).await;
    let tls = tls_connect(server.addr, &server.ca.pem, &[&rustls::version::TLS13]).await.expect("TLS 1.3");
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_the_https_port_gets_no_answer() {
    let server = TestServer::start(Setup::examples()).await;
    let plain = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let url = format!("http://127.0.0.1:{}/healthz", server.addr.port());
    let result = plain.get(&url).send().await;
    assert!(result.is_err(), "plain HTTP was answered: {result:?}");
    let body = serde_json::to_vec(&fixture("deployment-deny.json")).unwrap();
    let result = plain.post(format!("http://127.0.0.1:{}/validate", server.addr.port())).body(body).send().await;
    assert!(result.is_err(), "plain HTTP was answered: {result:?}");
    assert_still_serving(&server).await;
}
