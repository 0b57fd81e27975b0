# torchsweep — the two commands a new user needs:
#   make run    install what is missing, build, run the seed's learning-rate experiment
#   make test   install what is missing, build, run every test
#
# Other targets: deps (apt packages; a no-op when all are there), build (everything),
#   programs (only torchsweep and torchsweep-train), clean, and
#   make build-pytorch PYTHON=python3 [DEPS_PREFIX=$CONDA_PREFIX]
# which builds into build-pytorch/ against the LibTorch inside that Python's torch
# (pip or conda, with CUDA where it has it) and installs nothing (docs/gpu.md).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
DB ?= torchsweep.db
OUT ?= out

# Exactly what the build, the tests and `make run` need (Debian 12).
PACKAGES := build-essential cmake ccache git pkg-config \
            libtorch-dev libyaml-cpp-dev libfmt-dev libsqlite3-dev sqlite3 \
            libgtest-dev libcli11-dev zlib1g-dev libtomlplusplus-dev nlohmann-json3-dev \
            gnuplot-nox dataset-fashion-mnist \
            libpng-dev libjpeg-dev libcsv-dev \
            libcpp-httplib-dev libjs-chart.js chromium chromium-driver
# Python libraries the tests run documented snippets and Python references with
# (TorchScript files, torchvision's parameter counts, PNG/JPEG files, the dashboard in a
# browser), without their recommends.
PY_PACKAGES := python3-pandas python3-torch python3-torchvision python3-pil python3-selenium

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PYTHON ?= python3
DEPS_PREFIX ?=

.PHONY: all deps build programs run test clean build-pytorch

all: build

# Installs those of the packages $(1) that are missing, with apt-get's flags $(2).
define install_missing
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) $$missing; \
	fi
endef

deps:
	$(call install_missing,$(PACKAGES),)
	$(call install_missing,$(PY_PACKAGES),--no-install-recommends)

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the two programs (`torchsweep` builds `torchsweep-train` too): what `make run` runs,
# without the test suite and benchmarks that `build` also compiles.
programs: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target torchsweep

run: programs
	@mkdir -p $(OUT)
	./$(BUILD_DIR)/torchsweep run experiments/seed_backprop.yaml --db $(DB)
	./$(BUILD_DIR)/torchsweep results compare --db $(DB) --by optimizer.lr --metric train/loss --at 1,19
	./$(BUILD_DIR)/torchsweep results plot --db $(DB) --metric train/loss --by optimizer.lr \
	    --title 'Seed 2-2-2 network: E_total by learning rate' -o $(OUT)/seed_backprop.png
	./$(BUILD_DIR)/torchsweep results plot --db $(DB) --metric train/loss --by optimizer.lr \
	    --title 'Seed 2-2-2 network: E_total by learning rate' -o $(OUT)/seed_backprop.svg

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

build-pytorch:
	cmake -S . -B build-pytorch -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTORCHSWEEP_TORCH_PYTHON=$(PYTHON) \
	    $(if $(DEPS_PREFIX),-DCMAKE_PREFIX_PATH=$(DEPS_PREFIX))
	cmake --build build-pytorch -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
