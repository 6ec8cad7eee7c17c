//! The real OS keychain (Secret Service, or keyutils when none answers): what `scripts/test.sh`
//! provides as a throwaway keyring. Outside it (plain `cargo test`) the test says so and skips.

use gram_admin_core::secrets::{Keychain, SecretName, SecretStore};
use gram_admin_core::Sensitive;

fn keychain_or_skip() -> Option<Keychain> {
    if std::env::var_os("GRAM_ADMIN_TEST_INNER").is_none() {
        eprintln!("skipped: run through scripts/test.sh, which provides a throwaway keyring");
        return None;
    }
    let service = format!("gram-admin-test-{}", std::process::id());
    Some(Keychain::new(service))
}

#[test]
fn the_keychain_keeps_reads_and_forgets_a_secret() {
    let Some(keychain) = keychain_or_skip() else {
        return;
    };
    let secret = Sensitive::new(format!("session-{}", std::process::id()));
    assert_eq!(keychain.get(SecretName::GithubToken).expect("read"), None);
    keychain
        .set(SecretName::GithubToken, &secret)
        .expect("save");
    assert_eq!(
        keychain
            .get(SecretName::GithubToken)
            .expect("read")
            .as_ref()
            .map(|s| s.expose().clone()),
        Some(secret.expose().clone())
    );
    keychain.delete(SecretName::GithubToken).expect("delete");
    keychain
        .delete(SecretName::GithubToken)
        .expect("deleting twice is fine");
    assert_eq!(keychain.get(SecretName::GithubToken).expect("read"), None);
}

/// A copy saved in the kernel keyring (while the Secret Service was locked, say) must not
/// outlive a sign-out that the Secret Service answered.
#[cfg(target_os = "linux")]
#[test]
fn signing_out_removes_the_kernel_keyring_copy_too() {
    use gram_admin_core::gram::session;
    use keyring::keyutils::KeyutilsCredential;

    if keychain_or_skip().is_none() {
        return;
    }
    let service = format!("gram-admin-test-kernel-{}", std::process::id());
    let keychain = Keychain::new(service.clone());
    let account = SecretName::GramSession.account();
    let kernel = || {
        keyring::Entry::new_with_credential(Box::new(
            KeyutilsCredential::new_with_target(None, &service, account).expect("keyutils"),
        ))
    };
    kernel()
        .set_password("{\"server\":\"https://gram.acme.test\",\"session\":\"kept-while-locked\"}")
        .expect("a kernel keyring copy");
    session::save_session(
        &keychain,
        &gram_admin_testkit::fixtures::server("https://gram.acme.test"),
        &Sensitive::new("in-the-secret-service".to_owned()),
    )
    .expect("saved");
    let secret_service = keyring::Entry::new(&service, account).expect("an entry");
    assert!(
        secret_service.get_password().is_ok(),
        "no Secret Service answered, so this test cannot tell the two stores apart"
    );

    session::forget_session(&keychain).expect("signed out");
    assert!(
        matches!(kernel().get_password(), Err(keyring::Error::NoEntry)),
        "the kernel keyring still holds the session"
    );
    assert_eq!(
        keychain.get(SecretName::GramSession).expect("read"),
        None,
        "the Secret Service still holds the session"
    );
}
