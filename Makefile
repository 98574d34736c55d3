# The README's two quick-start commands. Meson builds; this file only chains
# the steps (no build rules of its own).
.PHONY: run check deps build clean

run: deps build
	./scripts/quickstart.sh

check: deps
	./tests/run.sh

deps:
	./scripts/deps.sh

build:
	@[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized
	ninja -C build

clean:
	rm -rf build build-gcc build-clang build-asan build-nobpf
