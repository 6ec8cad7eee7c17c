//! See tests/gui: the app driven in real WebKit.
