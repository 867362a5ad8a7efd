// The `npm start` pipeline of a stack file, seen from outside: its settings
// and clients for its endpoint, with the emulator's test credentials.
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, ListQueueTagsCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createS3Client } from "../../function/ranges/s3-client";
import { ConfigError, type Settings } from "../../infra/config";
import { StackFileError, stackSettings } from "../../infra/stack-file";
import { localSettings, PROJECT_ROOT, type LocalSettings } from "../../local/config";
import { LOCAL_CREDENTIALS } from "../../local/pipeline";
import { STACK_TAG } from "../../local/topology";
import { UsageError } from "../command";

export interface LocalStack {
  settings: Settings;
  local: LocalSettings;
  s3: S3Client;
  sqs: SQSClient;
  queueUrl(name: string): Promise<string>;
  /** Refuses a server started with another stack file: its settings would not be these. */
  checkServerStack(queueUrl: string): Promise<void>;
  destroy(): void;
}

function stackOf(stack: string): Settings {
  try {
    return stackSettings(PROJECT_ROOT, stack);
  } catch (error) {
    if (error instanceof StackFileError || error instanceof ConfigError) {
      throw new UsageError(`--stack ${stack}: ${error.message}`);
    }
    throw error;
  }
}

export function localStack(endpoint: string, stack: string): LocalStack {
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new UsageError(
      `--endpoint "${endpoint}" is not an http:// URL (npm start prints its endpoint)`,
    );
  }
  const settings = stackOf(stack);
  const local = localSettings(stack, settings);
  const config = { endpoint, region: local.region, credentials: LOCAL_CREDENTIALS };
  const s3 = createS3Client(config);
  const sqs = new SQSClient(config);
  return {
    settings,
    local,
    s3,
    sqs,
    queueUrl: async (name) => {
      try {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        if (QueueUrl) return QueueUrl;
      } catch {
        // named below
      }
      throw new Error(`no queue ${name} at ${endpoint}: is \`npm start\` running there?`);
    },
    checkServerStack: async (queueUrl) => {
      const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }));
      const serving = Tags[STACK_TAG];
      if (serving !== undefined && serving !== stack) {
        throw new UsageError(
          `--stack ${stack}, but the pipeline at ${endpoint} runs stack ${serving}: ` +
            `pass --stack ${serving}, or restart npm start with --stack ${stack}`,
        );
      }
    },
    destroy: () => {
      s3.destroy();
      sqs.destroy();
    },
  };
}
