# The two commands the README promises, plus helpers. Each installs what it needs first.
SWIFT ?= swift

.PHONY: deps build release test demo bench-kafka clean

deps:
	@bash .ci/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product leadflow

## All tests: unit tests and Kafka tests against embedded brokers the tests start themselves.
## Suites run one after another (--no-parallel) so group-timing tests don't fight for 2 cores.
test: deps
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors
	$(SWIFT) test --skip-build --no-parallel

## The real job on the embedded broker.
demo: release
	.build/release/leadflow demo

bench-kafka: release
	.build/release/leadflow bench kafka

clean:
	rm -rf .build
