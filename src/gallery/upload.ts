import { type ImageApiClient, ImageApiError } from '../client/index.ts';
import { prepareUpload } from '../client/upload-input.ts';

export interface UploadProgress {
  /** The record exists; the bytes are about to be sent. */
  onCreated(imageId: string): void;
  /** Share of the bytes sent, 0–1. */
  onProgress(fraction: number): void;
}

/**
 * The two-step upload with progress: ask for a signed URL, then PUT the file to it. The PUT
 * goes through XMLHttpRequest because fetch reports no upload progress in browsers. The
 * file's type comes from its first bytes (what the server checks), not the browser's guess.
 * When the PUT fails the record is deleted again, so no `pending` image is left behind.
 */
export async function uploadFile(
  client: ImageApiClient,
  file: File,
  progress: UploadProgress,
): Promise<string> {
  const prepared = await prepareUpload(file, {});
  const { data, error, response } = await client.raw.POST('/images/upload', {
    body: { fileName: prepared.fileName, fileType: prepared.fileType },
  });
  if (!data) throw await ImageApiError.fromResponse(response, error);
  progress.onCreated(data.imageId);
  try {
    await put(data.uploadUrl, prepared.body, prepared.fileType, progress.onProgress);
  } catch (failure) {
    await client.delete(data.imageId).catch(() => undefined);
    throw failure;
  }
  progress.onProgress(1);
  return data.imageId;
}

function put(url: string, body: Blob, type: string, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', type);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      // The same reading of an error answer as the client's, from the XHR's text.
      const answer = new Response(xhr.responseText || null, {
        status: xhr.status,
        statusText: xhr.statusText,
      });
      ImageApiError.fromResponse(answer).then(reject, reject);
    });
    xhr.addEventListener('error', () =>
      reject(new ImageApiError(0, 'NETWORK_ERROR', 'The upload could not reach the server')),
    );
    xhr.send(body);
  });
}
