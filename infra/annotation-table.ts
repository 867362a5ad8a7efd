// The S3 Metadata annotation table of one bucket. @pulumi/aws 7.48.0's
// BucketMetadataConfiguration creates the journal and inventory tables but
// has no annotation table, so this small dynamic resource turns it on and off
// with the pinned AWS SDK's UpdateBucketMetadataAnnotationTableConfiguration
// (ARCHITECTURE.md, "S3 Metadata"). It runs in the Pulumi engine's process
// with the deployer's credentials, after the metadata configuration exists.
import * as pulumi from "@pulumi/pulumi";

export interface AnnotationTableInputs {
  bucket: string;
  region: string;
  /** The role S3 Metadata assumes to read the bucket's annotations. */
  roleArn: string;
}

/** The request that sets the annotation table's state: pure, for the tests. */
export function annotationTableRequest(
  inputs: AnnotationTableInputs,
  state: "ENABLED" | "DISABLED",
): {
  Bucket: string;
  AnnotationTableConfiguration: { ConfigurationState: "ENABLED" | "DISABLED"; Role?: string };
} {
  return {
    Bucket: inputs.bucket,
    AnnotationTableConfiguration: {
      ConfigurationState: state,
      ...(state === "ENABLED" ? { Role: inputs.roleArn } : {}),
    },
  };
}

async function setAnnotationTable(
  inputs: AnnotationTableInputs,
  state: "ENABLED" | "DISABLED",
): Promise<void> {
  // required here, not imported: Pulumi serialises this provider into the
  // engine's process, where only a require of the package is portable
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const s3 = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = new s3.S3Client({ region: inputs.region });
  try {
    await client.send(
      new s3.UpdateBucketMetadataAnnotationTableConfigurationCommand(
        annotationTableRequest(inputs, state),
      ),
    );
  } finally {
    client.destroy();
  }
}

export const annotationTableProvider: pulumi.dynamic.ResourceProvider<
  AnnotationTableInputs,
  AnnotationTableInputs
> = {
  async create(inputs) {
    await setAnnotationTable(inputs, "ENABLED");
    return { id: inputs.bucket, outs: inputs };
  },
  async update(_id, _olds, news) {
    await setAnnotationTable(news, "ENABLED");
    return { outs: news };
  },
  async delete(_id, props) {
    await setAnnotationTable(props, "DISABLED");
  },
  async diff(_id, olds, news) {
    // another bucket is another table; another role or region is an update in place
    const changes = (["bucket", "region", "roleArn"] as const).filter((k) => olds[k] !== news[k]);
    return {
      changes: changes.length > 0,
      replaces: changes.filter((k) => k === "bucket"),
      deleteBeforeReplace: true,
    };
  },
};

export class AnnotationTable extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof AnnotationTableInputs]: pulumi.Input<AnnotationTableInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(annotationTableProvider, name, args, opts, "s3-exiftool", "AnnotationTable");
  }
}
