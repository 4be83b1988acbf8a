# syntax=docker/dockerfile:1
#
# tweetchat as a container: `docker build -t tweetchat .`, then see compose.yaml.
# The final image holds the binary, CA certificates and the IANA time-zone
# database (distroless), no shell or compiler; it runs as a numeric non-root user.
# .ci/container-check builds the same release binary and runs it with the ENV
# below, so the image's behaviour is tested without a Docker engine.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /build
COPY . .
# The release profile (LTO, one codegen unit, stripped, panic=abort) lives in
# Cargo.toml. Cache mounts keep the registry and target between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && install -D -m 0755 target/release/tweetchat /out/tweetchat \
    && install -d -o 65532 -g 65532 -m 0750 /out/state

# The same Debian release as the builder: glibc matches, and the base brings
# /etc/ssl/certs and /usr/share/zoneinfo (jiff reads the system tzdata).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/tweetchat /tweetchat
COPY --from=builder /out/state /state
# The example chats; mount your own folder over /chats.
COPY --chown=65532:65532 chats/ /chats/
# The image's own defaults (folders, listen on all interfaces, JSON logs).
COPY deploy/image.toml /image.toml

# Settings, later wins: the built-in defaults, /image.toml, then
# /config/local.toml when mounted, then TWEETCHAT__SECTION__KEY variables.
# The image sets no TWEETCHAT__ variable, so nothing here beats what the
# operator writes. Secrets: env_file or NAME_file = /run/secrets/… .
ENV TWEETCHAT_CONFIG_DIR=/config \
    TWEETCHAT_DEFAULTS_FILE=/image.toml

VOLUME ["/chats", "/state"]
EXPOSE 9090
USER 65532:65532

# No curl in the image: the binary probes its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/tweetchat", "healthcheck"]

# The binary is PID 1 and handles SIGTERM itself: it finishes the post in
# flight and exits inside Docker's 10 s stop timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/tweetchat"]
CMD ["run"]
