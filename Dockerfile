# ClassCord in a container. Build: docker build -t classcord .
# Run:   docker run -d --name classcord -p 12345:12345 -p 12346:12346 -v classcord-data:/var/lib/classcord classcord
# The allowlist sees Docker's bridge address for every client unless the container uses the
# host network (--network host), which is recommended on a school server.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY protocol ./protocol
COPY load ./load
RUN cargo build --release --locked -p classcord --bin classcord

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/classcord --shell /usr/sbin/nologin classcord \
    && install -d -o classcord -g classcord -m 0750 /var/lib/classcord
COPY --from=build /src/target/release/classcord /usr/local/bin/classcord
COPY config/classcord.toml /etc/classcord/classcord.toml
# Relative paths of the configuration resolve from state_dir: the data volume.
RUN sed -i 's|^state_dir = .*|state_dir = "/var/lib/classcord"|' /etc/classcord/classcord.toml
USER classcord
WORKDIR /var/lib/classcord
VOLUME ["/var/lib/classcord"]
EXPOSE 12345 12346
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/classcord"]
CMD ["serve", "--config", "/etc/classcord/classcord.toml"]
