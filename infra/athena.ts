// Athena, ready to query the annotation table: one workgroup whose results
// land in the results bucket and whose queries stop at a bytes-scanned
// cutoff, and the named queries of athena-queries.ts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ATHENA_FOLDER } from "./backfill-contract";
import { METADATA_CATALOG, NAMED_QUERIES } from "./athena-queries";

export interface AnnotationQueriesArgs {
  resultsBucketName: pulumi.Input<string>;
  resultsPrefix: string;
  namespace: pulumi.Input<string>;
  annotationName: string;
  bytesScannedCutoff: number;
}

export class AnnotationQueries extends pulumi.ComponentResource {
  readonly workgroup: aws.athena.Workgroup;
  /** Named query IDs by query id (`ByCamera`, ...). */
  readonly queryIds: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AnnotationQueriesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:AnnotationQueries", name, {}, opts);
    const child = { parent: this };

    this.workgroup = new aws.athena.Workgroup(
      name,
      {
        // query history and saved results are the operators' to keep or drop
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoff,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.resultsBucketName}/${args.resultsPrefix}${ATHENA_FOLDER}`,
            encryptionConfiguration: { encryptionOption: "SSE_S3" },
          },
        },
      },
      child,
    );

    this.queryIds = {};
    for (const spec of NAMED_QUERIES) {
      const query = new aws.athena.NamedQuery(
        `${name}-${spec.id}`,
        {
          workgroup: this.workgroup.name,
          // the catalog is named in the SQL: a named query has a database only
          database: args.namespace,
          description: `${spec.description} (catalog ${METADATA_CATALOG})`,
          query: pulumi
            .output(args.namespace)
            .apply((namespace) => spec.sql({ namespace, annotationName: args.annotationName })),
        },
        child,
      );
      this.queryIds[spec.id] = query.id;
    }
    this.registerOutputs({ workgroup: this.workgroup.name });
  }
}
