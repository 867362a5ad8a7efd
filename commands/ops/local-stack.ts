// The `npm start` pipeline of a stack file, seen from outside: its settings
// and clients for its endpoint, with the emulator's test credentials.
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createS3Client } from "../../function/ranges/s3-client";
import type { Settings } from "../../infra/config";
import { stackSettings } from "../../infra/stack-file";
import { localSettings, PROJECT_ROOT, type LocalSettings } from "../../local/config";
import { LOCAL_CREDENTIALS } from "../../local/pipeline";

export interface LocalStack {
  settings: Settings;
  local: LocalSettings;
  s3: S3Client;
  sqs: SQSClient;
  queueUrl(name: string): Promise<string>;
  destroy(): void;
}

export function localStack(endpoint: string, stack: string): LocalStack {
  const settings = stackSettings(PROJECT_ROOT, stack);
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
    destroy: () => {
      s3.destroy();
      sqs.destroy();
    },
  };
}
