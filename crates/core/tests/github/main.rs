//! Publishing to GitHub: git object ids against the real `git`, the publisher against the
//! GitHub stand-in (a real bare repository behind the contract), and the device flow.

mod cancel;
mod device_flow;
mod git_objects;
mod large;
mod publish;
mod rotate;
mod status;
mod support;
