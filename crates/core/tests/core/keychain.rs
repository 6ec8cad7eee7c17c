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
