# ClassCord in a container. Build:  docker build --build-arg CLASSCORD_COMMIT=$(git rev-parse --short=12 HEAD) -t classcord .
# Behind a TLS-inspecting proxy: add  --build-arg EXTRA_CA_CERT="$(cat ca-proxy.crt)"
# Run:    docker-compose up -d classcord   (compose.yaml; --profile supervision adds Prometheus
#         and Grafana; see CONTAINERS.md)
# Alone:  docker run -d --name classcord -p 12345:12345 -p 12346:12346 -p 8080:8080 \
#           -v classcord-data:/var/lib/classcord/data -v classcord-certs:/var/lib/classcord/certs \
#           -v classcord-logs:/var/lib/classcord/logs classcord
# Base images are pinned to a version; pin their digests too where the registry is reachable
# (CONTAINERS.md, « Images de base »).

FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in a layer of their own: it is rebuilt only when Cargo.lock or a
# manifest changes, not on every change of the sources.
COPY Cargo.toml Cargo.lock build.rs ./
COPY protocol/Cargo.toml protocol/Cargo.toml
COPY load/Cargo.toml load/Cargo.toml
# Behind a TLS-inspecting proxy (many school networks), crates.io is reached only if the
# proxy's CA is trusted: give its certificate(s), PEM text, with
#   --build-arg EXTRA_CA_CERT="$(cat ca-proxy.crt)"
# They are trusted in this build stage only; the final image never holds them.
ARG EXTRA_CA_CERT=
RUN if [ -n "$EXTRA_CA_CERT" ]; then printf '%s\n' "$EXTRA_CA_CERT" >> /etc/ssl/certs/ca-certificates.crt; fi \
    && mkdir -p src protocol/src load/src \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs protocol/src/lib.rs \
    && echo 'fn main() {}' > load/src/main.rs \
    && cargo build --release --locked -p classcord \
    && rm -rf src protocol/src load/src
COPY src ./src
# The web client, embedded in the binary (src/web_client.rs).
COPY web ./web
COPY protocol/src ./protocol/src
COPY load/src ./load/src
# The commit shown by classcord_build_info (the context has no .git).
ARG CLASSCORD_COMMIT=unknown
ENV CLASSCORD_COMMIT=${CLASSCORD_COMMIT}
# touch: the stub build's files are newer than the real ones' copy times.
RUN touch src/main.rs src/lib.rs protocol/src/lib.rs \
    && cargo build --release --locked --offline -p classcord --bin classcord \
    && strip target/release/classcord

FROM debian:12.12-slim
# A numeric, fixed UID/GID: volume ownership stays right across rebuilds and hosts.
RUN groupadd --system --gid 10001 classcord \
    && useradd --system --uid 10001 --gid 10001 --home /var/lib/classcord --shell /usr/sbin/nologin classcord \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/classcord \
        /var/lib/classcord/data /var/lib/classcord/certs /var/lib/classcord/logs
COPY --from=build /src/target/release/classcord /usr/local/bin/classcord
COPY config/classcord.toml /etc/classcord/classcord.toml
# Relative paths resolve from state_dir (the volumes). The web client (8080) and /metrics,
# /healthz, /readyz (9464) listen on every interface of the container, reached only where
# their port is published. Certificates leave out the container's own name and address.
RUN sed -i -e 's|^state_dir = .*|state_dir = "/var/lib/classcord"|' \
        -e 's|^web = \[\]$|web = ["0.0.0.0:8080"]|' \
        -e 's|^listen = \[\]$|listen = ["0.0.0.0:9464"]|' \
        -e 's|^machine_names = true$|machine_names = false|' /etc/classcord/classcord.toml
USER 10001:10001
WORKDIR /var/lib/classcord
VOLUME ["/var/lib/classcord/data", "/var/lib/classcord/certs", "/var/lib/classcord/logs"]
# 12345 legacy clients (plain TCP), 12346 TLS, 8080 web client, 9464 metrics and health.
EXPOSE 12345 12346 8080 9464
# Healthy while the server answers on its admin socket (no HTTP client in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["classcord", "admin", "--config", "/etc/classcord/classcord.toml", "status"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/classcord"]
CMD ["serve", "--config", "/etc/classcord/classcord.toml"]
