import { apiHandler } from './api-handler.ts';

/** The delete function (template.yaml: DeleteFunction). */
export const handler = apiHandler('delete');
