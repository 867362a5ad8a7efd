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

/** The tag prefix of the images the release pipeline's build stage tests and pushes. */
export const TESTED_TAG_PREFIX = "tested-";

/**
 * ECR lifecycle policy. The image the function runs carries IMAGE_TAG, which
 * no rule selects, so it is never expired however many builds follow it.
 * Each build stage pushes a `tested-<n>` image, deployed or not: those keep
 * their own newest N. Images a deploy left behind (untagged once IMAGE_TAG
 * moved on) keep their newest N too, for a rollback.
 */
export function imageLifecyclePolicy(count: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${count} images the release pipeline tested`,
        selection: {
          tagStatus: "tagged",
          tagPrefixList: [TESTED_TAG_PREFIX],
          countType: "imageCountMoreThan",
          countNumber: count,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the last ${count} images earlier deploys ran`,
        selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: count },
        action: { type: "expire" },
      },
    ],
  });
}

/**
 * The ECR tag of the newest build, and the name awsx gives the image's build
 * resource. awsx would otherwise name that resource after a hash of the
 * context's absolute path, so a deploy from another checkout (CI, another
 * machine) would replace it, and the replaced one's delete may take the
 * digest the function runs from out of ECR. With a fixed name a new build is
 * an update: the tag moves on, and the lifecycle policy expires old images.
 */
export const IMAGE_TAG = "function";

/**
 * The build context as awsx wants it: relative to the working directory,
 * which Pulumi sets to the project's (Pulumi.yaml's) folder, so the plan
 * holds no absolute path that differs between checkouts.
 */
export function buildContext(root: string, cwd = process.cwd()): string {
  return path.relative(cwd, root) || ".";
}

export interface FunctionImageArgs {
  pins: ImagePins;
  keepImages: number;
  /** The checkout to build: the Docker build context, holding the Dockerfile. */
  root: string;
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
      { repository: this.repository.name, policy: imageLifecyclePolicy(args.keepImages) },
      child,
    );

    const image = new awsx.ecr.Image(
      name,
      {
        repositoryUrl: this.repository.repositoryUrl,
        imageName: IMAGE_TAG,
        // The Dockerfile is the context's own (awsx's default).
        context: buildContext(args.root),
        platform: PLATFORM,
        args: imageBuildArgs(args.pins),
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
