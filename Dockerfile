# The sovereign image: a static-ish release build on a distroless, non-root base.
# (CI here has no Docker engine; this file is what the chart's image is built from.)
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin sovereign

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/sovereign /usr/local/bin/sovereign
USER 65532:65532
ENTRYPOINT ["sovereign"]
CMD ["serve", "--help"]
