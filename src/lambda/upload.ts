import { apiHandler } from './api-handler.ts';

/** The upload function (template.yaml: UploadFunction). */
export const handler = apiHandler('upload');
