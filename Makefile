# How `sam build` builds each function (template.yaml: Metadata BuildMethod: makefile).
# SAM runs `make build-<LogicalId>` with ARTIFACTS_DIR set to that function's build folder;
# scripts/bundle-lambdas.mjs bundles src/lambda/<name>.ts into $(ARTIFACTS_DIR)/index.mjs
# (and, for process, installs sharp's Linux binaries next to it).

BUNDLE = node scripts/bundle-lambdas.mjs

# Without it the bundle would land in the working directory: refuse instead.
ifneq ($(filter build-%,$(MAKECMDGOALS)),)
ifeq ($(strip $(ARTIFACTS_DIR)),)
$(error ARTIFACTS_DIR is not set (sam build sets it; by hand: make build-UploadFunction ARTIFACTS_DIR=/tmp/upload))
endif
endif

.PHONY: build-UploadFunction build-ListFunction build-GetFunction build-DeleteFunction build-StatusFunction build-AdminFunction build-ProcessFunction build-CleanupFunction build-WebhookFunction

build-UploadFunction:
	$(BUNDLE) upload "$(ARTIFACTS_DIR)"

build-ListFunction:
	$(BUNDLE) list "$(ARTIFACTS_DIR)"

build-GetFunction:
	$(BUNDLE) get "$(ARTIFACTS_DIR)"

build-DeleteFunction:
	$(BUNDLE) delete "$(ARTIFACTS_DIR)"

build-StatusFunction:
	$(BUNDLE) status "$(ARTIFACTS_DIR)"

build-AdminFunction:
	$(BUNDLE) admin "$(ARTIFACTS_DIR)"

build-ProcessFunction:
	$(BUNDLE) process "$(ARTIFACTS_DIR)"

build-CleanupFunction:
	$(BUNDLE) cleanup "$(ARTIFACTS_DIR)"

build-WebhookFunction:
	$(BUNDLE) webhook "$(ARTIFACTS_DIR)"
