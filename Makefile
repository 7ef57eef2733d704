# ctest-record: the two Quick-start commands (`make demo`, `make test`) and the rest of the
# developer workflow. Every target installs missing Debian packages first (ci/install-deps.sh).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test demo test-asan test-tsan test-sanitizers stress format \
        check-format clean help bench fuzz fuzz-long fuzz-build test-windows

all: build

help:
	@echo "make demo             install, build, record the bundled fixtures and show the trace"
	@echo "make test             install, build, run every default test (unit + end-to-end)"
	@echo "make test-asan        the same tests in an ASan+UBSan build ($(BUILD_DIR)-asan)"
	@echo "make test-tsan        the same tests in a ThreadSanitizer build ($(BUILD_DIR)-tsan)"
	@echo "make stress           the long stress tests (ctest label 'stress')"
	@echo "make bench            side-by-side throughput (cat, tee, zstd, script, asciinema); BENCH_SIZE=1G"
	@echo "make fuzz             libFuzzer targets (clang, ASan+UBSan), $(FUZZ_SECONDS) s each; what CI runs"
	@echo "make fuzz-long        the same for $(FUZZ_LONG_SECONDS) s each (FUZZ_LONG_SECONDS=...)"
	@echo "make test-windows     Windows back end: mingw-w64 cross build, tests under Wine ($(BUILD_DIR)-windows)"
	@echo "make format           clang-format every C++ file; check-format only checks"

deps:
	@bash ci/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -LE 'stress|bench' $(CTEST_ARGS)

demo: build
	bash ci/demo.sh $(BUILD_DIR)

test-asan: deps
	cmake -S . -B $(BUILD_DIR)-asan -DCMAKE_BUILD_TYPE=Debug -DCTR_SANITIZE=address
	cmake --build $(BUILD_DIR)-asan -j $(JOBS)
	ctest --test-dir $(BUILD_DIR)-asan --output-on-failure -j $(JOBS) -LE 'stress|bench' $(CTEST_ARGS)

test-tsan: deps
	cmake -S . -B $(BUILD_DIR)-tsan -DCMAKE_BUILD_TYPE=Debug -DCTR_SANITIZE=thread
	cmake --build $(BUILD_DIR)-tsan -j $(JOBS)
	ctest --test-dir $(BUILD_DIR)-tsan --output-on-failure -j $(JOBS) -LE 'stress|bench' $(CTEST_ARGS)

test-sanitizers: test-asan test-tsan

stress: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L stress $(CTEST_ARGS)

# Not part of `make test`: a Release build of its own, bench-only packages, bench/run.py, which
# rewrites the generated block of docs/benchmarks.md. BENCH_SIZE (default 128M), BENCH_RUNS.
bench:
	@bash ci/install-deps.sh --bench
	cmake -S . -B $(BUILD_DIR)-bench -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR)-bench -j $(JOBS)
	python3 bench/run.py --build-dir $(BUILD_DIR)-bench --doc docs/benchmarks.md \
	  --results $(BUILD_DIR)-bench/bench-results.md

# Fuzzing (docs/reliability.md#fuzzing): a clang build of its own ($(BUILD_DIR)-fuzz, -DCTR_FUZZ=ON)
# with libFuzzer, ASan and UBSan; tests/fuzz/run.sh replays every seed and regression input,
# then fuzzes each target, $(JOBS) at a time. The corpus grows in $(BUILD_DIR)-fuzz/fuzz-corpus;
# findings land in $(BUILD_DIR)-fuzz/fuzz-findings. FUZZ_TARGETS picks targets.
FUZZ_TARGETS ?= trace_reader_fuzz event_decode_fuzz normalizer_rules_fuzz control_protocol_fuzz
FUZZ_SECONDS ?= 60
FUZZ_LONG_SECONDS ?= 600

fuzz-build:
	@bash ci/install-deps.sh --fuzz
	cmake -S . -B $(BUILD_DIR)-fuzz -DCTR_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR)-fuzz -j $(JOBS)

fuzz: fuzz-build
	bash tests/fuzz/run.sh --build-dir $(BUILD_DIR)-fuzz --seconds $(FUZZ_SECONDS) --jobs $(JOBS) \
	  $(FUZZ_TARGETS)

fuzz-long: fuzz-build
	bash tests/fuzz/run.sh --build-dir $(BUILD_DIR)-fuzz --seconds $(FUZZ_LONG_SECONDS) \
	  --jobs $(JOBS) $(FUZZ_TARGETS)

# The Windows back end (issue 10, docs/platform-contract.md): mingw-w64 + Wine from Debian
# (install-deps.sh --windows), its own build dir and Wine prefix; not part of `make test`.
test-windows:
	@bash ci/install-deps.sh --windows
	bash ci/test-windows.sh --build-dir $(BUILD_DIR)-windows --linux-build $(BUILD_DIR) --jobs $(JOBS) \
	  -- $(CTEST_ARGS)

format:
	clang-format -i $$(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan $(BUILD_DIR)-tsan $(BUILD_DIR)-bench $(BUILD_DIR)-fuzz \
	  $(BUILD_DIR)-windows
