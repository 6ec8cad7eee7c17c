# The two commands a new user needs (see README.md):
#   make run    sets up everything and starts the desktop app
#   make test   sets up everything and runs every test
.PHONY: run test setup ui cli lint bench bundle fmt clean

run: setup ui
	cargo run -p gram-admin-app

test:
	scripts/setup.sh --test
	$(MAKE) --no-print-directory ui
	cd ui && npm test --silent
	scripts/test.sh

setup:
	scripts/setup.sh

# The app embeds the built UI at compile time, so it is built before any cargo build.
ui:
	cd ui && npm run --silent build

# Installs the `gram-admin` command line into ~/.cargo/bin.
cli: setup
	cargo install --path crates/cli --locked

# The CI wall besides the tests.
lint: setup ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cd ui && npm run --silent typecheck

# The release .deb and .rpm through the Tauri bundler (target/release/bundle/deb/ and rpm/; its
# rpm writer is built in, nothing is downloaded). The AppImage is not built here: its tooling is
# downloaded at bundle time, and these machines reach only registries.
bundle: setup ui
	ui/node_modules/.bin/tauri build --bundles deb,rpm

fmt:
	cargo fmt --all

bench: setup ui
	cargo bench -p gram-admin-core --bench render
	cargo bench -p gram-admin-conformance --bench hook_cost
	cargo bench -p gram-admin-conformance --bench opencode_session

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules .cache
