import { apiHandler } from './api-handler.ts';

/** The list function (template.yaml: ListFunction). */
export const handler = apiHandler('list');
