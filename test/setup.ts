// One setup file for the whole suite: a Lambda-like environment and quiet output.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.POWERTOOLS_SERVICE_NAME ??= 'soakwatch';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Soakwatch';
// Powertools Logger/Metrics write to stdout; tests assert behaviour, not log lines.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The AWS SDK warns that Node 20 is past its support window on every client construction.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
