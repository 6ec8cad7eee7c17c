//! What Gram makes of the hook requests it received. Gram claims an event's `Idempotency-Key`
//! set-if-absent before storing it, so an event resent under its original key is stored once;
//! [`GramHooks`] reads a [`HookRequest`] list the same way and counts the resends that reached
//! Gram after it had stored the event.

use std::collections::HashSet;

use crate::HookRequest;

/// The hook requests as Gram stores them. Implemented for `[HookRequest]`, so it works on what
/// [`crate::GramStandIn::requests`] and [`crate::GramStandIn::wait_until`] return.
pub trait GramHooks {
    /// The events Gram stored, in arrival order: every accepted (2xx) request, except one whose
    /// `Idempotency-Key` was already stored. A request without a key is always stored.
    fn stored(&self) -> Vec<&HookRequest>;

    /// Requests (whatever Gram answered) carrying an `Idempotency-Key` Gram had already stored:
    /// the duplicates Gram's dedupe absorbs. A lossless, exactly-once delivery makes none.
    fn repeats(&self) -> usize;

    /// Requests without an `Idempotency-Key`: Gram cannot tell a resend of them from a new event.
    fn without_idempotency_key(&self) -> usize;
}

impl GramHooks for [HookRequest] {
    fn stored(&self) -> Vec<&HookRequest> {
        let mut seen = HashSet::new();
        self.iter()
            .filter(|r| (200..300).contains(&r.status))
            .filter(|r| idempotency_key(r).is_none_or(|k| seen.insert(k.to_owned())))
            .collect()
    }

    fn repeats(&self) -> usize {
        let mut stored = HashSet::new();
        let mut repeats = 0;
        for r in self {
            let Some(key) = idempotency_key(r) else {
                continue;
            };
            if stored.contains(key) {
                repeats += 1;
            } else if (200..300).contains(&r.status) {
                stored.insert(key.to_owned());
            }
        }
        repeats
    }

    fn without_idempotency_key(&self) -> usize {
        self.iter().filter(|r| idempotency_key(r).is_none()).count()
    }
}

impl GramHooks for Vec<HookRequest> {
    fn stored(&self) -> Vec<&HookRequest> {
        self.as_slice().stored()
    }

    fn repeats(&self) -> usize {
        self.as_slice().repeats()
    }

    fn without_idempotency_key(&self) -> usize {
        self.as_slice().without_idempotency_key()
    }
}

/// The request's `Idempotency-Key`, if it sent a non-empty one exactly once.
pub fn idempotency_key(r: &HookRequest) -> Option<&str> {
    r.header("Idempotency-Key").filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn request(key: Option<&str>, status: u16) -> HookRequest {
        HookRequest {
            method: "POST".into(),
            url: "/rpc/hooks.claude".into(),
            operation: "hooks#claude".into(),
            headers: key
                .map(|k| vec![("Idempotency-Key".to_owned(), k.to_owned())])
                .unwrap_or_default(),
            body: b"{}".to_vec(),
            received: Instant::now(),
            status,
        }
    }

    #[test]
    fn a_resend_is_stored_once_and_counted_as_a_repeat() {
        let requests = vec![
            request(Some("a"), 500), // failed: not stored, not a repeat
            request(Some("a"), 200), // stored
            request(Some("b"), 200),
            request(Some("a"), 200), // repeat
            request(None, 200),
            request(None, 200),
        ];
        assert_eq!(requests.stored().len(), 4);
        assert_eq!(requests.repeats(), 1);
        assert_eq!(requests.without_idempotency_key(), 2);
    }
}
