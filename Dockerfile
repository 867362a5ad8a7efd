# The function image. Thin on purpose: everything it copies (dist/function and
# the pinned ExifTool from node_modules) is built and tested outside Docker by
# `npm run build` and `npm test`. Build args come from the stack config via
# infra/image.ts; scripts/test-image.ts passes the same ones.
#
# No syntax directive: it would make every fresh build pull the Dockerfile
# frontend from Docker Hub, anonymously. The engine's own frontend reads all
# of this file; ADD --checksum needs Dockerfile 1.6, which Docker Engine 25
# and later build in.

# Pins (stack config: nodeMajor, baseImageDigest, perlSource, exiftoolVersion).
ARG NODE_MAJOR=24
ARG BASE_IMAGE_DIGEST
ARG PERL_SOURCE=system

# The AWS Lambda Node.js base image for arm64, pinned by digest: the tag only
# documents which line the digest belongs to.
FROM public.ecr.aws/lambda/nodejs:${NODE_MAJOR}@${BASE_IMAGE_DIGEST} AS base

# --- Perl from the base image's own packages (perlSource: system) -----------
FROM base AS perl-system
# Archive::Zip for OOXML/iWork/ZIP-based formats; IO::Compress/Compress::Zlib
# for compressed PNG, PDF and SWF streams; the Digest modules for image and
# document hashes; Time::Local and Time::HiRes for date handling.
RUN dnf install -y \
      perl-interpreter \
      perl-Archive-Zip \
      perl-IO-Compress \
      perl-Digest-MD5 \
      perl-Digest-SHA \
      perl-Encode \
      perl-Time-Local \
      perl-Time-HiRes \
      perl-constant \
    && dnf clean all \
    && rm -rf /var/cache/dnf /var/cache/yum /var/log/dnf* /var/log/hawkey.log
ENV PERL_PATH=/usr/bin/perl

# --- Perl built from source (perlSource: source) ----------------------------
FROM base AS perl-builder
ARG PERL_VERSION
ARG PERL_SHA256
# Archive::Zip is pure Perl; pinned here because it changes rarely.
ARG ARCHIVE_ZIP_VERSION=1.68
ARG ARCHIVE_ZIP_SHA256=984e185d785baf6129c6e75f8eb44411745ac00bf6122fb1c8e822a3861ec650
RUN dnf install -y gcc make tar gzip findutils
# BuildKit verifies each download against its SHA-256 before the file exists
# in the build, so nothing below ever extracts an unchecked tarball.
ADD --checksum=sha256:${PERL_SHA256} https://www.cpan.org/src/5.0/perl-${PERL_VERSION}.tar.gz /tmp/perl.tar.gz
ADD --checksum=sha256:${ARCHIVE_ZIP_SHA256} https://www.cpan.org/authors/id/P/PH/PHRED/Archive-Zip-${ARCHIVE_ZIP_VERSION}.tar.gz /tmp/archive-zip.tar.gz
# -Dlibs without -lcrypt: the final image need not carry libxcrypt, and
# ExifTool never calls crypt(). Compress::Raw::Zlib/Bzip2 build their bundled
# sources, so no -devel packages are needed either.
RUN mkdir /tmp/perl-src \
    && tar -xzf /tmp/perl.tar.gz -C /tmp/perl-src --strip-components=1 \
    && cd /tmp/perl-src \
    && ./Configure -des -Dprefix=/opt/perl -Dman1dir=none -Dman3dir=none \
         -Ud_crypt -Dlibs="-lpthread -ldl -lm -lutil -lc" \
    && make -j"$(nproc)" \
    && make install
RUN mkdir /tmp/archive-zip \
    && tar -xzf /tmp/archive-zip.tar.gz -C /tmp/archive-zip --strip-components=1 \
    && cd /tmp/archive-zip \
    && /opt/perl/bin/perl Makefile.PL \
    && make \
    && make install

FROM base AS perl-source
# Only the installed interpreter and modules: the compiler, make and the
# sources stay behind in perl-builder.
COPY --from=perl-builder /opt/perl /opt/perl
ENV PERL_PATH=/opt/perl/bin/perl

# --- The function ------------------------------------------------------------
FROM perl-${PERL_SOURCE} AS function
ARG NODE_MAJOR
ARG EXIFTOOL_VERSION
ARG PERL_SOURCE
LABEL org.opencontainers.image.title="s3-exiftool" \
      s3-exiftool.exiftool-version="${EXIFTOOL_VERSION}" \
      s3-exiftool.node-major="${NODE_MAJOR}" \
      s3-exiftool.perl-source="${PERL_SOURCE}"
COPY node_modules/exiftool-vendored.pl/bin/exiftool /opt/exiftool/exiftool
COPY node_modules/exiftool-vendored.pl/bin/lib /opt/exiftool/lib
COPY dist/function/handler.js dist/function/worker.pl ${LAMBDA_TASK_ROOT}/
ENV EXIFTOOL_PATH=/opt/exiftool/exiftool
# Fails the build when the copied ExifTool is not the pinned one, or when
# Perl lacks a module ExifTool needs for full coverage.
RUN "$PERL_PATH" -MArchive::Zip -MCompress::Zlib -MDigest::MD5 -MDigest::SHA -MTime::Local -e 1 \
    && version="$("$PERL_PATH" "$EXIFTOOL_PATH" -ver)" \
    && case "${EXIFTOOL_VERSION}" in "$version"|"$version".*) ;; \
         *) echo "ExifTool $version is not the pinned ${EXIFTOOL_VERSION}" >&2; exit 1 ;; esac
CMD ["handler.handler"]
