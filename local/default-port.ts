// Where `npm start` serves S3 and SQS unless told otherwise: LocalStack's
// port, the one S3 tools and tutorials already point at. Its own module so
// that `npm start --help` does not load the pipeline and its SDKs to say it.
export const DEFAULT_PORT = 4566;
