# confreports: `make run` and `make test` are the whole set-up; every tool they need is
# installed by scripts/install-tools.sh (idempotent) on first use.

SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/confreports
DATA_DIR ?= data
BIND ?= 127.0.0.1:8080
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test unit e2e integrators fuzz bench tools frontend server openapi lint audit soak clean

## run: build everything, fill ./data with demo data on first start, serve on http://$(BIND)
run: tools server frontend
	$(BIN) --data-dir $(DATA_DIR) demo --if-empty
	$(BIN) --data-dir $(DATA_DIR) serve --bind $(BIND) --web-dir frontend/dist

## test: every test, on SQLite and on PostgreSQL, plus the WASM build, the browser tests, the
## integrator checks of the OpenAPI document, the API fuzzing and a 45 s soak on each database
test: tools
	scripts/ensure-postgres.sh
	$(CARGO) build -p confreports-types --target wasm32-unknown-unknown --profile wasm-release
	$(CARGO) test --release
	$(CARGO) build --release -p confreports -p confreports-bench
	$(TARGET_DIR)/release/confreports-bench soak --server $(BIN) --pg-url $(TEST_DATABASE_URL) --database both --duration 45s
	$(MAKE) --no-print-directory frontend
	scripts/e2e.sh
	scripts/integrators.sh
	scripts/fuzz.sh
	DEMO_DATABASE=sqlite FUZZ_CALLERS="full-app sysadmin" scripts/fuzz.sh

## unit: the Rust tests only
unit:
	scripts/ensure-postgres.sh
	$(CARGO) test --release

## e2e: the browser tests against the release build with demo data
e2e: tools server frontend
	scripts/e2e.sh

## integrators: lint the OpenAPI document, generate clients, use the Python one against the server
integrators: tools server
	scripts/integrators.sh

## fuzz: schemathesis against the release server with demo data on PostgreSQL, as each kind of
## caller (DEMO_DATABASE=sqlite scripts/fuzz.sh for SQLite)
fuzz: tools server
	scripts/ensure-postgres.sh
	scripts/fuzz.sh

tools:
	scripts/install-tools.sh

server:
	$(CARGO) build --release -p confreports

frontend:
	scripts/build-frontend.sh

## bench: measure against the databases' own tools (BENCH_ROWS=10000000 for the full run)
bench: tools
	scripts/install-bench-tools.sh
	scripts/ensure-postgres.sh
	$(CARGO) build --release -p confreports -p confreports-bench
	$(TARGET_DIR)/release/confreports-bench --server $(BIN)

## soak: a bounded mixed load for $(SOAK_DURATION) on SQLite, then on PostgreSQL: zero errors, flat
## memory and file descriptors (make test runs a 45 s variant)
SOAK_DURATION ?= 600s
soak:
	scripts/ensure-postgres.sh
	$(CARGO) build --release -p confreports -p confreports-bench
	$(TARGET_DIR)/release/confreports-bench soak --server $(BIN) --pg-url $(TEST_DATABASE_URL) --database both --duration $(SOAK_DURATION)

## openapi: regenerate the committed OpenAPI document
openapi: server
	$(BIN) openapi > openapi/openapi.json

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --all-targets -- -D warnings
	$(CARGO) clippy -p confreports-web --target wasm32-unknown-unknown -- -D warnings

## audit: known vulnerabilities of the locked dependencies, against ../shared/advisory-db
audit:
	scripts/audit.sh

clean:
	$(CARGO) clean
	rm -rf frontend/dist e2e/artifacts tools/artifacts
