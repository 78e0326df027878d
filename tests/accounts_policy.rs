//! Who may make an account or chat without one (`[accounts]`): closed registration and no
//! guests, as a school sets them, over real sockets, with the refusals in French.

mod common;

use classcord::config::{Language, Registration};
use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn closed_registration_refuses_register_in_french_and_accounts_still_log_in() {
    let mut server = TestServer::start().await;
    // An account made before (as an import or `classcord user add` makes them).
    server.user("eleve").await;
    server.stop().await;
    server
        .restart(|config| {
            config.accounts.registration = Registration::Closed;
            config.server.language = Language::Fr;
        })
        .await;

    let mut newcomer = server.client().await;
    newcomer
        .send(json!({"type": "register", "username": "prof_martin", "password": "x"}))
        .await;
    let refused = newcomer.recv().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(
        refused["message"],
        "Les inscriptions sont fermées : demandez votre compte à votre enseignant."
    );
    // Nothing was created: the name is not an account.
    let login = newcomer.try_login("prof_martin", "x").await;
    assert_eq!(login["code"], "login_failed", "{login}");

    let mut pupil = server.client().await;
    let reply = pupil.try_login("eleve", "secret").await;
    assert_eq!(reply["type"], "login", "{reply}");
    assert_eq!(reply["status"], "ok", "{reply}");
}

#[tokio::test]
async fn without_guests_only_accounts_chat() {
    let mut server = TestServer::start().await;
    server.user("eleve").await;
    server.stop().await;
    server
        .restart(|config| {
            config.accounts.guests = false;
            config.server.language = Language::Fr;
        })
        .await;
    let mut pupil = server.client().await;
    pupil.try_login("eleve", "secret").await;
    pupil.sync().await;

    // A legacy client writing before logging in, and a typed guest request: both refused.
    let mut stranger = server.client().await;
    stranger
        .send(json!({"type": "message", "subtype": "global", "from": "eleve3", "content": "salut"}))
        .await;
    let refused = stranger.recv().await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(
        refused["message"],
        "Les invités ne sont pas acceptés : connectez-vous avec votre compte."
    );
    stranger
        .send(json!({"type": "guest", "name": "eleve3"}))
        .await;
    assert_eq!(stranger.recv().await["code"], "forbidden");
    // Nobody saw the stranger.
    pupil.expect_nothing_pending().await;
}
