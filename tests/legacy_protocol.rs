//! One test per line of the legacy contract (`docs/LEGACY-PROTOCOL.md`), over real sockets.

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_login_replies_are_byte_exact() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client
        .send_raw(b"{\"type\":\"register\",\"username\":\"alice\",\"password\":\"pw\"}\n")
        .await;
    assert_eq!(
        client.recv_raw().await,
        b"{\"type\":\"register\",\"status\":\"ok\"}\n"
    );
    client
        .send_raw(b"{\"type\":\"login\",\"username\":\"alice\",\"password\":\"pw\"}\n")
        .await;
    assert_eq!(
        client.recv_raw().await,
        b"{\"type\":\"login\",\"status\":\"ok\",\"username\":\"alice\"}\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_registration_and_failed_login_use_legacy_texts() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.register("bob", "pw").await;
    client
        .send(json!({"type":"register","username":"bob","password":"other"}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["message"], "Username already exists.");
    assert_eq!(reply["error"], "Username already exists.");
    assert_eq!(reply["code"], "username_taken");
    // Names compare without case: "BOB" is the same account.
    client
        .send(json!({"type":"register","username":"BOB","password":"other"}))
        .await;
    assert_eq!(client.recv().await["message"], "Username already exists.");

    for (name, password) in [("bob", "wrong"), ("nobody", "pw")] {
        client
            .send(json!({"type":"login","username":name,"password":password}))
            .await;
        let reply = client.recv().await;
        assert_eq!(
            reply,
            json!({"type":"error","code":"login_failed","message":"Login failed.","error":"Login failed."})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_announces_online_to_identified_connections_only() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut anonymous = server.client().await;
    let mut bob = server.client().await;
    bob.register("bob", "pw").await;
    bob.login("bob", "pw").await;
    assert_eq!(
        alice.recv().await,
        json!({"type":"status","user":"bob","state":"online"})
    );
    // The anonymous connection got nothing: its first line is the reply to its request.
    anonymous.send(json!({"type":"users"})).await;
    assert_eq!(
        anonymous.recv().await,
        json!({"type":"users","users":["alice","bob"]})
    );
    // Bob did not get his own status line.
    bob.expect_nothing_pending().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_message_reaches_others_without_echo() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    let mut carol = server.user("carol").await;
    alice.recv_type("status").await; // bob online
    alice.recv_type("status").await; // carol online
    bob.recv_type("status").await; // carol online
    alice
        .send(json!({"type":"message","subtype":"global","to":"global","from":"mallory","content":"salut"}))
        .await;
    for client in [&mut bob, &mut carol] {
        let message = client.recv().await;
        assert_eq!(message["type"], "message");
        assert_eq!(message["subtype"], "global");
        assert_eq!(message["from"], "alice", "server sets from");
        assert_eq!(message["content"], "salut");
        common::assert_fixed_width_timestamp(message["timestamp"].as_str().unwrap());
    }
    alice.expect_nothing_pending().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_message_keeps_to_and_reaches_only_the_recipient() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    let mut carol = server.user("carol").await;
    alice.recv_type("status").await;
    alice.recv_type("status").await;
    bob.recv_type("status").await;
    alice
        .send(json!({"type":"message","subtype":"private","to":"bob","content":"psst"}))
        .await;
    let message = bob.recv().await;
    assert_eq!(message["subtype"], "private");
    assert_eq!(message["from"], "alice");
    assert_eq!(message["to"], "bob");
    assert_eq!(message["content"], "psst");
    carol.expect_nothing_pending().await;
    alice.expect_nothing_pending().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_free_text_and_uses_the_real_name() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    bob.send(json!({"type":"status","user":"alice","state":"do not disturb"}))
        .await;
    assert_eq!(
        alice.recv().await,
        json!({"type":"status","user":"bob","state":"do not disturb"})
    );
    bob.expect_nothing_pending().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_lists_each_identified_name_once_including_the_asker() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut _bob = server.user("bob").await;
    let mut guest = server.client().await;
    guest
        .send(json!({"type":"message","from":"zoé","content":""}))
        .await;
    let users = guest.sync().await;
    // Extra fields are harmless to legacy clients (contract, rule 7): the guest's badge rides along.
    assert_eq!(
        users,
        json!({"type":"users","users":["alice","bob","zoé"],"badges":{"zoé":"guest"}})
    );
    // A second connection of alice replaces the first; alice is still listed once.
    let mut alice_again = server.client().await;
    alice_again.login("alice", "secret").await;
    let kicked = alice.recv_type("error").await;
    assert_eq!(kicked["code"], "replaced");
    assert!(alice.closed().await);
    assert_eq!(
        alice_again.sync().await["users"],
        json!(["alice", "bob", "zoé"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_announces_offline() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.recv_type("status").await;
    drop(bob);
    assert_eq!(
        alice.recv().await,
        json!({"type":"status","user":"bob","state":"offline"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_speak_with_from_or_as_invite_and_may_send_empty_content() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut named = server.client().await;
    named
        .send(json!({"type":"message","subtype":"global","from":"Léa","content":""}))
        .await;
    assert_eq!(
        alice.recv().await,
        json!({"type":"status","user":"Léa","state":"online","badge":"guest"})
    );
    let announce = alice.recv().await;
    assert_eq!(announce["from"], "Léa");
    assert_eq!(announce["content"], "");
    let mut anonymous = server.client().await;
    anonymous
        .send(json!({"type":"message","content":"bonjour"}))
        .await;
    alice.recv_type("status").await;
    let message = alice.recv().await;
    assert_eq!(message["from"], "invité");
    assert_eq!(message["content"], "bonjour");
    // A guest's later `from` does not rename it.
    named
        .send(json!({"type":"message","from":"alice","content":"je suis alice"}))
        .await;
    assert_eq!(alice.recv().await["from"], "Léa");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_never_take_a_registered_or_online_name() {
    let server = TestServer::start().await;
    let mut offline = server.client().await;
    offline.register("Paul", "pw").await;
    drop(offline);
    let mut alice = server.user("alice").await;
    let mut impostor = server.client().await;
    impostor
        .send(json!({"type":"message","from":"alice","content":"c'est moi"}))
        .await;
    impostor.sync().await; // named before the next guest arrives
    let mut second = server.client().await;
    second
        .send(json!({"type":"message","from":"paul","content":"moi aussi"}))
        .await;
    second.sync().await;
    let mut third = server.client().await;
    third
        .send(json!({"type":"message","from":"alice","content":"et moi"}))
        .await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let line = alice.recv().await;
        if line["type"] == "message" {
            seen.push(line["from"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ["alice_2", "paul_2", "alice_3"]);
    let users = alice.sync().await;
    assert_eq!(
        users["users"],
        json!(["alice", "alice_2", "alice_3", "paul_2"])
    );
    // The reserved notice sender cannot be taken by a guest either.
    let mut fake_server = server.client().await;
    fake_server
        .send(json!({"type":"message","from":"Serveur","content":"maintenance"}))
        .await;
    assert_eq!(fake_server.recv().await["code"], "invalid_username");
    // A name held by an online guest cannot be registered.
    let mut registrant = server.client().await;
    registrant
        .send(json!({"type":"register","username":"alice_2","password":"pw"}))
        .await;
    assert_eq!(
        registrant.recv().await["message"],
        "Username already exists."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_before_the_first_reply() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut late = server.client().await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    bob.send(json!({"type":"message","content":"noise"})).await;
    alice.recv_type("message").await;
    late.send(json!({"type":"register","username":"late","password":"pw"}))
        .await;
    assert_eq!(late.recv().await, json!({"type":"register","status":"ok"}));
    late.send(json!({"type":"login","username":"late","password":"pw"}))
        .await;
    assert_eq!(late.recv().await["type"], "login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_is_ascii_escaped_and_input_may_be_crlf_or_windows_1252() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.client().await;
    bob.send_raw(
        b"{\"type\":\"register\",\"username\":\"b\xc3\xa9b\xc3\xa9\",\"password\":\"pw\"}\r\n",
    )
    .await;
    assert_eq!(
        bob.recv_raw().await,
        b"{\"type\":\"register\",\"status\":\"ok\"}\n"
    );
    bob.send_raw(
        b"{\"type\":\"login\",\"username\":\"b\xc3\xa9b\xc3\xa9\",\"password\":\"pw\"}\r\n",
    )
    .await;
    assert_eq!(
        bob.recv_raw().await,
        b"{\"type\":\"login\",\"status\":\"ok\",\"username\":\"b\\u00e9b\\u00e9\"}\n"
    );
    alice.recv_type("status").await;
    // Windows-1252: 0xE9 is "é", 0x80 is "€"; split across writes in the middle of the line.
    bob.send_raw(b"{\"type\":\"message\",\"content\":\"caf")
        .await;
    bob.send_raw(b"\xe9 \x80\"}\r\n").await;
    let raw = alice.recv_raw().await;
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(raw.is_ascii());
    assert!(
        text.contains("\"content\":\"caf\\u00e9 \\u20ac\""),
        "{text}"
    );
    // UTF-8 split inside a multi-byte character.
    bob.send_raw(b"{\"type\":\"message\",\"content\":\"\xc3")
        .await;
    bob.send_raw(b"\xa9t\xc3\xa9\"}\n").await;
    assert_eq!(alice.recv().await["content"], "été");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_style_usernames_are_accepted_and_bad_ones_refused() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let guest_account = "Invité_Benoît_1763731200123";
    client.register(guest_account, "guest").await;
    client.register(&"é".repeat(64), "pw").await;
    for bad in [
        "",
        "  ",
        "tab\there",
        "line\nbreak",
        "Serveur",
        &"x".repeat(65),
    ] {
        client
            .send(json!({"type":"register","username":bad,"password":"pw"}))
            .await;
        let reply = client.recv().await;
        assert_eq!(reply["code"], "invalid_username", "{bad:?}: {reply}");
    }
    client
        .send(json!({"type":"register","username":"nopass","password":""}))
        .await;
    assert_eq!(client.recv().await["code"], "invalid_password");
    client.login(guest_account, "guest").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_from_two_senders_reach_everyone_in_order_and_never_echo() {
    let server = TestServer::start().await;
    let mut first = server.user("premier").await;
    let mut second = server.user("second").await;
    let mut reader = server.user("lecteur").await;
    first.sync().await;
    second.sync().await;
    reader.sync().await;
    // Both write as fast as they can: the store commits them in shared batches.
    let burst = |who: &str| -> Vec<u8> {
        (0..50)
            .flat_map(|n| {
                let mut line = serde_json::to_vec(&json!({
                    "type":"message","subtype":"global","content": format!("{who} {n}")
                }))
                .unwrap();
                line.push(b'\n');
                line
            })
            .collect()
    };
    let (a, b) = (burst("premier"), burst("second"));
    tokio::join!(first.send_raw(&a), second.send_raw(&b));
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen.push(
            reader.recv_type("message").await["content"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for who in ["premier", "second"] {
        let theirs: Vec<&String> = seen.iter().filter(|c| c.starts_with(who)).collect();
        let expected: Vec<String> = (0..50).map(|n| format!("{who} {n}")).collect();
        assert_eq!(theirs, expected.iter().collect::<Vec<_>>(), "{who}'s order");
    }
    // Each sender gets exactly the other's 50 messages, none of its own.
    for (client, other) in [(&mut first, "second"), (&mut second, "premier")] {
        for n in 0..50 {
            let line = client.recv_type("message").await;
            assert_eq!(line["content"], format!("{other} {n}"));
        }
        client.expect_nothing_pending().await;
    }
}
