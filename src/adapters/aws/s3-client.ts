import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region: string;
  /** An emulator's URL (moto_server); AWS's own endpoint when absent. */
  endpoint?: string;
  /** Bucket in the path instead of the host name, as emulators on one port need. */
  forcePathStyle?: boolean;
  /** Fixed credentials (tests); the SDK's default chain (Lambda's role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The app's S3 client: checksums only where S3 requires them. */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // The SDK's default (WHEN_SUPPORTED) sends bodies aws-chunked with a trailing checksum,
    // which emulators store framing and all, and presigned PUTs then carry the checksum of
    // an empty body. Operations that require a checksum (DeleteObjects) still get one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
