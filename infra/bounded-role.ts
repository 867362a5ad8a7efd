import type * as pulumi from "@pulumi/pulumi";

/**
 * Every role the stack creates but the release pipeline's deploy role takes
 * the stack's permissions boundary (infra/release/role-boundary.ts): the
 * deploy role may write only roles that carry it.
 */
export interface BoundedRoleArgs {
  /** The boundary policy's ARN; no boundary when undefined. */
  permissionsBoundary?: pulumi.Input<string>;
}
