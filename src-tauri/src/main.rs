#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    gram_admin_app::run();
}
