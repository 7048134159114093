# syntax=docker/dockerfile:1
# saoyue server image. Debian 12 on both stages so gocv v0.31.0 builds and
# runs against Debian's OpenCV 4.6 (libopencv-dev).

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopencv-dev libjpeg-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/saoyue ./cmd/saoyue \
 && CGO_ENABLED=0 go build -trimpath -o /out/saoyue-scan ./cmd/saoyue-scan \
 && CGO_ENABLED=0 GOOS=windows go build -trimpath -o /out/saoyue-scan.exe ./cmd/saoyue-scan

FROM debian:12-slim
# gocv links every module listed in opencv4.pc, so the runtime needs the
# whole set of OpenCV shared libraries; libopencv-dev pulls exactly those.
# postgresql-client-15 gives `saoyue backup` and `restore` pg_dump and pg_restore.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopencv-dev poppler-utils fonts-droid-fallback ca-certificates postgresql-client-15 curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /var/lib/saoyue --create-home saoyue
COPY --from=build /out/ /usr/local/bin/
USER saoyue
WORKDIR /var/lib/saoyue
ENV SAOYUE_DATA_DIR=/var/lib/saoyue/data SAOYUE_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/saoyue"]
CMD ["serve"]
