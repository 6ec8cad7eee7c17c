//! The hooks-scoped Gram API key that is baked into the observability plugin.

use std::fmt;

use crate::error::Problem;
use crate::sensitive::Sensitive;

/// A Gram API key shaped `gram_<env>_<64 lowercase hex>`.
///
/// Its `Debug` shows only the prefix Gram itself displays (`gram_<env>_` + 5 hex), never more.
#[derive(Clone, PartialEq, Eq)]
pub struct HooksKey {
    plaintext: Sensitive<String>,
}

impl HooksKey {
    /// Validates the shape. The error never contains the key itself.
    pub fn parse(plaintext: &str) -> Result<Self, Problem> {
        let plaintext = plaintext.trim();
        let shaped = plaintext
            .strip_prefix("gram_")
            .and_then(|rest| rest.split_once('_'))
            .is_some_and(|(env, hex)| {
                !env.is_empty()
                    && env
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    && hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            });
        if !shaped {
            return Err(Problem::new(
                crate::Field::Key,
                "The key is not a Gram API key: expected gram_<env>_ followed by 64 lowercase hex characters.",
            ));
        }
        Ok(Self {
            plaintext: Sensitive::new(plaintext.to_owned()),
        })
    }

    /// An obviously fake key, for previews and renders made before a real key is minted.
    pub fn placeholder() -> Self {
        Self {
            plaintext: Sensitive::new(format!("gram_local_{}", "0".repeat(64))),
        }
    }

    /// What may be shown to a human: `gram_<env>_` and the first 5 hex characters.
    pub fn prefix(&self) -> String {
        let key = self.plaintext.expose();
        let env_end = key["gram_".len()..]
            .find('_')
            .map_or(key.len(), |i| i + "gram_".len() + 1);
        key[..(env_end + 5).min(key.len())].to_owned()
    }

    /// The prefix followed by a mask, as used in previews: `gram_live_1a2b3…`.
    pub fn masked(&self) -> String {
        format!("{}…", self.prefix())
    }

    /// The full key. Only the renderer (which bakes it into the hook script) calls this.
    pub fn expose(&self) -> &str {
        self.plaintext.expose()
    }
}

impl fmt::Debug for HooksKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HooksKey({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key of the production shape, built at run time so no key-shaped literal is committed.
    fn live_key() -> String {
        format!("gram_live_{}", "0123456789abcdef".repeat(4))
    }

    #[test]
    fn accepts_the_gram_shape_and_shows_only_the_prefix() {
        let live = live_key();
        let key = HooksKey::parse(&live).expect("valid key");
        assert_eq!(key.prefix(), "gram_live_01234");
        assert_eq!(format!("{key:?}"), "HooksKey(gram_live_01234…)");
        assert!(!format!("{key:?}").contains(&live[20..]));
    }

    #[test]
    fn trims_the_trailing_newline_of_a_key_file() {
        let live = live_key();
        let key = HooksKey::parse(&format!("{live}\n")).expect("valid key");
        assert_eq!(key.expose(), live);
    }

    #[test]
    fn rejects_other_shapes_without_echoing_them() {
        let key = live_key();
        for bad in [
            "",
            "gram__0123",
            &key[..key.len() - 1],
            &key.replace("gram_live", "gram_LIVE"),
            &key.replace('a', "A"),
            &key.replace("gram_", "grm_"),
            &format!("{key}0"),
            "gram_live_zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            let err = HooksKey::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("not a Gram API key"), "{err}");
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad));
            }
        }
    }

    #[test]
    fn placeholder_is_valid_and_obviously_fake() {
        let p = HooksKey::placeholder();
        assert!(HooksKey::parse(p.expose()).is_ok());
        assert_eq!(p.prefix(), "gram_local_00000");
    }
}
