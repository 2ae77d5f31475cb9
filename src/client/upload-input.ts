import { extensionFor, type ImageType, typeFromBytes, typeFromName } from './file-type.ts';

/** What `upload` takes: bytes in memory, a Blob or File, or (Node only) a file path. */
export type UploadInput = Blob | Uint8Array | ArrayBuffer | string;

export interface PreparedUpload {
  body: Blob;
  fileName: string;
  fileType: ImageType;
}

/**
 * Turns an upload's input into a Blob with a name and a type. A path is opened as a
 * file-backed Blob (streamed from disk by fetch, not read into memory); `node:fs` is loaded
 * only then, so the client runs in browsers. The type: as given, else the file's magic
 * number (what the server checks), else its extension, else the Blob's own type.
 */
export async function prepareUpload(
  input: UploadInput,
  options: { fileName?: string; fileType?: ImageType },
): Promise<PreparedUpload> {
  const { blob, name } = await toBlob(input);
  const head = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
  const fileType =
    options.fileType ??
    typeFromBytes(head) ??
    typeFromName(options.fileName ?? name ?? '') ??
    (blob.type ? typeFromName(`.${blob.type.split('/')[1]}`) : undefined);
  if (!fileType)
    throw new TypeError(
      `fileType: cannot tell the image type of ${name ?? 'the input'} from its first bytes or name; pass fileType`,
    );
  return { body: blob, fileName: options.fileName ?? name ?? `upload.${extensionFor(fileType)}`, fileType };
}

async function toBlob(input: UploadInput): Promise<{ blob: Blob; name?: string }> {
  if (typeof input === 'string') {
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs');
    return { blob: await fs.openAsBlob(input), name: input.split(/[\\/]/).pop() };
  }
  if (input instanceof Blob) {
    const name = (input as Partial<File>).name;
    return { blob: input, name: typeof name === 'string' && name !== '' ? name : undefined };
  }
  if (input instanceof ArrayBuffer) return { blob: new Blob([input]) };
  if (input instanceof Uint8Array) return { blob: new Blob([input as Uint8Array<ArrayBuffer>]) };
  throw new TypeError(
    `input: expected a Blob, File, Uint8Array, ArrayBuffer or file path but received ${typeof input}`,
  );
}
