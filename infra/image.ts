// The function's container image: an ECR repository and the image built from
// the top-level Dockerfile for linux/arm64, referenced by digest so the
// function updates exactly when the image's content does.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { Settings } from "./config";

/** The project root: the Docker build context, and where the Dockerfile lives. */
export const PROJECT_ROOT = path.join(__dirname, "..");
export const PLATFORM = "linux/arm64";

export type ImagePins = Pick<
  Settings,
  "exiftoolVersion" | "nodeMajor" | "baseImageDigest" | "perlSource" | "perlVersion" | "perlSha256"
>;

/**
 * The Dockerfile's build args. The pins are build inputs: bumping one changes
 * the build, hence the digest, hence the function; unchanged pins and files
 * leave both alone. The Perl source pins are passed only when Perl is built
 * from source, so bumping them cannot rebuild an image that does not use them.
 */
export function imageBuildArgs(pins: ImagePins): Record<string, string> {
  return {
    NODE_MAJOR: String(pins.nodeMajor),
    BASE_IMAGE_DIGEST: pins.baseImageDigest,
    EXIFTOOL_VERSION: pins.exiftoolVersion,
    PERL_SOURCE: pins.perlSource,
    ...(pins.perlSource === "source"
      ? { PERL_VERSION: pins.perlVersion, PERL_SHA256: pins.perlSha256 }
      : {}),
  };
}

/** ECR lifecycle policy: keep the newest N images, whatever their tags. */
export function keepLastImages(count: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${count} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: count },
        action: { type: "expire" },
      },
    ],
  });
}

export interface FunctionImageArgs {
  pins: ImagePins;
  keepImages: number;
}

export class FunctionImage extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  /** `<repository url>@sha256:<digest>`: what Lambda pulls. */
  readonly imageUri: pulumi.Output<string>;

  constructor(name: string, args: FunctionImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:FunctionImage", name, {}, opts);
    const child = { parent: this };

    this.repository = new aws.ecr.Repository(
      name,
      {
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        // Every image can be rebuilt from the repository: teardown need not
        // be blocked by the images in it.
        forceDelete: true,
      },
      child,
    );
    new aws.ecr.LifecyclePolicy(
      name,
      { repository: this.repository.name, policy: keepLastImages(args.keepImages) },
      child,
    );

    const image = new awsx.ecr.Image(
      name,
      {
        repositoryUrl: this.repository.repositoryUrl,
        context: PROJECT_ROOT,
        dockerfile: path.join(PROJECT_ROOT, "Dockerfile"),
        platform: PLATFORM,
        args: imageBuildArgs(args.pins),
        // BuildKit: the Dockerfile's `ADD --checksum` and stage skipping need it.
        builderVersion: "BuilderBuildKit",
      },
      child,
    );
    this.imageUri = image.imageUri.apply((uri) => {
      if (!/@sha256:[0-9a-f]{64}$/.test(uri)) {
        throw new Error(`expected an image URI pinned by digest, got ${uri}`);
      }
      return uri;
    });
    this.registerOutputs({ imageUri: this.imageUri, repositoryUrl: this.repository.repositoryUrl });
  }
}
