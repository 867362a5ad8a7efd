// Whether a stored result still describes the object as the deployed
// function would extract it today.
import type { ExtractionLimits } from "../../function/environment";
import type { Target } from "./target";

export interface ListedObject {
  key: string;
  size: number;
  /** Without quotes. */
  eTag: string;
}

export const unquote = (eTag: string): string => eTag.replace(/"/g, "");

/** Why the result is stale, or undefined when it is current. */
export function staleReason(
  result: unknown,
  object: ListedObject,
  target: Pick<Target, "exiftoolVersion" | "exiftoolOptions" | "limits">,
): string | undefined {
  if (typeof result !== "object" || result === null) return "the result is not a JSON object";
  const fields = result as Record<string, unknown>;
  if (typeof fields.eTag !== "string" || unquote(fields.eTag) !== object.eTag) {
    return `made for ETag ${String(fields.eTag)}, the object's is ${object.eTag}`;
  }
  if (fields.exiftoolVersion !== target.exiftoolVersion) {
    return `made by ExifTool ${String(fields.exiftoolVersion)}, the stack runs ${target.exiftoolVersion}`;
  }
  // results from before the options were recorded cannot be shown current
  const options = fields.exiftoolOptions;
  if (JSON.stringify(options) !== JSON.stringify(target.exiftoolOptions)) {
    return `made with options ${JSON.stringify(options ?? null)}, the stack uses ${JSON.stringify(target.exiftoolOptions)}`;
  }
  if (fields.status === "failed") return failedUnderOtherLimits(fields.failure, target.limits);
  return undefined;
}

/** A recorded failure is worth another try once a limit it failed under has changed. */
function failedUnderOtherLimits(
  failure: unknown,
  limits: ExtractionLimits | undefined,
): string | undefined {
  if (limits === undefined) return "a recorded failure, and the stack's limits are not known";
  const recorded = (failure as { limits?: Record<string, unknown> } | undefined)?.limits ?? {};
  const changed = (Object.keys(limits) as (keyof ExtractionLimits)[]).filter(
    (name) => recorded[name] !== limits[name],
  );
  if (changed.length === 0) return undefined;
  const was = changed.map((name) => `${name} ${String(recorded[name])}`).join(", ");
  const now = changed.map((name) => `${name} ${limits[name]}`).join(", ");
  return `failed under ${was}, the stack now has ${now}`;
}
