//! `sovereign serve` running: standalone files reloaded while serving, a thousand
//! concurrent requests, and shutdown (requests in flight finished, idle connections not
//! waited for, SIGTERM).

mod server_support;

use std::time::Duration;

use serde_json::{Value, json};
use server_support::*;
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------------------
// 7. Standalone files reloaded while serving

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_policy_file_changes_the_verdict_without_restart() {
    let files = tempfile::tempdir().unwrap();
    let policies = files.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let original = std::fs::read_to_string(example("policies/indonesia-pdp.yaml")).unwrap();
    assert!(original.contains("enforcement: Deny"));
    let policy = policies.join("indonesia-pdp.yaml");
    std::fs::write(&policy, &original).unwrap();
    let server = TestServer::start(Setup::examples().policies(vec![policies.clone()])).await;

    let review = fixture("deployment-deny.json");
    let reply = server.review(&review).await;
    assert!(!reply.allowed, "{reply:#?}");

    let relaxed = original.replace("enforcement: Deny", "enforcement: Warn  # while the team migrates");
    replace_file(&policy, relaxed.as_bytes());
    let reply = eventually("the Warn policy to apply", async || {
        let reply = server.review(&review).await;
        reply.allowed.then_some(reply)
    })
    .await;
    assert!(!reply.warnings.is_empty(), "{reply:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_node_to_the_inventory_file_changes_the_verdict_without_restart() {
    let files = tempfile::tempdir().unwrap();
    let pods = write(files.path(), "pods.yaml", TEST_PODS);
    let server = TestServer::start(Setup::examples().inventory(vec![example("inventory"), pods.clone()])).await;

    // The scheduler binds citizen data to a node sovereign has not heard of: fail closed.
    let mut review = fixture("binding-allow.json");
    review["request"]["object"]["target"]["name"] = json!("jkt-aws-2");
    let reply = server.review(&review).await;
    assert!(!reply.allowed, "{reply:#?}");
    assert!(reply.message.contains("node jkt-aws-2 is not in the inventory"), "{}", reply.message);

    let node = r#"
---
apiVersion: v1
kind: Node
metadata:
  name: jkt-aws-2
  labels:
    topology.kubernetes.io/region: ap-southeast-3
    topology.kubernetes.io/zone: ap-southeast-3b
"#;
    replace_file(&pods, format!("{TEST_PODS}{node}").as_bytes());
    eventually("the new node to be known", async || server.review(&review).await.allowed.then_some(())).await;
    let text = server.metrics().await;
    assert_eq!(metric(&text, r#"sovereign_inventory_objects{kind="Node"}"#), Some(6.0), "{text}");
}

// ---------------------------------------------------------------------------------------
// 8. Load

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_are_all_answered_correctly() {
    const REQUESTS: usize = 1000;
    let server = TestServer::start(Setup::examples()).await;
    let url = server.url("/validate");
    // Two HTTP/2 clients multiplexing, two HTTP/1.1 clients opening connections.
    let clients = [
        https_client(server.addr, &[&server.ca.pem]).build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap(),
    ];
    // Keeps HTTP/1.1 connections (and file descriptors) within reason.
    let http1_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(128));
    let templates = [
        (fixture("deployment-deny.json"), false),
        (fixture("deployment-allow.json"), true),
        (fixture("daemonset-warn.json"), true),
        (fixture("statefulset-deny.json"), false),
        (fixture("pod-deny.json"), false),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let (template, allowed) = &templates[i % templates.len()];
        let uid = format!("load-{i:04}");
        let body = with_uid(template.clone(), &uid);
        let client = clients[i % clients.len()].clone();
        let slots = (i % clients.len() >= 2).then(|| http1_slots.clone());
        let (url, allowed) = (url.clone(), *allowed);
        tasks.spawn(async move {
            let _slot = match &slots {
                Some(s) => Some(s.acquire().await.unwrap()),
                None => None,
            };
            let reply = review_with(&client, &url, &body).await;
            (uid, allowed, reply)
        });
    }
    let all = tokio::time::timeout(Duration::from_secs(60), tasks.join_all()).await.expect("answered within 60 s");
    assert_eq!(all.len(), REQUESTS);
    for (uid, allowed, reply) in &all {
        assert_eq!(&reply.uid, uid);
        assert_eq!(reply.allowed, *allowed, "{uid}: {reply:#?}");
    }
    let text = server.metrics().await;
    let answered: f64 = text
        .lines()
        .filter(|l| l.starts_with("sovereign_admission_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(answered, REQUESTS as f64, "{text}");
}

// ---------------------------------------------------------------------------------------
// 9. Shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
    let mut server = TestServer::start(Setup::examples()).await;
    let addr = server.addr;
    let body = serde_json::to_vec(&with_uid(fixture("deployment-deny.json"), "in-flight")).unwrap();
    let mut tls = tls_connect(addr, &server.ca.pem, &[&rustls::version::TLS13]).await.expect("connect");
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    write_all(&mut tls, head.as_bytes()).await;
    // 100 Continue: the server has the request and is reading its body.
    read_100_continue(&mut tls).await;
    let (first, rest) = body.split_at(body.len() / 2);
    write_all(&mut tls, first).await;

    server.signal_shutdown();
    eventually("new connections to be refused", async || TcpStream::connect(addr).await.is_err().then_some(())).await;

    write_all(&mut tls, rest).await;
    let (status, text) = read_http1_response(&mut tls).await;
    assert_eq!(status, 200, "{text}");
    let reply = Reply::parse(&text);
    assert_eq!(reply.uid, "in-flight");
    assert!(!reply.allowed);
    assert_eq!(reply.code, Some(403));

    server.wait_stopped().await;
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_idle_keep_alive_connections() {
    // A grace period far longer than the test waits: idle connections must not use it up.
    let mut setup = Setup::examples();
    setup.shutdown_grace = Duration::from_secs(120);
    let mut server = TestServer::start(setup).await;
    let h2 = https_client(server.addr, &[&server.ca.pem]).build().unwrap();
    let h1 = https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap();
    for client in [&h2, &h1] {
        let reply = review_with(client, &server.url("/validate"), &fixture("deployment-allow.json")).await;
        assert!(reply.allowed);
    }
    // Both clients now hold an idle keep-alive connection.
    server.shutdown().await;
    assert!(h1.get(server.url("/healthz")).send().await.is_err(), "answered after shutdown");
}

#[test]
fn the_binary_exits_0_promptly_on_sigterm() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(["serve", "--self-signed", "--policies", "examples/policies", "--inventory", "examples/inventory"])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(ROOT)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let pid = child.id();
    let self_signed_dir = std::env::temp_dir().join(format!("sovereign-self-signed-{pid}"));

    // Read the log on a thread (and keep draining it) until the server says where it listens.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["message"] == "serving"
                && let Some(addr) = event["addr"].as_str()
            {
                let _ = tx.send(addr.to_string());
            }
            log.push(line);
        }
        log.join("\n")
    });
    let addr = match rx.recv_timeout(PATIENCE) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary never logged `serving`:\n{}", reader.join().unwrap());
        }
    };
    let addr: std::net::SocketAddr = addr.parse().expect("an address");

    // A runtime of its own, dropped (closing its connections) before the signal.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = runtime.block_on(async {
        install_crypto_provider();
        let cert = std::fs::read_to_string(self_signed_dir.join("tls.crt")).expect("the self-signed certificate");
        let client = https_client(addr, &[&cert]).build().unwrap();
        let response = client.get(format!("https://localhost:{}/healthz", addr.port())).send().await;
        response.expect("the binary serves /healthz").status()
    });
    drop(runtime);
    assert_eq!(status, 200);

    let killed = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 10 s after SIGTERM:\n{}", reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&self_signed_dir);
    assert!(exit.success(), "exit {exit:?} after SIGTERM:\n{log}");
    assert!(log.contains("shutting down"), "{log}");
}
