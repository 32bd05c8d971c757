# syntax=docker/dockerfile:1
# The Gatehouse image: `docker build -t gatehouse:latest .` (BuildKit; podman and buildah too).
# No container engine runs on the project's machines, so this file is not built by CI there.

# Build with the project's own setup script, so the image compiles against exactly the Debian 12
# packages CI does.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
# Only what the gatehouse target needs: tests, fuzz targets and benchmarks are off below.
COPY CMakeLists.txt ./
COPY src/ src/
ENV CCACHE_DIR=/ccache
RUN --mount=type=cache,target=/ccache \
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DGATEHOUSE_TESTS=OFF -DGATEHOUSE_BENCH=OFF \
 && cmake --build build --target gatehouse

# Runtime: the shared libraries the binary links (`ldd build/gatehouse`), which are the runtime
# packages of the -dev packages in scripts/setup.sh; libstdc++6, libgcc-s1 and libc6 are in the
# base image already. Boost (Asio, Beast), nlohmann/json and CLI11 are header-only.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libnghttp2-14 libssl3 libre2-9 libyaml-0-2 libspdlog1.10 libfmt9 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/gatehouse /usr/local/bin/gatehouse
# Fail the build, not the pod, if a linked library is missing from the list above.
RUN if ldd /usr/local/bin/gatehouse | grep 'not found'; then exit 1; fi \
 && /usr/local/bin/gatehouse --help >/dev/null
# The uid/gid deploy/deployment.yaml runs as (runAsUser/runAsGroup 65532).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/gatehouse"]
