//! Support for the real-agent conformance suite (see tests/).
